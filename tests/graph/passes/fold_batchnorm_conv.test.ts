/**
 * foldBatchNormIntoConv: a FusedBatchNorm (BN + activation) read only by a 1x1 / stride 1 / unpadded conv becomes the
 * conv's input prologue (BatchNormConv). Seeded random graphs (odd channels, batch 1-3, random BN statistics, every
 * activation) run bit for bit like the unfused graph on the CPU reference; expandBatchNormConvs undoes it exactly;
 * convs with padding / stride / groups / several readers are left alone.
 */
import { describe, expect, it } from 'vitest';
import { GraphError, type Attrs, type Graph } from '../../../src/graph/ir.js';
import { inferShapes } from '../../../src/graph/infer.js';
import { OPTIMIZATIONS_OFF, expandBatchNormConvs, foldBatchNormIntoConv, optimize } from '../../../src/graph/passes/index.js';
import { mulberry32, randInt } from '../../harness/rng.js';
import { GraphBuilder, addBn, addConv, expectEquivalent, opsOf, randomInput, snapshot } from './helpers.js';

const ACTS: [string, Attrs][] = [
  ['Relu', {}],
  ['LeakyRelu', { alpha: 0.1 }],
  ['Clip', { min: 0, max: 6 }],
  ['Sigmoid', {}],
  ['HardSwish', {}],
  ['Tanh', {}],
];

/** x -> BN -> act -> 1x1 conv [-> Relu] (ONNX ops; optimize() makes FusedBatchNorm and FusedConv of them). */
function preActConv(r: () => number, i: number, conv: { k?: number; pads?: number; strides?: number } = {}): { g: Graph; shape: number[]; act: string } {
  const [act, attrs] = ACTS[i % ACTS.length]!;
  const shape = [randInt(r, 1, 3), randInt(r, 1, 13), randInt(r, 1, 9), randInt(r, 1, 9)];
  const cout = randInt(r, 1, 17);
  const b = new GraphBuilder();
  b.input('x', 'f32', shape);
  const h = b.node(act, [addBn(b, 'x', shape[1]!, 10 + i, 'bn')], attrs, 'act');
  const y = addConv(b, h, shape[1]!, cout, 50 + i, { k: conv.k ?? 1, pads: conv.pads ?? 0, strides: conv.strides ?? 1, bias: r() < 0.5, name: 'conv' });
  b.output(r() < 0.5 ? b.node('Relu', [y], {}, 'post') : y);
  return { g: b.build(), shape, act };
}

describe('foldBatchNormIntoConv', () => {
  it('40 seeded graphs: one BatchNormConv, bit-exact vs the pass off, expands back to the same graph', () => {
    const r = mulberry32(1616);
    for (let i = 0; i < 40; i++) {
      const { g, shape, act } = preActConv(r, i);
      const off = optimize(g, { foldBatchNormIntoConv: false });
      expect(opsOf(off).map((o) => o.replace(/^Conv$/, 'FusedConv')), act).toEqual(['FusedBatchNorm', 'FusedConv']);
      const before = snapshot(off);
      const on = foldBatchNormIntoConv(off);
      expect(snapshot(off)).toBe(before); // the input graph is not mutated
      expect(opsOf(on), act).toEqual(['BatchNormConv']);
      expect(opsOf(optimize(g))).toEqual(['BatchNormConv']);
      const node = on.nodes[0]!;
      expect(node.outputs).toEqual(off.nodes[1]!.outputs);
      expect(node.attrs['in_activation']).toBe(off.nodes[0]!.attrs['activation']);
      inferShapes(on); // the shape rule accepts it
      const x = randomInput(shape, 100 + i);
      expectEquivalent(on, off, { x });
      const back = expandBatchNormConvs(on);
      expect(opsOf(back)).toEqual(['FusedBatchNorm', 'FusedConv']); // a bare Conv comes back as a FusedConv without epilogue
      expectEquivalent(back, off, { x });
    }
  });

  it("activation 'none' (a hand-made FusedBatchNorm) and f32 rounding like the unfused nodes", () => {
    const r = mulberry32(7);
    const { g, shape } = preActConv(r, 0);
    const off = optimize(g, { foldBatchNormIntoConv: false });
    const bn = off.nodes[0]!;
    bn.attrs = { epsilon: 1e-3, activation: 'none' };
    const on = foldBatchNormIntoConv(off);
    expect(opsOf(on)).toEqual(['BatchNormConv']);
    expect(on.nodes[0]!.attrs['epsilon']).toBe(1e-3);
    expectEquivalent(on, off, { x: randomInput(shape, 3) });
  });

  it('the shape rule rejects padded / 3x3 / strided convs and a wrong input count with a GraphError naming the node', () => {
    const r = mulberry32(5);
    const { g } = preActConv(r, 0);
    const fused = optimize(g);
    const node = fused.nodes[0]!;
    const bad: [string, (n: typeof node) => void][] = [
      ['pads', (n) => (n.attrs = { ...n.attrs, pads: [1, 1, 1, 1] })],
      ['strides', (n) => (n.attrs = { ...n.attrs, strides: [2, 2] })],
      ['inputs', (n) => (n.inputs = n.inputs.slice(0, 5))],
      ['activation', (n) => (n.attrs = { ...n.attrs, in_activation: 'nope' })],
    ];
    for (const [what, spoil] of bad) {
      const copy = { ...fused, nodes: [{ ...node, attrs: { ...node.attrs }, inputs: [...node.inputs] }] };
      spoil(copy.nodes[0]!);
      expect(() => inferShapes(copy), what).toThrow(GraphError);
      expect(() => inferShapes(copy), what).toThrow(/BatchNormConv|conv/);
    }
  });

  it('left alone: padded, strided, 3x3 and grouped convs, a BN with a second reader or that is a graph output', () => {
    const r = mulberry32(99);
    for (const conv of [{ k: 1, pads: 1 }, { k: 1, strides: 2 }, { k: 3, pads: 1 }]) {
      const { g } = preActConv(r, 0, conv);
      const ops = opsOf(optimize(g));
      expect(ops).toContain('FusedBatchNorm');
      expect(ops).not.toContain('BatchNormConv');
    }
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 6, 5, 5]);
    const h = b.node('Relu', [addBn(b, 'x', 6, 3, 'bn')], {}, 'act');
    const y1 = addConv(b, h, 6, 4, 5, { k: 1, pads: 0, name: 'c1' });
    const y2 = addConv(b, h, 6, 6, 6, { k: 1, pads: 0, group: 2, name: 'c2' });
    b.output(y1);
    b.output(y2);
    expect(opsOf(optimize(b.build())).filter((o) => o === 'BatchNormConv')).toEqual([]);
    const b2 = new GraphBuilder();
    b2.input('x', 'f32', [1, 6, 5, 5]);
    const h2 = b2.node('Relu', [addBn(b2, 'x', 6, 3, 'bn')], {}, 'act');
    b2.output(addConv(b2, h2, 6, 4, 5, { k: 1, pads: 0, name: 'c1' }));
    b2.output(h2);
    expect(opsOf(optimize(b2.build())).filter((o) => o === 'BatchNormConv')).toEqual([]);
    expect(opsOf(optimize(b2.build(), OPTIMIZATIONS_OFF))).not.toContain('BatchNormConv');
  });
});
