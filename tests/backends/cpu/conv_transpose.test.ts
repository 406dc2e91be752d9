/**
 * ConvTranspose CPU reference vs onnxruntime-node: small ONNX models built here (tests/import/onnx/helpers.ts
 * encodeModel), imported by `importOnnx`, run by the CpuExecutor and by onnxruntime on the same seeded input.
 * Covers strides 1/2/3, asymmetric pads, output_padding, dilations 1/2, groups (incl. depthwise), every auto_pad,
 * output_shape, 1-D / 2-D / 3-D, with and without bias, and the opset forms 1 (ORT's oldest: 7), 11 and 22.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import { inferShapes } from '../../../src/graph/ops/index.js';
import { optimize } from '../../../src/graph/passes/index.js';
import { graphStats } from '../../../src/graph/stats.js';
import { importOnnx } from '../../../src/import/onnx/index.js';
import { randomF32 } from '../../harness/rng.js';
import { encodeModel, intsAttr, node, valueInfo } from '../../import/onnx/helpers.js';

export interface CtCase {
  name: string;
  x: number[];
  /** W: [C_in, C_out/group, ...kernel]. */
  w: number[];
  bias?: boolean;
  strides?: number[];
  pads?: number[];
  outputPadding?: number[];
  dilations?: number[];
  group?: number;
  autoPad?: string;
  outputShape?: number[];
  opset?: number;
}

const CASES: CtCase[] = [
  { name: '2-D k3 s1', x: [1, 3, 5, 6], w: [3, 4, 3, 3], bias: true },
  { name: '2-D k4 s2 p1 (DB head / UNet up)', x: [2, 4, 6, 5], w: [4, 3, 4, 4], strides: [2, 2], pads: [1, 1, 1, 1], bias: true },
  { name: '2-D k2 s2 (no overlap)', x: [1, 5, 4, 7], w: [5, 2, 2, 2], strides: [2, 2] },
  { name: '2-D k3 s2 p1 op1', x: [1, 3, 5, 5], w: [3, 5, 3, 3], strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 1], bias: true },
  { name: '2-D k3 s3 asym pads', x: [1, 2, 4, 5], w: [2, 3, 3, 3], strides: [3, 3], pads: [0, 2, 1, 0] },
  { name: '2-D k5 s3 op2 (op < stride)', x: [1, 2, 3, 4], w: [2, 2, 5, 5], strides: [3, 3], outputPadding: [2, 1], pads: [1, 2, 2, 1] },
  { name: '2-D dil2 s1', x: [1, 3, 6, 5], w: [3, 2, 3, 3], dilations: [2, 2], pads: [1, 0, 2, 1], bias: true },
  { name: '2-D dil2 s2 k3', x: [1, 2, 5, 4], w: [2, 3, 3, 3], dilations: [2, 2], strides: [2, 2], pads: [2, 1, 1, 2] },
  { name: '2-D dil2 s3 op1 k2x3', x: [1, 2, 4, 4], w: [2, 2, 2, 3], dilations: [2, 2], strides: [3, 2], outputPadding: [1, 1] },
  { name: '2-D group 2', x: [1, 6, 4, 5], w: [6, 3, 3, 3], group: 2, strides: [2, 2], pads: [1, 1, 1, 1], bias: true },
  { name: '2-D group 3 odd', x: [2, 9, 3, 4], w: [9, 1, 2, 3], group: 3, strides: [2, 3], pads: [0, 1, 1, 0] },
  { name: '2-D depthwise k4 s2', x: [1, 8, 5, 5], w: [8, 1, 4, 4], group: 8, strides: [2, 2], pads: [1, 1, 1, 1], bias: true },
  { name: 'auto_pad SAME_UPPER k3 s2', x: [1, 3, 5, 4], w: [3, 2, 3, 3], strides: [2, 2], autoPad: 'SAME_UPPER', bias: true },
  { name: 'auto_pad SAME_LOWER k3 s2', x: [1, 3, 5, 4], w: [3, 2, 3, 3], strides: [2, 2], autoPad: 'SAME_LOWER' },
  { name: 'auto_pad SAME_UPPER k4 s3', x: [1, 2, 3, 4], w: [2, 2, 4, 4], strides: [3, 3], autoPad: 'SAME_UPPER' },
  { name: 'auto_pad VALID k3 s2', x: [1, 3, 4, 4], w: [3, 2, 3, 3], strides: [2, 2], autoPad: 'VALID' },
  { name: 'output_shape k3 s2', x: [1, 3, 5, 4], w: [3, 2, 3, 3], strides: [2, 2], outputShape: [10, 8], pads: [5, 5, 5, 5], bias: true },
  { name: 'output_shape odd crop', x: [1, 2, 5, 5], w: [2, 2, 3, 3], strides: [2, 2], outputShape: [8, 9] },
  { name: 'output_shape SAME_UPPER', x: [1, 2, 5, 5], w: [2, 2, 3, 3], strides: [2, 2], outputShape: [8, 7], autoPad: 'SAME_UPPER' },
  { name: 'output_shape SAME_LOWER', x: [1, 2, 5, 5], w: [2, 2, 3, 3], strides: [2, 2], outputShape: [8, 7], autoPad: 'SAME_LOWER' },
  { name: 'output_shape larger than full', x: [1, 2, 5, 5], w: [2, 2, 3, 3], strides: [2, 2], outputShape: [12, 11] },
  { name: 'output_shape + output_padding', x: [1, 2, 5, 5], w: [2, 2, 3, 3], strides: [2, 2], outputShape: [10, 9], outputPadding: [1, 1] },
  { name: '1-D k3 s2 p1 op1', x: [2, 3, 7], w: [3, 4, 3], strides: [2], pads: [1, 1], outputPadding: [1], bias: true },
  { name: '1-D dil2 s3 group 2', x: [1, 4, 5], w: [4, 3, 4], strides: [3], dilations: [2], group: 2, pads: [2, 0] },
  { name: '1-D SAME_LOWER', x: [1, 2, 6], w: [2, 2, 5], strides: [2], autoPad: 'SAME_LOWER', bias: true },
  { name: '3-D k3 s2 p1 op1', x: [1, 2, 3, 4, 3], w: [2, 3, 3, 3, 3], strides: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1], outputPadding: [1, 0, 1], bias: true },
  { name: '3-D group 2 k2 s2', x: [1, 4, 2, 3, 3], w: [4, 1, 2, 2, 2], strides: [2, 2, 2], group: 2 },
  { name: 'opset 7 form', x: [1, 3, 4, 4], w: [3, 2, 3, 3], strides: [2, 2], pads: [1, 1, 1, 1], bias: true, opset: 7 },
  { name: 'opset 11 form', x: [1, 3, 4, 4], w: [3, 2, 4, 4], strides: [2, 2], pads: [1, 1, 1, 1], opset: 11 },
  { name: 'opset 22 form', x: [1, 3, 4, 4], w: [3, 2, 4, 4], strides: [2, 2], pads: [1, 2, 1, 0], bias: true, opset: 22 },
];

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** The case as an ONNX model: X a graph input, W and B initializers; plus its seeded input. */
export function ctModel(c: CtCase, seed: number): { model: Uint8Array; x: Float32Array } {
  const attrs: object[] = [];
  if (c.strides) attrs.push(intsAttr('strides', c.strides));
  if (c.pads) attrs.push(intsAttr('pads', c.pads));
  if (c.outputPadding) attrs.push(intsAttr('output_padding', c.outputPadding));
  if (c.dilations) attrs.push(intsAttr('dilations', c.dilations));
  if (c.outputShape) attrs.push(intsAttr('output_shape', c.outputShape));
  if (c.group) attrs.push({ name: 'group', type: 2, i: c.group });
  if (c.autoPad) attrs.push({ name: 'auto_pad', type: 3, s: new TextEncoder().encode(c.autoPad) });
  const cout = c.w[1]! * (c.group ?? 1);
  const inits: object[] = [{ name: 'w', data_type: 1, dims: c.w, float_data: Array.from(randomF32(prod(c.w), seed + 1)) }];
  if (c.bias) inits.push({ name: 'b', data_type: 1, dims: [cout], float_data: Array.from(randomF32(cout, seed + 2)) });
  const model = encodeModel({
    nodes: [node('ConvTranspose', ['x', 'w', ...(c.bias ? ['b'] : [])], ['y'], 'ct', attrs)],
    inputs: [valueInfo('x', c.x)],
    outputs: [valueInfo('y', new Array<number>(c.x.length).fill(0).map((_, i) => (i === 1 ? cout : -1)).map((d, i) => (d === -1 ? `d${i}` : d)))],
    initializers: inits,
    opset: c.opset ?? 13,
  });
  return { model, x: randomF32(prod(c.x), seed) };
}

const errors: string[] = [];
afterAll(() => console.log(['ConvTranspose CPU vs onnxruntime (max |diff|):', ...errors].join('\n')));

describe('ConvTranspose: CPU reference matches onnxruntime-node', () => {
  CASES.forEach((c, k) => {
    it(c.name, async () => {
      const { model, x } = ctModel(c, 1000 + 10 * k);
      const session = await ort.InferenceSession.create(model);
      const ref = (await session.run({ x: new ort.Tensor('float32', x, c.x) }))['y']!;
      const graph = importOnnx(model);
      expect(graph.nodes.map((n) => n.op)).toEqual(['ConvTranspose']);
      const out = new CpuExecutor(graph).run({ x: { dtype: 'f32', shape: c.x, data: x } })['y']!;
      expect([...out.shape]).toEqual([...ref.dims].map(Number));
      const a = out.data as Float32Array;
      const b = ref.data as Float32Array;
      let maxDiff = 0;
      for (let i = 0; i < b.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
      errors.push(`  ${c.name.padEnd(36)} ${JSON.stringify(out.shape).padEnd(16)} ${maxDiff.toExponential(2)}`);
      expect(maxDiff).toBeLessThanOrEqual(1e-5);
    });
  });
});

describe('ConvTranspose import across opsets', () => {
  it('opset 1 (no onnxruntime kernel that old) imports to the same canonical node as opset 22', () => {
    const c: CtCase = { name: 'op1', x: [1, 3, 4, 4], w: [3, 2, 3, 3], strides: [2, 2], pads: [1, 0, 0, 1], outputPadding: [1, 1], group: 1, bias: true };
    const run = (opset: number) => {
      const { model, x } = ctModel({ ...c, opset }, 42);
      const graph = importOnnx(model);
      return { node: graph.nodes[0]!, y: new CpuExecutor(graph).run({ x: { dtype: 'f32', shape: c.x, data: x } })['y']! };
    };
    const [old, current] = [run(1), run(22)];
    expect(old.node.attrs).toEqual(current.node.attrs);
    expect(old.node.attrs['kernel_shape']).toEqual([3, 3]); // filled in from W by the importer
    expect(Array.from(old.y.data as Float32Array)).toEqual(Array.from(current.y.data as Float32Array));
  });
});

describe('ConvTranspose in the graph passes', () => {
  it('BatchNormalization folds into a grouped ConvTranspose (optimize), matching onnxruntime', async () => {
    const x = [1, 4, 3, 5];
    const w = [4, 3, 3, 3]; // group 2: C_out = 6
    const cout = 6;
    const vec = (name: string, seed: number, lo: number, hi: number) => ({ name, data_type: 1, dims: [cout], float_data: Array.from(randomF32(cout, seed, lo, hi)) });
    const model = encodeModel({
      nodes: [
        node('ConvTranspose', ['x', 'w', 'b'], ['t'], 'ct', [intsAttr('strides', [2, 2]), intsAttr('pads', [1, 0, 0, 1]), { name: 'group', type: 2, i: 2 }]),
        node('BatchNormalization', ['t', 'gamma', 'beta', 'mean', 'var'], ['y'], 'bn'),
      ],
      inputs: [valueInfo('x', x)],
      outputs: [valueInfo('y', [1, cout, 'h', 'w'])],
      initializers: [
        { name: 'w', data_type: 1, dims: w, float_data: Array.from(randomF32(prod(w), 5)) },
        vec('b', 6, -1, 1), vec('gamma', 7, 0.5, 1.5), vec('beta', 8, -0.5, 0.5), vec('mean', 9, -0.5, 0.5), vec('var', 10, 0.25, 2),
      ],
    });
    const input = randomF32(prod(x), 11);
    const session = await ort.InferenceSession.create(model);
    const ref = (await session.run({ x: new ort.Tensor('float32', input, x) }))['y']!;
    const graph = optimize(importOnnx(model));
    expect(graph.nodes.map((n) => n.op)).toEqual(['ConvTranspose']);
    const out = new CpuExecutor(graph).run({ x: { dtype: 'f32', shape: x, data: input } })['y']!;
    expect([...out.shape]).toEqual([...ref.dims].map(Number));
    const a = out.data as Float32Array;
    const b = ref.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < b.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    errors.push(`  ${'BN folded into grouped ConvTranspose'.padEnd(36)} ${JSON.stringify(out.shape).padEnd(16)} ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
    // MACs: every input pixel meets every tap once: 4 * 15 * 3 * 9.
    expect(graphStats(graph, inferShapes(graph)).totals.macs).toBe(4 * 15 * 3 * 9);
  });
});

describe('FusedConvTranspose (fuse_epilogue.ts)', () => {
  it('a residual Add and a Relu after a ConvTranspose fuse into it, matching onnxruntime', async () => {
    const x = [1, 3, 4, 5];
    const w = [3, 4, 4, 4];
    const yShape = [1, 4, 8, 10]; // k4 s2 p1: 2x
    const model = encodeModel({
      nodes: [
        node('ConvTranspose', ['x', 'w', 'b'], ['t'], 'ct', [intsAttr('strides', [2, 2]), intsAttr('pads', [1, 1, 1, 1])]),
        node('Add', ['t', 'r'], ['s'], 'add'),
        node('Relu', ['s'], ['y'], 'relu'),
      ],
      inputs: [valueInfo('x', x), valueInfo('r', yShape)],
      outputs: [valueInfo('y', yShape)],
      initializers: [
        { name: 'w', data_type: 1, dims: w, float_data: Array.from(randomF32(prod(w), 21)) },
        { name: 'b', data_type: 1, dims: [4], float_data: Array.from(randomF32(4, 22)) },
      ],
    });
    const [xs, rs] = [randomF32(prod(x), 23), randomF32(prod(yShape), 24)];
    const session = await ort.InferenceSession.create(model);
    const ref = (await session.run({ x: new ort.Tensor('float32', xs, x), r: new ort.Tensor('float32', rs, yShape) }))['y']!;
    const graph = optimize(importOnnx(model));
    expect(graph.nodes.map((n) => [n.op, n.attrs['activation'], n.inputs.length])).toEqual([['FusedConvTranspose', 'relu', 4]]);
    const out = new CpuExecutor(graph).run({ x: { dtype: 'f32', shape: x, data: xs }, r: { dtype: 'f32', shape: yShape, data: rs } })['y']!;
    const a = out.data as Float32Array;
    const b = ref.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < b.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    errors.push(`  ${'FusedConvTranspose (residual + relu)'.padEnd(36)} ${JSON.stringify(out.shape).padEnd(16)} ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
  });
});
