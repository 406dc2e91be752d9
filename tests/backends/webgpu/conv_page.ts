/**
 * Node side of conv_perf_page.ts for the conv kernel tests: one headless Chromium per test file (started in beforeAll,
 * closed in afterAll) and `force(variant)`, which pins every conv in the page to one variant (null: the rule again).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { startBrowserSession, type BrowserSession } from '../../../src/node/browser_harness.js';

export interface ConvPage {
  /** The file's browser session (valid inside tests). */
  session(): BrowserSession;
  force(variant: string | null): Promise<void>;
}

/** `entry`: the page bundle (default conv_perf_page.ts; variants_page.ts also forces Gemm / reduction variants). */
export function useConvPage(entry = 'conv_perf_page.ts'): ConvPage {
  let session: BrowserSession | undefined;
  beforeAll(async () => {
    session = await startBrowserSession({ entry: join(dirname(fileURLToPath(import.meta.url)), entry) });
  });
  afterAll(async () => {
    await session?.close();
  });
  const current = () => {
    if (!session) throw new Error('the conv test page is not started (use it inside tests)');
    return session;
  };
  return {
    session: current,
    force: (variant) => current().page.evaluate((v) => (globalThis as unknown as { tesseraConvTest: { force(v: string | null): void } }).tesseraConvTest.force(v), variant),
  };
}
