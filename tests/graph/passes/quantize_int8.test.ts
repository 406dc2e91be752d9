/** The int8 quantiser: tensor math (src/graph/quant_int8.ts) and which weights `convert --int8` picks. */
import { describe, expect, it } from 'vitest';
import type { Graph, Node, Tensor } from '../../../src/graph/ir.js';
import { dequantizeInt8, findInt8Layout, quantMatches, quantizeInt8 } from '../../../src/graph/quant_int8.js';
import { quantizeWeightsInt8 } from '../../../src/graph/passes/quantize_int8.js';
import { packMatrixB } from '../../../src/backends/webgpu/matmul.js';
import { seededRandom } from '../../format/helpers.js';

const rand = seededRandom(42);
const randomData = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);

describe('quantizeInt8 / dequantizeInt8', () => {
  it('per channel: scale = max|w| / 127, the extreme maps to ±127, error ≤ scale / 2 everywhere', () => {
    const shape = [5, 3, 3, 3];
    const data = randomData(135);
    for (let i = 27; i < 54; i++) data[i]! *= 100; // channel 1 much larger: a per-tensor scale would crush the others
    const q = quantizeInt8(data, shape, 0)!;
    expect(q.scales.length).toBe(5);
    const back = dequantizeInt8(q, shape);
    for (let c = 0; c < 5; c++) {
      const ch = data.subarray(27 * c, 27 * c + 27);
      const maxAbs = Math.max(...ch.map(Math.abs));
      expect(q.scales[c]).toBe(Math.fround(maxAbs / 127));
      expect(Math.max(...q.values.subarray(27 * c, 27 * c + 27).map(Math.abs))).toBe(127);
      for (let i = 27 * c; i < 27 * c + 27; i++) expect(Math.abs(back[i]! - data[i]!)).toBeLessThanOrEqual(q.scales[c]! / 2 + 1e-6 * maxAbs);
    }
    expect(quantMatches({ dtype: 'f32', shape, data: back, quant: q })).toBe(true);
  });

  it('last axis (MatMul B [K, N]), per tensor, all-zero channels, non-finite weights', () => {
    const data = randomData(7 * 5);
    const q = quantizeInt8(data, [7, 5], 1)!;
    const back = dequantizeInt8(q, [7, 5]);
    for (let i = 0; i < 35; i++) expect(Math.abs(back[i]! - data[i]!)).toBeLessThanOrEqual(q.scales[i % 5]! / 2 + 1e-7);
    const t = quantizeInt8(data, [7, 5], undefined)!;
    expect(t.scales.length).toBe(1);
    expect(t.axis).toBeUndefined();
    const zeros = quantizeInt8(new Float32Array(12), [3, 4], 0)!;
    expect([...zeros.scales]).toEqual([0, 0, 0]);
    expect([...dequantizeInt8(zeros, [3, 4])]).toEqual(new Array(12).fill(0));
    expect(quantizeInt8(Float32Array.from([1, NaN, 2, 3]), [4], 0)).toBeUndefined();
    expect(quantizeInt8(Float32Array.from([1, Infinity, 2, 3]), [4], 0)).toBeUndefined();
  });

  it('quantMatches rejects a quant that no longer describes the tensor (changed data, reshaped, transposed)', () => {
    const data = randomData(6 * 4);
    const quant = quantizeInt8(data, [6, 4], 0)!;
    const t: Tensor = { dtype: 'f32', shape: [6, 4], data: dequantizeInt8(quant, [6, 4]), quant };
    expect(quantMatches(t)).toBe(true);
    expect(quantMatches({ ...t, data: (t.data as Float32Array).map((v, i) => (i === 5 ? v + 1e-3 : v)) })).toBe(false);
    expect(quantMatches({ ...t, shape: [4, 6] })).toBe(false); // axis 0 now has 4 channels, the table 6
    expect(quantMatches({ ...t, shape: [6, 4, 1] })).toBe(true); // same geometry
    expect(quantMatches({ ...t, quant: { ...quant, axis: 1 } })).toBe(false);
  });

  it('findInt8Layout recovers repacked weights exactly (transposed, matmul panels) and refuses mixed values', () => {
    const k = 13;
    const n = 11;
    const data = randomData(n * k);
    const quant = quantizeInt8(data, [n, k], 0)!; // Gemm transB: B is [N, K], one scale per output column n
    const w: Tensor = { dtype: 'f32', shape: [n, k], data: dequantizeInt8(quant, [n, k]), quant };
    const check = (packed: Float32Array) => {
      const l = findInt8Layout(packed, quant, w.shape)!;
      expect(l).toBeDefined();
      for (let j = 0; j < packed.length; j++) {
        const c = (Math.floor(j / l.inner) % l.channels) + l.panel * Math.floor(j / l.block);
        expect(Math.fround(l.values[j]! * l.scales[c]!)).toBe(packed[j]);
      }
      return l;
    };
    check(w.data as Float32Array);
    const transposed = new Float32Array(n * k);
    for (let r = 0; r < k; r++) for (let c = 0; c < n; c++) transposed[r * n + c] = w.data[c * k + r] as number;
    expect(check(transposed).inner).toBe(1);
    expect(check(packMatrixB(w, k, n, 1, k)).panel).toBe(8); // [ceil(N/8)][K][8], zero padded
    const mixed = (w.data as Float32Array).map((v, i) => v + (w.data[(i + 1) % (n * k)] as number));
    expect(findInt8Layout(mixed, quant, w.shape)).toBeUndefined();
  });
});

describe('quantizeWeightsInt8 (convert --int8)', () => {
  const node = (name: string, op: string, inputs: string[], attrs: Node['attrs'] = {}): Node => ({ name, op, inputs, outputs: [`${name}.y`], attrs });
  const t = (shape: number[]): Tensor => ({ dtype: 'f32', shape, data: randomData(shape.reduce((a, b) => a * b, 1)) });
  const graph: Graph = {
    inputs: [
      { name: 'x', dtype: 'f32', shape: [1, 8, 6, 6] },
      { name: 'over.W', dtype: 'f32', shape: [16, 16] },
    ],
    outputs: [{ name: 'mm2.y', dtype: 'f32', shape: [1, 16] }],
    nodes: [
      node('conv', 'FusedConv', ['x', 'conv.W', 'conv.B'], { group: 1 }),
      node('dw', 'Conv', ['conv.y', 'dw.W'], { group: 16 }),
      node('bn', 'BatchNormalization', ['dw.y', 'bn.s', 'bn.b', 'bn.m', 'bn.v']),
      node('gemm', 'Gemm', ['bn.y', 'gemm.W', 'gemm.B'], { transB: 1 }),
      node('mm', 'MatMul', ['gemm.y', 'mm.W']),
      node('mm2', 'MatMul', ['mm.y', 'over.W']),
      node('tiny', 'Gemm', ['mm2.y', 'tiny.W'], { transB: 0 }),
    ],
    initializers: new Map([
      ['conv.W', t([16, 8, 3, 3])],
      ['conv.B', t([16])],
      ['dw.W', t([16, 1, 3, 3])],
      ['bn.s', t([16])],
      ['bn.b', t([16])],
      ['bn.m', t([16])],
      ['bn.v', t([16])],
      ['gemm.W', t([16, 576])],
      ['gemm.B', t([16])],
      ['mm.W', t([16, 16])],
      ['over.W', t([16, 16])],
      ['tiny.W', t([256, 2])],
    ]),
    metadata: {},
  };

  it('picks conv / Gemm / MatMul weights with their output-channel axes; leaves biases, BN, graph inputs f32', () => {
    const { graph: g, summary } = quantizeWeightsInt8(graph);
    expect(summary.layers.map((l) => [l.tensor, l.axis])).toEqual([
      ['conv.W', 0],
      ['gemm.W', 0],
      ['mm.W', 1],
      ['tiny.W', 1], // Gemm [K, N]: N = 2 channels of 256 values
    ]);
    for (const name of ['conv.B', 'bn.s', 'gemm.B', 'over.W', 'dw.W']) expect(g.initializers.get(name)!.quant, name).toBeUndefined();
    for (const l of summary.layers) {
      expect(quantMatches(g.initializers.get(l.tensor)!), l.tensor).toBe(true);
      expect(l.relError).toBeGreaterThan(0);
      expect(l.relError).toBeLessThan(0.02);
      expect(l.int8Bytes).toBeLessThanOrEqual(0.32 * l.f32Bytes); // 16x16: 256 values + 16 scales
    }
    expect(graph.initializers.get('conv.W')!.quant).toBeUndefined(); // the input graph is not modified
  });

  it('depthwise weights over MIN_ELEMENTS are quantised per channel unless depthwise: false; < 4 per channel: per tensor', () => {
    const big: Graph = { ...graph, initializers: new Map(graph.initializers) };
    big.initializers.set('dw.W', t([64, 1, 3, 3]));
    big.nodes = graph.nodes.map((n) => (n.name === 'dw' ? { ...n, attrs: { group: 64 } } : n));
    expect(quantizeWeightsInt8(big).summary.layers.find((l) => l.tensor === 'dw.W')?.axis).toBe(0);
    expect(quantizeWeightsInt8(big, { depthwise: false }).summary.layers.find((l) => l.tensor === 'dw.W')).toBeUndefined();
    const narrow: Graph = { ...graph, initializers: new Map(graph.initializers) };
    narrow.initializers.set('tiny.W', t([2, 256]));
    narrow.nodes = graph.nodes.map((n) => (n.name === 'tiny' ? { ...n, attrs: { transB: 0 } } : n));
    expect(quantizeWeightsInt8(narrow).summary.layers.find((l) => l.tensor === 'tiny.W')?.axis).toBeUndefined(); // 256 channels of 2
  });
});
