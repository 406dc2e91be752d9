import { describe, expect, it } from 'vitest';
import { cpuKernels } from '../../../src/backends/cpu/index.js';
import type { Attrs, Graph, Node } from '../../../src/graph/ir.js';
import { GraphError } from '../../../src/graph/ir.js';
import { inferShapes } from '../../../src/graph/infer.js';
import { OPTIMIZATIONS_OFF, foldChannelScaleIntoConv, fuseChannelScale, optimize } from '../../../src/graph/passes/index.js';
import { GraphBuilder, addBn, addConv, expectEquivalent, opsOf, randomInput, snapshot, tensorF32, uniform } from './helpers.js';

/**
 * The SE gate of a block: s = act(FC(relu(FC(gap(x))))) as [N, C, 1, 1] (1x1 convs, as GhostNet exports it),
 * returned with x so tests can write `x * s` in either operand order.
 */
function seGate(b: GraphBuilder, x: string, c: number, seed: number, gate: 'Sigmoid' | 'HardSigmoid' = 'Sigmoid'): string {
  const pooled = b.node('GlobalAveragePool', [x], {}, `gap${seed}`);
  const hidden = b.node('Relu', [addConv(b, pooled, c, Math.max(1, c / 4), seed, { k: 1, pads: 0, name: `fc1_${seed}` })], {}, `fc1relu${seed}`);
  const logits = addConv(b, hidden, Math.max(1, c / 4), c, seed + 1, { k: 1, pads: 0, name: `fc2_${seed}` });
  return b.node(gate, [logits], gate === 'HardSigmoid' ? { alpha: 1 / 6, beta: 0.5 } : {}, `gate${seed}`);
}

/** SE-ResNet basic block: relu(se(bn(conv(relu(bn(conv(x)))))) + shortcut). */
function seBlock(b: GraphBuilder, x: string, c: number, seed: number, opts: { swap?: boolean; shortcut?: string } = {}): string {
  const h = b.node('Relu', [addBn(b, addConv(b, x, c, c, seed, { bias: false }), c, seed + 2)], {}, `relu_a${seed}`);
  const y = addBn(b, addConv(b, h, c, c, seed + 3, { bias: false }), c, seed + 5);
  const s = seGate(b, y, c, seed + 7);
  const scaled = b.node('Mul', opts.swap ? [s, y] : [y, s], {}, `se_mul${seed}`);
  const sum = b.node('Add', [scaled, opts.shortcut ?? x], {}, `add${seed}`);
  return b.node('Relu', [sum], {}, `relu_out${seed}`);
}

const count = (g: Graph, op: string) => g.nodes.filter((n) => n.op === op).length;

describe('fuseChannelScale: Mul(x, s[N,C,1,1]) [+ residual Add] [+ activation] -> ChannelScale', () => {
  it("leaves SiLU (Mul(y, Sigmoid(y)), EfficientNet's SE squeeze at [N,C,1,1]) to the conv epilogue", () => {
    // x -> GAP -> fc1 -> SiLU -> fc2 -> Sigmoid -> x * gate -> 1x1 projection
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 16, 5, 5]);
    const pooled = b.node('GlobalAveragePool', ['x'], {}, 'gap');
    const squeeze = addConv(b, pooled, 16, 4, 1, { k: 1, pads: 0, name: 'fc1' });
    const silu = b.node('Mul', [squeeze, b.node('Sigmoid', [squeeze], {}, 'silu_gate')], {}, 'silu');
    const gate = b.node('Sigmoid', [addConv(b, silu, 4, 16, 2, { k: 1, pads: 0, name: 'fc2' })], {}, 'gate');
    b.output(addConv(b, b.node('Mul', ['x', gate], {}, 'scale'), 16, 8, 3, { k: 1, pads: 0, name: 'proj' }));
    const g = b.build();
    expect(fuseChannelScale(g).nodes.filter((n) => n.op === 'ChannelScale').map((n) => n.name)).toEqual(['scale']);
    const opt = optimize(g);
    // fc1 + SiLU and fc2 + Sigmoid: one FusedConv each; the gate folds into the projection (ChannelScaleConv).
    expect(opsOf(opt)).toEqual(['GlobalAveragePool', 'FusedConv', 'FusedConv', 'ChannelScaleConv']);
    expectEquivalent(opt, g, { x: randomInput([1, 16, 5, 5], 9) }, 1e-6);
  });

  it.each([false, true])('SE-ResNet block (operands swapped: %s): Mul + Add + Relu become one node, bit-exact on the CPU', (swap) => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [2, 8, 6, 6]);
    b.output(seBlock(b, 'x', 8, 10, { swap }));
    const g = b.build();
    const before = snapshot(g);
    const out = fuseChannelScale(g);
    expect(snapshot(g)).toBe(before); // the input graph is not mutated
    expect(count(out, 'Mul') + count(out, 'Add')).toBe(0);
    expect(count(out, 'Relu')).toBe(count(g, 'Relu') - 1);
    const cs = out.nodes.find((n) => n.op === 'ChannelScale')!;
    expect(cs.attrs['activation']).toBe('relu');
    expect(cs.inputs).toEqual(['bn15_out', 'gate17_out', 'x']);
    expect(cs.outputs).toEqual(g.outputs.map((o) => o.name));
    expectEquivalent(out, g, { x: randomInput([2, 8, 6, 6], 3) });
  });

  it('whole pipeline on two stacked SE blocks (downsample-free): no Mul / Add left, ≤ 1e-6 vs unoptimised', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 8, 8, 8]);
    b.output(seBlock(b, seBlock(b, 'x', 8, 10), 8, 30));
    const g = b.build();
    const opt = optimize(g);
    expect(count(opt, 'Mul') + count(opt, 'Add')).toBe(0);
    expect(count(opt, 'ChannelScale')).toBe(2);
    expectEquivalent(opt, g, { x: randomInput([1, 8, 8, 8], 4) }, 1e-6);
    // Off switch: the SE scale stays a Mul (with epilogue fusion still on).
    const noSe = optimize(g, { fuseChannelScale: false });
    expect(count(noSe, 'Mul')).toBe(2);
    expect(count(noSe, 'ChannelScale')).toBe(0);
    expect(OPTIMIZATIONS_OFF.fuseChannelScale).toBe(false);
    expect(count(optimize(g, OPTIMIZATIONS_OFF), 'Mul')).toBe(2);
  });

  it('a conv shortcut keeps its own dispatch; the Add + Relu go with the scale (run before fuseEpilogue)', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 4, 6, 6]);
    const shortcut = addConv(b, 'x', 4, 8, 50, { k: 1, pads: 0, name: 'down' });
    const y = addConv(b, 'x', 4, 8, 60);
    const s = seGate(b, y, 8, 70);
    b.output(b.node('Relu', [b.node('Add', [shortcut, b.node('Mul', [y, s])])]));
    const g = b.build();
    const opt = optimize(g);
    expect(count(opt, 'Mul') + count(opt, 'Add') + count(opt, 'Relu')).toBe(0);
    const cs = opt.nodes.find((n) => n.op === 'ChannelScale')!;
    expect(cs.inputs[2]).toBe(shortcut);
    expect(opt.nodes.indexOf(cs)).toBeGreaterThan(opt.nodes.findIndex((n) => n.outputs.includes(shortcut)));
    expectEquivalent(opt, g, { x: randomInput([1, 4, 6, 6], 5) }, 1e-6);
  });

  it('activation before the residual: act(x * s) + R (residual_after_activation)', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [2, 4, 3, 5]);
    b.input('r', 'f32', [2, 4, 3, 5]);
    b.input('s', 'f32', [2, 4, 1, 1]);
    b.output(b.node('Add', ['r', b.node('Clip', [b.node('Mul', ['x', 's'])], { min: -0.5, max: 0.5 })]));
    const g = b.build();
    const out = fuseChannelScale(g);
    expect(opsOf(out)).toEqual(['ChannelScale']);
    expect(out.nodes[0]!.attrs).toMatchObject({ activation: 'clip', act_min: -0.5, act_max: 0.5, residual_after_activation: 1 });
    const feeds = { x: randomInput([2, 4, 3, 5], 1), r: randomInput([2, 4, 3, 5], 2), s: randomInput([2, 4, 1, 1], 3) };
    expectEquivalent(out, g, feeds);
  });

  it('leaves alone: constant scales, spatially varying scales, shared intermediates, graph outputs', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 4, 3, 3]);
    b.input('sh', 'f32', [1, 4, 3, 1]);
    b.input('s', 'f32', [1, 4, 1, 1]);
    b.init('k', tensorF32([1, 4, 1, 1], uniform(4, 9)));
    const constScaled = b.node('Mul', ['x', 'k'], {}, 'const_mul');
    const rowScaled = b.node('Mul', ['x', 'sh'], {}, 'row_mul');
    const gated = b.node('Mul', ['x', 's'], {}, 'gate_mul'); // also a graph output: the Relu must not absorb it
    b.output(constScaled);
    b.output(rowScaled);
    b.output(gated);
    b.output(b.node('Relu', [gated], {}, 'relu'));
    const g = b.build();
    const out = fuseChannelScale(g);
    expect(opsOf(out)).toEqual(['Mul', 'Mul', 'ChannelScale', 'Relu']);
    expect(out.nodes[2]!.outputs).toEqual([gated]);
    expectEquivalent(out, g, { x: randomInput([1, 4, 3, 3], 1), sh: randomInput([1, 4, 3, 1], 2), s: randomInput([1, 4, 1, 1], 3) });
  });
});

describe('foldChannelScaleIntoConv: a bare scale read only by a 1x1 conv -> ChannelScaleConv', () => {
  /** GhostNet-style: x -> SE gate (hard sigmoid) -> x * s -> 1x1 conv (+ BN) -> next. */
  function ghostSe(k: number, opts: { pads?: number; extraReader?: boolean } = {}): Graph {
    const b = new GraphBuilder();
    b.input('x', 'f32', [2, 8, 5, 5]);
    const y = b.node('Relu', [addConv(b, 'x', 8, 8, 1)], {}, 'pre');
    const s = seGate(b, y, 8, 10, 'HardSigmoid');
    const scaled = b.node('Mul', [y, s], {}, 'se_mul');
    const conv = addBn(b, addConv(b, scaled, 8, 6, 20, { k, pads: opts.pads ?? 0, bias: false, name: 'project' }), 6, 30);
    b.output(b.node('Relu', [conv], {}, 'post'));
    if (opts.extraReader) b.output(b.node('Sigmoid', [scaled], {}, 'other_reader'));
    return b.build();
  }

  it('GhostNet SE: the Mul disappears into the 1x1 conv, ≤ 1e-6 vs unoptimised, bit-exact vs the unfolded graph', () => {
    const g = ghostSe(1);
    const opt = optimize(g);
    expect(count(opt, 'Mul') + count(opt, 'ChannelScale')).toBe(0);
    const conv = opt.nodes.find((n) => n.op === 'ChannelScaleConv')!;
    expect(conv.name).toBe('project');
    expect(conv.inputs[0]).toBe('pre_out');
    expect(conv.inputs[4]).toBe('gate10_out');
    expect(conv.attrs['activation']).toBe('relu'); // the epilogue fused before the fold is kept
    expectEquivalent(opt, g, { x: randomInput([2, 8, 5, 5], 7) }, 1e-6);
    const unfolded = fuseChannelScale(optimize(g, { fuseChannelScale: false }));
    expect(count(unfolded, 'ChannelScale')).toBe(1);
    expectEquivalent(foldChannelScaleIntoConv(unfolded), unfolded, { x: randomInput([2, 8, 5, 5], 8) });
  });

  it('not folded into a 3x3 conv, a padded conv, or when the scaled tensor has another reader', () => {
    for (const g of [ghostSe(3, { pads: 1 }), ghostSe(1, { pads: 1 }), ghostSe(1, { extraReader: true })]) {
      const opt = optimize(g);
      expect(count(opt, 'ChannelScaleConv')).toBe(0);
      expect(count(opt, 'ChannelScale')).toBe(1);
      expect(count(opt, 'Mul')).toBe(0);
      expectEquivalent(opt, g, { x: randomInput([2, 8, 5, 5], 9) }, 1e-6);
    }
  });
});

describe('ChannelScale / ChannelScaleConv: shape rules and CPU reference', () => {
  const node = (op: string, inputs: string[], attrs: Attrs = {}): Node => ({ name: 'n', op, inputs, outputs: ['y'], attrs });

  it('shape rule accepts per-(n, c) scales and rejects others with a GraphError naming the node', () => {
    const g = (sShape: number[], attrs: Attrs = {}): Graph => ({
      inputs: [
        { name: 'x', dtype: 'f32', shape: [2, 4, 3, 3] },
        { name: 's', dtype: 'f32', shape: sShape },
      ],
      outputs: [{ name: 'y', dtype: 'f32', shape: [] }],
      nodes: [node('ChannelScale', ['x', 's'], attrs)],
      initializers: new Map(),
      metadata: {},
    });
    for (const ok of [[2, 4, 1, 1], [1, 4, 1, 1], [4, 1, 1], [1]]) expect(inferShapes(g(ok)).get('y')!.shape).toEqual([2, 4, 3, 3]);
    for (const bad of [[2, 4, 3, 1], [3, 4, 1, 1], [1, 2, 4, 1, 1]]) expect(() => inferShapes(g(bad))).toThrow(GraphError);
    expect(() => inferShapes(g([2, 4, 1, 1], { activation: 'silu' }))).toThrow(/'n'/);
    expect(() => inferShapes(g([2, 4, 1, 1], { activation: 'mish' }))).toThrow(GraphError);
  });

  it('CPU kernel computes act(x * s[n, c] + r) elementwise (checked against a direct loop)', () => {
    const x = randomInput([2, 3, 2, 2], 1);
    const s = randomInput([2, 3, 1, 1], 2);
    const r = randomInput([2, 3, 2, 2], 3);
    const [y] = cpuKernels['ChannelScale']!(node('ChannelScale', ['x', 's', 'r'], { activation: 'leaky_relu', act_alpha: 0.1 }), [x, s, r]);
    const xd = x.data as Float32Array;
    for (let i = 0; i < xd.length; i++) {
      const v = Math.fround(Math.fround(xd[i]! * (s.data as Float32Array)[Math.floor(i / 4)]!) + (r.data as Float32Array)[i]!);
      expect((y!.data as Float32Array)[i]).toBe(Math.fround(v >= 0 ? v : 0.1 * v));
    }
  });
});
