import { describe, expect, it } from 'vitest';
import { reduceKernels as K } from '../../../src/backends/cpu/reduce.js';
import { expectClose, f32, i64, node, randInt, randomF32, rng, values } from './helpers.js';

function naiveReduce(shape: number[], data: ArrayLike<number>, axes: number[], keep: boolean, mode: 'sum' | 'mean' | 'max') {
  const outKept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups = new Map<number, number[]>();
  for (let flat = 0; flat < data.length; flat++) {
    let rem = flat;
    const idx = new Array<number>(shape.length);
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = rem % shape[d]!;
      rem = Math.floor(rem / shape[d]!);
    }
    const key = idx.reduce((a, v, i) => a * outKept[i]! + (axes.includes(i) ? 0 : v), 0);
    groups.set(key, [...(groups.get(key) ?? []), data[flat]!]);
  }
  const res = [...groups.keys()].sort((a, b) => a - b).map((k) => {
    const g = groups.get(k)!;
    if (mode === 'max') return Math.max(...g);
    const s = g.reduce((a, b) => a + b, 0);
    return mode === 'sum' ? s : s / g.length;
  });
  return { shape: keep ? outKept : shape.filter((_, i) => !axes.includes(i)), data: res };
}

describe('Reduce* (CPU)', () => {
  const ops = { ReduceSum: 'sum', ReduceMean: 'mean', ReduceMax: 'max' } as const;
  for (const [op, mode] of Object.entries(ops)) {
    it(`${op} on random shapes, axes and keepdims`, () => {
      const r = rng(op.length * 7);
      for (let s = 0; s < 20; s++) {
        const rank = randInt(r, 1, 4);
        const shape = Array.from({ length: rank }, () => randInt(r, 1, 4));
        const axes = shape.map((_, i) => i).filter(() => r() < 0.5);
        const keep = r() < 0.5;
        const x = randomF32(r, shape);
        const attrs: Record<string, number | number[]> = { keepdims: keep ? 1 : 0 };
        if (axes.length) attrs.axes = axes.map((a) => (r() < 0.5 ? a - rank : a));
        const [y] = K[op]!(node(op, attrs), [x]);
        const ref = naiveReduce(shape, x.data as Float32Array, axes.length ? axes : shape.map((_, i) => i), keep, mode);
        expectClose(y!, ref.shape, ref.data.map(Math.fround), 1e-6);
      }
    });
  }
  it('hand cases: mean over H,W keeps dims; sum of i64', () => {
    const x = f32([1, 2, 2, 2], [1, 2, 3, 4, 10, 20, 30, 40]);
    expectClose(K.ReduceMean!(node('ReduceMean', { axes: [2, 3] }), [x])[0]!, [1, 2, 1, 1], [2.5, 25]);
    const [s] = K.ReduceSum!(node('ReduceSum', { keepdims: 0 }), [i64([3], [1, 2, 3])]);
    expect(s!.dtype).toBe('i64');
    expect(s!.shape).toEqual([]);
    expect(values(s!)).toEqual([6]);
  });
});
