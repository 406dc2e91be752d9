import { describe, expect, it } from 'vitest';
import { GraphError } from '../../../src/graph/ir.js';
import { broadcastShapes } from '../../../src/graph/ops/index.js';
import { f32, infer, info, shapeOf } from './helpers.js';

describe('broadcastShapes', () => {
  it('follows numpy rules', () => {
    expect(broadcastShapes([8, 1, 6, 1], [7, 1, 5])).toEqual([8, 7, 6, 5]);
    expect(broadcastShapes([5, 4], [1])).toEqual([5, 4]);
    expect(broadcastShapes([], [3, 2])).toEqual([3, 2]);
    expect(broadcastShapes([15, 3, 5], [15, 1, 5])).toEqual([15, 3, 5]);
    expect(broadcastShapes([0, 3], [1, 3])).toEqual([0, 3]);
  });

  it('propagates unknown dims', () => {
    expect(broadcastShapes([-1, 3], [1, 3])).toEqual([-1, 3]);
    expect(broadcastShapes([-1, 3], [4, 3])).toEqual([4, 3]);
    expect(broadcastShapes([-1], [-1])).toEqual([-1]);
  });

  it('throws on incompatible dims', () => {
    expect(() => broadcastShapes([2, 1], [8, 4, 3])).toThrowError(GraphError);
    expect(() => broadcastShapes([3], [4])).toThrowError(/\[3\] and \[4\] are not broadcastable/);
  });
});

describe('elementwise shape rules', () => {
  it('unary ops keep the shape; float ops output f32', () => {
    for (const op of ['Relu', 'Sigmoid', 'Tanh', 'HardSwish', 'Exp', 'Sqrt', 'Floor', 'Ceil', 'Reciprocal', 'LeakyRelu', 'HardSigmoid', 'Clip', 'Identity', 'Dropout', 'Neg', 'Abs', 'Sign']) {
      expect(infer(op, [info('f16', [2, 3])])).toEqual([{ dtype: 'f32', shape: [2, 3] }]);
    }
    expect(infer('Relu', [info('i32', [4])])[0]!.dtype).toBe('i32');
    expect(infer('Identity', [info('bool', [4])])[0]!.dtype).toBe('bool');
    expect(() => infer('Sigmoid', [info('i64', [4])], {}, 1, 'sig')).toThrowError(/Sigmoid node 'sig': X must be a float/);
    expect(() => infer('Clip', [f32(2)], { min: 'a' }, 1, 'clip')).toThrowError(/min\/max/);
  });

  it('binary ops broadcast; comparisons return bool', () => {
    expect(infer('Add', [f32(1, 3, 1, 1), f32(2, 3, 4, 4)])).toEqual([{ dtype: 'f32', shape: [2, 3, 4, 4] }]);
    expect(shapeOf('Mul', [f32(5, 1), f32(4)])).toEqual([5, 4]);
    expect(infer('Sub', [info('i64', [3]), info('i64', [])])).toEqual([{ dtype: 'i64', shape: [3] }]);
    expect(infer('Equal', [info('i64', [3]), info('i64', [1])])).toEqual([{ dtype: 'bool', shape: [3] }]);
    expect(infer('Less', [f32(2, 1), f32(1, 5)])).toEqual([{ dtype: 'bool', shape: [2, 5] }]);
    expect(infer('Greater', [f32(2, 1), info('f16', [1])])[0]!.dtype).toBe('bool');
    expect(infer('Pow', [f32(3), info('i64', [])])).toEqual([{ dtype: 'f32', shape: [3] }]);
  });

  it('binary errors name node and op', () => {
    expect(() => infer('Add', [f32(2, 3), f32(4, 3)], {}, 1, 'add9')).toThrowError(/Add node 'add9': shapes \[2, 3\] and \[4, 3\]/);
    expect(() => infer('Div', [f32(2), info('i64', [2])], {}, 1, 'd')).toThrowError(/Div node 'd'.*different dtypes/);
    expect(() => infer('Mul', [f32(2), undefined], {}, 1, 'm')).toThrowError(/missing required input B/);
  });

  it('variadic ops broadcast over all inputs', () => {
    expect(shapeOf('Sum', [f32(3, 1), f32(1, 4), f32(4)])).toEqual([3, 4]);
    expect(shapeOf('Max', [f32(2, 2)])).toEqual([2, 2]);
    expect(shapeOf('Min', [f32(1), f32(6, 1, 2)])).toEqual([6, 1, 2]);
    expect(shapeOf('Mean', [f32(2, 3), f32(3)])).toEqual([2, 3]);
    expect(() => infer('Mean', [f32(2), f32(3)], {}, 1, 'mean')).toThrowError(/Mean node 'mean'/);
    expect(() => infer('Sum', [], {}, 1, 's')).toThrowError(/at least one input/);
  });

  it('Where broadcasts cond, X and Y', () => {
    expect(infer('Where', [info('bool', [2, 1, 4]), f32(3, 1), f32(1)])).toEqual([{ dtype: 'f32', shape: [2, 3, 4] }]);
    expect(() => infer('Where', [f32(2), f32(2), f32(2)], {}, 1, 'w')).toThrowError(/Where node 'w': condition must be bool/);
    expect(() => infer('Where', [info('bool', [2]), f32(3), f32(3)], {}, 1, 'w')).toThrowError(/not broadcastable/);
  });
});
