import { describe, expect, it } from 'vitest';
import { matmulLayout } from '../../../src/graph/ops/gemm.js';
import { f32, infer, info, shapeOf } from './helpers.js';

describe('Gemm', () => {
  it('handles transposes and a broadcast C', () => {
    expect(infer('Gemm', [f32(2, 512), f32(1000, 512), f32(1000)], { transB: 1 })).toEqual([{ dtype: 'f32', shape: [2, 1000] }]);
    expect(shapeOf('Gemm', [f32(7, 3), f32(7, 5)], { transA: 1 })).toEqual([3, 5]);
    expect(shapeOf('Gemm', [f32(4, 3), f32(5, 3), f32(4, 1)], { transB: 1 })).toEqual([4, 5]);
    expect(shapeOf('Gemm', [f32(-1, 3), f32(3, 5), f32(1, 5)])).toEqual([-1, 5]);
  });

  it('rejects inner dim mismatches and bad C', () => {
    expect(() => infer('Gemm', [f32(2, 512), f32(1000, 256)], { transB: 1 }, 1, 'fc')).toThrowError(/Gemm node 'fc': inner dims differ/);
    expect(() => infer('Gemm', [f32(2, 3), f32(3, 5), f32(2, 5, 1)], {}, 1, 'fc')).toThrowError(/rank <= 2/);
    expect(() => infer('Gemm', [f32(2, 3), f32(3, 5), f32(4)], {}, 1, 'fc')).toThrowError(/not broadcastable/);
    expect(() => infer('Gemm', [f32(1, 3), f32(3, 5), f32(2, 5)], {}, 1, 'fc')).toThrowError(/does not broadcast to \[1, 5\]/);
    expect(() => infer('Gemm', [f32(2, 3, 1), f32(3, 5)], {}, 1, 'fc')).toThrowError(/A must be 2-D/);
  });
});

describe('MatMul (numpy semantics)', () => {
  it('promotes 1-D operands and broadcasts batch dims', () => {
    expect(shapeOf('MatMul', [f32(3), f32(3, 4)])).toEqual([4]);
    expect(shapeOf('MatMul', [f32(2, 3), f32(3)])).toEqual([2]);
    expect(shapeOf('MatMul', [f32(4), f32(4)])).toEqual([]);
    expect(shapeOf('MatMul', [f32(2, 1, 3, 4), f32(5, 4, 6)])).toEqual([2, 5, 3, 6]);
    expect(shapeOf('MatMul', [f32(7, 3), f32(2, 3, 4)])).toEqual([2, 7, 4]);
    expect(infer('MatMul', [info('f16', [1, 8]), f32(8, 2)])).toEqual([{ dtype: 'f32', shape: [1, 2] }]);
  });

  it('rejects mismatched inner or batch dims', () => {
    expect(() => infer('MatMul', [f32(2, 3), f32(4, 5)], {}, 1, 'mm')).toThrowError(/MatMul node 'mm': inner dims differ/);
    expect(() => infer('MatMul', [f32(2, 2, 3), f32(3, 3, 4)], {}, 1, 'mm')).toThrowError(/not broadcastable/);
    expect(() => infer('MatMul', [f32(2, 3), info('i64', [3, 1])], {}, 1, 'mm')).toThrowError(/dtype/);
  });
});

describe('matmulLayout (the products kernels run for a MatMul)', () => {
  it('merges contiguous batch dims, drops size-1 ones and keeps broadcast strides at 0', () => {
    // MaxViT attention: [1, G, H] batches of two dense operands are one batch dim.
    expect(matmulLayout([1, 4, 2, 49, 32], [1, 4, 2, 32, 49])).toEqual({ m: 49, k: 32, n: 49, batchShape: [8], aBatchStrides: [49 * 32], bBatchStrides: [32 * 49] });
    // A broadcast over the outer dim: not mergeable with the inner one.
    expect(matmulLayout([1, 3, 7, 5], [2, 3, 5, 6])).toEqual({ m: 7, k: 5, n: 6, batchShape: [2, 3], aBatchStrides: [0, 35], bBatchStrides: [90, 30] });
    // 2-D A against batched B.
    expect(matmulLayout([7, 5], [3, 5, 6])).toEqual({ m: 7, k: 5, n: 6, batchShape: [3], aBatchStrides: [0], bBatchStrides: [30] });
  });

  it('folds a batch only A has into M (a Linear on tokens), and promotes 1-D operands', () => {
    expect(matmulLayout([2, 50, 64], [64, 96])).toEqual({ m: 100, k: 64, n: 96, batchShape: [], aBatchStrides: [], bBatchStrides: [] });
    expect(matmulLayout([7], [3, 7, 5])).toEqual({ m: 1, k: 7, n: 5, batchShape: [3], aBatchStrides: [0], bBatchStrides: [35] });
    expect(matmulLayout([2, 4, 7], [7])).toEqual({ m: 8, k: 7, n: 1, batchShape: [], aBatchStrides: [], bBatchStrides: [] });
  });

  it('is undefined when the shapes do not multiply', () => {
    expect(matmulLayout([2, 3], [4, 5])).toBeUndefined();
    expect(matmulLayout([2, 2, 3], [3, 3, 4])).toBeUndefined();
  });
});
