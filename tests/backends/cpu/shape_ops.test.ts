import { describe, expect, it } from 'vitest';
import { shapeOpKernels as K } from '../../../src/backends/cpu/shape_ops.js';
import { f16ToF32, f32ToF16, type Tensor } from '../../../src/graph/ir.js';
import { bool, f32, i32, i64, node, randInt, randomF32, rng, values } from './helpers.js';

const run = (op: string, attrs: Record<string, unknown>, inputs: (Tensor | undefined)[], nOut = 1) =>
  K[op]!(node(op, attrs as never, inputs.length, nOut), inputs);

/** Element at a multi-index of a row-major array. */
function at(shape: number[], data: ArrayLike<number>, idx: number[]): number {
  return data[idx.reduce((a, v, i) => a * shape[i]! + v, 0)]!;
}
function allIndices(shape: number[]): number[][] {
  let all: number[][] = [[]];
  for (const d of shape) all = all.flatMap((p) => Array.from({ length: d }, (_, i) => [...p, i]));
  return all;
}

describe('shape ops (CPU)', () => {
  it('Transpose matches index permutation on random shapes and perms (f32 and i64)', () => {
    const r = rng(5);
    for (let s = 0; s < 20; s++) {
      const rank = randInt(r, 1, 5);
      const shape = Array.from({ length: rank }, () => randInt(r, 1, 4));
      const perm = shape.map((_, i) => i).sort(() => r() - 0.5);
      const x = randomF32(r, shape);
      const [y] = run('Transpose', { perm }, [x]);
      expect(y!.shape).toEqual(perm.map((p) => shape[p]));
      const expected = allIndices(y!.shape as number[]).map((oi) => {
        const ii = new Array<number>(rank);
        perm.forEach((p, d) => (ii[p] = oi[d]!));
        return at(shape, x.data as Float32Array, ii);
      });
      expect(values(y!)).toEqual(expected);
    }
    const [t] = run('Transpose', {}, [i64([2, 3], [1, 2, 3, 4, 5, 6])]);
    expect(t!.dtype).toBe('i64');
    expect(t!.shape).toEqual([3, 2]);
    expect(values(t!)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('Slice: ONNX clamping, negative indices and negative steps', () => {
    const x = i64([10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const sl = (starts: number[], ends: number[], steps?: number[]) =>
      values(run('Slice', { starts, ends, ...(steps ? { steps } : {}) }, [x])[0]!);
    expect(sl([2], [5])).toEqual([2, 3, 4]);
    expect(sl([-3], [1e19])).toEqual([7, 8, 9]); // INT64_MAX-like end clamps
    expect(sl([8], [2], [-2])).toEqual([8, 6, 4]);
    expect(sl([-1], [-1e19], [-1])).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(sl([100], [-100], [-3])).toEqual([9, 6, 3, 0]);
    expect(sl([5], [2])).toEqual([]);
    const m = f32([3, 4], [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
    const [y] = run('Slice', { starts: [-1, 1], ends: [-4, 100], axes: [0, -1], steps: [-2, 2] }, [m]);
    expect(y!.shape).toEqual([2, 2]);
    expect(values(y!)).toEqual([21, 23, 1, 3]);
  });

  it('Pad constant / reflect / edge (values as numpy.pad)', () => {
    const x = f32([3], [1, 2, 3]);
    expect(values(run('Pad', { pads: [2, 2], mode: 'reflect' }, [x])[0]!)).toEqual([3, 2, 1, 2, 3, 2, 1]);
    expect(values(run('Pad', { pads: [2, 2], mode: 'edge' }, [x])[0]!)).toEqual([1, 1, 1, 2, 3, 3, 3]);
    expect(values(run('Pad', { pads: [1, 2], value: 7 }, [x])[0]!)).toEqual([7, 1, 2, 3, 7, 7]);
    const m = i32([2, 2], [1, 2, 3, 4]);
    const [p] = run('Pad', { pads: [1, 0, 0, 1] }, [m]);
    expect(p!.dtype).toBe('i32');
    expect(p!.shape).toEqual([3, 3]);
    expect(values(p!)).toEqual([0, 0, 0, 1, 2, 0, 3, 4, 0]);
    // negative pads crop
    expect(values(run('Pad', { pads: [-1, 1] }, [x])[0]!)).toEqual([2, 3, 0]);
  });

  it('Concat and Split round-trip along every axis; Split honours sizes', () => {
    const r = rng(9);
    const x = randomF32(r, [3, 4, 5]);
    for (let axis = 0; axis < 3; axis++) {
      const dim = x.shape[axis]!;
      const split = [1, dim - 1];
      const parts = run('Split', { axis, split }, [x], 2);
      expect(parts[0]!.shape[axis]).toBe(1);
      const [back] = run('Concat', { axis: axis - 3 }, parts);
      expect(back!.shape).toEqual([3, 4, 5]);
      expect(values(back!)).toEqual(values(x));
    }
    const [a, b] = run('Split', { axis: 1, split: [2, 1] }, [i64([2, 3], [1, 2, 3, 4, 5, 6])], 2);
    expect(values(a!)).toEqual([1, 2, 4, 5]);
    expect(values(b!)).toEqual([3, 6]);
    const [c] = run('Concat', { axis: 0 }, [i64([1], [1]), i64([2], [2, 3]), i64([0], [])]);
    expect(c!.dtype).toBe('i64');
    expect(values(c!)).toEqual([1, 2, 3]);
    expect(() => run('Split', { axis: 0, split: [1, 1] }, [x], 2)).toThrow(/add up/);
  });

  it('Reshape (0 and -1), Flatten, Squeeze, Unsqueeze', () => {
    const x = randomF32(rng(1), [2, 3, 4]);
    expect(run('Reshape', { shape: [0, -1] }, [x])[0]!.shape).toEqual([2, 12]);
    expect(run('Reshape', { shape: [-1, 0, 2] }, [x])[0]!.shape).toEqual([4, 3, 2]);
    expect(values(run('Reshape', { shape: [24] }, [x])[0]!)).toEqual(values(x));
    expect(() => run('Reshape', { shape: [5, -1] }, [x])).toThrow(/test_Reshape/);
    expect(run('Flatten', {}, [x])[0]!.shape).toEqual([2, 12]);
    expect(run('Flatten', { axis: 0 }, [x])[0]!.shape).toEqual([1, 24]);
    expect(run('Flatten', { axis: -1 }, [x])[0]!.shape).toEqual([6, 4]);
    const u = f32([1, 3, 1, 2], [1, 2, 3, 4, 5, 6]);
    expect(run('Squeeze', {}, [u])[0]!.shape).toEqual([3, 2]);
    expect(run('Squeeze', { axes: [-2] }, [u])[0]!.shape).toEqual([1, 3, 2]);
    expect(() => run('Squeeze', { axes: [1] }, [u])).toThrow(/squeeze/);
    expect(run('Unsqueeze', { axes: [0, -1] }, [f32([3], [1, 2, 3])])[0]!.shape).toEqual([1, 3, 1]);
  });

  it('Expand broadcasts both ways', () => {
    const [y] = run('Expand', { shape: [2, 1, 3] }, [i64([2, 1], [7, 8])]);
    expect(y!.shape).toEqual([2, 2, 3]);
    expect(values(y!)).toEqual([7, 7, 7, 8, 8, 8, 7, 7, 7, 8, 8, 8]);
  });

  it('Shape with start / end', () => {
    const x = f32([2, 3, 4, 5], new Array(120).fill(0));
    const [s] = run('Shape', {}, [x]);
    expect(s!.dtype).toBe('i64');
    expect(values(s!)).toEqual([2, 3, 4, 5]);
    expect(values(run('Shape', { start: 1, end: -1 }, [x])[0]!)).toEqual([3, 4]);
    expect(values(run('Shape', { start: -10, end: 10 }, [x])[0]!)).toEqual([2, 3, 4, 5]);
  });

  it('Gather with negative and multi-dim indices', () => {
    const x = f32([3, 2], [1, 2, 3, 4, 5, 6]);
    const [g0] = run('Gather', { axis: 0 }, [x, i64([2, 2], [0, -1, 1, 1])]);
    expect(g0!.shape).toEqual([2, 2, 2]);
    expect(values(g0!)).toEqual([1, 2, 5, 6, 3, 4, 3, 4]);
    const [g1] = run('Gather', { axis: 1 }, [x, i32([], [1])]);
    expect(g1!.shape).toEqual([3]);
    expect(values(g1!)).toEqual([2, 4, 6]);
    const [sh] = run('Gather', {}, [i64([4], [1, 3, 32, 32]), i64([], [0])]);
    expect(sh!.dtype).toBe('i64');
    expect(sh!.shape).toEqual([]);
    expect(values(sh!)).toEqual([1]);
    expect(() => run('Gather', {}, [x, i64([1], [3])])).toThrow(/out of range/);
  });

  it('Cast between f32, f16, i32, i64 and bool', () => {
    const x = f32([5], [-2.7, -0.5, 0, 1.9, 3]);
    expect(values(run('Cast', { to: 'i64' }, [x])[0]!)).toEqual([-2, 0, 0, 1, 3]);
    expect(values(run('Cast', { to: 'i32' }, [x])[0]!)).toEqual([-2, 0, 0, 1, 3]);
    expect(values(run('Cast', { to: 'bool' }, [x])[0]!)).toEqual([1, 1, 0, 1, 1]);
    const h = run('Cast', { to: 'f16' }, [x])[0]!;
    expect(h.dtype).toBe('f16');
    expect(Array.from(h.data as Uint16Array)).toEqual(values(x).map(f32ToF16));
    expect(values(run('Cast', { to: 'f32' }, [h])[0]!)).toEqual(values(x).map((v) => f16ToF32(f32ToF16(v))));
    const big: Tensor = { dtype: 'i64', shape: [2], data: BigInt64Array.from([2n ** 40n, -3n]) };
    expect(values(run('Cast', { to: 'f32' }, [big])[0]!)).toEqual([2 ** 40, -3]);
    expect(values(run('Cast', { to: 'i32' }, [big])[0]!)).toEqual([0, -3]);
    expect(() => run('Cast', { to: 'binary' }, [x])).toThrow(/cannot cast/);
  });

  it('ConstantOfShape, Range, Where, Identity, Dropout', () => {
    const [z] = run('ConstantOfShape', {}, [i64([2], [2, 3])]);
    expect(z!.dtype).toBe('f32');
    expect(values(z!)).toEqual([0, 0, 0, 0, 0, 0]);
    const [o] = run('ConstantOfShape', { value: i64([1], [5]) }, [i64([1], [3])]);
    expect(o!.dtype).toBe('i64');
    expect(values(o!)).toEqual([5, 5, 5]);
    expect(values(run('Range', {}, [i64([], [10]), i64([], [1]), i64([], [-3])])[0]!)).toEqual([10, 7, 4]);
    const [fr] = run('Range', {}, [f32([], [0]), f32([], [1]), f32([], [0.25])]);
    expect(values(fr!)).toEqual([0, 0.25, 0.5, 0.75]);
    expect(run('Range', {}, [i32([], [5]), i32([], [1]), i32([], [1])])[0]!.shape).toEqual([0]);
    const [w] = run('Where', {}, [bool([2, 1], [1, 0]), i64([3], [1, 2, 3]), i64([1], [-1])]);
    expect(w!.shape).toEqual([2, 3]);
    expect(values(w!)).toEqual([1, 2, 3, -1, -1, -1]);
    const x = f32([2], [1, 2]);
    expect(values(run('Identity', {}, [x])[0]!)).toEqual([1, 2]);
    const d = run('Dropout', {}, [x], 2);
    expect(values(d[0]!)).toEqual([1, 2]);
    expect(d[1]!.dtype).toBe('bool');
    expect(values(d[1]!)).toEqual([1, 1]);
  });

  it('never writes into inputs', () => {
    const x = f32([2, 2], [1, 2, 3, 4]);
    for (const [op, attrs] of [['Transpose', {}], ['Pad', { pads: [1, 1, 1, 1] }], ['Slice', { starts: [0], ends: [1] }]] as const) {
      run(op, attrs, [x]);
      expect(values(x)).toEqual([1, 2, 3, 4]);
    }
  });
});
