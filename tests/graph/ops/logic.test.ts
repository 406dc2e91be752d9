import { describe, expect, it } from 'vitest';
import { GraphError } from '../../../src/graph/ir.js';
import { f32, infer, info, shapeOf } from './helpers.js';

describe('logical / Mod / comparison shape rules', () => {
  it('Not keeps the shape; And / Or / Xor broadcast; all output bool', () => {
    expect(infer('Not', [info('bool', [2, 3])])).toEqual([{ dtype: 'bool', shape: [2, 3] }]);
    for (const op of ['And', 'Or', 'Xor']) expect(infer(op, [info('bool', [4, 1, 3]), info('bool', [5, 1])])).toEqual([{ dtype: 'bool', shape: [4, 5, 3] }]);
    for (const op of ['LessOrEqual', 'GreaterOrEqual']) expect(infer(op, [info('i64', [3]), info('i64', [])])).toEqual([{ dtype: 'bool', shape: [3] }]);
  });

  it('logical ops need bool operands', () => {
    expect(() => infer('Not', [f32(2)], {}, 1, 'neg')).toThrowError(/X must be bool/);
    expect(() => infer('And', [info('bool', [2]), f32(2)])).toThrowError(GraphError);
    expect(() => infer('Xor', [info('bool', [2]), info('bool', [3])])).toThrowError(/not broadcastable/);
  });

  it('Mod broadcasts numeric operands of one dtype; fmod must be 0 or 1', () => {
    expect(infer('Mod', [info('i64', [2, 1]), info('i64', [3])], { fmod: 0 })).toEqual([{ dtype: 'i64', shape: [2, 3] }]);
    expect(infer('Mod', [info('f16', [5]), f32(1)], { fmod: 1 })).toEqual([{ dtype: 'f32', shape: [5] }]);
    expect(() => infer('Mod', [info('i64', [2]), info('i32', [2])])).toThrowError(/different dtypes/);
    expect(() => infer('Mod', [f32(2), f32(2)], { fmod: 2 })).toThrowError(/fmod/);
    expect(() => infer('Mod', [info('bool', [2]), info('bool', [2])])).toThrowError(/numeric/);
  });
});

describe('ScatterND / CumSum shape rules', () => {
  it('ScatterND: output is data; updates must be indices.shape[:-1] + data.shape[k:]', () => {
    expect(infer('ScatterND', [f32(4, 5, 6), info('i64', [2, 3, 2]), f32(2, 3, 6)])).toEqual([{ dtype: 'f32', shape: [4, 5, 6] }]);
    expect(shapeOf('ScatterND', [f32(4, 5), info('i64', [1]), f32(5)])).toEqual([4, 5]);
    expect(() => infer('ScatterND', [f32(4, 5), info('i64', [2, 1]), f32(2, 4)])).toThrowError(/updates shape \[2, 4\] must be \[2, 5\]/);
    expect(() => infer('ScatterND', [f32(4, 5), info('i64', [2, 3]), f32(2)])).toThrowError(/address 3 dims/);
    expect(() => infer('ScatterND', [f32(4), f32(1, 1), f32(1)])).toThrowError(/integer/);
    expect(() => infer('ScatterND', [f32(4), info('i64', [1, 1]), f32(1)], { reduction: 'mean' })).toThrowError(/reduction 'mean'/);
  });

  it('CumSum keeps shape and dtype; axis is checked', () => {
    expect(infer('CumSum', [info('i32', [3, 4])], { axis: -1 })).toEqual([{ dtype: 'i32', shape: [3, 4] }]);
    expect(() => infer('CumSum', [f32(3, 4)], { axis: 2 })).toThrowError(/out of range/);
    expect(() => infer('CumSum', [f32(3)], {})).toThrowError(/axis/);
    expect(() => infer('CumSum', [f32(3)], { axis: 0, reverse: 3 })).toThrowError(/reverse/);
  });
});
