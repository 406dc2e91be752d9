/**
 * Batched MatMul on WebGPU (matmul_tiled with BATCHED / B_SCALAR, src/backends/webgpu/matmul.ts) vs the CPU
 * reference, in headless Chromium: seeded random 3-D / 4-D / 5-D shapes with broadcast batch dims, odd M / N / K,
 * K = 1, runtime and constant B, one side a 2-D weight (folded into M), B transposed by a Transpose node (attention's
 * Q·Kᵀ) and a Slice view as A; Gemm with a runtime transposed B. Every case must also run the tiled kernel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node } from '../../../src/graph/ir.js';
import type { BrowserSession } from '../../../src/node/browser_harness.js';
import { failures, runCases, runGraphCases, startTestBrowser, type GraphCase, type NodeCase } from '../../harness/browser.js';
import { mulberry32, randInt } from '../../harness/rng.js';

let session: BrowserSession;
beforeAll(async () => {
  session = await startTestBrowser();
});
afterAll(async () => {
  await session?.close();
});

/** A batch shape of `rank` dims; each dim is 1 (broadcast) in one of the two operands with probability 1/4. */
function batchPair(r: () => number, rank: number): [number[], number[]] {
  const a: number[] = [];
  const b: number[] = [];
  for (let d = 0; d < rank; d++) {
    const size = randInt(r, 2, 4);
    const roll = randInt(r, 0, 7);
    a.push(roll === 0 ? 1 : size);
    b.push(roll === 1 ? 1 : size);
  }
  // Sometimes one operand has fewer batch dims (numpy right-aligns them).
  if (rank > 1 && randInt(r, 0, 3) === 0) (randInt(r, 0, 1) ? a : b).shift();
  return [a, b];
}

describe('WebGPU batched MatMul vs CPU reference', () => {
  it('seeded random batched shapes (broadcast, odd sizes, K = 1, runtime and constant B)', async () => {
    const r = mulberry32(1515);
    const cases: NodeCase[] = [];
    for (let i = 0; i < 40; i++) {
      const rank = randInt(r, 1, 3); // batch rank: 3-D to 5-D operands
      const [ab, bb] = batchPair(r, rank);
      const m = [1, 3, 7, 17, 49][randInt(r, 0, 4)]!;
      const k = i % 9 === 0 ? 1 : [1, 5, 8, 32, 33][randInt(r, 0, 4)]!;
      const n = [1, 3, 4, 12, 49][randInt(r, 0, 4)]!;
      const constB = i % 5 === 4 ? 1 : 0;
      // A constant B with batch dims of its own runs the naive shader; keep most constant Bs 2-D (Linear weights).
      const bShape = constB && i % 2 ? [k, n] : [...bb, k, n];
      cases.push({
        label: `MatMul#${i} [${[...ab, m, k]}] x [${bShape}]${constB ? ' const' : ''}`,
        op: 'MatMul',
        inputs: [{ shape: [...ab, m, k] }, { shape: bShape, kind: constB ? 'const' : 'input' }],
        seed: 4000 + i,
      });
    }
    // MaxViT's attention products and a Linear layer on [B, T, C] tokens.
    cases.push({ label: 'MaxViT Q·Kᵀ', op: 'MatMul', inputs: [{ shape: [1, 4, 2, 49, 32] }, { shape: [1, 4, 2, 32, 49] }], seed: 4100 });
    cases.push({ label: 'MaxViT attn·V', op: 'MatMul', inputs: [{ shape: [1, 4, 2, 49, 49] }, { shape: [1, 4, 2, 49, 32] }], seed: 4101 });
    cases.push({ label: 'Linear [2, 50, 64] x [64, 96]', op: 'MatMul', inputs: [{ shape: [2, 50, 64] }, { shape: [64, 96], kind: 'const' }], seed: 4102 });
    cases.push({ label: 'broadcast A [1, 3, 7, 5] x [2, 3, 5, 6]', op: 'MatMul', inputs: [{ shape: [1, 3, 7, 5] }, { shape: [2, 3, 5, 6] }], seed: 4103 });
    cases.push({ label: '2-D A x batched B [7, 5] x [3, 5, 6]', op: 'MatMul', inputs: [{ shape: [7, 5] }, { shape: [3, 5, 6] }], seed: 4104 });
    cases.push({ label: 'Gemm runtime transB', op: 'Gemm', attrs: { transB: 1 }, inputs: [{ shape: [9, 13] }, { shape: [7, 13] }], seed: 4105 });
    cases.push({ label: 'Gemm runtime B n%4', op: 'Gemm', attrs: { alpha: 0.5 }, inputs: [{ shape: [5, 13] }, { shape: [13, 8] }], seed: 4106 });
    const results = await runCases(session, cases);
    expect(failures(results)).toEqual([]);
    const naive = results.filter((res) => res.kernels.some((kname) => kname.includes('naive'))).map((res) => res.label);
    // Only constant Bs with batch dims of their own may take the naive shader.
    expect(naive.every((l) => l.includes('const') && !/x \[\d+,\d+\] const/.test(l))).toBe(true);
    const kernelsOf = (label: string) => results.find((res) => res.label === label)!.kernels;
    expect(kernelsOf('Linear [2, 50, 64] x [64, 96]')).toEqual(['matmul_tiled_16x8']); // batch folded into M
    expect(kernelsOf('MaxViT Q·Kᵀ')).toEqual(['matmul_tiled_16x8_batched_bscalar']); // N = 49: scalar B reads
    expect(kernelsOf('MaxViT attn·V')).toEqual(['matmul_tiled_16x8_batched']);
    expect(kernelsOf('Gemm runtime transB')).toEqual(['gemm_tiled_16x8_bscalar']);
  });

  it('B transposed by a Transpose node (Q·Kᵀ), A a Slice view, batched activation products', async () => {
    const node = (name: string, op: string, inputs: string[], attrs: Node['attrs'] = {}): Node => ({ name, op, inputs, outputs: [name], attrs });
    const cases: GraphCase[] = [
      {
        label: 'Q·Kᵀ via Transpose',
        nodes: [node('kt', 'Transpose', ['k'], { perm: [0, 1, 3, 2] }), node('s', 'MatMul', ['q', 'kt'])],
        inputs: [
          { name: 'q', shape: [2, 3, 11, 8] },
          { name: 'k', shape: [2, 3, 13, 8] },
        ],
        outputs: ['s'],
        seed: 4200,
      },
      {
        label: 'MaxViT block: Transpose, MatMul, Softmax, MatMul',
        nodes: [
          node('kt', 'Transpose', ['k'], { perm: [0, 1, 2, 4, 3] }),
          node('s', 'MatMul', ['q', 'kt']),
          node('p', 'Softmax', ['s'], { axis: -1 }),
          node('o', 'MatMul', ['p', 'v']),
        ],
        inputs: [
          { name: 'q', shape: [1, 2, 2, 49, 16] },
          { name: 'k', shape: [1, 2, 2, 49, 16] },
          { name: 'v', shape: [1, 2, 2, 49, 16] },
        ],
        outputs: ['o'],
        seed: 4201,
      },
      {
        label: 'Slice view as A',
        nodes: [node('a', 'Slice', ['x'], { starts: [1], ends: [4], axes: [0], steps: [1] }), node('y', 'MatMul', ['a', 'w'])],
        inputs: [
          { name: 'x', shape: [5, 2, 7, 9] },
          { name: 'w', shape: [2, 9, 5] },
        ],
        outputs: ['y'],
        seed: 4202,
      },
    ];
    const results = await runGraphCases(session, cases);
    expect(failures(results)).toEqual([]);
    for (const res of results) expect(res.kernels.filter((kname) => kname.includes('naive')), res.label).toEqual([]);
  });
});
