import { describe, expect, it } from 'vitest';
import { f32, infer, info, shapeOf } from './helpers.js';

describe('Reduce* shape rules', () => {
  it('reduces given axes with and without keepdims', () => {
    expect(shapeOf('ReduceMean', [f32(2, 3, 4, 5)], { axes: [2, 3] })).toEqual([2, 3, 1, 1]);
    expect(shapeOf('ReduceMean', [f32(2, 3, 4, 5)], { axes: [-1, -2], keepdims: 0 })).toEqual([2, 3]);
    expect(shapeOf('ReduceSum', [f32(2, 3)], { axes: [0], keepdims: 0 })).toEqual([3]);
    expect(infer('ReduceMax', [info('i64', [4])], { keepdims: 0 })).toEqual([{ dtype: 'i64', shape: [] }]);
  });

  it('reduces all axes when axes are absent or empty, unless noop_with_empty_axes', () => {
    expect(shapeOf('ReduceSum', [f32(2, 3, 4)], {})).toEqual([1, 1, 1]);
    expect(shapeOf('ReduceSum', [f32(2, 3, 4)], { axes: [], keepdims: 0 })).toEqual([]);
    expect(shapeOf('ReduceSum', [f32(2, 3, 4)], { axes: [], noop_with_empty_axes: 1 })).toEqual([2, 3, 4]);
  });

  it('rejects bad axes naming node and op', () => {
    expect(() => infer('ReduceMean', [f32(2, 3)], { axes: [2] }, 1, 'rm')).toThrowError(/ReduceMean node 'rm': axes 2 is out of range/);
    expect(() => infer('ReduceMax', [f32(2, 3)], { axes: [1, -1] }, 1, 'rm')).toThrowError(/duplicates/);
    expect(() => infer('ReduceMean', [info('i64', [2])], {}, 1, 'rm')).toThrowError(/float/);
  });
});
