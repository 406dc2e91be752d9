import { describe, expect, it } from 'vitest';
import { fuseEpilogues } from '../../../src/graph/passes/index.js';
import type { Attrs, Graph } from '../../../src/graph/ir.js';
import { GraphBuilder, addConv, expectEquivalent, opsOf, randomInput, relativeError, run, snapshot, tensorF32, uniform } from './helpers.js';

const ACTIVATIONS: [string, Attrs, string][] = [
  ['Relu', {}, 'relu'],
  ['Clip', { min: 0, max: 6 }, 'clip'],
  ['Clip', { min: -0.5, max: 0.25 }, 'clip'],
  ['LeakyRelu', { alpha: 0.1 }, 'leaky_relu'],
  ['HardSwish', {}, 'hard_swish'],
  ['HardSigmoid', { alpha: 0.3, beta: 0.4 }, 'hard_sigmoid'],
  ['Sigmoid', {}, 'sigmoid'],
  ['Tanh', {}, 'tanh'],
];

function onlyNode(g: Graph) {
  expect(g.nodes).toHaveLength(1);
  return g.nodes[0]!;
}

describe('fuseEpilogues: activations', () => {
  it.each(ACTIVATIONS)('Conv -> %s %j becomes one FusedConv, bit-exact on the CPU', (op, attrs, activation) => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [2, 3, 5, 5]);
    const y = addConv(b, 'x', 3, 4, 11);
    b.output(b.node(op, [y], attrs));
    const g = b.build();
    const before = snapshot(g);
    const out = fuseEpilogues(g);
    expect(snapshot(g)).toBe(before);
    const n = onlyNode(out);
    expect(n.op).toBe('FusedConv');
    expect(n.attrs['activation']).toBe(activation);
    expectEquivalent(out, g, { x: randomInput([2, 3, 5, 5], 12) });
  });

  it.each([false, true])('SiLU written as Mul(y, Sigmoid(y)) (operands swapped: %s)', (swapped) => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 3, 5, 5]);
    const y = addConv(b, 'x', 3, 4, 21);
    const s = b.node('Sigmoid', [y]);
    b.output(b.node('Mul', swapped ? [s, y] : [y, s]));
    const g = b.build();
    const n = onlyNode(fuseEpilogues(g));
    expect(n.attrs['activation']).toBe('silu');
    expectEquivalent(fuseEpilogues(g), g, { x: randomInput([1, 3, 5, 5], 22) });
  });

  // PyTorch (opset < 14) exports nn.Hardswish as Mul(y, HardSigmoid(y, alpha = f32(1/6))): all of MobileNetV3.
  const F32_SIXTH = Math.fround(1 / 6);
  /** Inputs in [-4, 4): conv outputs cross both HardSwish clamps (y < -3, y > 3). */
  const wideInput = (shape: number[], seed: number) => tensorF32(shape, uniform(shape.reduce((a, d) => a * d, 1), seed, -4, 4));

  it.each([false, true])('HardSwish written as Mul(y, HardSigmoid(y)) (operands swapped: %s), CPU within 1e-6', (swapped) => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [2, 3, 6, 6]);
    const y = addConv(b, 'x', 3, 8, 81, { strides: 2 });
    const g = b.node('HardSigmoid', [y], { alpha: F32_SIXTH });
    b.output(b.node('Mul', swapped ? [g, y] : [y, g]));
    const graph = b.build();
    const before = snapshot(graph);
    const out = fuseEpilogues(graph);
    expect(snapshot(graph)).toBe(before);
    const n = onlyNode(out);
    expect(n.op).toBe('FusedConv');
    expect(n.attrs['activation']).toBe('hard_swish');
    const x = wideInput([2, 3, 6, 6], 82);
    const got = run(out, { x });
    const want = run(graph, { x });
    expect(relativeError(got, want)).toBeLessThanOrEqual(1e-6);
    // The inputs really reach both clamps and the curved part (else the test proves little).
    const v = Array.from(Object.values(want)[0]!.data as Float32Array);
    expect(v.some((t) => t === 0)).toBe(true); // y <= -3
    expect(v.some((t) => t > 3)).toBe(true); // y >= 3: identity
    expect(v.some((t) => t < 0)).toBe(true); // -3 < y < 0
  });

  it('HardSwish pattern after a folded bias Add and a residual Add: hard_swish(conv + b + r)', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 4, 5, 5]);
    b.input('r', 'f32', [1, 4, 5, 5]);
    b.init('k', tensorF32([1, 4, 1, 1], uniform(4, 83)));
    const y = b.node('Add', [b.node('Add', [addConv(b, 'x', 4, 4, 84), 'k']), 'r']);
    b.output(b.node('Mul', [y, b.node('HardSigmoid', [y], { alpha: F32_SIXTH, beta: 0.5 })]));
    const graph = b.build();
    const n = onlyNode(fuseEpilogues(graph));
    expect(n.attrs['activation']).toBe('hard_swish');
    expect(n.inputs).toHaveLength(4); // X, W, B, R
    const inputs = { x: wideInput([1, 4, 5, 5], 85), r: wideInput([1, 4, 5, 5], 86) };
    expect(relativeError(run(fuseEpilogues(graph), inputs), run(graph, inputs))).toBeLessThanOrEqual(1e-6);
  });

  it('Gemm -> Mul(y, HardSigmoid(y)) becomes FusedGemm hard_swish (MobileNetV3 classifier)', () => {
    const b = new GraphBuilder();
    b.input('a', 'f32', [2, 8]);
    b.init('w', tensorF32([6, 8], uniform(48, 87, -2, 2)));
    b.init('c', tensorF32([6], uniform(6, 88)));
    const y = b.node('Gemm', ['a', 'w', 'c'], { transB: 1 });
    b.output(b.node('Mul', [b.node('HardSigmoid', [y], { alpha: F32_SIXTH }), y]));
    const graph = b.build();
    const n = onlyNode(fuseEpilogues(graph));
    expect(n.op).toBe('FusedGemm');
    expect(n.attrs['activation']).toBe('hard_swish');
    const inputs = { a: wideInput([2, 8], 89) };
    expect(relativeError(run(fuseEpilogues(graph), inputs), run(graph, inputs))).toBeLessThanOrEqual(1e-6);
  });

  it('does not take Mul(y, HardSigmoid(y)) with other constants, a shared gate, or a second activation for HardSwish', () => {
    // alpha 0.2 (ONNX default): y * hard_sigmoid(y) is not HardSwish; the conv keeps two readers, nothing fuses.
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 3, 5, 5]);
    const y = addConv(b, 'x', 3, 4, 90);
    b.output(b.node('Mul', [y, b.node('HardSigmoid', [y])]));
    const y2 = addConv(b, 'x', 3, 4, 91);
    b.output(b.node('Mul', [y2, b.node('HardSigmoid', [y2], { alpha: F32_SIXTH, beta: 0.4 })]));
    // The gate is also a graph output: it must stay.
    const y3 = addConv(b, 'x', 3, 4, 92);
    const g3 = b.node('HardSigmoid', [y3], { alpha: F32_SIXTH });
    b.output(g3);
    b.output(b.node('Mul', [y3, g3]));
    const graph = b.build();
    expect(opsOf(fuseEpilogues(graph))).toEqual(opsOf(graph));
    // After a Relu (one activation already absorbed) the pattern is left alone.
    const b2 = new GraphBuilder();
    b2.input('x', 'f32', [1, 3, 5, 5]);
    const r = b2.node('Relu', [addConv(b2, 'x', 3, 4, 93)]);
    b2.output(b2.node('Mul', [r, b2.node('HardSigmoid', [r], { alpha: F32_SIXTH })]));
    const g2 = b2.build();
    const fused = fuseEpilogues(g2);
    expect(opsOf(fused)).toEqual(['FusedConv', 'HardSigmoid', 'Mul']);
    expect(fused.nodes[0]!.attrs['activation']).toBe('relu');
    expectEquivalent(fused, g2, { x: randomInput([1, 3, 5, 5], 94) });
  });

  it('Gemm -> Relu becomes a FusedGemm', () => {
    const b = new GraphBuilder();
    b.input('a', 'f32', [2, 8]);
    b.init('w', tensorF32([5, 8], uniform(40, 3)));
    b.init('c', tensorF32([5], uniform(5, 4)));
    b.output(b.node('Relu', [b.node('Gemm', ['a', 'w', 'c'], { transB: 1 })]));
    const g = b.build();
    const n = onlyNode(fuseEpilogues(g));
    expect(n.op).toBe('FusedGemm');
    expectEquivalent(fuseEpilogues(g), g, { a: randomInput([2, 8], 5) });
  });
});

describe('fuseEpilogues: bias', () => {
  it('merges a per-channel constant Add into the bias of a conv (with or without bias) and a gemm', () => {
    for (const hasBias of [false, true]) {
      const b = new GraphBuilder();
      b.input('x', 'f32', [1, 3, 5, 5]);
      const y = addConv(b, 'x', 3, 4, 31, { bias: hasBias });
      b.init('bias_c', tensorF32([4, 1, 1], uniform(4, 32)));
      b.output(b.node('Relu', [b.node('Add', ['bias_c', y])]));
      const g = b.build();
      const out = fuseEpilogues(g);
      const n = onlyNode(out);
      expect(n.inputs).toHaveLength(3);
      expect(n.attrs['activation']).toBe('relu');
      expectEquivalent(out, g, { x: randomInput([1, 3, 5, 5], 33) }, 1e-6);
    }
    const b = new GraphBuilder();
    b.input('a', 'f32', [3, 4]);
    b.init('w', tensorF32([4, 6], uniform(24, 34)));
    b.init('c', tensorF32([3, 6], uniform(18, 35)));
    b.init('d', tensorF32([6], uniform(6, 36)));
    b.output(b.node('Tanh', [b.node('Add', [b.node('Gemm', ['a', 'w', 'c'], { beta: 0.5 }), 'd'])]));
    const g = b.build();
    const out = fuseEpilogues(g);
    expect(onlyNode(out).op).toBe('FusedGemm');
    expectEquivalent(out, g, { a: randomInput([3, 4], 37) }, 1e-6);
  });
});

describe('fuseEpilogues: residual', () => {
  /** Basic ResNet block; the downsample conv comes after the main branch, as PyTorch exports it. */
  function resnetBlock(downsample: boolean): Graph {
    const b = new GraphBuilder();
    b.input('x', 'f32', [2, 4, 6, 6]);
    const stem = b.node('Relu', [addConv(b, 'x', 4, 4, 41)]);
    const c1 = b.node('Relu', [addConv(b, stem, 4, 6, 42, { strides: downsample ? 2 : 1 })]);
    const c2 = addConv(b, c1, 6, downsample ? 6 : 4, 43);
    const shortcut = downsample ? addConv(b, stem, 4, 6, 44, { k: 1, pads: 0, strides: 2 }) : stem;
    b.output(b.node('Relu', [b.node('Add', [c2, shortcut])]));
    return b.build();
  }

  it('identity shortcut: relu(conv + x) becomes FusedConv with R, bit-exact', () => {
    const g = resnetBlock(false);
    const out = fuseEpilogues(g);
    expect(opsOf(out)).toEqual(['FusedConv', 'FusedConv', 'FusedConv']);
    const last = out.nodes[2]!;
    expect(last.inputs[3]).toBe(out.nodes[0]!.outputs[0]);
    expect(last.attrs['activation']).toBe('relu');
    expect(last.attrs['residual_after_activation'] ?? 0).toBe(0);
    expectEquivalent(out, g, { x: randomInput([2, 4, 6, 6], 45) });
  });

  it('downsample shortcut computed after the main branch: the fused conv moves to the Add', () => {
    const g = resnetBlock(true);
    const out = fuseEpilogues(g);
    expect(opsOf(out)).toEqual(['FusedConv', 'FusedConv', 'Conv', 'FusedConv']);
    const fused = out.nodes[3]!;
    expect(fused.name).toBe('conv43');
    expect(fused.inputs[3]).toBe(out.nodes[2]!.outputs[0]);
    expect(fused.attrs['activation']).toBe('relu');
    expectEquivalent(out, g, { x: randomInput([2, 4, 6, 6], 46) });
  });

  it('option-A shortcut (Slice + Pad after the conv) is absorbed as the residual', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 4, 8, 8]);
    const c = addConv(b, 'x', 4, 8, 81, { strides: 2 });
    const sub = b.node('Slice', ['x'], { starts: [0, 0], ends: [8, 8], axes: [2, 3], steps: [2, 2] });
    const sc = b.node('Pad', [sub], { pads: [0, 2, 0, 0, 0, 2, 0, 0] });
    b.output(b.node('Relu', [b.node('Add', [c, sc])]));
    const g = b.build();
    const out = fuseEpilogues(g);
    expect(opsOf(out)).toEqual(['Slice', 'Pad', 'FusedConv']);
    expect(out.nodes[2]!.inputs[3]).toBe(sc);
    expectEquivalent(out, g, { x: randomInput([1, 4, 8, 8], 82) });
  });

  it('residual after the activation: act(conv) + r', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 3, 5, 5]);
    const y = b.node('Clip', [addConv(b, 'x', 3, 3, 51)], { min: 0, max: 6 });
    const z = b.node('Add', ['x', y]);
    b.output(b.node('Relu', [z]));
    const g = b.build();
    const out = fuseEpilogues(g);
    expect(opsOf(out)).toEqual(['FusedConv', 'Relu']);
    expect(out.nodes[0]!.attrs['residual_after_activation']).toBe(1);
    expectEquivalent(out, g, { x: randomInput([1, 3, 5, 5], 52) });
  });

  it('does not absorb a broadcasting Add, or residuals when disabled', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 3, 5, 5]);
    b.input('r', 'f32', [1, 3, 1, 1]);
    const y = addConv(b, 'x', 3, 3, 61);
    b.output(b.node('Add', [y, 'r']));
    const g = b.build();
    expect(opsOf(fuseEpilogues(g))).toEqual(['Conv', 'Add']);

    const b2 = new GraphBuilder();
    b2.input('x', 'f32', [1, 3, 5, 5]);
    b2.output(b2.node('Relu', [b2.node('Add', [addConv(b2, 'x', 3, 3, 62), 'x'])]));
    const g2 = b2.build();
    expect(opsOf(fuseEpilogues(g2, { residual: false }))).toEqual(['Conv', 'Add', 'Relu']);
    expect(opsOf(fuseEpilogues(g2))).toEqual(['FusedConv']);
  });

  it('never absorbs an intermediate that is a graph output or has a second use', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 3, 5, 5]);
    const y = addConv(b, 'x', 3, 3, 71);
    b.output(y);
    b.output(b.node('Relu', [y]));
    const y2 = addConv(b, 'x', 3, 3, 72);
    b.output(b.node('Relu', [y2]));
    b.output(b.node('Sigmoid', [y2]));
    const g = b.build();
    expect(opsOf(fuseEpilogues(g))).toEqual(opsOf(g));
  });
});
