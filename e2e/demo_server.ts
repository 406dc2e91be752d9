/** Starts the demo (Vite dev server, vite.config.ts) on a free 127.0.0.1 port and a headless Chromium with WebGPU. */
import { mkdirSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { CHROMIUM_ARGS, DEFAULT_CHROMIUM } from '../src/node/browser_harness.js';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface DemoEnv {
  baseUrl: string;
  browser: Browser;
  close(): Promise<void>;
}

/** The first 200 CIFAR-10 test images, committed: what the tests' accuracy runs read (the full set is not in the repo). */
export const TEST_CIFAR10_DIR = fileURLToPath(new URL('../tests/fixtures/data/cifar10/', import.meta.url));

/** `cifarDir`: where the dev server reads test_batch.bin (vite.config.ts reads TESSERA_CIFAR10_DIR when it loads). */
export async function startDemo(options: { cifarDir?: string } = {}): Promise<DemoEnv> {
  mkdirSync(ARTIFACTS, { recursive: true });
  if (options.cifarDir) process.env['TESSERA_CIFAR10_DIR'] = options.cifarDir;
  const port = await freePort();
  const server: ViteDevServer = await createServer({
    configFile: `${REPO}vite.config.ts`,
    root: `${REPO}demo`,
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false },
    logLevel: 'warn',
  });
  await server.listen();
  const { chromium } = await import('playwright-core');
  const executablePath = process.env['TESSERA_CHROMIUM'] ?? DEFAULT_CHROMIUM;
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  } catch (e) {
    await server.close();
    throw new Error(`could not launch Chromium at ${executablePath} (install Debian's chromium or set TESSERA_CHROMIUM): ${(e as Error).message}`);
  }
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    browser,
    async close() {
      await browser.close().catch(() => undefined);
      await server.close();
    },
  };
}
