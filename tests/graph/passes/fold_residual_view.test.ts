/**
 * foldResidualViews: a FusedConv residual Pad(Slice(x)) becomes a residual view of x (no Slice, no Pad), bit-identical
 * on the CPU reference to the graph without the pass (seeded random chains: odd sizes, steps of either sign, pads on
 * one or both sides of any axis, the residual before or after the activation, x also the conv's input); WASM's
 * expandResidualViews gives the Slice → Pad form back, also bit-identical; what the pass must leave alone; malformed
 * views are typed errors; CIFAR ResNet-20's two option-A shortcuts fold, and the zoo's SE-ResNet-8 (ChannelScale
 * residual) and stochastic-depth ResNet-8 ones.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GraphError, type Attrs, type Graph, type Node } from '../../../src/graph/ir.js';
import { inferShapes } from '../../../src/graph/infer.js';
import { importOnnx } from '../../../src/import/onnx/index.js';
import { expandResidualViews, foldResidualViews, optimize } from '../../../src/graph/passes/index.js';
import { mulberry32, randInt } from '../../harness/rng.js';
import { randomView } from '../../harness/residual_views.js';
import { GraphBuilder, addConv, expectEquivalent, opsOf, randomInput, snapshot } from './helpers.js';

/** x [N, C, H, W] -> conv (k, stride) -> + Pad(Slice(x)) [-> Relu, or Relu then the Add]. */
function shortcutGraph(r: () => number, t: number) {
  const n = randInt(r, 1, 2);
  const c = randInt(r, 1, 7);
  const h = randInt(r, 3, 11);
  const w = randInt(r, 3, 11);
  const k = [1, 3][randInt(r, 0, 1)]!;
  const stride = randInt(r, 1, 2);
  const cout = randInt(r, 1, 9);
  const b = new GraphBuilder();
  b.input('x', 'f32', [n, c, h, w]);
  // The conv reads x itself (the residual's source is also the conv input) or a Relu of it.
  const src = r() < 0.5 ? 'x' : b.node('Relu', ['x']);
  const y = addConv(b, src, c, cout, 10 + t, { k, strides: stride });
  const out = [n, cout, Math.floor((h + 2 * Math.floor(k / 2) - k) / stride) + 1, Math.floor((w + 2 * Math.floor(k / 2) - k) / stride) + 1];
  const dims = [n, c, h, w];
  const axes = randomView(r, dims, out);
  let res = 'x';
  const sliced = axes.map((a, i) => ({ a, i })).filter(({ a, i }) => a.start !== 0 || a.step !== 1 || a.count !== dims[i]);
  if (sliced.length) {
    // Ends: one step past the last element (the sentinel below 0 for a reversed slice ending before index 0).
    const ends = sliced.map(({ a }) => (a.start + a.step * a.count < 0 ? -(2 ** 31) : a.start + a.step * a.count));
    res = b.node('Slice', [res], { starts: sliced.map(({ a }) => a.start), ends, axes: sliced.map(({ i }) => i), steps: sliced.map(({ a }) => a.step) });
  }
  if (axes.some((a) => a.lo || a.hi)) res = b.node('Pad', [res], { pads: [...axes.map((a) => a.lo), ...axes.map((a) => a.hi)], mode: 'constant', value: 0 });
  const after = r() < 0.3;
  const sum = after ? b.node('Add', [b.node('Relu', [y]), res]) : b.node('Relu', [b.node('Add', [y, res])]);
  b.output(sum);
  return { graph: b.build(), shape: dims, label: `x [${dims}] k${k} s${stride} -> [${out}], axes ${JSON.stringify(axes)}${after ? ', residual after relu' : ''}` };
}

const viewed = (g: Graph): Node[] => g.nodes.filter((n) => n.attrs['residual_steps'] !== undefined);

describe('foldResidualViews', () => {
  it('folds Pad(Slice(x)) into the FusedConv residual, bit-identical on the CPU (80 seeded graphs)', () => {
    const r = mulberry32(1616);
    for (let t = 0; t < 80; t++) {
      const { graph, shape, label } = shortcutGraph(r, t);
      const without = optimize(graph, { foldResidualViews: false });
      const before = snapshot(without);
      const folded = foldResidualViews(without);
      expect(snapshot(without), label).toBe(before); // the input graph is not touched
      expect(opsOf(folded).filter((o) => o === 'Slice' || o === 'Pad'), label).toEqual([]);
      expect(viewed(folded), label).toHaveLength(without.nodes.some((n) => n.op === 'Slice' || n.op === 'Pad') ? 1 : 0);
      const x = { x: randomInput(shape, t) };
      expectEquivalent(folded, graph, x);
      expectEquivalent(optimize(graph), graph, x); // the pass is part of optimize()
      // WASM's inverse: Slice → Pad again, no view left, same bits.
      const expanded = expandResidualViews(folded, { x: shape });
      expect(viewed(expanded), label).toEqual([]);
      expectEquivalent(expanded, graph, x);
    }
  });

  it("CIFAR ResNet-20: both option-A shortcuts fold; no Slice or Pad is left; outputs bit-identical", () => {
    const onnx = importOnnx(new Uint8Array(readFileSync('tests/fixtures/resnet20/model.onnx')));
    const without = optimize(onnx, { foldResidualViews: false });
    const folded = optimize(onnx);
    expect(opsOf(without).filter((o) => o === 'Slice' || o === 'Pad')).toEqual(['Slice', 'Pad', 'Slice', 'Pad']);
    expect(opsOf(folded).filter((o) => o === 'Slice' || o === 'Pad')).toEqual([]);
    expect(folded.nodes.length).toBe(without.nodes.length - 4);
    const v = viewed(folded);
    expect(v.map((n) => [n.attrs['residual_pads'], n.attrs['residual_starts'], n.attrs['residual_steps']])).toEqual([
      [[0, 8, 0, 0, 0, 8, 0, 0], [0, 0, 0, 0], [1, 1, 2, 2]],
      [[0, 16, 0, 0, 0, 16, 0, 0], [0, 0, 0, 0], [1, 1, 2, 2]],
    ]);
    expectEquivalent(folded, without, { input: randomInput([2, 3, 32, 32], 5) });
  });

  it('zoo: SE-ResNet-8 (the shortcut added in the SE gate, ChannelScale) and stochastic-depth ResNet-8 fold; GhostNet\'s whole-tensor Slices go without a view', () => {
    const load = (name: string) => importOnnx(new Uint8Array(readFileSync(`tests/fixtures/zoo/${name}/model.onnx`)));
    const expected: Record<string, [string[], number]> = {
      'se-resnet8-cifar': [['ChannelScale', 'ChannelScale'], 0],
      'stochastic-depth-resnet8-cifar': [['FusedConv', 'FusedConv'], 0],
      'ghostnet-0.2x-cifar': [[], 27],
    };
    for (const [name, [ops, slices]] of Object.entries(expected)) {
      const g = load(name);
      const without = optimize(g, { foldResidualViews: false });
      const folded = optimize(g);
      expect(viewed(folded).map((n) => n.op), name).toEqual(ops);
      expect(opsOf(folded).filter((o) => o === 'Slice' || o === 'Pad').length, name).toBe(slices);
      expect(folded.nodes.length, name).toBeLessThan(without.nodes.length);
      expectEquivalent(folded, without, { [g.inputs[0]!.name]: randomInput([1, 3, 32, 32], 6) });
    }
  });

  it('leaves a non-zero or non-constant Pad and a shared Pad alone; with a shared Slice folds only the Pad', () => {
    const build = (pad: Attrs | undefined, opts: { sharedPad?: boolean; sharedSlice?: boolean } = {}) => {
      const b = new GraphBuilder();
      b.input('x', 'f32', [1, 4, 6, 6]);
      const y = addConv(b, 'x', 4, 6, 3, { strides: 2 });
      const sliced = b.node('Slice', ['x'], { starts: [0, 0], ends: [99, 99], axes: [2, 3], steps: [2, 2] });
      const res = pad ? b.node('Pad', [sliced], pad) : sliced;
      b.output(b.node('Add', [y, res]));
      if (opts.sharedPad) b.output(b.node('Relu', [res]));
      if (opts.sharedSlice) b.output(b.node('Relu', [sliced]));
      return b.build();
    };
    const channelPad = { pads: [0, 1, 0, 0, 0, 1, 0, 0] };
    const ops = (g: Graph) => opsOf(foldResidualViews(optimize(g, { foldResidualViews: false })));
    expect(ops(build({ ...channelPad, mode: 'constant', value: 0.5 }))).toEqual(['Slice', 'Pad', 'FusedConv']);
    expect(ops(build({ ...channelPad, mode: 'edge' }))).toEqual(['Slice', 'Pad', 'FusedConv']);
    expect(ops(build({ ...channelPad, mode: 'constant' }, { sharedPad: true }))).toEqual(['Slice', 'Pad', 'FusedConv', 'Relu']);
    const shared = build({ ...channelPad, mode: 'constant' }, { sharedSlice: true });
    const partly = foldResidualViews(optimize(shared, { foldResidualViews: false }));
    expect(opsOf(partly)).toEqual(['Slice', 'FusedConv', 'Relu']); // the Pad folds, the shared Slice stays
    expect(viewed(partly)[0]!.attrs['residual_steps']).toEqual([1, 1, 1, 1]);
    expectEquivalent(partly, shared, { x: randomInput([1, 4, 6, 6], 9) });
    expect(ops(build({ ...channelPad, mode: 'constant' }))).toEqual(['FusedConv']);
  });

  it('malformed or out-of-range views are GraphErrors naming the node', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 2, 6, 6]);
    b.input('r', 'f32', [1, 4, 3, 3]);
    const y = addConv(b, 'x', 2, 4, 5, { strides: 2 }); // [1, 4, 3, 3]
    b.output(b.node('Add', [y, 'r']));
    const base = optimize(b.build(), { foldResidualViews: false });
    const conv = base.nodes.find((n) => n.op === 'FusedConv')!;
    // The view reads x [1, 2, 6, 6] as the residual.
    const withView = (attrs: Node['attrs']): Graph => ({
      ...base,
      nodes: base.nodes.map((n) => (n === conv ? { ...n, inputs: [...n.inputs.slice(0, 3), 'x'], attrs: { ...n.attrs, ...attrs } } : n)),
    });
    const ok = { residual_pads: [0, 1, 0, 0, 0, 1, 0, 0], residual_starts: [0, 0, 0, 0], residual_steps: [1, 1, 2, 2] };
    expect(() => inferShapes(withView(ok))).not.toThrow();
    const cases: [Node['attrs'], RegExp][] = [
      [{ ...ok, residual_steps: [1, 1, 0, 2] }, /non-zero/],
      [{ ...ok, residual_pads: [0, -1, 0, 0, 0, 1, 0, 0] }, />= 0/],
      [{ ...ok, residual_starts: [0, 0, 1] }, /3 integers|list of 4/],
      [{ ...ok, residual_starts: [0, 0, 2, 0] }, /axis 2 reads R coordinates 2\.\.6, outside \[0, 6\)/],
      [{ ...ok, residual_pads: [0, 3, 0, 0, 0, 3, 0, 0] }, /exceed axis 1/],
      [{ ...ok, residual_pads: [0, 0, 0, 0, 0, 0, 0, 0] }, /axis 1 reads R coordinates 0\.\.3/],
    ];
    for (const [attrs, msg] of cases) {
      let err: unknown;
      try {
        inferShapes(withView(attrs));
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(attrs)).toBeInstanceOf(GraphError);
      expect((err as GraphError).message, JSON.stringify(attrs)).toMatch(msg);
      expect((err as GraphError).message).toContain(conv.name);
    }
  });
});
