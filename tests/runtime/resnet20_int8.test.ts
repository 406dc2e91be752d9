/**
 * ResNet-20 with int8 weights (`tessera convert --int8`: import → optimize + binarize → quantizeWeightsInt8 →
 * .tessera v2): on 200 real CIFAR-10 test images the CPU reference's int8 logits stay close to the f32 ones and
 * top-1 agrees on ≥ 99 %; on WebGPU (Chromium) the int8 file, read with int8 weights on the GPU, matches the CPU
 * reference on the same file to 1e-4.
 */
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../src/backends/cpu/index.js';
import { readTessera, readTesseraHeader, writeTessera } from '../../src/format/index.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { quantizeWeightsInt8 } from '../../src/graph/passes/quantize_int8.js';
import { convertPipeline } from '../../src/cli/pipeline.js';
import { startTestBrowser } from '../harness/browser.js';
import { perFile } from '../harness/per_file.js';
import { cifarImages, resnet20Onnx } from '../harness/cifar.js';
import { relativeL2 } from '../../src/util/relative_l2.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const converted = convertPipeline(importOnnx(resnet20Onnx()), { optimize: true, binarize: true });
const f32File = writeTessera(converted);
const { graph: quantised, summary } = quantizeWeightsInt8(converted);
const int8File = writeTessera(quantised);

function logits(file: Uint8Array, images: Float32Array[]): Float32Array {
  const graph = readTessera(file);
  const name = graph.inputs[0]!.name;
  const out = new Float32Array(images.length * 10);
  const batch = 50;
  for (let s = 0; s < images.length; s += batch) {
    const n = Math.min(batch, images.length - s);
    const x = new Float32Array(n * 3072);
    for (let i = 0; i < n; i++) x.set(images[s + i]!, i * 3072);
    const y = Object.values(new CpuExecutor(graph).run({ [name]: { dtype: 'f32', shape: [n, 3, 32, 32], data: x } }))[0]!;
    out.set(y.data as Float32Array, s * 10);
  }
  return out;
}
const argmax = (v: Float32Array, row: number) => {
  const r = Array.from(v.subarray(row * 10, row * 10 + 10));
  return r.indexOf(Math.max(...r));
};

describe('ResNet-20 int8 (CPU reference)', () => {
  it('file ≤ 30 % of f32, every conv and the Gemm int8, per-layer weight error < 1 %', () => {
    expect(readTesseraHeader(int8File).formatVersion).toBe(2);
    expect(int8File.length).toBeLessThanOrEqual(0.3 * f32File.length);
    expect(summary.layers.length).toBe(20);
    for (const l of summary.layers) expect(l.relError, l.node).toBeLessThan(0.01);
  });

  it('200 CIFAR-10 images: logits close to f32, top-1 agreement ≥ 99 %, same accuracy ± 1 image', () => {
    const { images, labels } = cifarImages(0, 200);
    const a = logits(f32File, images);
    const b = logits(int8File, images);
    const rel = relativeL2(b, a);
    let agree = 0;
    let correctF32 = 0;
    let correctInt8 = 0;
    labels.forEach((label, i) => {
      agree += argmax(a, i) === argmax(b, i) ? 1 : 0;
      correctF32 += argmax(a, i) === label ? 1 : 0;
      correctInt8 += argmax(b, i) === label ? 1 : 0;
    });
    console.log(`ResNet-20 int8 vs f32 on 200 images: logits rel L2 ${rel.toExponential(2)}, top-1 agreement ${agree}/200, accuracy ${correctF32} vs ${correctInt8}`);
    expect(rel).toBeLessThan(0.03);
    expect(agree).toBeGreaterThanOrEqual(198);
    expect(Math.abs(correctF32 - correctInt8)).toBeLessThanOrEqual(1);
  });
});

describe('ResNet-20 int8 on WebGPU (Chromium)', () => {
  const session = perFile(startTestBrowser);

  /** The last `n` of the 200 images through the int8 file on WebGPU in Chromium, and the CPU reference's logits. */
  async function runInt8(n: number, options: { int8Weights?: boolean }) {
    const { images } = cifarImages(200 - n, n);
    const batch = new Float32Array(n * 3072);
    images.forEach((im, i) => batch.set(im, i * 3072));
    const want = logits(int8File, images);
    const r = await session().page.evaluate(
      async ({ url, x, n, options }) => {
        const t = (globalThis as Any).tessera;
        const s = await t.Session.create(new Uint8Array(await (await fetch(url)).arrayBuffer()), { backend: 'webgpu', ...options });
        const y = Object.values(await s.run({ [s.inputs[0].name]: { dtype: 'f32', shape: [n, 3, 32, 32], data: new Float32Array(x) } }))[0] as Any;
        const mem = s.memory();
        const adapter = s.deviceDescription as string;
        s.release();
        return { data: Array.from(y.data as Float32Array), backend: s.backend as string, mem, adapter };
      },
      { url: session().serveBytes(int8File), x: Array.from(batch), n, options },
    );
    return { ...r, rel: relativeL2(r.data, want) };
  }

  it('matches the CPU reference on the same int8 file to 1e-4, with int8 weights on the GPU (forced: SwiftShader dequantises at load by default)', async () => {
    const r = await runInt8(16, { int8Weights: true });
    expect(r.backend).toBe('webgpu');
    console.log(`ResNet-20 int8 WebGPU vs CPU: rel L2 ${r.rel.toExponential(2)}; GPU weight bytes ${r.mem.weightBytes}, int8 ${r.mem.int8WeightBytes}`);
    expect(r.rel).toBeLessThanOrEqual(1e-4);
    expect(r.mem.int8WeightBytes).toBeGreaterThan(0);
  });

  it('by default a software adapter dequantises int8 weights at load: no int8 bytes on the GPU, same logits', async () => {
    const r = await runInt8(4, {});
    expect(r.adapter).toMatch(/swiftshader/i);
    expect(r.mem.int8WeightBytes).toBe(0);
    expect(r.rel).toBeLessThanOrEqual(1e-4);
  });
});
