/** Test helpers for the CPU kernels: seeded randomness, tensor builders, tolerant comparison. */
import { expect } from 'vitest';
import type { Attrs, DType, Node, Tensor } from '../../../src/graph/ir.js';

/** Mulberry32: small, seeded, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

export function randomF32(r: () => number, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = r() * 2 - 1;
  return { dtype: 'f32', shape, data };
}

export function f32(shape: number[], values: number[]): Tensor {
  return { dtype: 'f32', shape, data: Float32Array.from(values) };
}

export function i64(shape: number[], values: number[]): Tensor {
  return { dtype: 'i64', shape, data: BigInt64Array.from(values.map((v) => BigInt(v))) };
}

export function i32(shape: number[], values: number[]): Tensor {
  return { dtype: 'i32', shape, data: Int32Array.from(values) };
}

export function bool(shape: number[], values: (number | boolean)[]): Tensor {
  return { dtype: 'bool', shape, data: Uint8Array.from(values.map((v) => (v ? 1 : 0))) };
}

export function node(op: string, attrs: Attrs = {}, nIn = 1, nOut = 1): Node {
  return {
    name: `test_${op}`,
    op,
    inputs: Array.from({ length: nIn }, (_, i) => `in${i}`),
    outputs: Array.from({ length: nOut }, (_, i) => `out${i}`),
    attrs,
  };
}

export function values(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** Element-wise closeness with a relative + absolute tolerance; reports the first bad index. */
export function expectClose(actual: Tensor, expectedShape: number[], expected: ArrayLike<number>, tol = 1e-5, dtype: DType = 'f32'): void {
  expect(actual.dtype).toBe(dtype);
  expect([...actual.shape]).toEqual(expectedShape);
  expect(actual.data.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual.data[i]);
    const e = expected[i]!;
    if (Number.isNaN(e)) {
      expect(Number.isNaN(a), `index ${i}: expected NaN, got ${a}`).toBe(true);
      continue;
    }
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) expect(a, `index ${i} (of ${expected.length})`).toBe(e);
  }
}
