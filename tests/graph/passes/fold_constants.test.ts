import { describe, expect, it } from 'vitest';
import { foldConstantArithmetic } from '../../../src/graph/passes/index.js';
import { GraphBuilder, addConv, expectEquivalent, opsOf, randomInput, snapshot, tensorF32, uniform } from './helpers.js';

const TOL = 1e-6;

describe('foldConstantArithmetic', () => {
  it('folds scalar and per-channel Mul / Div / Add / Sub chains into the conv', () => {
    for (const seed of [1, 2, 3]) {
      const b = new GraphBuilder();
      b.input('x', 'f32', [2, 3, 6, 6]);
      let y = addConv(b, 'x', 3, 5, seed * 31, { bias: seed !== 2 });
      b.init('p', tensorF32([], [0.8]));
      y = b.node('Mul', [y, 'p']); // stochastic depth survival probability
      b.init('k', tensorF32([5, 1, 1], uniform(5, seed, 0.5, 2)));
      y = b.node('Mul', ['k', y]);
      b.init('d', tensorF32([1, 5, 1, 1], uniform(5, seed + 1, 0.5, 2)));
      y = b.node('Div', [y, 'd']);
      b.init('a', tensorF32([5, 1, 1], uniform(5, seed + 2)));
      y = b.node('Add', ['a', y]);
      b.init('s', tensorF32([1], [0.3]));
      y = b.node('Sub', [y, 's']);
      b.init('t', tensorF32([5, 1, 1], uniform(5, seed + 3)));
      y = b.node('Sub', ['t', y]);
      b.output(b.node('Relu', [y]));
      const g = b.build();
      const before = snapshot(g);
      const out = foldConstantArithmetic(g);
      expect(snapshot(g)).toBe(before);
      expect(opsOf(out)).toEqual(['Conv', 'Relu']);
      expectEquivalent(out, g, { x: randomInput([2, 3, 6, 6], seed) }, TOL);
    }
  });

  it('folds per-column constants into Gemm weights and C', () => {
    const b = new GraphBuilder();
    b.input('a', 'f32', [3, 4]);
    b.init('w', tensorF32([6, 4], uniform(24, 5)));
    b.init('c', tensorF32([6], uniform(6, 6)));
    let y = b.node('Gemm', ['a', 'w', 'c'], { transB: 1, beta: 0.5 });
    b.init('k', tensorF32([6], uniform(6, 7, 0.5, 1.5)));
    y = b.node('Mul', [y, 'k']);
    b.init('q', tensorF32([1, 6], uniform(6, 8)));
    y = b.node('Add', [y, 'q']);
    b.output(y);
    const g = b.build();
    const out = foldConstantArithmetic(g);
    expect(opsOf(out)).toEqual(['Gemm']);
    expectEquivalent(out, g, { a: randomInput([3, 4], 9) }, TOL);
  });

  it('leaves constants that vary along spatial axes, division of a constant, and shared outputs alone', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 2, 4, 4]);
    const y1 = addConv(b, 'x', 2, 2, 1);
    b.init('sp', tensorF32([1, 4, 1], uniform(4, 2)));
    b.output(b.node('Mul', [y1, 'sp']));
    const y2 = addConv(b, 'x', 2, 2, 3);
    b.init('num', tensorF32([], [2]));
    b.output(b.node('Div', ['num', y2]));
    const y3 = addConv(b, 'x', 2, 2, 4);
    b.init('two', tensorF32([], [2]));
    b.output(b.node('Mul', [y3, 'two']));
    b.output(y3);
    const g = b.build();
    const out = foldConstantArithmetic(g);
    expect(opsOf(out)).toEqual(opsOf(g));
    expectEquivalent(out, g, { x: randomInput([1, 2, 4, 4], 5) });
  });
});
