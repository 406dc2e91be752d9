/** Shape rules of the Winograd ops (src/graph/ops/winograd.ts): tile counts, padding, and the errors they raise. */
import { describe, expect, it } from 'vitest';
import { GraphError, type Node } from '../../../src/graph/ir.js';
import { shapeRules } from '../../../src/graph/ops/registry.js';
import { winogradTiles } from '../../../src/graph/ops/winograd.js';

const node = (op: string, attrs: Node['attrs'] = {}): Node => ({ name: 'n', op, inputs: [], outputs: ['y'], attrs });
const f32 = (shape: number[]) => ({ dtype: 'f32' as const, shape });

describe('Winograd shape rules', () => {
  it('tiles: ceil(OH/2) x ceil(OW/2) per image, padded to 16', () => {
    expect(winogradTiles(2, 7, 9)).toEqual({ th: 4, tw: 5, tiles: 40, tilesPadded: 48 });
    expect(winogradTiles(1, 56, 56)).toEqual({ th: 28, tw: 28, tiles: 784, tilesPadded: 784 });
  });

  it('WinogradInput: V [16, C, Tp] from X and the pads', () => {
    const rule = shapeRules['WinogradInput']!;
    expect(rule(node('WinogradInput', { pads: [1, 1, 1, 1] }), [f32([2, 5, 7, 9])])[0]!.shape).toEqual([16, 5, 48]);
    // No padding: OH = 5, OW = 7 -> 3 x 4 tiles per image.
    expect(rule(node('WinogradInput', { pads: [0, 0, 0, 0] }), [f32([1, 3, 7, 9])])[0]!.shape).toEqual([16, 3, 16]);
    expect(() => rule(node('WinogradInput', { pads: [3, 0, 0, 0] }), [f32([1, 3, 7, 9])])).toThrow(GraphError);
    expect(() => rule(node('WinogradInput', { pads: [0, 0, 0, 0] }), [f32([1, 3, 2, 9])])).toThrow(/smaller than the 3×3 kernel/);
    expect(() => rule(node('WinogradInput', { pads: [1, 1, 1, 1] }), [f32([1, 3, 9])])).toThrow(GraphError);
  });

  it('WinogradGemm: M [16, Tp, Kp] with Kp = ceil(K / 8) * 8; W must match V', () => {
    const rule = shapeRules['WinogradGemm']!;
    expect(rule(node('WinogradGemm'), [f32([16, 5, 48]), f32([11, 5, 3, 3])])[0]!.shape).toEqual([16, 48, 16]);
    expect(() => rule(node('WinogradGemm'), [f32([16, 5, 48]), f32([11, 4, 3, 3])])).toThrow(/W must be/);
    expect(() => rule(node('WinogradGemm'), [f32([16, 5, 40]), f32([11, 5, 3, 3])])).toThrow(/multiple of 16/);
  });

  it('WinogradOutput: Y = output_shape, checked against M, bias and residual', () => {
    const rule = shapeRules['WinogradOutput']!;
    const n = node('WinogradOutput', { output_shape: [2, 11, 7, 9], activation: 'relu' });
    expect(rule(n, [f32([16, 48, 16]), f32([11]), f32([2, 11, 7, 9])])[0]!.shape).toEqual([2, 11, 7, 9]);
    expect(() => rule(n, [f32([16, 32, 16])])).toThrow(/M must be/);
    expect(() => rule(n, [f32([16, 48, 16]), f32([12])])).toThrow(/bias/);
    expect(() => rule(n, [f32([16, 48, 16]), undefined, f32([2, 11, 7, 8])])).toThrow(/residual/);
    expect(() => rule(node('WinogradOutput', { output_shape: [2, 11, 7] }), [f32([16, 48, 16])])).toThrow(/output_shape/);
    expect(() => rule(node('WinogradOutput', { output_shape: [2, 11, 7, 9], activation: 'mish' }), [f32([16, 48, 16])])).toThrow(/activation/);
  });

  it('tile = 4: ceil(OH/4) x ceil(OW/4) tiles, 36 elements per tile; tile must be 2 or 4 on every node', () => {
    expect(winogradTiles(2, 7, 9, 4)).toEqual({ th: 2, tw: 3, tiles: 12, tilesPadded: 16 });
    expect(winogradTiles(1, 56, 56, 4)).toEqual({ th: 14, tw: 14, tiles: 196, tilesPadded: 208 });
    const input = shapeRules['WinogradInput']!;
    expect(input(node('WinogradInput', { tile: 4, pads: [1, 1, 1, 1] }), [f32([2, 5, 7, 9])])[0]!.shape).toEqual([36, 5, 16]);
    const gemm = shapeRules['WinogradGemm']!;
    expect(gemm(node('WinogradGemm', { tile: 4 }), [f32([36, 5, 16]), f32([11, 5, 3, 3])])[0]!.shape).toEqual([36, 16, 16]);
    // A V of the other tile size is refused.
    expect(() => gemm(node('WinogradGemm', { tile: 4 }), [f32([16, 5, 48]), f32([11, 5, 3, 3])])).toThrow(/V must be \[36/);
    expect(() => gemm(node('WinogradGemm'), [f32([36, 5, 16]), f32([11, 5, 3, 3])])).toThrow(/V must be \[16/);
    const output = shapeRules['WinogradOutput']!;
    const n4 = node('WinogradOutput', { tile: 4, output_shape: [2, 11, 7, 9] });
    expect(output(n4, [f32([36, 16, 16])])[0]!.shape).toEqual([2, 11, 7, 9]);
    expect(() => output(n4, [f32([16, 48, 16])])).toThrow(/M must be \[36, 16, 16\]/);
    for (const tile of [3, 0, 'four'])
      expect(() => input(node('WinogradInput', { tile, pads: [1, 1, 1, 1] } as Node['attrs']), [f32([1, 3, 7, 9])])).toThrow(/tile .* must be 2 or 4/);
  });
});
