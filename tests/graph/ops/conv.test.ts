import { describe, expect, it } from 'vitest';
import { GraphError } from '../../../src/graph/ir.js';
import { convParams, resolveConvPads } from '../../../src/graph/ops/index.js';
import { f32, infer, info, nodeOf, shapeOf } from './helpers.js';

describe('Conv shape rule', () => {
  it('computes 2-D output with stride, pads and dilation', () => {
    // ResNet stem: 224, k7 s2 p3 -> 112.
    expect(shapeOf('Conv', [f32(1, 3, 224, 224), f32(64, 3, 7, 7)], { strides: [2, 2], pads: [3, 3, 3, 3] })).toEqual([1, 64, 112, 112]);
    // dilation 2, k3, no pad: effective kernel 5 -> 10 - 5 + 1 = 6.
    expect(shapeOf('Conv', [f32(2, 4, 10, 12), f32(8, 4, 3, 3)], { dilations: [2, 2] })).toEqual([2, 8, 6, 8]);
    // asymmetric pads: H: 5 + 0 + 2 - 3 + 1 = 5, W: 5 + 1 + 0 - 3 + 1 = 4
    expect(shapeOf('Conv', [f32(1, 1, 5, 5), f32(1, 1, 3, 3)], { pads: [0, 1, 2, 0] })).toEqual([1, 1, 5, 4]);
  });

  it('handles 1-D and 3-D convolutions', () => {
    expect(shapeOf('Conv', [f32(1, 2, 16), f32(4, 2, 3)], { strides: [2], pads: [1, 1] })).toEqual([1, 4, 8]);
    expect(shapeOf('Conv', [f32(1, 2, 8, 8, 8), f32(4, 2, 3, 3, 3)], { strides: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1] })).toEqual([1, 4, 4, 4, 4]);
  });

  it('handles groups (depthwise) and a bias', () => {
    const out = infer('Conv', [f32(1, 32, 8, 8), f32(32, 1, 3, 3), f32(32)], { group: 32, pads: [1, 1, 1, 1] });
    expect(out).toEqual([{ dtype: 'f32', shape: [1, 32, 8, 8] }]);
  });

  it('keeps an unknown batch dim and accepts f16 weights as f32', () => {
    expect(infer('Conv', [f32(-1, 3, 8, 8), info('f16', [4, 3, 1, 1])])).toEqual([{ dtype: 'f32', shape: [-1, 4, 8, 8] }]);
  });

  it('rejects channel mismatches, naming node and op', () => {
    expect(() => infer('Conv', [f32(1, 3, 8, 8), f32(4, 2, 3, 3)], {}, 1, 'conv7')).toThrowError(/Conv node 'conv7'.*input channels 3/);
    expect(() => infer('Conv', [f32(1, 4, 8, 8), f32(4, 2, 3, 3)], { group: 2 }, 1, 'c')).not.toThrow();
    expect(() => infer('Conv', [f32(1, 4, 8, 8), f32(3, 2, 3, 3)], { group: 2 }, 1, 'c')).toThrowError(/divisible by group/);
    expect(() => infer('Conv', [f32(1, 3, 8, 8), f32(4, 3, 3, 3), f32(5)], {}, 1, 'c')).toThrowError(/bias shape \[5\]/);
    expect(() => infer('Conv', [f32(1, 3, 8, 8), f32(4, 3, 3)], {}, 1, 'c')).toThrowError(GraphError);
    expect(() => infer('Conv', [info('i32', [1, 3, 8, 8]), f32(4, 3, 3, 3)], {}, 1, 'c')).toThrowError(/X must be a float/);
    expect(() => infer('Conv', [f32(1, 3, 2, 2), f32(4, 3, 3, 3)], {}, 1, 'c')).toThrowError(/empty/);
    expect(() => infer('Conv', [f32(1, 3, 8, 8), f32(4, 3, 3, 3)], { kernel_shape: [5, 5] }, 1, 'c')).toThrowError(/kernel_shape/);
    expect(() => infer('Conv', [f32(1, 3, 8, 8), f32(4, 3, 3, 3)], { strides: [1] }, 1, 'c')).toThrowError(/'strides' has 1 values/);
  });
});

describe('resolveConvPads', () => {
  it('SAME_UPPER puts the odd pad at the end, SAME_LOWER at the beginning', () => {
    // in 6, k3, s2: out ceil(6/2)=3, total pad (3-1)*2+3-6 = 1.
    const upper = nodeOf('Conv', { auto_pad: 'SAME_UPPER', kernel_shape: [3, 3], strides: [2, 2] });
    expect(resolveConvPads(upper, [1, 1, 6, 6])).toEqual([0, 0, 1, 1]);
    const lower = nodeOf('Conv', { auto_pad: 'SAME_LOWER', kernel_shape: [3, 3], strides: [2, 2] });
    expect(resolveConvPads(lower, [1, 1, 6, 6])).toEqual([1, 1, 0, 0]);
    // in 5, k3, s2: out 3, total pad 2 -> 1 / 1.
    expect(resolveConvPads(upper, [1, 1, 5, 5])).toEqual([1, 1, 1, 1]);
    // stride 1 keeps the size: k4 -> total 3 -> UPPER 1 / 2.
    const k4 = nodeOf('Conv', { auto_pad: 'SAME_UPPER', kernel_shape: [4] });
    expect(resolveConvPads(k4, [1, 1, 10])).toEqual([1, 2]);
  });

  it('SAME output size is ceil(in / stride) through the shape rule', () => {
    for (const size of [5, 6, 7, 17]) {
      const shape = shapeOf('Conv', [f32(1, 1, size, size), f32(1, 1, 3, 3)], { auto_pad: 'SAME_LOWER', strides: [2, 3] });
      expect(shape).toEqual([1, 1, Math.ceil(size / 2), Math.ceil(size / 3)]);
    }
  });

  it('VALID means no padding and ignores explicit pads; NOTSET keeps them', () => {
    const valid = nodeOf('Conv', { auto_pad: 'VALID', kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    expect(resolveConvPads(valid, [1, 1, 8, 8])).toEqual([0, 0, 0, 0]);
    const notset = nodeOf('Conv', { kernel_shape: [3, 3], pads: [1, 2, 3, 4] });
    expect(resolveConvPads(notset, [1, 1, 8, 8])).toEqual([1, 2, 3, 4]);
  });

  it('derives kernel from W when kernel_shape is absent, and rejects bad auto_pad', () => {
    const n = nodeOf('Conv', { auto_pad: 'SAME_UPPER', dilations: [2, 1] });
    // H: effective kernel 5, in 7 -> out 7, total 4 -> 2/2; W: k3 -> 1/1.
    expect(convParams(n, [1, 1, 7, 7], [1, 1, 3, 3])).toEqual({
      spatialRank: 2,
      kernel: [3, 3],
      strides: [1, 1],
      pads: [2, 1, 2, 1],
      dilations: [2, 1],
      group: 1,
    });
    expect(() => resolveConvPads(nodeOf('Conv', {}), [1, 1, 8, 8])).toThrowError(/kernel_shape is missing/);
    expect(() => resolveConvPads(nodeOf('Conv', { auto_pad: 'SAME', kernel_shape: [3, 3] }, 'bad'), [1, 1, 8, 8])).toThrowError(
      /Conv node 'bad'.*auto_pad 'SAME'/,
    );
  });
});
