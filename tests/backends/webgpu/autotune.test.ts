/**
 * Autotuning end to end in Chromium (src/backends/webgpu/autotune.ts through Session's `autotune` option): the first
 * create measures, a second create with the same cache does no measurement, outputs match the CPU reference both
 * times, every valid variant forced through a stored table gives the same outputs, and tuning leaves no GPU buffer.
 */
import { describe, expect, it } from 'vitest';
import { writeTessera } from '../../../src/format/index.js';
import { inferShapes } from '../../../src/graph/infer.js';
import { collectTunableLayers } from '../../../src/backends/webgpu/autotune_plan.js';
import { subsampleStridedPointwise } from '../../../src/backends/webgpu/lower.js';
import { optimize } from '../../../src/graph/passes/index.js';
import { startTestBrowser } from '../../harness/browser.js';
import { perFile } from '../../harness/per_file.js';
import { randomF32 } from '../../harness/rng.js';
import { GraphBuilder, addBn, addConv } from '../../graph/passes/helpers.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A small residual net: 3x3 (Winograd-able), strided 3x3, strided 1x1 projection, 1x1, with fused epilogues. */
function smallNet() {
  const b = new GraphBuilder();
  b.input('x', 'f32', [1, 8, 12, 12]);
  const a = b.node('Relu', [addBn(b, addConv(b, 'x', 8, 16, 1, { bias: false }), 16, 2)]);
  const c = addBn(b, addConv(b, a, 16, 16, 3, { strides: 2, bias: false }), 16, 4);
  const short = addBn(b, addConv(b, a, 16, 16, 5, { k: 1, pads: 0, strides: 2, bias: false }), 16, 6);
  const d = b.node('Relu', [b.node('Add', [c, short])]);
  b.output(addConv(b, d, 16, 24, 7, { k: 1, pads: 0 }));
  return optimize(b.build());
}

const session = perFile(startTestBrowser);

describe('autotune (Chromium)', () => {
  it('tunes once, reuses the cached table, and every variant gives the CPU result', async () => {
    const graph = smallNet();
    const layers = collectTunableLayers(subsampleStridedPointwise(graph), inferShapes(subsampleStridedPointwise(graph)));
    expect(layers.length).toBeGreaterThanOrEqual(3);
    const variants = [...new Set(layers.flatMap((l) => l.candidates))];
    const url = session().serveBytes(writeTessera(graph));
    const x = Array.from(randomF32(8 * 12 * 12, 5, -1, 1));
    const r = await session().page.evaluate(
      async ({ url, x, variants }) => {
        const t = (globalThis as Any).tessera;
        const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
        const feeds = { x: new Float32Array(x) };
        const cpu = await t.Session.create(bytes, { backend: 'cpu' });
        const ref = Object.values(await cpu.run(feeds))[0] as Any;
        const relErr = (o: Any) => {
          let num = 0;
          let den = 0;
          for (let i = 0; i < ref.data.length; i++) {
            num += (o.data[i] - ref.data[i]) ** 2;
            den += ref.data[i] ** 2;
          }
          return Math.sqrt(num / den);
        };
        const gpu = await t.sharedGpu();
        const liveBefore = gpu.tracker.snapshot().liveBuffers;
        const cache = t.memoryTuningCache();
        const runOnce = async (autotune: Any) => {
          const s = await t.Session.create(bytes, { backend: 'webgpu', autotune });
          const out = Object.values(await s.run(feeds))[0] as Any;
          const kernels = (await s.profile(feeds)).rows.map((row: Any) => row.kernel);
          const res = { tuning: s.tuning, err: relErr(out), kernels };
          s.release();
          return res;
        };
        const first = await runOnce({ cache, budgetMs: 60000 });
        const second = await runOnce({ cache });
        const off = await runOnce(false);
        const key = first.tuning.key;
        const forced: Record<string, Any> = {};
        for (const v of variants) {
          const table = { version: 1, choices: Object.fromEntries(Object.keys(first.tuning.choices).map((k) => [k, v])) };
          const c = t.memoryTuningCache();
          await c.set(key, table);
          forced[v] = await runOnce({ cache: c, budgetMs: 0 });
        }
        return { first, second, off, forced, liveBefore, liveAfter: gpu.tracker.snapshot().liveBuffers, stored: await cache.get(key) };
      },
      { url, x, variants },
    );
    // First create: measured, every tunable layer (generous budget), at least one candidate per layer timed.
    expect(r.first.tuning.source).toBe('measured');
    expect(r.first.tuning.layersTuned).toBe(layers.length);
    expect(r.first.tuning.measurements).toBeGreaterThanOrEqual(2 * layers.length);
    expect(Object.keys(r.first.tuning.choices).sort()).toEqual(layers.map((l) => l.key).sort());
    expect(r.stored.choices).toEqual(r.first.tuning.choices);
    // Second create: the table comes from the cache, nothing is measured, same choices.
    expect(r.second.tuning.source).toBe('cache');
    expect(r.second.tuning.measurements).toBe(0);
    expect(r.second.tuning.layersTuned).toBe(0);
    expect(r.second.tuning.choices).toEqual(r.first.tuning.choices);
    expect(r.second.kernels).toEqual(r.first.kernels);
    expect(r.off.tuning.source).toBe('off');
    for (const res of [r.first, r.second, r.off]) expect(res.err).toBeLessThanOrEqual(1e-4);
    // Each variant forced through a stored table: same outputs (invalid ones fall back to the rule).
    for (const v of variants) {
      expect(r.forced[v].tuning.source, v).toBe('cache');
      expect(r.forced[v].err, v).toBeLessThanOrEqual(1e-4);
    }
    expect(new Set(Object.values(r.forced).map((f: Any) => f.kernels.join())).size).toBeGreaterThan(1); // forcing changed kernels
    // Tuning and the sessions released every buffer they made.
    expect(r.liveAfter).toBe(r.liveBefore);
  });
});
