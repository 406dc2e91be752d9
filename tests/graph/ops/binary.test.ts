import { describe, expect, it } from 'vitest';
import { GraphError, type Node } from '../../../src/graph/ir.js';
import { binaryShapeRules, paddedChannels, wordsFor } from '../../../src/graph/ops/binary.js';
import { shapeRules } from '../../../src/graph/ops/registry.js';
import type { InputInfo } from '../../../src/graph/ops/types.js';

const f = (shape: number[]): InputInfo => ({ dtype: 'f32', shape });
const bin = (shape: number[]): InputInfo => ({ dtype: 'binary', shape });
const node = (op: string, attrs: Node['attrs']): Node => ({ name: 'layer7', op, inputs: [], outputs: ['y'], attrs });

describe('binary op shape rules', () => {
  it('are registered in the shape rule table', () => {
    for (const op of ['BinaryConv', 'BinaryGemm', 'BinaryWeightConv', 'BinaryConvBits']) expect(shapeRules[op]).toBe(binaryShapeRules[op]);
  });

  it('word helpers round channels up to multiples of 32', () => {
    expect([1, 31, 32, 33, 64, 65].map(paddedChannels)).toEqual([32, 32, 32, 64, 64, 96]);
    expect([1, 32, 33].map(wordsFor)).toEqual([1, 1, 2]);
  });

  it('BinaryConv: output shape with pads, strides, dilations; dynamic batch kept', () => {
    const rule = binaryShapeRules['BinaryConv']!;
    const n = node('BinaryConv', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2], pad_value: -1 });
    expect(rule(n, [f([-1, 40, 9, 9]), bin([16, 3, 3, 64]), f([16]), f([16]), f([3, 40])])).toEqual([{ dtype: 'f32', shape: [-1, 16, 5, 5] }]);
    const d = node('BinaryConv', { kernel_shape: [3, 3], dilations: [2, 2] });
    expect(rule(d, [f([1, 3, 9, 9]), bin([4, 3, 3, 32]), f([4])])[0]!.shape).toEqual([1, 4, 5, 5]);
  });

  it('BinaryConv: rejects inconsistent weights, thresholds and attributes, naming the node', () => {
    const rule = binaryShapeRules['BinaryConv']!;
    const ok = node('BinaryConv', { kernel_shape: [3, 3] });
    const x = f([1, 40, 8, 8]);
    expect(() => rule(ok, [x, f([4, 3, 3, 64]), f([4])])).toThrow(/layer7.*dtype binary/);
    expect(() => rule(ok, [x, bin([4, 3, 3, 32]), f([4])])).toThrow(/must be 64 for 40 input channels/);
    expect(() => rule(ok, [x, bin([4, 3, 3, 40]), f([4])])).toThrow(/multiple of 32/);
    expect(() => rule(ok, [x, bin([4, 1, 3, 64]), f([4])])).toThrow(/kernel_shape/);
    expect(() => rule(ok, [x, bin([4, 3, 3, 64]), f([5])])).toThrow(/alpha shape/);
    expect(() => rule(ok, [x, bin([4, 3, 3, 64]), f([4]), undefined, f([2, 40])])).toThrow(/thresholds/);
    expect(() => rule(node('BinaryConv', { kernel_shape: [3, 3], pad_value: 1 }), [x, bin([4, 3, 3, 64]), f([4])])).toThrow(/pad_value/);
    expect(() => rule(node('BinaryConv', { kernel_shape: [3, 3], zero_sign: 1 }), [x, bin([4, 3, 3, 64]), f([4])])).toThrow(/zero_sign/);
    expect(() => rule(node('BinaryConv', { kernel_shape: [3, 3], activation: 'mish' }), [x, bin([4, 3, 3, 64]), f([4])])).toThrow(GraphError);
    expect(() => rule(ok, [f([1, 40, 2, 2]), bin([4, 3, 3, 64]), f([4])])).toThrow(/empty/);
  });

  it('BinaryGemm and BinaryWeightConv', () => {
    const g = binaryShapeRules['BinaryGemm']!;
    expect(g(node('BinaryGemm', {}), [f([8, 800]), bin([500, 800]), f([500]), undefined, f([3, 800])])).toEqual([{ dtype: 'f32', shape: [8, 500] }]);
    expect(() => g(node('BinaryGemm', {}), [f([8, 70]), bin([5, 64]), f([5])])).toThrow(/must be 96 for K = 70/);
    const w = binaryShapeRules['BinaryWeightConv']!;
    expect(w(node('BinaryWeightConv', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), [f([2, 16, 8, 8]), bin([16, 3, 3, 32]), f([16])])[0]!.shape).toEqual([2, 16, 8, 8]);
    expect(() => w(node('BinaryWeightConv', { kernel_shape: [3, 3] }), [f([2, 16, 8, 8]), bin([16, 3, 3, 32]), f([16]), undefined, f([3, 16])])).toThrow(/takes no thresholds/);
    const bwn = node('BinaryWeightConv', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    expect(w(bwn, [f([2, 16, 8, 8]), bin([16, 3, 3, 32]), f([16]), undefined, undefined, f([2, 16, 8, 8])])[0]!.shape).toEqual([2, 16, 8, 8]);
    expect(() => w(bwn, [f([2, 16, 8, 8]), bin([16, 3, 3, 32]), f([16]), undefined, undefined, f([2, 16, 4, 4])])).toThrow(/residual R shape/);
  });

  it('BinaryConv reads bit-packed X [N, H, W, C32] with in_channels, without thresholds, zero_sign -1 only', () => {
    const rule = binaryShapeRules['BinaryConv']!;
    const attrs = { kernel_shape: [3, 3], pads: [1, 1, 1, 1], pad_value: -1, in_channels: 40 };
    expect(rule(node('BinaryConv', attrs), [bin([2, 9, 7, 64]), bin([16, 3, 3, 64]), f([16])])).toEqual([{ dtype: 'f32', shape: [2, 16, 9, 7] }]);
    expect(() => rule(node('BinaryConv', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], pad_value: -1 }), [bin([2, 9, 7, 64]), bin([16, 3, 3, 64]), f([16])])).toThrow(/layer7.*in_channels/);
    expect(() => rule(node('BinaryConv', { ...attrs, in_channels: 70 }), [bin([2, 9, 7, 64]), bin([16, 3, 3, 64]), f([16])])).toThrow(/96 channel bits/);
    expect(() => rule(node('BinaryConv', attrs), [bin([2, 9, 7, 64]), bin([16, 3, 3, 64]), f([16]), undefined, f([3, 40])])).toThrow(/no thresholds/);
    expect(() => rule(node('BinaryConv', { ...attrs, zero_sign: 0 }), [bin([2, 9, 7, 64]), bin([16, 3, 3, 64]), f([16])])).toThrow(/zero_sign must be -1/);
    expect(() => rule(node('BinaryConv', attrs), [f([2, 40, 9, 7]), bin([16, 3, 3, 64]), f([16])])).toThrow(/only for bit-packed X/);
    expect(() => binaryShapeRules['BinaryWeightConv']!(node('BinaryWeightConv', { kernel_shape: [3, 3], in_channels: 40 }), [bin([2, 9, 7, 64]), bin([16, 3, 3, 64]), f([16])])).toThrow(/float tensor/);
  });

  it('BinaryConvBits: packed NHWC output, optional fused pooling (ceil_mode, pads), Q checked', () => {
    const rule = binaryShapeRules['BinaryConvBits']!;
    const q = (m: number): InputInfo => ({ dtype: 'i32', shape: [3, m] });
    const conv = { kernel_shape: [3, 3], pads: [1, 1, 1, 1] };
    expect(rule(node('BinaryConvBits', conv), [f([1, 40, 9, 7]), bin([36, 3, 3, 64]), q(36), f([3, 40])])).toEqual([{ dtype: 'binary', shape: [1, 9, 7, 64] }]);
    const pooled = { ...conv, in_channels: 40, pool_kernel_shape: [2, 2], pool_strides: [2, 2] };
    expect(rule(node('BinaryConvBits', pooled), [bin([2, 9, 7, 64]), bin([33, 3, 3, 64]), q(33)])[0]).toEqual({ dtype: 'binary', shape: [2, 4, 3, 64] });
    expect(rule(node('BinaryConvBits', { ...pooled, pool_ceil_mode: 1 }), [bin([2, 9, 7, 64]), bin([33, 3, 3, 64]), q(33)])[0]!.shape).toEqual([2, 5, 4, 64]);
    expect(rule(node('BinaryConvBits', { ...pooled, pool_kernel_shape: [3, 3], pool_pads: [1, 1, 1, 1] }), [bin([2, 9, 7, 64]), bin([5, 3, 3, 64]), q(5)])[0]!.shape).toEqual([2, 5, 4, 32]);
    expect(() => rule(node('BinaryConvBits', conv), [f([1, 40, 9, 7]), bin([36, 3, 3, 64]), q(35)])).toThrow(/Q must be i32 \[3, 36\]/);
    expect(() => rule(node('BinaryConvBits', conv), [f([1, 40, 9, 7]), bin([36, 3, 3, 64]), f([3, 36])])).toThrow(/Q must be i32/);
    expect(() => rule(node('BinaryConvBits', pooled), [bin([2, 9, 7, 64]), bin([33, 3, 3, 64]), q(33), f([3, 40])])).toThrow(/no thresholds/);
    // A window that lies entirely in the padding (taps at -1 and 2 of a 2-wide map) is refused.
    const sparse = { kernel_shape: [1, 1], pool_kernel_shape: [2, 2], pool_dilations: [3, 3], pool_pads: [1, 1, 1, 1] };
    expect(() => rule(node('BinaryConvBits', sparse), [f([1, 4, 2, 2]), bin([4, 1, 1, 32]), q(4)])).toThrow(/entirely in the padding/);
  });
});
