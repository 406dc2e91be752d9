/**
 * session.profile() rows (one per dispatch: layer, op, kernel variant, shapes, MACs, time) with GPU timestamps and
 * with the wall-time fallback; device limits: dispatches beyond maxComputeWorkgroupsPerDimension are folded, tensors
 * beyond maxStorageBufferBindingSize get a WebGPULimitError naming the tensor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../../src/node/browser_harness.js';
import { startTestBrowser } from '../../harness/browser.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

let session: BrowserSession;
beforeAll(async () => {
  session = await startTestBrowser();
});
afterAll(async () => {
  await session?.close();
});

/** conv 3x3 (4→8, 10x10) → relu → global pool → flatten → gemm 8→3, as a Graph literal for the page. */
const GRAPH_SRC = {
  inputs: [{ name: 'x', dtype: 'f32', shape: [1, 4, 10, 10] }],
  outputs: [{ name: 'logits', dtype: 'f32', shape: [1, 3] }],
  nodes: [
    { name: 'conv1', op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
    { name: 'relu1', op: 'Relu', inputs: ['c1'], outputs: ['r1'], attrs: {} },
    { name: 'pool', op: 'GlobalAveragePool', inputs: ['r1'], outputs: ['p'], attrs: {} },
    { name: 'flat', op: 'Flatten', inputs: ['p'], outputs: ['f'], attrs: { axis: 1 } },
    { name: 'fc', op: 'Gemm', inputs: ['f', 'w2', 'b2'], outputs: ['logits'], attrs: { transB: 1 } },
  ],
  init: { w1: [8, 4, 3, 3], b1: [8], w2: [3, 8], b2: [3] } as Record<string, number[]>,
};

describe('session.profile()', () => {
  it('one row per dispatch with layer, op, kernel, shapes, MACs and timestamp or wall time', async () => {
    const r = await session.page.evaluate(async (src) => {
      const t = (globalThis as Any).tessera;
      const initializers = new Map();
      for (const [name, shape] of Object.entries(src.init)) {
        const n = (shape as number[]).reduce((a, b) => a * b, 1);
        initializers.set(name, { dtype: 'f32', shape, data: Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.3) });
      }
      const graph = { inputs: src.inputs, outputs: src.outputs, nodes: src.nodes, initializers, metadata: {} };
      const s = await t.Session.create(graph, { backend: 'webgpu' });
      const x = Float32Array.from({ length: 400 }, (_, i) => Math.cos(i));
      const stamp = await s.profile({ x });
      const wall = await s.profile({ x }, { timing: 'wall' });
      const out = await s.run({ x });
      s.release();
      const arr = (o: Any) => Array.from(o.logits.data as Float32Array);
      return { stamp: { ...stamp, outputs: arr(stamp.outputs) }, wall: { ...wall, outputs: arr(wall.outputs) }, out: arr(out) };
    }, GRAPH_SRC);
    expect(r.stamp.backend).toBe('webgpu');
    // Flatten is a view: conv, relu, pool, gemm.
    expect(r.stamp.rows.map((x: Any) => x.node)).toEqual(['conv1', 'relu1', 'pool', 'fc']);
    expect(r.stamp.rows.map((x: Any) => x.op)).toEqual(['Conv', 'Relu', 'GlobalAveragePool', 'Gemm']);
    const conv = r.stamp.rows[0];
    expect(conv.inputShapes).toEqual([[1, 4, 10, 10], [8, 4, 3, 3], [8]]);
    expect(conv.outputShapes).toEqual([[1, 8, 10, 10]]);
    expect(conv.macs).toBe(8 * 10 * 10 * 4 * 9);
    expect(r.stamp.rows[3].macs).toBe(3 * 8);
    expect(conv.kernel).toMatch(/^conv2d/);
    expect(r.stamp.timing).toBe('timestamp');
    for (const row of r.stamp.rows) {
      expect(row.timing).toBe('timestamp');
      expect(row.gpuMs).toBeGreaterThanOrEqual(0);
    }
    expect(r.wall.timing).toBe('wall');
    for (const row of r.wall.rows) {
      expect(row.timing).toBe('wall');
      expect(row.gpuMs).toBeGreaterThan(0);
    }
    expect(r.wall.gpuMs).toBeCloseTo(r.wall.rows.reduce((a: number, x: Any) => a + x.gpuMs, 0), 6);
    // Profiled runs compute the same outputs as plain runs.
    expect(r.wall.outputs).toEqual(r.out);
    expect(r.stamp.outputs).toEqual(r.out);
  });
});

describe('device limits', () => {
  it('folds dispatches beyond maxComputeWorkgroupsPerDimension (rows show the [x, y, z] grid)', async () => {
    const r = await session.page.evaluate(async () => {
      const t = (globalThis as Any).tessera;
      const n = 65535 * 256 + 1001; // four elements per thread (vec4 path), 64 threads per workgroup: more than 65535 workgroups
      const graph = {
        inputs: [{ name: 'x', dtype: 'f32', shape: [n] }],
        outputs: [{ name: 'y', dtype: 'f32', shape: [n] }],
        nodes: [{ name: 'neg', op: 'Neg', inputs: ['x'], outputs: ['y'], attrs: {} }],
        initializers: new Map(),
        metadata: {},
      };
      const s = await t.Session.create(graph, { backend: 'webgpu' });
      const x = Float32Array.from({ length: n }, (_, i) => i % 977);
      const p = await s.profile({ x });
      const y = p.outputs.y.data as Float32Array;
      let wrong = 0;
      for (let i = 0; i < n; i++) if (y[i] !== -(i % 977)) wrong++;
      s.release();
      return { grid: p.rows[0].workgroups, wrong };
    });
    expect(r.grid[0]).toBeLessThanOrEqual(65535);
    expect(r.grid[1]).toBeGreaterThan(1);
    expect(r.wrong).toBe(0);
  });

  it('a tensor beyond maxStorageBufferBindingSize is a WebGPULimitError naming it (activations and weights)', async () => {
    const r = await session.page.evaluate(async () => {
      const t = (globalThis as Any).tessera;
      const real = await t.sharedGpu();
      // The same device, with a (pretend) 4 KiB binding limit.
      const small = { ...real, maxStorageBufferBindingSize: 4096, checkHealthy: () => real.checkHealthy() };
      const attempt = async (graph: Any): Promise<Any> => {
        try {
          await t.WebGPUExecutor.create(small, graph);
          return 'no error';
        } catch (e) {
          return { name: (e as Error).name, message: (e as Error).message, tensor: (e as Any).tensor, limit: (e as Any).limit };
        }
      };
      const big = {
        inputs: [{ name: 'x', dtype: 'f32', shape: [1, 2, 16, 16] }],
        outputs: [{ name: 'wide', dtype: 'f32', shape: [1, 16, 16, 16] }],
        nodes: [{ name: 'c', op: 'Conv', inputs: ['x', 'w'], outputs: ['wide'], attrs: { kernel_shape: [1, 1] } }],
        initializers: new Map([['w', { dtype: 'f32', shape: [16, 2, 1, 1], data: new Float32Array(32) }]]),
        metadata: {},
      };
      const weights = {
        inputs: [{ name: 'x', dtype: 'f32', shape: [1, 1000] }],
        outputs: [{ name: 'y', dtype: 'f32', shape: [1, 4] }],
        nodes: [{ name: 'fc', op: 'MatMul', inputs: ['x', 'huge_w'], outputs: ['y'], attrs: {} }],
        initializers: new Map([['huge_w', { dtype: 'f32', shape: [1000, 4], data: new Float32Array(4000) }]]),
        metadata: {},
      };
      return { activation: await attempt(big), weight: await attempt(weights) };
    });
    expect(r.activation).toMatchObject({ name: 'WebGPULimitError', tensor: 'wide', limit: 'maxStorageBufferBindingSize' });
    expect(r.activation.message).toContain("'wide'");
    expect(r.weight).toMatchObject({ name: 'WebGPULimitError', tensor: 'huge_w' });
  });
});
