import { describe, expect, it } from 'vitest';
import { gemmKernels as K } from '../../../src/backends/cpu/gemm.js';
import type { Tensor } from '../../../src/graph/ir.js';
import { expectClose, f32, node, randInt, randomF32, rng } from './helpers.js';

/** Textbook matrix product of 2-D row-major arrays. */
function mm(a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k]! * b[k * N + j]!;
      out.push(s);
    }
  return out;
}
function transpose2d(t: Tensor): number[] {
  const [r, c] = t.shape as [number, number];
  const out: number[] = [];
  for (let j = 0; j < c; j++) for (let i = 0; i < r; i++) out.push(t.data[i * c + j] as number);
  return out;
}

describe('Gemm (CPU)', () => {
  it('hand case', () => {
    const a = f32([2, 2], [1, 2, 3, 4]);
    const b = f32([2, 2], [5, 6, 7, 8]);
    expectClose(K.Gemm!(node('Gemm', {}, 2), [a, b])[0]!, [2, 2], [19, 22, 43, 50]);
    expectClose(K.Gemm!(node('Gemm', { transB: 1, alpha: 2, beta: 10 }, 3), [a, b, f32([2], [1, -1])])[0]!, [2, 2], [2 * 17 + 10, 2 * 23 - 10, 2 * 39 + 10, 2 * 53 - 10]);
  });
  it('all transpose combinations, alpha/beta and C broadcasting on random shapes', () => {
    const r = rng(42);
    for (let s = 0; s < 24; s++) {
      const [M, Kd, N] = [randInt(r, 1, 6), randInt(r, 1, 7), randInt(r, 1, 5)];
      const transA = s & 1, transB = (s >> 1) & 1;
      const a = randomF32(r, transA ? [Kd, M] : [M, Kd]);
      const b = randomF32(r, transB ? [N, Kd] : [Kd, N]);
      const cShape = [[M, N], [N], [1, N], [M, 1], []][s % 5]!;
      const c = randomF32(r, cShape);
      const alpha = 0.5 + r(), beta = r();
      const aa = transA ? transpose2d(a) : Array.from(a.data as Float32Array);
      const bb = transB ? transpose2d(b) : Array.from(b.data as Float32Array);
      const prod = mm(aa, bb, M, Kd, N);
      const expected = prod.map((v, idx) => {
        const i = Math.floor(idx / N), j = idx % N;
        const ci = cShape.length === 2 ? (cShape[0] === 1 ? 0 : i) * cShape[1]! + (cShape[1] === 1 ? 0 : j) : cShape.length === 1 ? j : 0;
        return alpha * v + beta * (c.data[ci] as number);
      });
      const [y] = K.Gemm!(node('Gemm', { transA, transB, alpha, beta }, 3), [a, b, c]);
      expectClose(y!, [M, N], expected, 1e-5);
    }
  });
});

describe('MatMul (CPU)', () => {
  it('batched with broadcasting and 1-D promotion', () => {
    const r = rng(8);
    const cases: [number[], number[], number[]][] = [
      [[3, 4], [4, 5], [3, 5]],
      [[2, 3, 4], [4, 5], [2, 3, 5]],
      [[2, 1, 3, 4], [3, 4, 2], [2, 3, 3, 2]],
      [[4], [4, 5], [5]],
      [[2, 3, 4], [4], [2, 3]],
      [[4], [4], []],
    ];
    for (const [sa, sb, so] of cases) {
      const a = randomF32(r, sa);
      const b = randomF32(r, sb);
      const [y] = K.MatMul!(node('MatMul', {}, 2), [a, b]);
      // reference: promote, loop over the broadcast batch explicitly
      const A = sa.length === 1 ? [1, ...sa] : sa;
      const B = sb.length === 1 ? [...sb, 1] : sb;
      const [M, Kd, N] = [A[A.length - 2]!, A[A.length - 1]!, B[B.length - 1]!];
      const ba = A.slice(0, -2), bb = B.slice(0, -2);
      const rank = Math.max(ba.length, bb.length);
      const batch = Array.from({ length: rank }, (_, i) => Math.max(ba[i - rank + ba.length] ?? 1, bb[i - rank + bb.length] ?? 1));
      const total = batch.reduce((x, v) => x * v, 1);
      const expected: number[] = [];
      for (let t = 0; t < total; t++) {
        let rem = t;
        const idx = batch.map(() => 0);
        for (let d = rank - 1; d >= 0; d--) { idx[d] = rem % batch[d]!; rem = Math.floor(rem / batch[d]!); }
        const off = (dims: number[]) => dims.reduce((acc, dim, i) => acc * dim + (dim === 1 ? 0 : idx[i + rank - dims.length]!), 0);
        const aSlice = Array.from((a.data as Float32Array).subarray(off(ba) * M * Kd, (off(ba) + 1) * M * Kd));
        const bSlice = Array.from((b.data as Float32Array).subarray(off(bb) * Kd * N, (off(bb) + 1) * Kd * N));
        expected.push(...mm(aSlice, bSlice, M, Kd, N));
      }
      expectClose(y!, so, expected, 1e-5);
    }
  });
  it('rejects mismatched inner dims naming the node', () => {
    expect(() => K.MatMul!(node('MatMul', {}, 2), [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([2], [1, 2])])).toThrow(/test_MatMul/);
  });
});
