import { describe, expect, it } from 'vitest';
import { foldBatchNormBackward, foldBatchNormForward } from '../../../src/graph/passes/index.js';
import { GraphBuilder, addBn, addConv, expectEquivalent, opsOf, randomInput, snapshot, tensorF32, uniform } from './helpers.js';

const TOL = 1e-6;

describe('foldBatchNormBackward', () => {
  it('folds BN into the preceding Conv (bias / no bias, grouped, depthwise) on seeded random graphs', () => {
    const cases = [
      { cin: 3, cout: 8, group: 1, bias: true },
      { cin: 4, cout: 6, group: 1, bias: false },
      { cin: 4, cout: 8, group: 2, bias: true },
      { cin: 6, cout: 6, group: 6, bias: false },
    ];
    cases.forEach((c, i) => {
      const seed = 100 + i * 17;
      const b = new GraphBuilder();
      b.input('x', 'f32', [2, c.cin, 7, 7]);
      const y = addConv(b, 'x', c.cin, c.cout, seed, { group: c.group, bias: c.bias });
      const z = addBn(b, y, c.cout, seed + 1);
      b.output(b.node('Relu', [z]));
      const g = b.build();
      const before = snapshot(g);
      const out = foldBatchNormBackward(g);
      expect(snapshot(g)).toBe(before);
      expect(opsOf(out)).toEqual(['Conv', 'Relu']);
      expect(out.nodes[0]!.inputs).toHaveLength(3);
      expectEquivalent(out, g, { x: randomInput([2, c.cin, 7, 7], seed) }, TOL);
    });
  });

  it('inPlace (OptimizeOptions.ownsWeights): scales an unshared conv W where it lies, bit-identical to the copy', () => {
    const build = () => {
      const b = new GraphBuilder();
      b.input('x', 'f32', [1, 5, 6, 6]);
      const y = addConv(b, 'x', 5, 7, 41, { bias: true });
      const z = addBn(b, y, 7, 42);
      b.output(b.node('Relu', [z]));
      return b.build();
    };
    const g = build();
    const w = g.initializers.get(g.nodes[0]!.inputs[1]!)!.data;
    const copied = foldBatchNormBackward(build());
    const inPlace = foldBatchNormBackward(g, { inPlace: true });
    const folded = inPlace.initializers.get(inPlace.nodes[0]!.inputs[1]!)!.data as Float32Array;
    expect(folded).toBe(w); // the same array, rescaled
    expect(Array.from(folded)).toEqual(Array.from(copied.initializers.get(copied.nodes[0]!.inputs[1]!)!.data as Float32Array));
    expectEquivalent(inPlace, build(), { x: randomInput([1, 5, 6, 6], 43) }, TOL);
  });

  it('inPlace copies a W that another node reads or that shares its array with another initializer', () => {
    // two convs on one W: the first conv's BN must not rescale the second conv's weights
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 4, 5, 5]);
    const y = addConv(b, 'x', 4, 4, 51, { name: 'c1' });
    const w = b.build().nodes[0]!.inputs[1]!;
    const y2 = b.node('Conv', ['x', w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'c2');
    const z = addBn(b, y, 4, 52);
    b.output(b.node('Add', [z, y2]));
    const shared = b.build();
    const ref = snapshot(shared);
    foldBatchNormBackward(shared, { inPlace: true });
    expect(snapshot(shared)).toBe(ref);
    // an alias: W2 is another initializer name over W's array (a constant-folded Reshape can leave one)
    const b2 = new GraphBuilder();
    b2.input('x', 'f32', [1, 4, 5, 5]);
    const y3 = addConv(b2, 'x', 4, 4, 53, { name: 'c3' });
    const g2 = b2.build();
    const wt = g2.initializers.get(g2.nodes[0]!.inputs[1]!)!;
    b2.init('alias', { ...wt, shape: [...wt.shape] });
    b2.output(b2.node('Relu', [addBn(b2, y3, 4, 54)]));
    b2.output('alias');
    const aliased = b2.build();
    const ref2 = snapshot(aliased);
    foldBatchNormBackward(aliased, { inPlace: true });
    expect(snapshot(aliased)).toBe(ref2);
  });

  it('does not fold when the conv output has another consumer', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 3, 5, 5]);
    const y = addConv(b, 'x', 3, 4, 5);
    const z = addBn(b, y, 4, 6);
    b.output(b.node('Add', [y, z]));
    const g = b.build();
    const out = foldBatchNormBackward(g);
    expect(opsOf(out)).toContain('BatchNormalization');
    expectEquivalent(out, g, { x: randomInput([1, 3, 5, 5], 1) });
  });

  it('folds BN into Gemm (transB 0/1, with and without C, alpha/beta != 1)', () => {
    const variants = [
      { transB: 0, c: undefined as number[] | undefined, alpha: 1, beta: 1 },
      { transB: 1, c: [5], alpha: 0.5, beta: 2 },
      { transB: 0, c: [1, 5], alpha: 1.5, beta: 0.25 },
      { transB: 1, c: [3, 5], alpha: 1, beta: 1 },
    ];
    variants.forEach((v, i) => {
      const seed = 300 + i * 11;
      const b = new GraphBuilder();
      b.input('a', 'f32', [3, 4]);
      b.init('w', tensorF32(v.transB ? [5, 4] : [4, 5], uniform(20, seed)));
      const inputs = ['a', 'w'];
      if (v.c) {
        b.init('c', tensorF32(v.c, uniform(v.c.reduce((p, q) => p * q, 1), seed + 1)));
        inputs.push('c');
      }
      const y = b.node('Gemm', inputs, { transB: v.transB, alpha: v.alpha, beta: v.beta });
      b.output(addBn(b, y, 5, seed + 2));
      const g = b.build();
      const out = foldBatchNormBackward(g);
      expect(opsOf(out)).toEqual(['Gemm']);
      expectEquivalent(out, g, { a: randomInput([3, 4], seed) }, TOL);
    });
  });

  it('turns MatMul with a constant 2-D operand + BN into a Gemm', () => {
    const b = new GraphBuilder();
    b.input('a', 'f32', [2, 6]);
    b.init('w', tensorF32([6, 4], uniform(24, 77)));
    const y = b.node('MatMul', ['a', 'w']);
    b.output(addBn(b, y, 4, 78));
    const g = b.build();
    const out = foldBatchNormBackward(g);
    expect(opsOf(out)).toEqual(['Gemm']);
    expectEquivalent(out, g, { a: randomInput([2, 6], 79) }, TOL);
  });

  it('leaves MatMul on a 3-D operand alone (BN would normalise another axis)', () => {
    const b = new GraphBuilder();
    b.input('a', 'f32', [2, 4, 6]);
    b.init('w', tensorF32([6, 4], uniform(24, 80)));
    const y = b.node('MatMul', ['a', 'w']);
    b.output(addBn(b, y, 4, 81));
    const g = b.build();
    expect(opsOf(foldBatchNormBackward(g))).toEqual(['MatMul', 'BatchNormalization']);
  });
});

describe('foldBatchNormForward', () => {
  it('folds BN into the following conv when it has no padding (grouped, strided)', () => {
    for (const [group, k, stride] of [
      [1, 1, 1],
      [2, 3, 2],
      [4, 3, 1],
    ] as const) {
      const seed = 500 + group * 10 + k;
      const b = new GraphBuilder();
      b.input('x', 'f32', [2, 4, 9, 9]);
      const n = addBn(b, 'x', 4, seed);
      const y = addConv(b, n, 4, 8, seed + 1, { k, pads: 0, strides: stride, group, bias: group !== 2 });
      b.output(y);
      const g = b.build();
      const out = foldBatchNormForward(g);
      expect(opsOf(out)).toEqual(['Conv']);
      expect(out.nodes[0]!.inputs[0]).toBe('x');
      expectEquivalent(out, g, { x: randomInput([2, 4, 9, 9], seed) }, TOL);
    }
  });

  it('does not fold forward into a padded conv (inexact at the borders)', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 4, 6, 6]);
    const n = addBn(b, 'x', 4, 1);
    b.output(addConv(b, n, 4, 4, 2, { k: 3, pads: 1 }));
    const g = b.build();
    expect(opsOf(foldBatchNormForward(g))).toEqual(['BatchNormalization', 'Conv']);
  });

  it('does not fold forward across a nonlinearity or into a second consumer', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 4, 6, 6]);
    const n = addBn(b, 'x', 4, 1);
    const r = b.node('Relu', [n]);
    b.output(addConv(b, r, 4, 4, 2, { k: 1, pads: 0 }));
    const n2 = addBn(b, 'x', 4, 3, 'bn_two_uses');
    b.output(addConv(b, n2, 4, 4, 4, { k: 1, pads: 0 }));
    b.output(b.node('Relu', [n2]));
    const g = b.build();
    expect(opsOf(foldBatchNormForward(g)).filter((o) => o === 'BatchNormalization')).toHaveLength(2);
  });
});
