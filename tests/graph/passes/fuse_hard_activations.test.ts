import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../../src/import/onnx/index.js';
import { fuseHardActivations, optimize } from '../../../src/graph/passes/index.js';
import type { Graph, Tensor } from '../../../src/graph/ir.js';
import { encodeModel, node, valueInfo } from '../../import/onnx/helpers.js';
import { GraphBuilder, addConv, expectEquivalent, opsOf, run, snapshot, tensorF32, uniform } from './helpers.js';

const SHAPE = [2, 3, 8, 8];
const F32_SIXTH = Math.fround(1 / 6);

/** Values in [-5, 5) plus the clamp edges and a few exact points: x + 3 crosses 0 and 6 on both sides. */
function input(seed = 7): Tensor {
  const v = uniform(SHAPE.reduce((a, d) => a * d, 1), seed, -5, 5);
  [-3, 3, 0, -0, -2.9999998, 2.9999998, -6, 6, 1e-30, -1e-30].forEach((e, i) => (v[i] = e));
  return tensorF32(SHAPE, v);
}

/** Max distance in units in the last place (f32) between two f32 arrays (same sign assumed near 0: counts across 0). */
function maxUlps(a: Float32Array, b: Float32Array): number {
  const ia = new Int32Array(a.buffer, a.byteOffset, a.length);
  const ib = new Int32Array(b.buffer, b.byteOffset, b.length);
  const ordered = (i: number) => (i < 0 ? -(i & 0x7fffffff) : i); // monotone integer line through ±0
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(ordered(ia[i]!) - ordered(ib[i]!)));
  return worst;
}

function ulpsBetween(optimized: Graph, original: Graph, x: Tensor): number {
  const got = run(optimized, { x })['y']!.data as Float32Array;
  const want = run(original, { x })['y']!.data as Float32Array;
  return maxUlps(got, want);
}

type Build = (b: GraphBuilder, x: string) => string;
const k = (b: GraphBuilder, name: string, v: number, shape: number[] = []) => (b.init(name, tensorF32(shape, [v])), name);
const relu6 = {
  clip: (b: GraphBuilder, t: string) => b.node('Clip', [t], { min: 0, max: 6 }),
  minMax: (b: GraphBuilder, t: string) => b.node('Min', [b.node('Max', [t, k(b, 'zero', 0)]), k(b, 'six_c', 6)]),
  maxMin: (b: GraphBuilder, t: string) => b.node('Max', [k(b, 'zero', 0), b.node('Min', [t, k(b, 'six_c', 6)])]),
};
const plus3 = (b: GraphBuilder, x: string, swapped = false) => b.node('Add', swapped ? [k(b, 'three', 3), x] : [x, k(b, 'three', 3)]);
const div6 = (b: GraphBuilder, v: string) => b.node('Div', [v, k(b, 'six', 6)]);
const mulSixth = (b: GraphBuilder, v: string, value = 1 / 6) => b.node('Mul', [k(b, 'sixth', value, [1]), v]);

function graphOf(build: Build): Graph {
  const b = new GraphBuilder();
  b.input('x', 'f32', SHAPE);
  b.node('Identity', [build(b, 'x')], {}, 'out', ['y']);
  b.output('y');
  return b.build();
}

const SIGMOIDS: [string, Build][] = [
  ['Clip(x + 3, 0, 6) / 6', (b, x) => div6(b, relu6.clip(b, plus3(b, x)))],
  ['(1/6) * Clip(3 + x, 0, 6)', (b, x) => mulSixth(b, relu6.clip(b, plus3(b, x, true)))],
  ['f32(1/6) * Min(Max(x + 3, 0), 6)', (b, x) => mulSixth(b, relu6.minMax(b, plus3(b, x)), F32_SIXTH)],
  ['Max(0, Min(x + 3, 6)) / 6', (b, x) => div6(b, relu6.maxMin(b, plus3(b, x)))],
];

const SWISHES: [string, Build][] = [
  ['x * Clip(x + 3, 0, 6) / 6', (b, x) => div6(b, b.node('Mul', [x, relu6.clip(b, plus3(b, x))]))],
  ['(Clip(3 + x, 0, 6) * x) * (1/6)', (b, x) => mulSixth(b, b.node('Mul', [relu6.clip(b, plus3(b, x, true)), x]))],
  ['x * (Min(Max(x + 3, 0), 6) / 6)', (b, x) => b.node('Mul', [x, div6(b, relu6.minMax(b, plus3(b, x)))])],
  ['(Clip(x + 3, 0, 6) * f32(1/6)) * x', (b, x) => b.node('Mul', [mulSixth(b, relu6.clip(b, plus3(b, x)), F32_SIXTH), x])],
  ['HardSigmoid(x, 1/6, 0.5) * x', (b, x) => b.node('Mul', [b.node('HardSigmoid', [x], { alpha: 1 / 6, beta: 0.5 }), x])],
];

describe('fuseHardActivations', () => {
  it.each(SIGMOIDS)('%s -> one HardSigmoid(1/6, 0.5), within 1 ulp on the CPU', (_, build) => {
    const g = graphOf(build);
    const before = snapshot(g);
    const out = fuseHardActivations(g);
    expect(snapshot(g)).toBe(before);
    expect(opsOf(out)).toEqual(['HardSigmoid', 'Identity']);
    expect(out.nodes[0]!.attrs).toEqual({ alpha: 1 / 6, beta: 0.5 });
    expect(out.nodes[0]!.inputs).toEqual(['x']);
    expect(ulpsBetween(out, g, input())).toBeLessThanOrEqual(1);
  });

  it.each(SWISHES)('%s -> one HardSwish, within 2 ulp on the CPU', (_, build) => {
    const g = graphOf(build);
    const out = fuseHardActivations(g);
    expect(opsOf(out)).toEqual(['HardSwish', 'Identity']);
    expect(out.nodes[0]!.inputs).toEqual(['x']);
    expect(ulpsBetween(out, g, input(11))).toBeLessThanOrEqual(2);
  });

  // PyTorch's export: alpha = f32(1/6) is 1/6 + 5e-9, a (very slightly) different gate. Near x = -3 it is a tiny
  // value where HardSwish has exactly 0, so ulps are meaningless there; the difference is <= 3 * 5e-9 * |x| absolute.
  it('x * HardSigmoid(x, f32(1/6), 0.5) -> one HardSwish, within 1e-6 (norm-relative) on the CPU', () => {
    const g = graphOf((b, x) => b.node('Mul', [x, b.node('HardSigmoid', [x], { alpha: F32_SIXTH, beta: 0.5 })]));
    const out = fuseHardActivations(g);
    expect(opsOf(out)).toEqual(['HardSwish', 'Identity']);
    expectEquivalent(out, g, { x: input(13) }, 1e-6);
  });

  it.each<[string, Build]>([
    ['a clamp to [0, 5]', (b, x) => div6(b, b.node('Clip', [plus3(b, x)], { min: 0, max: 5 }))],
    ['x + 2', (b, x) => div6(b, relu6.clip(b, b.node('Add', [x, k(b, 'two', 2)])))],
    ['6 / v', (b, x) => b.node('Div', [k(b, 'six', 6), relu6.clip(b, plus3(b, x))])],
    ['a per-channel 3', (b, x) => div6(b, relu6.clip(b, b.node('Add', [x, b.init('t3', tensorF32([3, 1, 1], [3, 3, 3]))])))],
    ['a constant that widens the rank', (b, x) => div6(b, relu6.clip(b, b.node('Add', [x, k(b, 'three5', 3, [1, 1, 1, 1, 1])])))],
    ['x * gate(other)', (b, x) => div6(b, b.node('Mul', [b.node('Relu', [x]), relu6.clip(b, plus3(b, x))]))],
    ['HardSigmoid(x) with other constants', (b, x) => b.node('Mul', [x, b.node('HardSigmoid', [x], { alpha: 0.2, beta: 0.5 })])],
  ])('leaves %s alone', (_, build) => {
    const g = graphOf(build);
    expect(opsOf(fuseHardActivations(g))).toEqual(opsOf(g));
  });

  it('keeps an intermediate somebody else reads (here a graph output), and fuses nothing through it', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', SHAPE);
    const c = relu6.clip(b, plus3(b, 'x'));
    b.output(div6(b, b.node('Mul', ['x', c])));
    b.output(c);
    const g = b.build();
    expect(opsOf(fuseHardActivations(g))).toEqual(opsOf(g));
  });

  it('in optimize: Conv -> x * Clip(x + 3, 0, 6) / 6 becomes one FusedConv hard_swish (before the + 3 could fold)', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 3, 8, 8]);
    const y = addConv(b, 'x', 3, 4, 5);
    const hs = div6(b, b.node('Mul', [y, relu6.clip(b, plus3(b, y))]));
    const z = addConv(b, hs, 4, 4, 9);
    b.output(div6(b, relu6.clip(b, plus3(b, z)))); // Conv -> HardSigmoid idiom, its + 3 a foldable per-channel Add
    const g = b.build();
    const out = optimize(g);
    expect(opsOf(out)).toEqual(['FusedConv', 'FusedConv']);
    expect(out.nodes.map((n) => n.attrs['activation'])).toEqual(['hard_swish', 'hard_sigmoid']);
    const x = tensorF32([1, 3, 8, 8], uniform(3 * 64, 3, -6, 6));
    expectEquivalent(out, g, { x }, 1e-6);
  });

  it('an opset-13 ONNX model (Clip with min/max inputs) imports, fuses to HardSwish and matches onnxruntime within 2 ulp', async () => {
    const f = (name: string, v: number) => ({ name, data_type: 1, dims: [], float_data: [v] });
    const bytes = encodeModel({
      opset: 13,
      nodes: [
        node('Add', ['x', 'three'], ['t'], 'add'),
        node('Clip', ['t', 'zero', 'six'], ['c'], 'clip'),
        node('Mul', ['x', 'c'], ['m'], 'mul'),
        node('Div', ['m', 'six'], ['y'], 'div'),
      ],
      inputs: [valueInfo('x', SHAPE)],
      outputs: [valueInfo('y', SHAPE)],
      initializers: [f('three', 3), f('zero', 0), f('six', 6)],
    });
    const g = importOnnx(bytes);
    const out = optimize(g);
    expect(opsOf(out)).toEqual(['HardSwish']);
    const x = input(23);
    const session = await ort.InferenceSession.create(bytes);
    const ref = (await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, SHAPE) }))['y']!.data as Float32Array;
    expect(maxUlps(run(out, { x })['y']!.data as Float32Array, ref)).toBeLessThanOrEqual(2);
    expect(maxUlps(run(g, { x })['y']!.data as Float32Array, ref)).toBe(0);
  });
});
