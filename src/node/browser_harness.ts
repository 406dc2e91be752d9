/**
 * Node-only: runs Tessera inside headless Chromium (WebGPU on SwiftShader when there is no GPU).
 *
 * `startBrowserSession()` bundles a browser entry with esbuild (in memory), serves it from a tiny node:http server on
 * 127.0.0.1 (pages need a secure context for navigator.gpu: about:blank has none), launches Chromium through
 * playwright-core and opens one page with the bundle loaded (`globalThis.tessera`). Large payloads go through
 * `serveBytes()` (the page fetches them) instead of page.evaluate arguments, which are JSON.
 */
import http from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
// From source (tsx/vitest) the entry is the .ts file; from the built package (dist/) it is the compiled .js.
export const DEFAULT_BROWSER_ENTRY = existsSync(join(here, 'browser_entry.ts')) ? join(here, 'browser_entry.ts') : join(here, 'browser_entry.js');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/** Chromium used when TESSERA_CHROMIUM is not set. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export class BrowserUnavailableError extends Error {
  override name = 'BrowserUnavailableError';
}

const bundleCache = new Map<string, Promise<string>>();

/** Bundles `entry` (TypeScript, ESM) for the browser into a string. Cached per entry for the process. */
export function bundleBrowserEntry(entry: string = DEFAULT_BROWSER_ENTRY): Promise<string> {
  let b = bundleCache.get(entry);
  if (!b) {
    b = (async () => {
      const { build } = await import('esbuild');
      const result = await build({
        entryPoints: [entry],
        bundle: true,
        write: false,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        external: ['node:*', 'webgpu'],
        logLevel: 'silent',
      });
      return result.outputFiles[0]!.text;
    })();
    bundleCache.set(entry, b);
    b.catch(() => bundleCache.delete(entry));
  }
  return b;
}

export interface BrowserSessionOptions {
  entry?: string;
  executablePath?: string;
  /** Extra Chromium flags. */
  args?: string[];
  /** Forward page console messages to this function. */
  onConsole?: (text: string) => void;
  /** Extra read-only static folders: URL prefix (e.g. '/ort/') -> local directory (e.g. onnxruntime-web's dist/). */
  staticDirs?: Record<string, string>;
  /** Serve everything with COOP/COEP headers so the page is crossOriginIsolated (SharedArrayBuffer, WASM threads). */
  crossOriginIsolated?: boolean;
}

const MIME: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.map': 'application/json' };

/** The file under one of `dirs` that `url` names, or undefined (unknown prefix, missing file, or a path escaping it). */
function staticFile(dirs: Record<string, string>, url: string): string | undefined {
  const path = decodeURIComponent(url.split('?')[0]!);
  for (const [prefix, dir] of Object.entries(dirs)) {
    if (!path.startsWith(prefix)) continue;
    const root = normalize(dir);
    const file = normalize(join(root, path.slice(prefix.length)));
    if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  return undefined;
}

export interface BrowserSession {
  page: Page;
  browser: Browser;
  baseUrl: string;
  /** Makes `bytes` fetchable by the page at the returned URL (same origin) until `unserve(url)` or close. */
  serveBytes(bytes: Uint8Array): string;
  unserve(url: string): void;
  close(): Promise<void>;
}

export async function startBrowserSession(options: BrowserSessionOptions = {}): Promise<BrowserSession> {
  const executablePath = options.executablePath ?? process.env['TESSERA_CHROMIUM'] ?? DEFAULT_CHROMIUM;
  if (!existsSync(executablePath)) throw new BrowserUnavailableError(`Chromium not found at ${executablePath} (set TESSERA_CHROMIUM)`);
  const code = await bundleBrowserEntry(options.entry);
  const blobs = new Map<string, Uint8Array>();
  let nextBlob = 0;
  const isolation: Record<string, string> = options.crossOriginIsolated
    ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
    : {};
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
    const file = options.staticDirs ? staticFile(options.staticDirs, url) : undefined;
    if (file) {
      res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    } else if (url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><html><head><meta charset="utf-8"><script type="module" src="/tessera.js"></script></head><body></body></html>');
    } else if (url === '/tessera.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(code);
    } else if (blobs.has(url)) {
      const bytes = blobs.get(url)!;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.byteLength });
      res.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { chromium } = await import('playwright-core');
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...(options.args ?? [])] });
  } catch (e) {
    server.close();
    throw new BrowserUnavailableError(`could not launch Chromium at ${executablePath}: ${(e as Error).message}`);
  }
  const close = async () => {
    await browser.close().catch(() => undefined);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    if (options.onConsole) page.on('console', (m) => options.onConsole!(m.text()));
    await page.goto(`${baseUrl}/`);
    await page.waitForFunction(() => (globalThis as { tessera?: unknown }).tessera !== undefined, undefined, { timeout: 30_000 }).catch(() => {
      throw new BrowserUnavailableError(`the Tessera bundle did not load in Chromium${errors.length ? `: ${errors.join('; ')}` : ''}`);
    });
    return {
      page,
      browser,
      baseUrl,
      serveBytes(bytes) {
        const path = `/blob/${nextBlob++}`;
        blobs.set(path, bytes);
        return path;
      },
      unserve(path) {
        blobs.delete(path);
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Runs `fn` with a fresh browser session and always closes it. */
export async function withBrowserSession<T>(fn: (session: BrowserSession) => Promise<T>, options: BrowserSessionOptions = {}): Promise<T> {
  const session = await startBrowserSession(options);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
