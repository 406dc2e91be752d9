import { describe, expect, it } from 'vitest';
import { matMulToGemm, optimize } from '../../../src/graph/passes/index.js';
import { GraphBuilder, expectEquivalent, opsOf, randomInput, snapshot, tensorF32, uniform } from './helpers.js';

describe('matMulToGemm', () => {
  it('rewrites MatMul with a 2-D constant operand, bit-exact; optimize then folds the bias Add and fuses the Relu', () => {
    const b = new GraphBuilder();
    b.input('a', 'f32', [3, 6]);
    b.init('w', tensorF32([6, 4], uniform(24, 1)));
    b.init('bias', tensorF32([4], uniform(4, 2)));
    b.output(b.node('Relu', [b.node('Add', [b.node('MatMul', ['a', 'w']), 'bias'])]));
    const g = b.build();
    const before = snapshot(g);
    const out = matMulToGemm(g);
    expect(snapshot(g)).toBe(before);
    expect(opsOf(out)).toEqual(['Gemm', 'Add', 'Relu']);
    expectEquivalent(out, g, { a: randomInput([3, 6], 3) });
    const opt = optimize(g);
    expect(opsOf(opt)).toEqual(['FusedGemm']);
    expectEquivalent(opt, g, { a: randomInput([3, 6], 4) }, 1e-6);
  });

  it('leaves non-constant operands alone; a rank-3 A with a constant B goes through a 2-D view', () => {
    const b = new GraphBuilder();
    b.input('a', 'f32', [2, 3, 6]);
    b.input('c', 'f32', [5, 6]);
    b.input('d', 'f32', [18, 4]);
    b.init('w', tensorF32([6, 4], uniform(24, 1)));
    b.output(b.node('MatMul', ['a', 'w']));
    b.output(b.node('MatMul', [b.node('Relu', ['c'], {}, 'r'), 'w']));
    b.output(b.node('MatMul', [b.node('Flatten', ['a'], { axis: 1 }), 'd']));
    const g = b.build();
    const out = matMulToGemm(g);
    expect(opsOf(out)).toEqual(['Reshape', 'Gemm', 'Reshape', 'Relu', 'Gemm', 'Flatten', 'MatMul']);
    expectEquivalent(out, g, { a: randomInput([2, 3, 6], 5), c: randomInput([5, 6], 6), d: randomInput([18, 4], 7) });
  });

  it('rank-4 A: the private last-axis chain after the MatMul (bias, activation, scale) moves into the 2-D view', () => {
    const b = new GraphBuilder();
    b.input('a', 'f32', [1, 5, 7, 6]);
    b.init('w', tensorF32([6, 4], uniform(24, 1)));
    b.init('bias', tensorF32([4], uniform(4, 2)));
    b.init('scale', tensorF32([1, 4], uniform(4, 3)));
    b.init('scale4d', tensorF32([1, 1, 1, 4], uniform(4, 4)));
    const y = b.node('Mul', ['scale', b.node('Sigmoid', [b.node('Add', ['bias', b.node('MatMul', ['a', 'w'])])])]);
    b.output(b.node('Mul', [y, 'scale4d'])); // rank 4: would widen the 2-D view, stays after the way back
    const g = b.build();
    const out = matMulToGemm(g);
    expect(opsOf(out)).toEqual(['Reshape', 'Gemm', 'Add', 'Sigmoid', 'Mul', 'Reshape', 'Mul']);
    expect(out.nodes[0]!.attrs['shape']).toEqual([-1, 6]);
    expect(out.nodes[5]!.attrs['shape']).toEqual([1, 5, 7, 4]);
    expectEquivalent(out, g, { a: randomInput([1, 5, 7, 6], 8) });
    const opt = optimize(g);
    expect(opsOf(opt)).toEqual(['Reshape', 'FusedGemm', 'Mul', 'Reshape', 'Mul']);
    expectEquivalent(opt, g, { a: randomInput([1, 5, 7, 6], 9) }, 1e-6);
  });
});
