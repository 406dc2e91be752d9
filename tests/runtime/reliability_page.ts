/**
 * One headless Chromium page with the reliability entry (reliability_entry.ts) per test file: registers the
 * beforeAll/afterAll hooks and returns `rel(fn, ...args)`, which calls `globalThis.rel[fn]` in the page.
 */
import { afterAll, beforeAll } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowserSession, type BrowserSession } from '../../src/node/browser_harness.js';
import type { Rel } from './reliability_entry.js';

const ENTRY = join(fileURLToPath(new URL('.', import.meta.url)), 'reliability_entry.ts');

export type RelCall = <K extends keyof Rel>(fn: K, ...args: Parameters<Rel[K]>) => Promise<Awaited<ReturnType<Rel[K]>>>;

export function useReliabilityPage(): RelCall {
  let session: BrowserSession | undefined;
  beforeAll(async () => {
    session = await startBrowserSession({ entry: ENTRY });
  });
  afterAll(async () => {
    await session?.close();
  });
  return (fn, ...args) =>
    session!.page.evaluate(
      ([f, a]) => (globalThis as unknown as { rel: Record<string, (...x: unknown[]) => unknown> }).rel[f as string]!(...(a as unknown[])) as Promise<never>,
      [fn, args] as const,
    );
}
