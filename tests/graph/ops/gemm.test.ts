import { describe, expect, it } from 'vitest';
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
