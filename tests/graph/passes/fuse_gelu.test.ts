/**
 * fuseGelu: the erf and tanh GELU idioms (PyTorch's exports of nn.GELU / approximate='tanh', the "new GELU" of
 * hand-written transformer code, operand orders, rounded constants) -> Gelu; look-alikes (a wrong constant, another
 * reader of an intermediate, a different x, x² for x³) stay. Then through optimize: a Linear over the last axis of a
 * 3-D tensor (MatMul + bias Add + GELU, ConvNeXt / ViT MLP) and a Conv end as one FusedGemm / FusedConv 'gelu'.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../../src/import/onnx/index.js';
import { fuseGelu, optimize } from '../../../src/graph/passes/index.js';
import type { Graph, Tensor } from '../../../src/graph/ir.js';
import { encodeModel, node, valueInfo } from '../../import/onnx/helpers.js';
import { GraphBuilder, addConv, expectEquivalent, opsOf, run, snapshot, tensorF32, uniform } from './helpers.js';

const SHAPE = [2, 3, 5, 7];

/** Values in [-6, 6) plus exact points (±0, tiny, beyond the erf / tanh saturation). */
function input(seed = 11, shape = SHAPE): Tensor {
  const v = uniform(shape.reduce((a, d) => a * d, 1), seed, -6, 6);
  [0, -0, 1e-30, -1e-30, 10, -10, 40, -40, 1.5, -0.5].forEach((e, i) => (v[i] = e));
  return tensorF32(shape, v);
}

type Build = (b: GraphBuilder, x: string) => string;
let constants = 0;
/** A one-element constant (rank 0 unless `shape`). */
const k = (b: GraphBuilder, v: number, shape: number[] = []) => b.init(`k${constants++}`, tensorF32(shape, [v]));
const f = Math.fround;

function graphOf(build: Build, extraOutput?: (b: GraphBuilder) => string | undefined): Graph {
  const b = new GraphBuilder();
  b.input('x', 'f32', SHAPE);
  b.node('Identity', [build(b, 'x')], {}, 'out', ['y']);
  b.output('y');
  const extra = extraOutput?.(b);
  if (extra) b.output(extra);
  return b.build();
}

// Gates G(x) = 1 + erf(x/√2) and 1 + tanh(√(2/π)(x + 0.044715 x³)).
const erfGate = (b: GraphBuilder, x: string, o: { mul?: boolean; swapAdd?: boolean; c?: number } = {}) => {
  const scaled = o.mul ? b.node('Mul', [k(b, o.c ?? f(Math.SQRT1_2)), x]) : b.node('Div', [x, k(b, o.c ?? f(Math.SQRT2))]);
  const e = b.node('Erf', [scaled], {}, 'erf');
  return b.node('Add', o.swapAdd ? [k(b, 1), e] : [e, k(b, 1)]);
};
type Cube = 'pow' | 'x*(x*x)' | '(x*x)*x' | 'x*x';
const tanhGate = (b: GraphBuilder, x: string, o: { cube?: Cube; cubic?: number; scale?: number } = {}) => {
  const cube =
    o.cube === 'pow'
      ? b.node('Pow', [x, k(b, 3)])
      : o.cube === '(x*x)*x'
        ? b.node('Mul', [b.node('Mul', [x, x]), x])
        : o.cube === 'x*x'
          ? b.node('Mul', [x, x])
          : b.node('Mul', [x, b.node('Mul', [x, x])]);
  const inner = b.node('Add', [x, b.node('Mul', [k(b, o.cubic ?? f(0.044715)), cube])]);
  const t = b.node('Tanh', [b.node('Mul', [k(b, o.scale ?? f(Math.sqrt(2 / Math.PI))), inner])]);
  return b.node('Add', [k(b, 1), t]);
};
type Gate = (b: GraphBuilder, x: string) => string;
// The three ways of multiplying x, G and ½.
const tails: Record<string, (b: GraphBuilder, x: string, g: Gate) => string> = {
  '(x·G)·½': (b, x, g) => b.node('Mul', [b.node('Mul', [x, g(b, x)]), k(b, 0.5)]),
  '½·(G·x)': (b, x, g) => b.node('Mul', [k(b, 0.5, [1]), b.node('Mul', [g(b, x), x])]),
  'x·(G·½)': (b, x, g) => b.node('Mul', [x, b.node('Mul', [g(b, x), k(b, 0.5)])]),
  '(x·½)·G': (b, x, g) => b.node('Mul', [b.node('Mul', [k(b, 0.5), x]), g(b, x)]),
  '(x·G)/2': (b, x, g) => b.node('Div', [b.node('Mul', [g(b, x), x]), k(b, 2)]),
};

const MATCHED: [string, 'none' | 'tanh', Build][] = [
  ...Object.entries(tails).map(([name, tail]): [string, 'none', Build] => [`erf ${name}`, 'none', (b, x) => tail(b, x, (bb, xx) => erfGate(bb, xx))]),
  ['erf x·(1/√2), 1 + erf', 'none', (b, x) => tails['(x·G)·½']!(b, x, (bb, xx) => erfGate(bb, xx, { mul: true, swapAdd: true }))],
  ['erf rounded √2 = 1.41421', 'none', (b, x) => tails['(x·G)·½']!(b, x, (bb, xx) => erfGate(bb, xx, { c: 1.41421 }))],
  ...Object.entries(tails).map(([name, tail]): [string, 'tanh', Build] => [`tanh ${name}`, 'tanh', (b, x) => tail(b, x, (bb, xx) => tanhGate(bb, xx))]),
  ['tanh Pow(x, 3), √(2/π) in f64', 'tanh', (b, x) => tails['(x·½)·G']!(b, x, (bb, xx) => tanhGate(bb, xx, { cube: 'pow', scale: Math.sqrt(2 / Math.PI) }))],
  ['tanh (x·x)·x', 'tanh', (b, x) => tails['(x·G)·½']!(b, x, (bb, xx) => tanhGate(bb, xx, { cube: '(x*x)*x' }))],
];

describe('fuseGelu', () => {
  it.each(MATCHED)('%s -> Gelu(approximate=%s)', (_, approximate, build) => {
    const g = graphOf(build);
    const before = snapshot(g);
    const out = fuseGelu(g);
    expect(snapshot(g)).toBe(before); // pure
    expect(opsOf(out)).toEqual(['Gelu', 'Identity']);
    expect(out.nodes[0]!.inputs).toEqual(['x']);
    expect(out.nodes[0]!.attrs).toEqual({ approximate });
    // the idiom rounds to f32 after each node, Gelu once: a few ulp apart (norm-relative)
    expectEquivalent(out, g, { x: input() }, 2e-7);
  });

  const LEFT_ALONE: [string, Build, ((b: GraphBuilder) => string | undefined)?][] = [
    ['erf with x/1.5', (b, x) => tails['(x·G)·½']!(b, x, (bb, xx) => erfGate(bb, xx, { c: 1.5 }))],
    ['erf with x/1.414 (1e-4 off)', (b, x) => tails['(x·G)·½']!(b, x, (bb, xx) => erfGate(bb, xx, { c: 1.414 }))],
    ['erf, Add 2', (b, x) => b.node('Mul', [b.node('Mul', [x, b.node('Add', [b.node('Erf', [b.node('Div', [x, k(b, Math.SQRT2)])]), k(b, 2)])]), k(b, 0.5)])],
    ['erf, Mul 0.6', (b, x) => b.node('Mul', [b.node('Mul', [x, erfGate(b, x)]), k(b, 0.6)])],
    ['erf, times another tensor', (b, x) => b.node('Mul', [b.node('Mul', [b.node('Neg', [x]), erfGate(b, x)]), k(b, 0.5)])],
    ['tanh with 0.05 x³', (b, x) => tails['(x·G)·½']!(b, x, (bb, xx) => tanhGate(bb, xx, { cubic: 0.05 }))],
    ['tanh with x² for x³', (b, x) => tails['(x·G)·½']!(b, x, (bb, xx) => tanhGate(bb, xx, { cube: 'x*x' }))],
    ['tanh with √(2/π) = 0.8', (b, x) => tails['(x·G)·½']!(b, x, (bb, xx) => tanhGate(bb, xx, { scale: 0.8 }))],
    ['½ as a non-scalar [1, 3, 1, 1]', (b, x) => b.node('Mul', [b.node('Mul', [x, erfGate(b, x)]), b.init('halves', tensorF32([1, 3, 1, 1], [0.5, 0.5, 0.5]))])],
    // the Erf output is also a graph output: removing its node would lose it
    ['Erf output read elsewhere (graph output)', (b, x) => tails['(x·G)·½']!(b, x, (bb, xx) => erfGate(bb, xx)), () => 'erf_out'],
    ['Erf output read by another node', (b, x) => tails['(x·G)·½']!(b, x, (bb, xx) => erfGate(bb, xx)), (b) => b.node('Relu', ['erf_out'])],
  ];

  it.each(LEFT_ALONE)('leaves %s alone', (_, build, extra) => {
    const g = graphOf(build, extra);
    const out = fuseGelu(g);
    expect(opsOf(out)).toEqual(opsOf(g));
    expect(out.nodes.some((n) => n.op === 'Gelu')).toBe(false);
  });

  it('two GELUs sharing x both fuse; each keeps its own output', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', SHAPE);
    b.output(tails['(x·G)·½']!(b, 'x', (bb, xx) => erfGate(bb, xx)));
    b.output(tails['(x·½)·G']!(b, 'x', (bb, xx) => tanhGate(bb, xx)));
    const g = b.build();
    const out = fuseGelu(g);
    expect(opsOf(out)).toEqual(['Gelu', 'Gelu']);
    expect(out.nodes.map((n) => n.attrs['approximate'])).toEqual(['none', 'tanh']);
    expectEquivalent(out, g, { x: input() }, 2e-7);
  });
});

describe('GELU through optimize', () => {
  it('Linear over the last axis of [2, 9, 24] (MatMul + bias + erf GELU) -> Reshape, FusedGemm gelu, Reshape', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [2, 9, 24]);
    b.init('w', tensorF32([24, 40], uniform(24 * 40, 3, -0.4, 0.4)));
    b.init('bias', tensorF32([40], uniform(40, 4, -0.5, 0.5)));
    const y = b.node('Add', ['bias', b.node('MatMul', ['x', 'w'])]);
    b.output(tails['(x·G)·½']!(b, y, (bb, xx) => erfGate(bb, xx)));
    const g = b.build();
    const out = optimize(g);
    expect(opsOf(out)).toEqual(['Reshape', 'FusedGemm', 'Reshape']);
    expect(out.nodes[1]!.attrs['activation']).toBe('gelu');
    expect(out.nodes.some((n) => n.op === 'Erf')).toBe(false);
    const x = input(5, [2, 9, 24]);
    expect(run(out, { x })[g.outputs[0]!.name]!.shape).toEqual([2, 9, 40]);
    expectEquivalent(out, g, { x }, 1e-6);
  });

  it('Conv + tanh GELU -> FusedConv gelu_tanh', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', SHAPE);
    const y = addConv(b, 'x', 3, 8, 21);
    b.output(tails['(x·½)·G']!(b, y, (bb, xx) => tanhGate(bb, xx, { cube: 'pow' })));
    const g = b.build();
    const out = optimize(g);
    expect(opsOf(out)).toEqual(['FusedConv']);
    expect(out.nodes[0]!.attrs['activation']).toBe('gelu_tanh');
    expectEquivalent(out, g, { x: input() }, 1e-6);
  });

  it('MatMul whose output has another reader keeps the activation outside the Gemm', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [2, 9, 24]);
    b.init('w', tensorF32([24, 40], uniform(24 * 40, 3, -0.4, 0.4)));
    const y = b.node('MatMul', ['x', 'w']);
    b.output(tails['(x·G)·½']!(b, y, (bb, xx) => erfGate(bb, xx)));
    b.output(y);
    const g = b.build();
    const out = optimize(g);
    expect(opsOf(out)).toEqual(['Reshape', 'Gemm', 'Reshape', 'Gelu']);
    expectEquivalent(out, g, { x: input(5, [2, 9, 24]) }, 1e-6);
  });

  it('an opset-17 ONNX Linear + GELU (PyTorch export: Erf and Tanh forms) matches onnxruntime after optimize', async () => {
    const shape = [1, 6, 5, 16];
    const f = (name: string, dims: number[], v: number[]) => ({ name, data_type: 1, dims, float_data: v });
    const scalars = [f('sqrt2', [], [Math.fround(Math.SQRT2)]), f('one', [], [1]), f('half', [], [0.5]), f('three', [], [3])];
    const cubic = f('cubic', [], [Math.fround(0.044715)]);
    const scale = f('scale', [], [Math.fround(Math.sqrt(2 / Math.PI))]);
    const w = f('w', [16, 24], Array.from(uniform(16 * 24, 31, -0.5, 0.5)));
    const bias = f('bias', [24], Array.from(uniform(24, 32, -0.5, 0.5)));
    const bytes = encodeModel({
      opset: 17,
      nodes: [
        node('MatMul', ['x', 'w'], ['mm'], 'mm'),
        node('Add', ['bias', 'mm'], ['h'], 'bias_add'),
        // erf form on h
        node('Div', ['h', 'sqrt2'], ['d'], 'div'),
        node('Erf', ['d'], ['e'], 'erf'),
        node('Add', ['e', 'one'], ['g'], 'add1'),
        node('Mul', ['h', 'g'], ['hg'], 'mul1'),
        node('Mul', ['hg', 'half'], ['y'], 'mul2'),
        // tanh form on x (HF "new GELU": Pow, (x · ½) · G)
        node('Pow', ['x', 'three'], ['x3'], 'pow'),
        node('Mul', ['cubic', 'x3'], ['cx3'], 'cmul'),
        node('Add', ['x', 'cx3'], ['inner'], 'iadd'),
        node('Mul', ['scale', 'inner'], ['u'], 'smul'),
        node('Tanh', ['u'], ['t'], 'tanh'),
        node('Add', ['one', 't'], ['gt'], 'tadd'),
        node('Mul', ['x', 'half'], ['hx'], 'hmul'),
        node('Mul', ['hx', 'gt'], ['z'], 'zmul'),
      ],
      inputs: [valueInfo('x', shape)],
      outputs: [valueInfo('y', [1, 6, 5, 24]), valueInfo('z', shape)],
      initializers: [...scalars, cubic, scale, w, bias],
    });
    const g = importOnnx(bytes);
    const out = optimize(g);
    expect(opsOf(out).sort()).toEqual(['FusedGemm', 'Gelu', 'Reshape', 'Reshape']);
    expect(out.nodes.find((n) => n.op === 'FusedGemm')!.attrs['activation']).toBe('gelu');
    expect(out.nodes.find((n) => n.op === 'Gelu')!.attrs['approximate']).toBe('tanh');
    const x = input(41, shape);
    const session = await ort.InferenceSession.create(bytes);
    const ref = await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, shape) });
    const got = run(out, { x });
    for (const name of ['y', 'z']) {
      const [a, b] = [got[name]!.data as Float32Array, ref[name]!.data as Float32Array];
      let num = 0;
      let den = 0;
      a.forEach((v, i) => ((num += (v - b[i]!) ** 2), (den += b[i]! ** 2)));
      expect(Math.sqrt(num / den), name).toBeLessThanOrEqual(1e-6);
    }
  });
});
