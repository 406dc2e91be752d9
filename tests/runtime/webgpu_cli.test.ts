/** The Node → Chromium WebGPU path used by the CLI: one-shot runInChromium and batched WebGPURunner.runBatches. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runInChromium, WebGPURunner } from '../../src/node/webgpu_cli.js';
import { Session } from '../../src/runtime/session.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { optimize } from '../../src/graph/passes/index.js';
import { CpuExecutor } from '../../src/backends/cpu/index.js';
import { randomF32 } from '../harness/rng.js';
import { cifarImages, resnet20Onnx } from '../harness/cifar.js';
import { relativeL2 } from '../../src/util/relative_l2.js';

describe('WebGPU from Node through Chromium', () => {
  it('runInChromium: mnist-8 matches the CPU backend and reports the path', async () => {
    const bytes = new Uint8Array(readFileSync(new URL('../fixtures/data/pretrained/onnx-mnist-cntk/mnist-8.onnx', import.meta.url)));
    const cpu = await Session.create(bytes, { backend: 'cpu' });
    const name = cpu.inputs[0]!.name;
    const feeds = [11, 12].map((seed) => ({ [name]: { dtype: 'f32' as const, shape: [1, 1, 28, 28], data: randomF32(784, seed, 0, 1) } }));
    const r = await runInChromium(bytes, feeds);
    expect(r.path).toBe('chromium');
    expect(r.device).toMatch(/chromium/);
    expect(r.outputs).toHaveLength(2);
    for (let i = 0; i < feeds.length; i++) {
      const want = Object.values(await cpu.run(feeds[i]!))[0]!;
      const got = Object.values(r.outputs[i]!)[0]!;
      expect(got.shape).toEqual(want.shape);
      expect(relativeL2(got.data as Float32Array, want.data as Float32Array)).toBeLessThanOrEqual(1e-4);
    }
  });

  it('WebGPURunner.runBatches: ResNet-20 batches of 4 match the CPU backend', async () => {
    const bytes = resnet20Onnx();
    const { images } = cifarImages(100, 10);
    const runner = await WebGPURunner.open(bytes);
    try {
      expect(runner.path).toBe('chromium');
      const name = runner.inputs[0]!.name;
      const batches = await runner.runBatches(name, [3, 32, 32], images, 4);
      expect(batches.map((b) => Object.values(b)[0]!.shape)).toEqual([
        [4, 10],
        [4, 10],
        [2, 10],
      ]);
      const cpu = await Session.create(bytes, { backend: 'cpu' });
      const all = new Float32Array(10 * 3072);
      images.forEach((im, i) => all.set(im, i * 3072));
      const want = Object.values(await cpu.run({ [name]: { dtype: 'f32', shape: [10, 3, 32, 32], data: all } }))[0]!.data as Float32Array;
      const got = new Float32Array(100);
      let off = 0;
      for (const b of batches) {
        const d = Object.values(b)[0]!.data as Float32Array;
        got.set(d, off);
        off += d.length;
      }
      expect(relativeL2(got, want)).toBeLessThanOrEqual(1e-4);
      const prof = await runner.profile();
      expect(prof.backend).toBe('webgpu');
      expect(prof.rows.length).toBeGreaterThan(10);
    } finally {
      await runner.close();
    }
  });

  it('WebGPURunner.fromGraph: an optimised in-memory graph (FusedConv) travels as .tessera and matches the CPU', async () => {
    const bytes = new Uint8Array(readFileSync(new URL('../fixtures/data/pretrained/onnx-mnist-cntk/mnist-8.onnx', import.meta.url)));
    const graph = optimize(importOnnx(bytes));
    expect(graph.nodes.some((n) => n.op === 'FusedConv')).toBe(true);
    const runner = await WebGPURunner.fromGraph(graph);
    try {
      const name = runner.inputs[0]!.name;
      const feed = { [name]: { dtype: 'f32' as const, shape: [1, 1, 28, 28], data: randomF32(784, 5, 0, 1) } };
      const got = Object.values(await runner.run(feed))[0]!;
      const want = Object.values(new CpuExecutor(graph).run(feed))[0]!;
      expect(relativeL2(got.data as Float32Array, want.data as Float32Array)).toBeLessThanOrEqual(1e-4);
    } finally {
      await runner.close();
    }
  });
});
