import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import { GraphBuilder, tensorF32 } from '../../../src/graph/builder.js';
import type { Graph, Tensor } from '../../../src/graph/ir.js';
import { validateGraph } from '../../../src/graph/ops/index.js';
import { binarize, binarySummary, exactBinaryWeights, formatBinarySummary, signThresholds } from '../../../src/graph/passes/binarize.js';
import { optimize } from '../../../src/graph/passes/index.js';
import { mulberry32 } from '../../harness/rng.js';

const fr = Math.fround;

/** Next / previous f32 (finite, non-NaN input). */
function nextF32(x: number, dir: 1 | -1): number {
  const f = new Float32Array([x]);
  const i = new Int32Array(f.buffer);
  if (x === 0) return dir * 2 ** -149;
  i[0]! += (x > 0 ? 1 : -1) * dir;
  return f[0]!;
}

/** +-alpha[o] weights (OIHW), optionally with one element nudged by one ulp. */
function binaryWeights(r: () => number, shape: number[], perturb = false): Tensor {
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  const alpha = Array.from({ length: shape[0]! }, () => fr(0.05 + r()));
  const w = new Float32Array(shape[0]! * per);
  for (let i = 0; i < w.length; i++) w[i] = (r() < 0.5 ? -1 : 1) * alpha[Math.floor(i / per)]!;
  if (perturb) w[Math.floor(w.length / 2)] = nextF32(w[Math.floor(w.length / 2)]!, 1);
  return tensorF32(shape, w);
}

function randomBn(b: GraphBuilder, r: () => number, prefix: string, c: number): string[] {
  const scale = Array.from({ length: c }, (_, i) => (i % 4 === 1 ? -1 : 1) * (0.5 + r()) * (i % 7 === 3 ? 0 : 1)); // negative and zero scales
  const names = [
    b.init(`${prefix}.scale`, tensorF32([c], scale)),
    b.init(`${prefix}.bias`, tensorF32([c], Array.from({ length: c }, () => r() - 0.5))),
    b.init(`${prefix}.mean`, tensorF32([c], Array.from({ length: c }, () => r() - 0.5))),
    b.init(`${prefix}.var`, tensorF32([c], Array.from({ length: c }, () => 0.5 + r()))),
  ];
  return names;
}

interface XnorOptions {
  sign: 'where' | 'sign';
  bn: boolean;
  pad?: { value: number; pads: number[] };
  convPads?: number[];
  perturb?: boolean;
  bias?: boolean;
  cin?: number;
}

function sign(b: GraphBuilder, x: string, kind: 'where' | 'sign'): string {
  if (kind === 'sign') return b.node('Sign', [x], {}, 'sign');
  const zero = b.init('zero', tensorF32([], [0]));
  const gt = b.node('Greater', [x, zero], {}, 'gt');
  return b.node('Where', [gt, b.init('one', tensorF32([], [1])), b.init('minus_one', tensorF32([], [-1]))], {}, 'where');
}

function xnorConvGraph(o: XnorOptions, seed = 1): Graph {
  const r = mulberry32(seed);
  const c = o.cin ?? 37;
  const b = new GraphBuilder();
  b.input('x', 'f32', [2, c, 6, 7]);
  let h = 'x';
  if (o.bn) h = b.node('BatchNormalization', [h, ...randomBn(b, r, 'bn', c)], { epsilon: 1e-5 }, 'bn');
  h = sign(b, h, o.sign);
  if (o.pad) h = b.node('Pad', [h], { pads: [0, 0, ...o.pad.pads.slice(0, 2), 0, 0, ...o.pad.pads.slice(2)], mode: 'constant', value: o.pad.value }, 'pad');
  const inputs = [h, b.init('w', binaryWeights(r, [5, c, 3, 3], o.perturb))];
  if (o.bias) inputs.push(b.init('bias', tensorF32([5], [0.1, -0.2, 0.3, 0, 1])));
  const y = b.node('Conv', inputs, { kernel_shape: [3, 3], pads: o.convPads ?? [0, 0, 0, 0] }, 'conv');
  b.output(y);
  return b.build();
}

/** Inputs with exact zeros and values landing exactly on the BN's sign change. */
function testInput(shape: number[], seed: number): Tensor {
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensorF32(shape, Array.from({ length: n }, () => (r() < 0.15 ? 0 : (r() - 0.5) * 4)));
}

function run(graph: Graph, x: Tensor): Float32Array {
  return Object.values(new CpuExecutor(graph).run({ x }))[0]!.data as Float32Array;
}

function ops(graph: Graph): string[] {
  return graph.nodes.map((n) => n.op);
}

describe('exactBinaryWeights', () => {
  it('accepts +-alpha per output channel and rejects anything else', () => {
    expect(exactBinaryWeights([0.5, -0.5, 0.5, 2, 2, -2], 2, 3, 1)?.alpha).toEqual(Float32Array.of(0.5, 2));
    expect(exactBinaryWeights([0.5, -0.5, 0.25, 2, 2, -2], 2, 3, 1)).toBeUndefined();
    expect(exactBinaryWeights([0.5, -0.5, NaN, 2, 2, -2], 2, 3, 1)).toBeUndefined();
    expect(exactBinaryWeights([Infinity, -Infinity], 1, 2, 1)).toBeUndefined();
    expect(exactBinaryWeights([0, -0, 0], 1, 3, 1)?.alpha).toEqual(Float32Array.of(0));
  });
});

describe('signThresholds', () => {
  it('reproduces sign(fround(x * a + b)) for every x tried, at and around the thresholds', () => {
    const r = mulberry32(42);
    const cases: [number, number][] = [[1, 0], [-1, 0], [0, 0.5], [0, -0.5], [0, 0], [1e-30, -1], [-3, 1e-38], [2.5, -0.1]];
    for (let i = 0; i < 300; i++) cases.push([(r() - 0.5) * 10 ** (4 * r() - 2), (r() - 0.5) * 10 ** (4 * r() - 2)]);
    for (const [a, b] of cases) {
      const [s, lo, hi] = signThresholds(a, b)!;
      const xs = [0, -0, 1, -1, 3.4e38, -3.4e38, ...Array.from({ length: 20 }, () => fr((r() - 0.5) * 100))];
      for (const t of [lo, hi]) if (Number.isFinite(t)) xs.push(s * t, s * nextF32(t, 1), s * nextF32(t, -1));
      xs.push(Infinity, -Infinity);
      // With a == 0, infinities give y = NaN (documented exception).
      for (const x of xs.filter((v) => a !== 0 || Number.isFinite(v))) {
        const y = fr(x * a + b);
        expect(s * x > hi, `a=${a} b=${b} x=${x} y=${y}`).toBe(y > 0);
        expect(s * x < lo, `a=${a} b=${b} x=${x} y=${y}`).toBe(y < 0);
      }
    }
  });

  it('flips the comparison for negative scales and gives up on NaN', () => {
    expect(signThresholds(-2, 1)![0]).toBe(-1);
    expect(signThresholds(NaN, 1)).toBeUndefined();
  });
});

describe('binarize: XNOR layers', () => {
  const variants: [string, XnorOptions, Record<string, unknown>][] = [
    ['BN -> Where -> Pad(-1) -> Conv', { sign: 'where', bn: true, pad: { value: -1, pads: [1, 1, 1, 1] } }, { pad_value: -1, zero_sign: -1, pads: [1, 1, 1, 1] }],
    ['BN -> Sign -> Conv(pads 1)', { sign: 'sign', bn: true, convPads: [1, 1, 1, 1], bias: true }, { pad_value: 0, zero_sign: 0, pads: [1, 1, 1, 1] }],
    ['Where -> Pad(0) -> Conv(pads 1): pads merge', { sign: 'where', bn: false, pad: { value: 0, pads: [0, 1, 2, 0] }, convPads: [1, 1, 1, 1] }, { pad_value: 0, pads: [1, 2, 3, 1] }],
    ['Sign -> Conv, 64 channels', { sign: 'sign', bn: false, cin: 64 }, { zero_sign: 0 }],
  ];
  for (const [label, options, attrs] of variants) {
    it(`${label}: rewritten to one BinaryConv with identical CPU output`, () => {
      const g = xnorConvGraph(options);
      const before = JSON.stringify(ops(g));
      const out = binarize(g);
      expect(ops(g)).toEqual(JSON.parse(before)); // input untouched
      expect(ops(out)).toEqual(['BinaryConv']);
      validateGraph(out);
      const node = out.nodes[0]!;
      expect(node.attrs).toMatchObject(attrs);
      expect(node.inputs[0]).toBe('x');
      expect(out.initializers.get(node.inputs[1]!)!.dtype).toBe('binary');
      expect((node.inputs[4] ?? '') !== '').toBe(options.bn);
      const x = testInput([2, options.cin ?? 37, 6, 7], 3);
      expect(run(out, x)).toEqual(run(g, x));
    });
  }

  it('leaves a conv whose weights are one ulp off binary as float (nor does it become BWN)', () => {
    const g = xnorConvGraph({ sign: 'where', bn: true, pad: { value: -1, pads: [1, 1, 1, 1] }, perturb: true });
    expect(ops(binarize(g))).toEqual(ops(g));
  });

  it('does not mix -1 padding with the conv\'s own zero padding (becomes BWN, still exact)', () => {
    const g = xnorConvGraph({ sign: 'where', bn: false, pad: { value: -1, pads: [1, 1, 1, 1] }, convPads: [1, 1, 1, 1] });
    const out = binarize(g);
    expect(ops(out)).toEqual(['Greater', 'Where', 'Pad', 'BinaryWeightConv']);
    const x = testInput([2, 37, 6, 7], 4);
    expect(run(out, x)).toEqual(run(g, x));
  });

  it('keeps the sign nodes when another consumer still reads them', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 33, 4, 4]);
    const s = sign(b, 'x', 'where');
    const y = b.node('Conv', [s, b.init('w', binaryWeights(mulberry32(2), [4, 33, 1, 1]))], { kernel_shape: [1, 1] }, 'conv');
    b.output(y);
    b.output(b.node('Relu', [s], {}, 'relu'));
    const g = b.build();
    const out = binarize(g);
    expect(ops(out)).toEqual(['Greater', 'Where', 'BinaryConv', 'Relu']);
    const x = testInput([1, 33, 4, 4], 5);
    const [a, c] = [new CpuExecutor(out).run({ x }), new CpuExecutor(g).run({ x })];
    for (const k of Object.keys(c)) expect(a[k]!.data).toEqual(c[k]!.data);
  });

  it('Gemm (transB 0/1, bias) and MatMul after BN -> sign become BinaryGemm with identical output', () => {
    for (const form of ['gemmT', 'gemm', 'matmul'] as const) {
      const r = mulberry32(8);
      const b = new GraphBuilder();
      b.input('x', 'f32', [3, 70]);
      const bn = b.node('BatchNormalization', ['x', ...randomBn(b, r, 'bn', 70)], {}, 'bn');
      const s = sign(b, bn, 'where');
      const w = binaryWeights(r, [9, 70]); // [M, K]
      let y: string;
      if (form === 'gemmT') y = b.node('Gemm', [s, b.init('w', w), b.init('c', tensorF32([9], Array.from({ length: 9 }, () => r())))], { transB: 1 }, 'fc');
      else {
        const wt = new Float32Array(70 * 9);
        for (let o = 0; o < 9; o++) for (let k = 0; k < 70; k++) wt[k * 9 + o] = (w.data as Float32Array)[o * 70 + k]!;
        y = form === 'gemm' ? b.node('Gemm', [s, b.init('w', tensorF32([70, 9], wt))], {}, 'fc') : b.node('MatMul', [s, b.init('w', tensorF32([70, 9], wt))], {}, 'fc');
      }
      b.output(y);
      const g = b.build();
      const out = binarize(g);
      expect(ops(out), form).toEqual(['BinaryGemm']);
      validateGraph(out);
      const x = testInput([3, 70], 6);
      expect(run(out, x), form).toEqual(run(g, x));
    }
  });
});

describe('binarize: BWN layers', () => {
  function bwnGraph(perturb: boolean): Graph {
    const r = mulberry32(12);
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 16, 8, 8]);
    const c = b.node('Conv', ['x', b.init('w', binaryWeights(r, [8, 16, 3, 3], perturb)), b.init('b', tensorF32([8], [1, 2, 3, 4, 5, 6, 7, 8]))], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }, 'conv');
    b.output(b.node('Relu', [c], {}, 'relu'));
    return b.build();
  }

  it('float-input conv with exactly binary weights -> BinaryWeightConv (after optimize: ReLU fused), identical output', () => {
    const g = optimize(bwnGraph(false));
    const out = binarize(g);
    expect(ops(out)).toEqual(['BinaryWeightConv']);
    expect(out.nodes[0]!.attrs['activation']).toBe('relu');
    const x = testInput([1, 16, 8, 8], 7);
    expect(run(out, x)).toEqual(run(g, x));
    expect(ops(binarize(g, { bwn: false }))).toEqual(['FusedConv']);
  });

  it('a residual block (conv -> BN -> Add(shortcut) -> ReLU) keeps its residual in the BWN epilogue, identical output', () => {
    const r = mulberry32(13);
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 16, 6, 6]);
    const c = b.node('Conv', ['x', b.init('w', binaryWeights(r, [16, 16, 3, 3]))], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv');
    const bn = b.node('BatchNormalization', [c, ...randomBn(b, r, 'bn', 16)], {}, 'bn');
    b.output(b.node('Relu', [b.node('Add', [bn, 'x'], {}, 'add')], {}, 'relu'));
    const g = optimize(b.build());
    expect(ops(g)).toEqual(['FusedConv']);
    const out = binarize(g);
    expect(ops(out)).toEqual(['BinaryWeightConv']);
    expect(out.nodes[0]!.inputs[5]).toBe('x');
    expect(out.nodes[0]!.inputs[4]).toBe('');
    validateGraph(out);
    const x = testInput([1, 16, 6, 6], 9);
    expect(run(out, x)).toEqual(run(g, x));
  });

  it('perturbed weights stay float', () => {
    expect(ops(binarize(bwnGraph(true)))).toEqual(['Conv', 'Relu']);
  });

  it('skips convs where bits + alpha would not be smaller than the float weights', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 1, 4, 4]);
    b.output(b.node('Conv', ['x', b.init('w', tensorF32([3, 1, 1, 1], [0.5, -2, 1]))], { kernel_shape: [1, 1] }, 'conv'));
    expect(ops(binarize(b.build()))).toEqual(['Conv']);
  });
});

describe('binarySummary', () => {
  it('lists binary layers with float vs packed bytes', () => {
    const out = binarize(xnorConvGraph({ sign: 'where', bn: true, pad: { value: -1, pads: [1, 1, 1, 1] } }));
    const s = binarySummary(out);
    expect(s.layers).toHaveLength(1);
    // 5 x 37 x 3 x 3 f32 weights; bits: 5 * 9 taps * 2 words * 4 bytes, + 5 alphas
    expect(s.layers[0]).toEqual({ node: 'conv', op: 'BinaryConv', weightShape: [5, 37, 3, 3], floatBytes: 4 * 5 * 37 * 9, binaryBytes: 5 * 9 * 2 * 4 + 20 });
    expect(s.savedBytes).toBe(s.floatBytes - s.binaryBytes);
    const text = formatBinarySummary(s).join('\n');
    expect(text).toMatch(/BinaryConv\s+conv/);
    expect(text).toMatch(/saved/);
    expect(formatBinarySummary(binarySummary(xnorConvGraph({ sign: 'where', bn: false, perturb: true })))).toEqual(['binary layers: none']);
  });
});
