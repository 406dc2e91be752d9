/**
 * The worker pool of the threaded WASM backend (src/backends/wasm/threads.ts) in Node: workers prespawned before a
 * session exists (Session.create with backend 'wasm' starts them while the model is imported) are the ones the
 * pool takes, and a session on them computes what a one-thread session computes.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../../src/graph/ir.js';
import { prespawnWorkers, spareWorkers } from '../../../src/backends/wasm/threads.js';
import { Session } from '../../../src/runtime/session.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const RESNET20 = new Uint8Array(readFileSync(join(ROOT, 'models', 'resnet20-cifar10.tessera')));

const until = async (cond: () => boolean, ms = 10_000) => {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 10));
};

async function outputsOf(numThreads: number): Promise<{ out: Tensor; threads: number }> {
  const s = await Session.create(RESNET20, { backend: 'wasm', numThreads, adaptiveThreads: false });
  try {
    const x = new Float32Array(2 * 3 * 32 * 32).map((_, i) => Math.sin(i * 0.37));
    const out = Object.values(await s.run({ [s.inputs[0]!.name]: { dtype: 'f32', shape: [2, 3, 32, 32], data: x } }))[0]!;
    return { out, threads: s.backendInfo.threads ?? 1 };
  } finally {
    s.release();
  }
}

describe('WASM worker pool', () => {
  it('prespawned workers are taken by the next pool, which computes what one thread does', async () => {
    prespawnWorkers(2);
    await until(() => spareWorkers() >= 2);
    expect(spareWorkers()).toBe(2);
    const pooled = await outputsOf(3); // takes both spares (3 threads = the caller + 2 workers)
    expect(pooled.threads).toBe(3);
    expect(spareWorkers()).toBe(0);
    const single = await outputsOf(1);
    expect(Array.from(pooled.out.data as Float32Array)).toEqual(Array.from(single.out.data as Float32Array));
  });

  it('Session.create with backend wasm prespawns its workers; a pool with none spare spawns its own', async () => {
    expect(spareWorkers()).toBe(0);
    const a = await outputsOf(2); // create prespawns 1; the executor takes it (or spawns when it is not up yet)
    expect(a.threads).toBe(2);
    expect(spareWorkers()).toBeLessThanOrEqual(1);
  });

  it('never keeps more than 16 spare workers, however often asked', async () => {
    prespawnWorkers(40);
    prespawnWorkers(40); // the first call's spawns are still under way
    await until(() => spareWorkers() >= 16);
    await new Promise((r) => setTimeout(r, 100));
    expect(spareWorkers()).toBeLessThanOrEqual(16);
    await outputsOf(17); // takes all 16
    expect(spareWorkers()).toBe(0);
  });
});
