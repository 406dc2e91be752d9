import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../../src/import/onnx/index.js';
import { fuseLayerNorm, optimize } from '../../../src/graph/passes/index.js';
import type { Graph, Tensor } from '../../../src/graph/ir.js';
import { encodeModel, intsAttr, node, valueInfo } from '../../import/onnx/helpers.js';
import { GraphBuilder, expectEquivalent, opsOf, randomInput, run, snapshot, tensorF32, uniform } from './helpers.js';

interface Spec {
  shape: number[];
  axes: number[];
  square?: 'pow' | 'mul';
  scale?: number[] | false;
  bias?: number[] | false;
  swapped?: boolean;
  epsilon?: number;
}

/** x -> the decomposition PyTorch exports for nn.LayerNorm below opset 17 (or a variant) -> y. */
function decomposed(spec: Spec): Graph {
  const b = new GraphBuilder();
  b.input('x', 'f32', spec.shape);
  const mean = b.node('ReduceMean', ['x'], { axes: spec.axes, keepdims: 1 });
  const d = b.node('Sub', ['x', mean]);
  b.init('two', tensorF32([], [2]));
  const sq = spec.square === 'mul' ? b.node('Mul', [d, d]) : b.node('Pow', [d, 'two']);
  const v = b.node('ReduceMean', [sq], { axes: spec.axes, keepdims: 1 });
  b.init('eps', tensorF32([], [spec.epsilon ?? 1e-5]));
  const s = b.node('Sqrt', [b.node('Add', spec.swapped ? ['eps', v] : [v, 'eps'])]);
  let y = b.node('Div', [d, s]);
  if (spec.scale) {
    b.init('scale', tensorF32(spec.scale, uniform(spec.scale.reduce((a, k) => a * k, 1), 3, 0.5, 1.5)));
    y = b.node('Mul', spec.swapped ? ['scale', y] : [y, 'scale']);
  }
  if (spec.bias) {
    b.init('bias', tensorF32(spec.bias, uniform(spec.bias.reduce((a, k) => a * k, 1), 4)));
    y = b.node('Add', spec.swapped ? ['bias', y] : [y, 'bias']);
  }
  b.node('Identity', [y], {}, 'out', ['y']);
  b.output('y');
  return b.build();
}

describe('fuseLayerNorm', () => {
  it.each<[string, Spec, number]>([
    ['axis -1, Pow, Scale and B [C]', { shape: [2, 5, 16], axes: [-1], scale: [16], bias: [16] }, -1],
    ['axes [2] (positive), Mul(d, d), operands swapped, ε 1e-6', { shape: [3, 4, 12], axes: [2], square: 'mul', scale: [12], bias: [1, 12], swapped: true, epsilon: 1e-6 }, -1],
    ['axes [-2, -1], Scale [H, W], no B', { shape: [2, 3, 4, 5], axes: [-1, -2], scale: [4, 5] }, -2],
    ['no Scale or B (Scale of ones)', { shape: [4, 33], axes: [1] }, -1],
  ])('%s -> one LayerNormalization, bit-identical on the CPU', (_, spec, axis) => {
    const g = decomposed(spec);
    const before = snapshot(g);
    const out = fuseLayerNorm(g);
    expect(snapshot(g)).toBe(before);
    expect(opsOf(out)).toEqual(['LayerNormalization', 'Identity']);
    expect(out.nodes[0]!.attrs).toEqual({ axis, epsilon: Math.fround(spec.epsilon ?? 1e-5) });
    expect(out.nodes[0]!.inputs.length).toBe(spec.bias ? 3 : 2);
    for (const seed of [1, 2, 3]) expectEquivalent(out, g, { x: randomInput(spec.shape, seed) });
    // rows with a large common offset: the two-pass variance matters, and both still agree bit for bit
    const x = randomInput(spec.shape, 9);
    const shifted: Tensor = { ...x, data: (x.data as Float32Array).map((v) => v + 1000) };
    expectEquivalent(out, g, { x: shifted });
  });

  it.each<[string, (g: Graph) => void]>([
    ['a non-trailing axis', (g) => (g.nodes[0]!.attrs = { axes: [1], keepdims: 1 })],
    ['keepdims = 0', (g) => (g.nodes[3]!.attrs = { axes: [-1], keepdims: 0 })],
    ['different axes in the two means', (g) => (g.nodes[3]!.attrs = { axes: [-2, -1], keepdims: 1 })],
    ['Pow(d, 3)', (g) => g.initializers.set('two', tensorF32([], [3]))],
    ['a per-row ε', (g) => g.initializers.set('eps', tensorF32([2, 5, 1], new Array(10).fill(1e-5)))],
    ['d read by another node', (g) => g.nodes.push({ name: 'spy', op: 'Relu', inputs: [g.nodes[1]!.outputs[0]!], outputs: ['spy_out'], attrs: {} })],
    ['Sqrt read by another node', (g) => g.outputs.push({ name: g.nodes[5]!.outputs[0]!, dtype: 'f32', shape: [2, 5, 1] })],
  ])('leaves the decomposition alone with %s', (_, breakIt) => {
    const g = decomposed({ shape: [2, 5, 16], axes: [-1] });
    breakIt(g);
    expect(opsOf(fuseLayerNorm(g))).toEqual(opsOf(g));
  });

  it('stops before a Scale that is not a row constant (kept as a Mul after the LayerNormalization)', () => {
    const g = decomposed({ shape: [2, 5, 16], axes: [-1], scale: [5, 16] });
    const out = fuseLayerNorm(g);
    expect(opsOf(out)).toEqual(['LayerNormalization', 'Mul', 'Identity']);
    expectEquivalent(out, g, { x: randomInput([2, 5, 16], 4) });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// ONNX models vs onnxruntime

const f32 = (name: string, dims: number[], seed: number, lo = -1, hi = 1) => ({ name, data_type: 1, dims, float_data: Array.from(uniform(dims.reduce((a, d) => a * d, 1), seed, lo, hi)) });
const SHAPE = [2, 7, 24];

async function onnxruntime(bytes: Uint8Array, x: Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  return (await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, [...x.shape]) }))['y']!.data as Float32Array;
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  return Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
}

describe('LayerNormalization vs onnxruntime', () => {
  it('the opset-17 op imports and the CPU reference matches onnxruntime', async () => {
    for (const [axis, pShape] of [[-1, [24]], [1, [7, 24]]] as const) {
      const bytes = encodeModel({
        opset: 17,
        nodes: [node('LayerNormalization', ['x', 'scale', 'bias'], ['y'], 'ln', [{ name: 'axis', type: 2, i: axis }, { name: 'epsilon', type: 1, f: 1e-5 }])],
        inputs: [valueInfo('x', SHAPE)],
        outputs: [valueInfo('y', SHAPE)],
        initializers: [f32('scale', [...pShape], 1, 0.5, 1.5), f32('bias', [...pShape], 2)],
      });
      const g = importOnnx(bytes);
      expect(opsOf(g)).toEqual(['LayerNormalization']);
      const x = randomInput(SHAPE, 5);
      expect(maxAbs(run(g, { x })['y']!.data as Float32Array, await onnxruntime(bytes, x))).toBeLessThan(2e-6);
    }
  });

  it('an opset-13 decomposition (what torch exports for nn.LayerNorm) fuses to one node, bit-identical to the unfused import, and matches onnxruntime', async () => {
    const bytes = encodeModel({
      opset: 13,
      nodes: [
        node('ReduceMean', ['x'], ['mean'], 'mean', [intsAttr('axes', [-1])]),
        node('Sub', ['x', 'mean'], ['d'], 'sub'),
        node('Pow', ['d', 'two'], ['sq'], 'pow'),
        node('ReduceMean', ['sq'], ['var'], 'var', [intsAttr('axes', [-1])]),
        node('Add', ['var', 'eps'], ['ve'], 'add_eps'),
        node('Sqrt', ['ve'], ['std'], 'sqrt'),
        node('Div', ['d', 'std'], ['n'], 'div'),
        node('Mul', ['n', 'scale'], ['m'], 'mul'),
        node('Add', ['m', 'bias'], ['y'], 'add_bias'),
      ],
      inputs: [valueInfo('x', SHAPE)],
      outputs: [valueInfo('y', SHAPE)],
      initializers: [{ name: 'two', data_type: 1, dims: [], float_data: [2] }, { name: 'eps', data_type: 1, dims: [], float_data: [1e-5] }, f32('scale', [24], 1, 0.5, 1.5), f32('bias', [24], 2)],
    });
    const g = importOnnx(bytes);
    const out = optimize(g);
    expect(opsOf(out)).toEqual(['LayerNormalization']);
    const x = randomInput(SHAPE, 6);
    expectEquivalent(out, g, { x });
    expect(maxAbs(run(out, { x })['y']!.data as Float32Array, await onnxruntime(bytes, x))).toBeLessThan(2e-6);
  });
});
