/**
 * Winograd F(2x2,3x3) lowering (src/backends/webgpu/lower.ts lowerWinograd) checked on the CPU reference: the three
 * Winograd ops (src/backends/cpu/winograd.ts) must reproduce the plain Conv / FusedConv they replace, on odd channel
 * counts, pads 0/1/2, odd H/W (partial tiles), batch 2 and every epilogue form.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import { convVariantsFor, defaultConvVariant, setConvVariantOverride, type ConvShape } from '../../../src/backends/webgpu/conv_select.js';
import { lowerWinograd } from '../../../src/backends/webgpu/lower.js';
import { GraphBuilder, tensorF32 } from '../../../src/graph/builder.js';
import type { Attrs, Graph, Tensor } from '../../../src/graph/ir.js';
import { sizeOf } from '../../../src/graph/ir.js';
import { winogradWeights } from '../../../src/graph/ops/winograd.js';
import { randomInput, relativeError, snapshot, uniform } from '../../graph/passes/helpers.js';

afterEach(() => setConvVariantOverride(undefined));
const forceWinograd = () => setConvVariantOverride(() => 'winograd');

interface Case {
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  pads: [number, number, number, number];
  op?: 'Conv' | 'FusedConv';
  attrs?: Attrs;
  bias?: boolean;
  residual?: boolean;
  seed: number;
}

function convGraph(c: Case): { graph: Graph; feeds: Record<string, Tensor>; y: string } {
  const b = new GraphBuilder();
  b.input('x', 'f32', [c.n, c.cin, c.h, c.w]);
  const oh = c.h + c.pads[0] + c.pads[2] - 2;
  const ow = c.w + c.pads[1] + c.pads[3] - 2;
  b.init('w', tensorF32([c.cout, c.cin, 3, 3], uniform(c.cout * c.cin * 9, c.seed, -0.5, 0.5)));
  const inputs = ['x', 'w'];
  if (c.bias ?? true) inputs.push(b.init('b', tensorF32([c.cout], uniform(c.cout, c.seed + 1, -0.3, 0.3))));
  else if (c.residual) inputs.push('');
  const feeds: Record<string, Tensor> = { x: randomInput([c.n, c.cin, c.h, c.w], c.seed + 2) };
  if (c.residual) {
    b.input('r', 'f32', [c.n, c.cout, oh, ow]);
    feeds['r'] = randomInput([c.n, c.cout, oh, ow], c.seed + 3);
    inputs.push('r');
  }
  const y = b.node(c.op ?? 'Conv', inputs, { kernel_shape: [3, 3], pads: c.pads, ...(c.attrs ?? {}) }, 'conv');
  b.output(y);
  return { graph: b.build(), feeds, y };
}

const run = (g: Graph, feeds: Record<string, Tensor>) => new CpuExecutor(g).run(feeds);

describe('lowerWinograd on the CPU reference', () => {
  const cases: Case[] = [
    { n: 1, cin: 3, cout: 5, h: 7, w: 9, pads: [1, 1, 1, 1], seed: 1 },
    { n: 2, cin: 7, cout: 9, h: 9, w: 6, pads: [0, 0, 0, 0], seed: 2 },
    { n: 2, cin: 5, cout: 11, h: 5, w: 7, pads: [2, 2, 2, 2], seed: 3 },
    { n: 1, cin: 4, cout: 3, h: 6, w: 5, pads: [0, 1, 2, 1], bias: false, seed: 4 },
    { n: 2, cin: 6, cout: 8, h: 7, w: 7, pads: [1, 1, 1, 1], op: 'FusedConv', attrs: { activation: 'relu' }, residual: true, seed: 5 },
    { n: 2, cin: 5, cout: 7, h: 5, w: 9, pads: [1, 1, 1, 1], op: 'FusedConv', attrs: { activation: 'clip', act_min: -0.2, act_max: 0.4, residual_after_activation: 1 }, residual: true, bias: false, seed: 6 },
    { n: 1, cin: 9, cout: 4, h: 3, w: 3, pads: [0, 0, 0, 0], op: 'FusedConv', attrs: { activation: 'leaky_relu', act_alpha: 0.1 }, seed: 7 },
  ];
  for (const c of cases) {
    it(`${c.op ?? 'Conv'} N${c.n} ${c.cin}->${c.cout} ${c.h}x${c.w} pads [${c.pads}]${c.residual ? ' +residual' : ''}${c.attrs ? ` ${c.attrs['activation']}` : ''}`, () => {
      const { graph, feeds, y } = convGraph(c);
      const before = snapshot(graph);
      forceWinograd();
      const low = lowerWinograd(graph);
      expect(snapshot(graph)).toBe(before);
      expect(low.nodes.map((n) => n.op)).toEqual(['WinogradInput', 'WinogradGemm', 'WinogradOutput']);
      expect(low.nodes[2]!.outputs).toEqual(graph.nodes[0]!.outputs);
      const want = run(graph, feeds);
      const got = run(low, feeds);
      expect(got[y]!.shape).toEqual(want[y]!.shape);
      const err = relativeError(got, want);
      expect(err).toBeLessThanOrEqual(1e-5);
    });
  }

  it('leaves strided, dilated, grouped, 5x5, runtime-weight and over-padded convs alone even when forced', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 4, 12, 12]);
    b.input('wr', 'f32', [4, 4, 3, 3]);
    b.init('w', tensorF32([4, 4, 3, 3], uniform(144, 1)));
    b.init('wg', tensorF32([4, 2, 3, 3], uniform(72, 2)));
    b.init('w5', tensorF32([4, 4, 5, 5], uniform(400, 3)));
    b.output(b.node('Conv', ['x', 'w'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }));
    b.output(b.node('Conv', ['x', 'w'], { kernel_shape: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] }));
    b.output(b.node('Conv', ['x', 'wg'], { kernel_shape: [3, 3], group: 2, pads: [1, 1, 1, 1] }));
    b.output(b.node('Conv', ['x', 'w5'], { kernel_shape: [5, 5], pads: [2, 2, 2, 2] }));
    b.output(b.node('Conv', ['x', 'wr'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }));
    b.output(b.node('Conv', ['x', 'w'], { kernel_shape: [3, 3], pads: [3, 3, 3, 3] }));
    const g = b.build();
    forceWinograd();
    expect(lowerWinograd(g)).toBe(g);
  });

  it('leaves convs with f16 weights alone unless keepHalfWeights is false', () => {
    const { graph } = convGraph({ n: 1, cin: 4, cout: 4, h: 8, w: 8, pads: [1, 1, 1, 1], seed: 10 });
    const w = graph.initializers.get('w')!;
    const half: Graph = { ...graph, initializers: new Map([...graph.initializers, ['w', { ...w, dtype: 'f16', data: new Uint16Array(w.data.length) }]]) };
    expect(lowerWinograd(half, undefined, () => 'winograd')).toBe(half);
    expect(lowerWinograd(half, undefined, () => 'winograd', { keepHalfWeights: false }).nodes).toHaveLength(3);
  });

  it('asks the per-session chooser first, and the default rule without one', () => {
    const { graph } = convGraph({ n: 1, cin: 4, cout: 4, h: 8, w: 8, pads: [1, 1, 1, 1], seed: 8 });
    const seen: ConvShape[] = [];
    const low = lowerWinograd(graph, undefined, (s) => (seen.push(s), 'winograd'));
    expect(low.nodes.map((n) => n.op)).toEqual(['WinogradInput', 'WinogradGemm', 'WinogradOutput']);
    expect(seen[0]).toMatchObject({ cin: 4, cout: 4, ih: 8, iw: 8, oh: 8, ow: 8, kh: 3, pads: [1, 1, 1, 1], constWeights: true });
    expect(lowerWinograd(graph, undefined, () => 'conv2d_gemm')).toBe(graph);
    // Input shapes decide: the same graph at batch 3 lowers with tiles for 3 images.
    const dynamic: Graph = { ...graph, inputs: [{ ...graph.inputs[0]!, shape: [-1, 4, 8, 8] }] };
    const batch3 = lowerWinograd(dynamic, { x: [3, 4, 8, 8] }, () => 'winograd');
    expect(batch3.nodes[2]!.attrs['output_shape']).toEqual([3, 4, 8, 8]);
  });
});

describe('Winograd weight transform', () => {
  it('U = G g Gᵀ matches the definition computed with explicit matrices', () => {
    const G = [
      [1, 0, 0],
      [0.5, 0.5, 0.5],
      [0.5, -0.5, 0.5],
      [0, 0, 1],
    ];
    const k = 3;
    const c = 2;
    const w = uniform(k * c * 9, 21);
    const u = winogradWeights(w, k, c);
    for (let oc = 0; oc < k; oc++)
      for (let ic = 0; ic < c; ic++)
        for (let i = 0; i < 4; i++)
          for (let j = 0; j < 4; j++) {
            let want = 0;
            for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) want += G[i]![a]! * w[(oc * c + ic) * 9 + a * 3 + b]! * G[j]![b]!;
            expect(u[((4 * i + j) * c + ic) * k + oc]).toBeCloseTo(want, 12);
          }
  });

  it('the GEMM output is zero past the real channel count and the padding tiles', () => {
    const { graph, feeds } = convGraph({ n: 1, cin: 3, cout: 5, h: 5, w: 5, pads: [1, 1, 1, 1], seed: 9 });
    forceWinograd();
    const low = lowerWinograd(graph);
    const m = low.nodes[1]!.outputs[0]!;
    const out = new CpuExecutor({ ...low, outputs: [{ name: m, dtype: 'f32', shape: [] }] }).run(feeds)[m]!;
    expect(out.shape).toEqual([16, 16, 8]); // 9 tiles padded to 16, 5 channels padded to 8
    const d = out.data as Float32Array;
    for (let e = 0; e < 16; e++)
      for (let t = 0; t < 16; t++)
        for (let k = 0; k < 8; k++) if (t >= 9 || k >= 5) expect(d[(e * 16 + t) * 8 + k]).toBe(0);
    expect(sizeOf(out.shape)).toBe(d.length);
  });
});

describe('the Winograd rule (conv_select.ts)', () => {
  const shape = (cin: number, cout: number, hw: number, extra: Partial<ConvShape> = {}): ConvShape => ({
    n: 1, cin, ih: hw, iw: hw, cout, oh: hw, ow: hw, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pads: [1, 1, 1, 1], group: 1, constWeights: true, ...extra,
  });
  it('picks winograd for the measured ResNet / DenseNet / SqueezeNet 3x3 layers and not for the losing edge cases', () => {
    for (const s of [shape(64, 64, 56), shape(512, 512, 7), shape(16, 16, 32), shape(128, 32, 7), shape(16, 64, 55), shape(256, 256, 4)])
      expect(defaultConvVariant(s), JSON.stringify(s)).toBe('winograd');
    for (const s of [shape(3, 16, 32), shape(8, 8, 16), shape(64, 4, 16), shape(512, 512, 2), shape(64, 64, 56, { sh: 2, sw: 2, oh: 28, ow: 28 }), shape(64, 64, 56, { constWeights: false })])
      expect(defaultConvVariant(s), JSON.stringify(s)).not.toBe('winograd');
    // Too big for one 128 MiB binding: not even offered.
    expect(convVariantsFor(shape(256, 256, 448))).not.toContain('winograd');
  });
});
