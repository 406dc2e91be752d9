/**
 * GPU buffer leaks (Chromium, SwiftShader), counted by the runtime's resource tracker: create/run/release cycles
 * and many runs on one session leave the live buffer count and bytes exactly where they were. CI runs the full 1,000
 * cycles (~5 s) but 2,000 runs, not 10,000: one run of this tiny model takes ~5.6 ms on SwiftShader in Chromium
 * (readback latency), so 10,000 take ~56 s. `npx tsx bench/leaks.ts` runs the full counts; TESSERA_LEAK_CYCLES /
 * TESSERA_LEAK_RUNS override the counts here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowserSession, type BrowserSession } from '../../src/node/browser_harness.js';
import type { Rel } from './reliability_entry.js';

const CYCLES = Number(process.env['TESSERA_LEAK_CYCLES'] ?? 1000);
const RUNS = Number(process.env['TESSERA_LEAK_RUNS'] ?? 2000);

const ENTRY = join(fileURLToPath(new URL('.', import.meta.url)), 'reliability_entry.ts');
let session: BrowserSession;
beforeAll(async () => {
  session = await startBrowserSession({ entry: ENTRY });
});
afterAll(async () => {
  await session?.close();
});

const rel = <K extends keyof Rel>(fn: K, ...args: Parameters<Rel[K]>): Promise<Awaited<ReturnType<Rel[K]>>> =>
  session.page.evaluate(([f, a]) => ((globalThis as unknown as { rel: Record<string, (...x: unknown[]) => unknown> }).rel[f as string]!(...(a as unknown[])) as Promise<never>), [fn, args] as const);

describe('GPU buffer leaks', () => {
  it(`${CYCLES} create/run/release cycles keep live buffers and bytes flat`, async () => {
    const r = await rel('createReleaseCycles', CYCLES);
    console.log(
      `create/run/release x${CYCLES}: live buffers ${r.before.liveBuffers} -> ${r.after.liveBuffers}, live bytes ${r.before.liveBytes} -> ${r.after.liveBytes}, ` +
        `buffers created ${r.after.buffersCreated - r.before.buffersCreated}, peak live ${r.peakLive}, ${(r.ms / 1000).toFixed(1)} s`,
    );
    expect(r.lost).toBe(false);
    expect(r.same).toBe(true);
    expect(r.after.liveBuffers).toBe(r.before.liveBuffers);
    expect(r.after.liveBytes).toBe(r.before.liveBytes);
    // The cycles really allocated (so flat counts mean freed, not never created).
    expect(r.after.buffersCreated - r.before.buffersCreated).toBeGreaterThanOrEqual(CYCLES);
    expect(r.peakLive).toBeGreaterThan(r.before.liveBuffers);
  });

  it(`${RUNS} runs on one session allocate nothing and keep live buffers and bytes flat`, async () => {
    const r = await rel('manyRuns', RUNS);
    console.log(
      `runs x${RUNS}: live buffers ${r.before.liveBuffers} -> ${r.after.liveBuffers}, live bytes ${r.before.liveBytes} -> ${r.after.liveBytes}, ` +
        `buffers/bind groups/pipelines created during runs ${r.after.buffersCreated - r.before.buffersCreated}/${r.after.bindGroupsCreated - r.before.bindGroupsCreated}/${r.after.pipelinesCreated - r.before.pipelinesCreated}, ` +
        `${(r.ms / 1000).toFixed(1)} s (${((r.ms / RUNS) * 1000).toFixed(0)} µs/run); live after release ${r.liveAfterRelease}`,
    );
    expect(r.same).toBe(true);
    expect(r.after.liveBuffers).toBe(r.before.liveBuffers);
    expect(r.after.liveBytes).toBe(r.before.liveBytes);
    expect(r.after.buffersCreated).toBe(r.before.buffersCreated);
    expect(r.after.bindGroupsCreated).toBe(r.before.bindGroupsCreated);
    expect(r.after.pipelinesCreated).toBe(r.before.pipelinesCreated);
    expect(r.liveAfterRelease).toBe(0);
  });
});
