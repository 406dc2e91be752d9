import { describe, expect, it } from 'vitest';
import { GraphError } from '../../../src/graph/ir.js';
import { convTransposeParams } from '../../../src/graph/ops/index.js';
import { f32, infer, info, nodeOf, shapeOf } from './helpers.js';

describe('ConvTranspose shape rule', () => {
  it('follows out = s (in - 1) + output_padding + (k - 1) d + 1 - pad_begin - pad_end', () => {
    // DB-head / UNet 2x upsampling: k4 s2 p1 doubles the size.
    expect(shapeOf('ConvTranspose', [f32(1, 64, 20, 30), f32(64, 32, 4, 4)], { strides: [2, 2], pads: [1, 1, 1, 1] })).toEqual([1, 32, 40, 60]);
    // k2 s2: exactly 2x.
    expect(shapeOf('ConvTranspose', [f32(2, 8, 5, 7), f32(8, 4, 2, 2)], { strides: [2, 2] })).toEqual([2, 4, 10, 14]);
    // k3 s2 p1 op1 (PyTorch's "same" 2x upsampling): 2*4 + 1 + 3 - 2 = 10.
    expect(shapeOf('ConvTranspose', [f32(1, 3, 5, 5), f32(3, 2, 3, 3)], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] })).toEqual([1, 2, 10, 10]);
    // dilation 2, asymmetric pads: H 1*5 + 0 + 4 + 1 - 0 - 2 = 8, W 5 + 5 - 1 - 1 = 8.
    expect(shapeOf('ConvTranspose', [f32(1, 1, 6, 6), f32(1, 1, 3, 3)], { dilations: [2, 2], pads: [0, 1, 2, 1] })).toEqual([1, 1, 8, 8]);
  });

  it('handles 1-D, 3-D, groups (C_out = W.shape[1] * group), bias and an unknown batch', () => {
    expect(shapeOf('ConvTranspose', [f32(1, 4, 7), f32(4, 3, 3)], { strides: [3] })).toEqual([1, 3, 21]);
    expect(shapeOf('ConvTranspose', [f32(1, 2, 3, 4, 5), f32(2, 2, 2, 2, 2)], { strides: [2, 2, 2] })).toEqual([1, 2, 6, 8, 10]);
    expect(infer('ConvTranspose', [f32(-1, 6, 4, 4), f32(6, 5, 3, 3), f32(15)], { group: 3 })).toEqual([{ dtype: 'f32', shape: [-1, 15, 6, 6] }]);
    expect(infer('ConvTranspose', [f32(1, 8, 4, 4), info('f16', [8, 1, 4, 4])], { group: 8, strides: [2, 2], pads: [1, 1, 1, 1] })).toEqual([{ dtype: 'f32', shape: [1, 8, 8, 8] }]);
  });

  it('output_shape overrides pads: the crop is split, the odd one at the beginning (end for SAME_UPPER)', () => {
    // in 5, k3, s2: full 11.
    const at = (attrs: Record<string, number[] | string>) => convTransposeParams(nodeOf('ConvTranspose', { kernel_shape: [3], strides: [2], ...attrs }), [1, 1, 5]);
    expect(at({ output_shape: [10], pads: [4, 4] })).toMatchObject({ pads: [1, 0], outSpatial: [10] });
    expect(at({ output_shape: [8] })).toMatchObject({ pads: [2, 1], outSpatial: [8] });
    expect(at({ output_shape: [8], auto_pad: 'SAME_UPPER' })).toMatchObject({ pads: [1, 2], outSpatial: [8] });
    expect(at({ output_shape: [8], auto_pad: 'SAME_LOWER' })).toMatchObject({ pads: [2, 1], outSpatial: [8] });
    // Larger than the full output: zeros (bias) at the end, a negative end crop.
    expect(at({ output_shape: [12] })).toMatchObject({ pads: [0, -1], outSpatial: [12] });
    // auto_pad SAME_*: out = in * stride.
    expect(at({ auto_pad: 'SAME_UPPER' })).toMatchObject({ pads: [0, 1], outSpatial: [10] });
    expect(at({ auto_pad: 'SAME_LOWER' })).toMatchObject({ pads: [1, 0], outSpatial: [10] });
    expect(at({ auto_pad: 'VALID', pads: [1, 1] })).toMatchObject({ pads: [0, 0], outSpatial: [11] });
    expect(shapeOf('ConvTranspose', [f32(1, 2, 5, 6), f32(2, 3, 3, 3)], { strides: [2, 2], output_shape: [9, 13] })).toEqual([1, 3, 9, 13]);
  });

  it('accepts output_padding below max(stride, dilation)', () => {
    expect(shapeOf('ConvTranspose', [f32(1, 1, 4), f32(1, 1, 3)], { dilations: [3], output_padding: [2] })).toEqual([1, 1, 12]);
    expect(shapeOf('ConvTranspose', [f32(1, 1, 4), f32(1, 1, 3)], { strides: [3], output_padding: [2] })).toEqual([1, 1, 14]);
  });

  it('rejects invalid attributes with a GraphError naming the node and the attribute', () => {
    const bad = (attrs: Record<string, unknown>, x = f32(1, 4, 5, 5), w = f32(4, 2, 3, 3), b?: ReturnType<typeof f32>) =>
      () => infer('ConvTranspose', b ? [x, w, b] : [x, w], attrs as never, 1, 'up3');
    expect(bad({ group: 3 })).toThrowError(/ConvTranspose node 'up3'.*'group' 3.*not divisible/);
    expect(bad({}, f32(1, 3, 5, 5))).toThrowError(/input channels 3 != W.shape\[0\] \(4\)/);
    expect(bad({ strides: [2, 2], output_padding: [2, 0] })).toThrowError(/'up3'.*'output_padding'.*\[0, 2\)/);
    expect(bad({ output_padding: [1, 0] })).toThrowError(/'output_padding'/); // stride 1, dilation 1
    expect(bad({ output_padding: [-1, 0], strides: [2, 2] })).toThrowError(/'output_padding'/);
    expect(bad({ pads: [1, 1, -1, 0] })).toThrowError(/'pads'.*non-negative/);
    expect(bad({ strides: [0, 1] })).toThrowError(/'strides'.*positive/);
    expect(bad({ dilations: [1, 0] })).toThrowError(/'dilations'.*positive/);
    expect(bad({ strides: [2] })).toThrowError(/'strides' has 1 values/);
    expect(bad({ output_shape: [10] })).toThrowError(/'output_shape' has 1 values/);
    expect(bad({ output_shape: [10, 0] })).toThrowError(/'output_shape'.*positive/);
    expect(bad({ kernel_shape: [2, 2] })).toThrowError(/kernel_shape/);
    expect(bad({ auto_pad: 'SAME' })).toThrowError(/'up3'.*auto_pad 'SAME'/);
    expect(bad({ group: 0 })).toThrowError(/'group' 0 must be positive/);
    expect(bad({ pads: [3, 3, 4, 4] }, f32(1, 4, 2, 2))).toThrowError(/output spatial size .* is empty/);
    expect(bad({}, f32(1, 4, 5, 5), f32(4, 2, 3, 3), f32(4))).toThrowError(/bias shape \[4\] must be \[2\]/);
    expect(bad({}, f32(1, 4, 5, 5), f32(4, 2, 3))).toThrowError(/W rank 3/);
    expect(bad({}, info('i32', [1, 4, 5, 5]))).toThrowError(/X must be a float/);
    expect(bad({}, f32(1, 4))).toThrowError(GraphError);
  });
});
