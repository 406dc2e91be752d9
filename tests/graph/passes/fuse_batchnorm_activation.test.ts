import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import type { Attrs, Graph } from '../../../src/graph/ir.js';
import { GraphError } from '../../../src/graph/ir.js';
import { inferShapes } from '../../../src/graph/infer.js';
import { binarize } from '../../../src/graph/passes/binarize.js';
import { OPTIMIZATIONS_OFF, fuseBatchNormActivation, optimize } from '../../../src/graph/passes/index.js';
import { GraphBuilder, addBn, addConv, expectEquivalent, opsOf, randomInput, snapshot, tensorF32 } from './helpers.js';

const count = (g: Graph, op: string) => g.nodes.filter((n) => n.op === op).length;

/** x -> BN -> activation (the activation node's ONNX op and attributes). */
function bnAct(op: string, attrs: Attrs = {}, shape = [2, 5, 4, 3]): Graph {
  const b = new GraphBuilder();
  b.input('x', 'f32', shape);
  b.output(b.node(op, [addBn(b, 'x', shape[1]!, 11, 'bn')], attrs, 'act'));
  return b.build();
}

/**
 * A DenseNet dense block (pre-activation): each layer reads the concat of everything before it through
 * BN -> ReLU -> 1x1 conv -> BN -> ReLU -> 3x3 conv; the first BN cannot fold (its input is a concat), the second
 * folds backward into the 1x1 conv. Then a transition BN -> ReLU -> 1x1 conv -> AveragePool.
 */
function denseBlock(c0: number, growth: number, layers: number): Graph {
  const b = new GraphBuilder();
  b.input('x', 'f32', [2, c0, 6, 6]);
  let features = ['x'];
  let c = c0;
  for (let l = 0; l < layers; l++) {
    const cat = features.length === 1 ? features[0]! : b.node('Concat', features, { axis: 1 }, `cat${l}`);
    const h = b.node('Relu', [addBn(b, cat, c, 100 + 10 * l, `bn_a${l}`)], {}, `relu_a${l}`);
    const bottleneck = addConv(b, h, c, 2 * growth, 200 + 10 * l, { k: 1, pads: 0, bias: false, name: `conv1_${l}` });
    const h2 = b.node('Relu', [addBn(b, bottleneck, 2 * growth, 300 + 10 * l, `bn_b${l}`)], {}, `relu_b${l}`);
    features = [...features, addConv(b, h2, 2 * growth, growth, 400 + 10 * l, { bias: false, name: `conv2_${l}` })];
    c += growth;
  }
  const cat = b.node('Concat', features, { axis: 1 }, 'cat_out');
  const t = b.node('Relu', [addBn(b, cat, c, 500, 'bn_t')], {}, 'relu_t');
  b.output(b.node('AveragePool', [addConv(b, t, c, c / 2, 600, { k: 1, pads: 0, bias: false, name: 'trans' })], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool'));
  return b.build();
}

describe('fuseBatchNormActivation: BatchNormalization -> activation becomes one FusedBatchNorm', () => {
  const cases: [string, Attrs, Attrs][] = [
    ['Relu', {}, { activation: 'relu' }],
    ['Clip', { min: 0, max: 6 }, { activation: 'clip', act_min: 0, act_max: 6 }],
    ['LeakyRelu', { alpha: 0.1 }, { activation: 'leaky_relu', act_alpha: 0.1 }],
    ['HardSigmoid', { alpha: 0.3, beta: 0.4 }, { activation: 'hard_sigmoid', act_alpha: 0.3, act_beta: 0.4 }],
    ['HardSwish', {}, { activation: 'hard_swish' }],
    ['Sigmoid', {}, { activation: 'sigmoid' }],
    ['Tanh', {}, { activation: 'tanh' }],
  ];
  it.each(cases)('BN -> %s: one node, same output name, bit-exact on the CPU', (op, attrs, expected) => {
    const g = bnAct(op, attrs);
    const before = snapshot(g);
    const out = fuseBatchNormActivation(g);
    expect(snapshot(g)).toBe(before); // the input graph is not mutated
    expect(opsOf(out)).toEqual(['FusedBatchNorm']);
    const fused = out.nodes[0]!;
    expect(fused.name).toBe('bn');
    expect(fused.inputs).toEqual(g.nodes[0]!.inputs);
    expect(fused.outputs).toEqual(['act_out']);
    expect(fused.attrs).toEqual({ epsilon: 1e-5, ...expected });
    expect(inferShapes(out).get('act_out')?.shape).toEqual([2, 5, 4, 3]);
    // Inputs in [-2, 2] spread the BN outputs over every branch of each activation (both signs, Clip's 6 via scale).
    const x = randomInput([2, 5, 4, 3], 7);
    x.data = (x.data as Float32Array).map((v) => v * 4);
    expectEquivalent(out, g, { x });
  });

  it('DenseNet block through optimize(): every BN -> ReLU left after folding is one node, bit-exact vs the flag off', () => {
    const g = denseBlock(4, 4, 3);
    // foldBatchNormIntoConv (tests/graph/passes/fold_batchnorm_conv.test.ts) would take every one into its 1x1 conv.
    const on = optimize(g, { foldBatchNormIntoConv: false });
    const off = optimize(g, { fuseBatchNormActivation: false });
    // Unfused: the 3 concat BNs + the transition BN stay BatchNormalization -> Relu (the 3 bottleneck BNs fold).
    expect(count(off, 'BatchNormalization')).toBe(4);
    expect(count(off, 'Relu')).toBe(4);
    expect(count(on, 'BatchNormalization') + count(on, 'Relu')).toBe(0);
    expect(count(on, 'FusedBatchNorm')).toBe(4);
    expect(on.nodes.length).toBe(off.nodes.length - 4);
    for (const n of on.nodes.filter((m) => m.op === 'FusedBatchNorm')) expect(n.attrs['activation']).toBe('relu');
    const x = randomInput([2, 4, 6, 6], 21);
    expectEquivalent(on, off, { x });
    expectEquivalent(on, g, { x }, 1e-6); // the folds themselves are float64 rewrites (≤ 1e-6)
    // With the fold on: every FusedBatchNorm feeds a 1x1 conv and becomes its prologue, bit-exact again.
    const folded = optimize(g);
    expect(count(folded, 'FusedBatchNorm')).toBe(0);
    expect(count(folded, 'BatchNormConv')).toBe(4);
    expect(folded.nodes.length).toBe(on.nodes.length - 4);
    expectEquivalent(folded, off, { x });
    expect(OPTIMIZATIONS_OFF.fuseBatchNormActivation).toBe(false);
    expect(count(optimize(g, OPTIMIZATIONS_OFF), 'FusedBatchNorm')).toBe(0);
  });

  it('a BN that folds into the preceding conv goes into the FusedConv epilogue instead', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 3, 5, 5]);
    b.output(b.node('Relu', [addBn(b, addConv(b, 'x', 3, 4, 1), 4, 2, 'bn')], {}, 'relu'));
    expect(opsOf(optimize(b.build()))).toEqual(['FusedConv']);
  });

  it('leaves BNs alone when the activation is not the only reader, or the BN output is a graph output', () => {
    const twoReaders = new GraphBuilder();
    twoReaders.input('x', 'f32', [1, 3, 4, 4]);
    const bn = addBn(twoReaders, 'x', 3, 5, 'bn');
    twoReaders.output(twoReaders.node('Add', [twoReaders.node('Relu', [bn], {}, 'relu'), bn], {}, 'add'));
    expect(opsOf(fuseBatchNormActivation(twoReaders.build()))).toEqual(['BatchNormalization', 'Relu', 'Add']);

    const exposed = new GraphBuilder();
    exposed.input('x', 'f32', [1, 3, 4, 4]);
    const bn2 = addBn(exposed, 'x', 3, 5, 'bn');
    exposed.output(bn2);
    exposed.output(exposed.node('Relu', [bn2], {}, 'relu'));
    expect(opsOf(fuseBatchNormActivation(exposed.build()))).toEqual(['BatchNormalization', 'Relu']);

    // Sign / Where(Greater) are not activations: the binarize pass's BN -> sign pattern survives.
    const signed = new GraphBuilder();
    signed.input('x', 'f32', [1, 3, 4, 4]);
    signed.output(signed.node('Sign', [addBn(signed, 'x', 3, 5, 'bn')], {}, 'sign'));
    expect(opsOf(fuseBatchNormActivation(signed.build()))).toEqual(['BatchNormalization', 'Sign']);
  });

  it('an XNOR block BN -> Sign -> binary conv still binarises with BN thresholds after optimize()', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 8, 5, 5]);
    const s = b.node('Sign', [addBn(b, 'x', 8, 3, 'bn')], {}, 'sign');
    const w = Float32Array.from({ length: 4 * 8 * 9 }, (_, i) => ((i * 7919) % 3 === 0 ? -1 : 1));
    const conv = b.node('Conv', [s, b.init('w', tensorF32([4, 8, 3, 3], w))], { kernel_shape: [3, 3] }, 'conv');
    b.output(b.node('Relu', [conv], {}, 'relu'));
    const g = b.build();
    const out = binarize(optimize(g));
    expect(opsOf(out)).toEqual(['BinaryConv']);
    expectEquivalent(out, g, { x: randomInput([1, 8, 5, 5], 4) });
  });
});

describe('FusedBatchNorm op: shape rule and CPU kernel', () => {
  function fusedNode(attrs: Attrs, inputs = ['x', 's', 'b', 'm', 'v']): Graph {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 2, 3]);
    for (const [name, values] of [['s', [1, 2]], ['b', [0.5, -0.5]], ['m', [0, 1]], ['v', [1, 4]]] as const) b.init(name, tensorF32([2], values));
    const g = b.build();
    g.nodes.push({ name: 'fbn', op: 'FusedBatchNorm', inputs, outputs: ['y'], attrs });
    g.outputs = [{ name: 'y', dtype: 'f32', shape: [1, 2, 3] }];
    return g;
  }

  it('computes act(BN(x)) per channel (hand-computed values, eps 0)', () => {
    const g = fusedNode({ epsilon: 0, activation: 'clip', act_min: -1, act_max: 1.5 });
    const x = tensorF32([1, 2, 3], [-1, 0, 2, 0, 3, 1]);
    // channel 0: y = x * 1 + 0.5; channel 1: y = (x - 1) / 2 * 2 - 0.5 = x - 1.5; then clip to [-1, 1.5].
    const y = new CpuExecutor(g).run({ x })['y']!;
    expect(Array.from(y.data as Float32Array)).toEqual([-0.5, 0.5, 1.5, -1, 1.5, -0.5]);
  });

  it('rejects a residual, a wrong input count and unknown activations with a GraphError naming the node', () => {
    expect(() => inferShapes(fusedNode({ activation: 'relu', residual_after_activation: 1 }))).toThrow(/fbn.*residual|residual.*fbn/s);
    expect(() => inferShapes(fusedNode({ activation: 'relu', residual_after_activation: 1 }))).toThrow(GraphError);
    expect(() => inferShapes(fusedNode({ activation: 'relu' }, ['x', 's', 'b', 'm']))).toThrow(GraphError);
    expect(() => inferShapes(fusedNode({ activation: 'mish' }))).toThrow(/unknown activation 'mish'/);
  });
});
