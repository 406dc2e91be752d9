import { describe, expect, it } from 'vitest';
import { poolOutputSize, poolParams } from '../../../src/graph/ops/index.js';
import { f32, infer, nodeOf, shapeOf } from './helpers.js';

/**
 * [in, kernel, stride, pad, dilation, out floor, out ceil] produced by PyTorch 1.13
 * (torch.nn.functional.max_pool1d shapes), i.e. an independent oracle for the ceil_mode rule.
 */
const TORCH_CASES: [number, number, number, number, number, number, number][] = [
  [5, 2, 2, 0, 1, 2, 3],
  [6, 3, 2, 0, 1, 2, 3],
  [7, 3, 2, 1, 1, 4, 4],
  [8, 3, 3, 1, 1, 3, 3],
  [4, 3, 2, 1, 1, 2, 3],
  [9, 2, 2, 1, 1, 5, 5],
  [10, 3, 2, 1, 2, 4, 5],
  [13, 3, 4, 1, 1, 4, 4],
  [6, 1, 4, 0, 1, 2, 2],
  [112, 3, 2, 1, 1, 56, 57],
  [5, 3, 3, 1, 1, 2, 2], // ceil would add a window starting in the right padding: dropped
  [1, 2, 3, 0, 1, 0, 1], // window larger than the input: none in floor mode, one in ceil mode
  [2, 2, 3, 0, 2, 0, 1],
  [2, 3, 1, 1, 2, 0, 0],
];

describe('pool output size', () => {
  it.each(TORCH_CASES)('in %i k %i s %i p %i d %i -> floor %i, ceil %i', (n, k, s, p, d, floor, ceil) => {
    expect(poolOutputSize(n, k, s, p, p, d, false)).toBe(floor);
    expect(poolOutputSize(n, k, s, p, p, d, true)).toBe(ceil);
  });
});

describe('MaxPool / AveragePool shape rule', () => {
  it('2-D with ceil_mode', () => {
    const attrs = { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 };
    expect(shapeOf('MaxPool', [f32(1, 8, 6, 5)], attrs)).toEqual([1, 8, 3, 2]);
    expect(shapeOf('AveragePool', [f32(1, 8, 6, 5)], { ...attrs, ceil_mode: 0 })).toEqual([1, 8, 2, 2]);
  });

  it('1-D and 3-D pooling', () => {
    expect(shapeOf('MaxPool', [f32(2, 3, 9)], { kernel_shape: [2], strides: [2], pads: [1, 1] })).toEqual([2, 3, 5]);
    expect(shapeOf('AveragePool', [f32(1, 2, 4, 6, 8)], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] })).toEqual([1, 2, 2, 3, 4]);
  });

  it('auto_pad SAME_UPPER gives ceil(in / stride)', () => {
    expect(shapeOf('MaxPool', [f32(1, 1, 7, 8)], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' })).toEqual([1, 1, 4, 4]);
    const p = poolParams(nodeOf('MaxPool', { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_LOWER' }), [1, 1, 5, 4]);
    expect(p.pads).toEqual([1, 0, 0, 0]);
    expect(p.ceilMode).toBe(false);
    expect(p.countIncludePad).toBe(false);
  });

  it('normalises params with defaults', () => {
    const p = poolParams(nodeOf('AveragePool', { kernel_shape: [3, 3], count_include_pad: 1, ceil_mode: 1 }), [1, 1, 5, 5]);
    expect(p).toEqual({
      spatialRank: 2,
      kernel: [3, 3],
      strides: [1, 1],
      pads: [0, 0, 0, 0],
      dilations: [1, 1],
      ceilMode: true,
      countIncludePad: true,
    });
  });

  it('rejects bad attributes naming node and op', () => {
    expect(() => infer('MaxPool', [f32(1, 1, 8, 8)], {}, 1, 'pool3')).toThrowError(/MaxPool node 'pool3'.*kernel_shape/);
    expect(() => infer('MaxPool', [f32(1, 1, 8, 8)], { kernel_shape: [3] }, 1, 'p')).toThrowError(/expected 2/);
    expect(() => infer('AveragePool', [f32(1, 1, 8, 8)], { kernel_shape: [2, 2], pads: [2, 0, 0, 0] }, 1, 'p')).toThrowError(/smaller than the kernel/);
    expect(() => infer('MaxPool', [f32(1, 1, 8, 8)], { kernel_shape: [2, 2] }, 2, 'p')).toThrowError(/Indices/);
    expect(() => infer('MaxPool', [f32(1, 8)], { kernel_shape: [2] }, 1, 'p')).toThrowError(/3-D, 4-D or 5-D/);
    expect(() => infer('MaxPool', [f32(1, 1, 1, 4)], { kernel_shape: [2, 2] }, 1, 'p')).toThrowError(/MaxPool node 'p': output spatial size \[0, 3\] is empty/);
    expect(shapeOf('MaxPool', [f32(1, 1, 1, 4)], { kernel_shape: [2, 2], ceil_mode: 1, strides: [2, 2] })).toEqual([1, 1, 1, 2]);
  });
});

describe('global pooling', () => {
  it('keeps spatial dims as 1', () => {
    expect(infer('GlobalAveragePool', [f32(-1, 512, 7, 7)])).toEqual([{ dtype: 'f32', shape: [-1, 512, 1, 1] }]);
    expect(shapeOf('GlobalMaxPool', [f32(2, 16, 3, 4, 5)])).toEqual([2, 16, 1, 1, 1]);
    expect(shapeOf('GlobalMaxPool', [f32(2, 16, 9)])).toEqual([2, 16, 1]);
    expect(() => infer('GlobalAveragePool', [f32(2, 16)], {}, 1, 'gap')).toThrowError(/GlobalAveragePool node 'gap'/);
  });
});
