/**
 * Out-of-bounds canaries for every WebGPU kernel family (Chromium, SwiftShader): each kernel runs on odd shapes with
 * every tensor between canary regions inside its binding (see canary_entry.ts). After the run no canary word may have
 * changed, every output element must have been written, and outputs must match the CPU reference (input canaries
 * are NaN, so a stray read shows up there). Each case runs twice: with the device's workgroup fold, and folded into
 * an x dimension of 7 so the grid ends in excess workgroups (as a dispatch split over maxComputeWorkgroupsPerDimension does).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserSession, type BrowserSession } from '../../src/node/browser_harness.js';
import type { CanaryCase, CanaryResult } from './canary_entry.js';

const ENTRY = join(fileURLToPath(new URL('.', import.meta.url)), 'canary_entry.ts');
const FOLDS = [65535, 7];

let session: BrowserSession;
beforeAll(async () => {
  session = await startBrowserSession({ entry: ENTRY });
});
afterAll(async () => {
  await session?.close();
});

const conv = (label: string, x: number[], w: number[], attrs: Record<string, unknown>, extra: Partial<CanaryCase> = {}, bias = true): CanaryCase => ({
  label,
  op: 'Conv',
  attrs: attrs as CanaryCase['attrs'],
  inputs: [{ shape: x }, { shape: w, kind: extra.inputs ? 'input' : 'const' }, ...(bias ? [{ shape: [w[0]!], kind: 'const' as const }] : [])],
  seed: label.length * 7 + 1,
  ...extra,
});

const FAMILIES: Record<string, CanaryCase[]> = {
  conv: [
    conv('conv2d_direct runtime weights', [1, 3, 7, 9], [5, 3, 3, 3], { pads: [1, 0, 1, 2] }, { inputs: [{ shape: [1, 3, 7, 9] }, { shape: [5, 3, 3, 3] }] }, false),
    conv('conv2d_direct forced', [2, 3, 7, 9], [5, 3, 3, 2], { strides: [2, 1], dilations: [1, 2] }, { variant: 'conv2d_direct' }),
    conv('conv2d_gemm win3', [2, 5, 11, 13], [12, 5, 3, 3], { pads: [1, 1, 1, 1] }),
    conv('conv2d_gemm stride 2', [1, 3, 13, 11], [10, 3, 5, 3], { strides: [2, 2], pads: [2, 1, 2, 1] }),
    conv('conv2d_gemm_generic', [1, 5, 9, 7], [9, 5, 3, 3], { pads: [1, 1, 1, 1] }, { variant: 'conv2d_gemm_generic' }),
    conv('conv2d_gemm4 grouped', [1, 6, 9, 7], [9, 2, 3, 3], { group: 3, pads: [1, 1, 1, 1] }),
    conv('grouped gemm 8-block', [1, 4, 7, 5], [18, 2, 3, 3], { group: 2 }, { variant: 'conv2d_gemm' }),
    conv('conv2d_1x1 odd HW', [1, 7, 5, 9], [13, 7, 1, 1], {}),
    conv('conv2d_1x1 HW%4=0', [2, 7, 4, 5], [11, 7, 1, 1], {}),
    conv('depthwise stride 2', [1, 7, 9, 11], [7, 1, 3, 3], { group: 7, pads: [1, 1, 1, 1], strides: [2, 2] }),
    conv('depthwise dilated', [1, 5, 8, 9], [5, 1, 3, 3], { group: 5, dilations: [2, 2], pads: [2, 2, 2, 2] }),
    conv('conv1d', [1, 3, 17], [5, 3, 3], { pads: [1, 1] }),
  ],
  conv3d: [
    conv('conv3d', [1, 3, 5, 6, 7], [4, 3, 3, 3, 3], { pads: [1, 1, 1, 1, 1, 1] }),
    conv('conv3d stride', [1, 2, 7, 5, 6], [3, 2, 2, 3, 1], { strides: [2, 1, 2] }),
  ],
  pool: [
    { label: 'maxpool 3x3 s2 pad', op: 'MaxPool', attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, inputs: [{ shape: [1, 3, 9, 11] }], seed: 11 },
    { label: 'avgpool 2x3 ceil', op: 'AveragePool', attrs: { kernel_shape: [2, 3], strides: [2, 2], ceil_mode: 1 }, inputs: [{ shape: [2, 5, 7, 9] }], seed: 12 },
    { label: 'global avg', op: 'GlobalAveragePool', inputs: [{ shape: [2, 5, 7, 9] }], seed: 13 },
    { label: 'global max', op: 'GlobalMaxPool', inputs: [{ shape: [1, 7, 3, 5] }], seed: 14 },
    { label: 'maxpool 3d', op: 'MaxPool', attrs: { kernel_shape: [2, 2, 2], strides: [2, 2, 2] }, inputs: [{ shape: [1, 2, 5, 7, 9] }], seed: 15 },
    { label: 'avgpool 3d', op: 'AveragePool', attrs: { kernel_shape: [3, 2, 2], pads: [1, 0, 1, 1, 0, 1] }, inputs: [{ shape: [1, 3, 5, 6, 7] }], seed: 16 },
  ],
  elementwise: [
    { label: 'add broadcast', op: 'Add', inputs: [{ shape: [2, 3, 5, 7] }, { shape: [3, 1, 7] }], seed: 21 },
    { label: 'mul outer', op: 'Mul', inputs: [{ shape: [5, 1, 7] }, { shape: [1, 4, 1] }], seed: 22 },
    { label: 'div const', op: 'Div', inputs: [{ shape: [3, 7, 11] }, { shape: [11], kind: 'const' }], seed: 23 },
    { label: 'sum of 3', op: 'Sum', inputs: [{ shape: [3, 5] }, { shape: [1, 5] }, { shape: [3, 1] }], seed: 24 },
    { label: 'mean of 3', op: 'Mean', inputs: [{ shape: [2, 3, 5] }, { shape: [5] }, { shape: [2, 1, 1] }], seed: 25 },
    { label: 'sigmoid', op: 'Sigmoid', inputs: [{ shape: [3, 7, 11] }], seed: 26 },
    { label: 'batchnorm', op: 'BatchNormalization', inputs: [{ shape: [2, 5, 3, 7] }, { shape: [5], kind: 'const' }, { shape: [5], kind: 'const' }, { shape: [5], kind: 'const' }, { shape: [5], kind: 'const', lo: 0.1, hi: 1 }], seed: 27 },
  ],
  matmul: [
    { label: 'gemm const B + C', op: 'Gemm', inputs: [{ shape: [5, 13] }, { shape: [13, 7], kind: 'const' }, { shape: [7], kind: 'const' }], seed: 31 },
    { label: 'gemm transB', op: 'Gemm', attrs: { transB: 1, alpha: 0.5 }, inputs: [{ shape: [3, 11] }, { shape: [9, 11], kind: 'const' }], seed: 32 },
    { label: 'gemm larger', op: 'Gemm', inputs: [{ shape: [33, 65] }, { shape: [65, 37], kind: 'const' }, { shape: [37], kind: 'const' }], seed: 33 },
    { label: 'matmul batched runtime', op: 'MatMul', inputs: [{ shape: [3, 5, 13] }, { shape: [13, 9] }], seed: 34 },
    { label: 'matmul broadcast', op: 'MatMul', inputs: [{ shape: [2, 1, 7, 5] }, { shape: [3, 5, 6] }], seed: 35 },
    { label: 'matmul vector', op: 'MatMul', inputs: [{ shape: [7] }, { shape: [7, 5], kind: 'const' }], seed: 36 },
  ],
  softmax_reduce: [
    { label: 'softmax last', op: 'Softmax', attrs: { axis: -1 }, inputs: [{ shape: [3, 7, 13] }], seed: 41 },
    { label: 'softmax middle', op: 'Softmax', attrs: { axis: 1 }, inputs: [{ shape: [3, 7, 5] }], seed: 42 },
    { label: 'reducemean axis1', op: 'ReduceMean', attrs: { axes: [1], keepdims: 1 }, inputs: [{ shape: [3, 5, 7] }], seed: 43 },
    { label: 'reducesum axes 0,2', op: 'ReduceSum', attrs: { axes: [0, 2], keepdims: 0 }, inputs: [{ shape: [3, 5, 7] }], seed: 44 },
    { label: 'reducemax all', op: 'ReduceMax', attrs: { keepdims: 0 }, inputs: [{ shape: [3, 5, 7] }], seed: 45 },
  ],
  layout: [
    { label: 'concat axis1', op: 'Concat', attrs: { axis: 1 }, inputs: [{ shape: [1, 3, 5, 7] }, { shape: [1, 4, 5, 7] }, { shape: [1, 1, 5, 7] }], seed: 51 },
    { label: 'concat last axis', op: 'Concat', attrs: { axis: 2 }, inputs: [{ shape: [2, 3, 5] }, { shape: [2, 3, 2] }], seed: 52 },
    { label: 'slice steps', op: 'Slice', attrs: { starts: [1, 0, 6], ends: [3, 5, 0], axes: [1, 2, 3], steps: [1, 2, -2] }, inputs: [{ shape: [1, 4, 5, 7] }], seed: 53 },
    { label: 'split', op: 'Split', attrs: { axis: 1, split: [2, 3, 2] }, inputs: [{ shape: [2, 7, 3] }], outputs: 3, seed: 54 },
    { label: 'pad constant', op: 'Pad', attrs: { pads: [0, 1, 2, 1, 0, 2, 1, 3], value: 0.5 }, inputs: [{ shape: [1, 3, 5, 7] }], seed: 55 },
    { label: 'pad reflect', op: 'Pad', attrs: { pads: [0, 0, 2, 1, 0, 0, 1, 3], mode: 'reflect' }, inputs: [{ shape: [1, 2, 5, 7] }], seed: 56 },
    { label: 'pad edge', op: 'Pad', attrs: { pads: [0, 0, 1, 2, 0, 0, 3, 1], mode: 'edge' }, inputs: [{ shape: [1, 2, 3, 5] }], seed: 57 },
    { label: 'transpose', op: 'Transpose', attrs: { perm: [0, 3, 1, 2] }, inputs: [{ shape: [2, 3, 5, 7] }], seed: 58 },
    { label: 'expand', op: 'Expand', attrs: { shape: [2, 3, 5, 7] }, inputs: [{ shape: [3, 1, 7] }], seed: 59 },
  ],
  binary: [
    { label: 'binary conv 3x3 33ch', op: 'BinaryConv', attrs: { pads: [1, 1, 1, 1] }, inputs: [], seed: 61, binary: { x: [1, 33, 7, 9], m: 5, kernel: [3, 3] } },
    { label: 'binary conv stride 2 20ch', op: 'BinaryConv', attrs: { strides: [2, 2], pads: [0, 1, 0, 1], pad_value: -1 }, inputs: [], seed: 62, binary: { x: [2, 20, 9, 7], m: 7, kernel: [2, 3] } },
    { label: 'binary gemm', op: 'BinaryGemm', inputs: [], seed: 63, binary: { x: [3, 70], m: 9, kernel: [1, 1] } },
    { label: 'binary weight conv', op: 'BinaryWeightConv', attrs: { pads: [1, 1, 1, 1] }, inputs: [], seed: 64, binary: { x: [1, 31, 5, 6], m: 6, kernel: [3, 3] } },
  ],
};

function run(cases: CanaryCase[]): Promise<CanaryResult[]> {
  return session.page.evaluate(
    ([cs, folds]) => (globalThis as unknown as { canaryTest: { run(c: CanaryCase[], f: number[]): Promise<CanaryResult[]> } }).canaryTest.run(cs, folds),
    [cases, FOLDS] as const,
  );
}

const kernelsSeen: string[] = [];
afterAll(() => console.log(kernelsSeen.join('\n')));

describe('out-of-bounds canaries, every kernel family', () => {
  it('negative control: outputs bound one element early or late are reported (clobbered canary, unwritten element)', async () => {
    const base: CanaryCase = { label: 'shifted', op: 'Add', inputs: [{ shape: [3, 5] }, { shape: [5] }], seed: 1 };
    const [early, , late] = await run([
      { ...base, shiftOutputs: -1 },
      { ...base, shiftOutputs: 0 },
      { ...base, shiftOutputs: 1 },
    ]).then((r) => r.filter((x) => x.fold === FOLDS[0]));
    expect(early!.clobbered).toBe(1);
    expect(early!.unwritten).toBe(1);
    expect(late!.clobbered).toBe(1);
    expect(late!.unwritten).toBe(1);
  });

  for (const [family, cases] of Object.entries(FAMILIES)) {
    it(family, async () => {
      const results = await run(cases);
      expect(results).toHaveLength(cases.length * FOLDS.length);
      const bad = results
        .filter((r) => r.error || r.clobbered !== 0 || r.inputClobbered !== 0 || r.unwritten !== 0 || !(r.relL2 <= 1e-4))
        .map((r) => `${r.label} (fold ${r.fold}, ${r.kernels.join('+')}): ${r.error ?? `clobbered=${r.clobbered} inputClobbered=${r.inputClobbered} unwritten=${r.unwritten} relL2=${r.relL2}`}`);
      expect(bad).toEqual([]);
      for (const r of results) expect(r.kernels.length, r.label).toBeGreaterThan(0);
      kernelsSeen.push(`${family.padEnd(15)} ${[...new Set(results.flatMap((r) => r.kernels))].join(', ')}`);
    });
  }
});
