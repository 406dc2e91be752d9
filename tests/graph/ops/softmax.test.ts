import { describe, expect, it } from 'vitest';
import { softmaxAxis } from '../../../src/graph/ops/index.js';
import { f32, infer, nodeOf } from './helpers.js';

describe('Softmax', () => {
  it('keeps the shape and normalises the axis', () => {
    expect(infer('Softmax', [f32(2, 10)])).toEqual([{ dtype: 'f32', shape: [2, 10] }]);
    expect(softmaxAxis(nodeOf('Softmax', {}), 4)).toBe(3);
    expect(softmaxAxis(nodeOf('Softmax', { axis: -3 }), 4)).toBe(1);
    expect(() => infer('Softmax', [f32(2, 10)], { axis: 2 }, 1, 'sm')).toThrowError(/Softmax node 'sm': axis 2 is out of range/);
  });
});
