/**
 * WASM MatMul (the gemm kernel with a runtime B read in place and numpy batch dims, lower.ts lowerMatMul) vs the CPU
 * reference, 1 and 2 threads, relative L2 <= 1e-5: seeded random 3-D to 5-D shapes with broadcast batch dims (and
 * operands of different batch rank), odd M / N / K, K = 1, runtime and constant B (a 2-D weight: batch folded into
 * M), 1-D operands, and B transposed by a Transpose node (attention's Q·Kᵀ, MaxViT's shapes). None may fall back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { WASM_OPS } from '../../../src/backends/wasm/index.js';
import { Case, checkAll, mulberry32, pick, randInt, randomData, size, type Rng } from './helpers.js';

const TOL = 1e-5;
const summary: string[] = [];
afterAll(() => console.log(summary.join('\n')));

/** A batch shape of `rank` dims for A and B; a dim is 1 (broadcast) in one operand with probability 1/4. */
function batchPair(r: Rng, rank: number): [number[], number[]] {
  const a: number[] = [];
  const b: number[] = [];
  for (let d = 0; d < rank; d++) {
    const s = randInt(r, 2, 4);
    const roll = randInt(r, 0, 7);
    a.push(roll === 0 ? 1 : s);
    b.push(roll === 1 ? 1 : s);
  }
  if (rank > 1 && randInt(r, 0, 3) === 0) (randInt(r, 0, 1) ? a : b).shift();
  return [a, b];
}

describe('WASM MatMul vs CPU reference (1 and 2 threads)', () => {
  it('seeded random batched products, runtime and constant B, and Q·Kᵀ through a Transpose', async () => {
    const r = mulberry32(1516);
    const cases: Case[] = [];
    for (let i = 0; i < 60; i++) {
      const [ab, bb] = batchPair(r, randInt(r, 1, 3));
      const M = pick(r, [1, 3, 4, 7, 49]);
      const K = i % 10 === 0 ? 1 : pick(r, [1, 5, 8, 32, 33]);
      const N = pick(r, [1, 3, 8, 12, 49]);
      const constB = i % 4 === 3;
      const bShape = constB ? [K, N] : [...bb, K, N];
      const c = new Case(`MatMul #${i} [${[...ab, M, K]}] x [${bShape}]${constB ? ' const' : ''}`);
      const a = c.input('a', [...ab, M, K], randomData(r, size(ab) * M * K));
      const b = constB ? c.init('b', bShape, randomData(r, size(bShape))) : c.input('b', bShape, randomData(r, size(bShape)));
      c.output(c.node('MatMul', [a, b], {}, 'mm'));
      cases.push(c);
    }
    for (const [as, bs] of [
      [[7], [3, 7, 5]],
      [[2, 4, 7], [7]],
      [[1, 3, 7, 5], [2, 3, 5, 6]],
    ] as [number[], number[]][]) {
      const c = new Case(`MatMul [${as}] x [${bs}]`);
      c.output(c.node('MatMul', [c.input('a', as, randomData(r, size(as))), c.input('b', bs, randomData(r, size(bs)))], {}, 'mm'));
      cases.push(c);
    }
    for (const [label, q, k] of [
      ['Q·Kᵀ [2, 3, 11, 8]', [2, 3, 11, 8], [2, 3, 13, 8]],
      ['MaxViT Q·Kᵀ [1, 4, 2, 49, 32]', [1, 4, 2, 49, 32], [1, 4, 2, 49, 32]],
    ] as [string, number[], number[]][]) {
      const c = new Case(label);
      const perm = q.map((_, i) => i);
      [perm[perm.length - 1], perm[perm.length - 2]] = [perm[perm.length - 2]!, perm[perm.length - 1]!];
      const kt = c.node('Transpose', [c.input('k', k, randomData(r, size(k)))], { perm }, 'kt');
      c.output(c.node('MatMul', [c.input('q', q, randomData(r, size(q))), kt], {}, 'mm'));
      cases.push(c);
    }
    const res = await checkAll(cases, { tol: TOL, expectNoFallback: () => true });
    summary.push(`WASM MatMul vs CPU reference: ${res.count} cases, worst rel L2 ${res.worst.toExponential(2)}, fallbacks ${res.fallbackCount}`);
    expect(res.count).toBe(cases.length);
    expect(res.problems, res.problems.slice(0, 20).join('\n')).toEqual([]);
  });

  it('WASM_OPS lists MatMul', () => {
    expect(WASM_OPS.has('MatMul')).toBe(true);
  });
});
