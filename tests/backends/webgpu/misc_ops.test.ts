import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../../src/node/browser_harness.js';
import { failures, runCases, startTestBrowser, type NodeCase } from '../../harness/browser.js';
import { mulberry32, randInt } from '../../harness/rng.js';

let session: BrowserSession;
beforeAll(async () => {
  session = await startTestBrowser();
});
afterAll(async () => {
  await session?.close();
});

const shapeOf = (r: () => number, rank: number, hi = 5) => Array.from({ length: rank }, () => randInt(r, 1, hi));

describe('WebGPU Gemm / MatMul vs CPU reference', () => {
  it('Gemm with transposes, alpha/beta and every C broadcast', async () => {
    const r = mulberry32(21);
    const cases: NodeCase[] = [];
    for (let i = 0; i < 16; i++) {
      const [m, k, n] = [randInt(r, 1, 9), randInt(r, 1, 17), randInt(r, 1, 9)];
      const transA = randInt(r, 0, 1);
      const transB = randInt(r, 0, 1);
      const cShape = [[m, n], [1, n], [m, 1], [n], [1], []][i % 6]!;
      const withC = i % 7 !== 6;
      cases.push({
        label: `Gemm#${i} m${m} k${k} n${n} tA${transA} tB${transB} C[${withC ? cShape : 'none'}]`,
        op: 'Gemm',
        attrs: { transA, transB, alpha: i % 3 ? 1 : 0.7, beta: i % 4 ? 1 : 1.3 },
        inputs: [{ shape: transA ? [k, m] : [m, k] }, { shape: transB ? [n, k] : [k, n], kind: 'const' }, ...(withC ? [{ shape: cShape, kind: 'const' as const }] : [])],
        seed: 700 + i,
      });
    }
    cases.push({ label: 'FusedGemm relu', op: 'FusedGemm', attrs: { transB: 1, activation: 'relu' }, inputs: [{ shape: [2, 64] }, { shape: [10, 64], kind: 'const' }, { shape: [10], kind: 'const' }], seed: 720 });
    expect(failures(await runCases(session, cases))).toEqual([]);
  });

  it('MatMul: 1-D promotion, batched and broadcast batch dims', async () => {
    const specs: [number[], number[]][] = [
      [[7], [7, 3]],
      [[4, 7], [7]],
      [[5], [5]],
      [[2, 3, 4], [4, 5]],
      [[3, 4], [2, 4, 6]],
      [[2, 1, 3, 4], [5, 4, 2]],
      [[1, 256], [256, 10]],
    ];
    const cases = specs.map(([a, b], i) => ({ label: `MatMul [${a}] x [${b}]`, op: 'MatMul', inputs: [{ shape: a }, { shape: b, kind: 'const' as const }], seed: 800 + i }));
    expect(failures(await runCases(session, cases))).toEqual([]);
  });
});

describe('WebGPU layout ops vs CPU reference', () => {
  it('Transpose, Slice (negative / stepped), Pad (3 modes), Concat, Expand', async () => {
    const r = mulberry32(31);
    const cases: NodeCase[] = [];
    for (let i = 0; i < 8; i++) {
      const rank = randInt(r, 1, 5);
      const perm = Array.from({ length: rank }, (_, k) => k).sort(() => r() - 0.5);
      cases.push({ label: `Transpose perm ${perm}`, op: 'Transpose', attrs: { perm }, inputs: [{ shape: shapeOf(r, rank) }], seed: 900 + i });
    }
    cases.push({ label: 'Transpose default', op: 'Transpose', inputs: [{ shape: [2, 3, 4] }], seed: 910 });
    cases.push({ label: 'Slice option-A shortcut', op: 'Slice', attrs: { starts: [0, 0], ends: [9999, 9999], axes: [2, 3], steps: [2, 2] }, inputs: [{ shape: [1, 16, 8, 8] }], seed: 911 });
    cases.push({ label: 'Slice negative step', op: 'Slice', attrs: { starts: [-1, 4], ends: [-9999, 0], axes: [0, 2], steps: [-1, -2] }, inputs: [{ shape: [3, 2, 6] }], seed: 912 });
    cases.push({ label: 'Slice negative starts', op: 'Slice', attrs: { starts: [-3], ends: [-1], axes: [-1] }, inputs: [{ shape: [2, 7] }], seed: 913 });
    for (const [i, mode] of ['constant', 'reflect', 'edge'].entries()) {
      cases.push({ label: `Pad ${mode}`, op: 'Pad', attrs: { mode, pads: [0, 1, 2, 1, 0, 2, 1, 2], value: 0.5 }, inputs: [{ shape: [2, 3, 4, 5] }], seed: 920 + i });
    }
    cases.push({ label: 'Pad channels (option A)', op: 'Pad', attrs: { pads: [0, 4, 0, 0, 0, 4, 0, 0] }, inputs: [{ shape: [1, 8, 4, 4] }], seed: 925 });
    cases.push({ label: 'Pad negative (crop)', op: 'Pad', attrs: { pads: [-1, 2, 0, -2] }, inputs: [{ shape: [4, 5] }], seed: 926 });
    for (let axis = 0; axis < 4; axis++) {
      const a = [2, 3, 4, 5];
      const b = [...a];
      b[axis] = 2;
      const c = [...a];
      c[axis] = 1;
      cases.push({ label: `Concat axis ${axis}`, op: 'Concat', attrs: { axis }, inputs: [{ shape: a }, { shape: b, kind: 'const' }, { shape: c }], seed: 930 + axis });
    }
    cases.push({ label: 'Concat axis -1', op: 'Concat', attrs: { axis: -1 }, inputs: [{ shape: [2, 3] }, { shape: [2, 4] }], seed: 935 });
    cases.push({ label: 'Expand', op: 'Expand', attrs: { shape: [2, 1, 3, 4] }, inputs: [{ shape: [3, 1] }], seed: 936 });
    expect(failures(await runCases(session, cases))).toEqual([]);
  });

  it('aliases (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout) run no dispatch', async () => {
    const cases: NodeCase[] = [
      { label: 'Reshape', op: 'Reshape', attrs: { shape: [0, -1] }, inputs: [{ shape: [2, 3, 4] }], seed: 1 },
      { label: 'Flatten', op: 'Flatten', attrs: { axis: 1 }, inputs: [{ shape: [2, 3, 4] }], seed: 2 },
      { label: 'Squeeze', op: 'Squeeze', attrs: { axes: [1] }, inputs: [{ shape: [2, 1, 4] }], seed: 3 },
      { label: 'Unsqueeze', op: 'Unsqueeze', attrs: { axes: [0, 3] }, inputs: [{ shape: [2, 4] }], seed: 4 },
      { label: 'Identity', op: 'Identity', inputs: [{ shape: [5] }], seed: 5 },
      { label: 'Dropout', op: 'Dropout', inputs: [{ shape: [5, 2] }], seed: 6 },
    ];
    const results = await runCases(session, cases);
    expect(failures(results, 0)).toEqual([]);
    for (const res of results) expect(res.kernels).toEqual([]);
  });
});

describe('WebGPU reductions vs CPU reference', () => {
  it('Softmax, ReduceMean/Sum/Max, BatchNormalization', async () => {
    const r = mulberry32(41);
    const cases: NodeCase[] = [];
    for (const [i, axis] of [-1, 0, 1, 2].entries()) cases.push({ label: `Softmax axis ${axis}`, op: 'Softmax', attrs: { axis }, inputs: [{ shape: [3, 4, 5], lo: -5, hi: 5 }], seed: 1000 + i });
    const reduceSpecs: [string, number[] | undefined, number][] = [
      ['ReduceMean', [2, 3], 1],
      ['ReduceMean', [1], 0],
      ['ReduceMean', undefined, 1],
      ['ReduceSum', [0, 2], 0],
      ['ReduceMax', [-1], 1],
      ['ReduceMax', [0, 1, 2, 3], 0],
    ];
    reduceSpecs.forEach(([op, axes, keepdims], i) =>
      cases.push({ label: `${op} axes=${axes} keep=${keepdims}`, op, attrs: { ...(axes ? { axes } : {}), keepdims }, inputs: [{ shape: shapeOf(r, 4) }], seed: 1100 + i }),
    );
    cases.push({
      label: 'BatchNormalization',
      op: 'BatchNormalization',
      attrs: { epsilon: 1e-3 },
      inputs: [{ shape: [2, 6, 5, 4] }, { shape: [6], kind: 'const' }, { shape: [6], kind: 'const' }, { shape: [6], kind: 'const' }, { shape: [6], kind: 'const', lo: 0.1, hi: 2 }],
      seed: 1200,
    });
    expect(failures(await runCases(session, cases))).toEqual([]);
  });
});
