/**
 * Tile, lowered at import to Reshape / Expand / Reshape (normalize.ts): seeded shapes and repeats (ones, zeros,
 * rank 1..4) against onnxruntime, on a runtime input and on a constant one (which must fold away).
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import { importOnnx, OnnxImportError } from '../../../src/import/onnx/index.js';
import { encodeModel, int64Init, node, valueInfo } from './helpers.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const tileModel = (shape: number[], repeats: number[]) =>
  encodeModel({
    opset: 17,
    nodes: [node('Tile', ['x', 'repeats'], ['y'], 'tile')],
    inputs: [valueInfo('x', shape)],
    outputs: [{ name: 'y' }],
    initializers: [int64Init('repeats', repeats)],
  });

describe('import: Tile', () => {
  it('matches onnxruntime on 24 seeded shapes and repeats', async () => {
    const r = rng(7);
    for (let k = 0; k < 24; k++) {
      const rank = 1 + Math.floor(r() * 4);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 4));
      const repeats = shape.map(() => Math.floor(r() * 3.3)); // 0..3: zero-size outputs included
      const bytes = tileModel(shape, repeats);
      const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
      const session = await ort.InferenceSession.create(bytes);
      const want = (await session.run({ x: new ort.Tensor('float32', data, shape) }))['y']!;
      const graph = importOnnx(bytes);
      expect(graph.nodes.some((n) => n.op === 'Tile')).toBe(false);
      const got = new CpuExecutor(graph).run({ x: { dtype: 'f32', shape, data } })['y']!;
      expect(got.shape, `shape [${shape}] repeats [${repeats}]`).toEqual([...want.dims]);
      expect(Array.from(got.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
    }
  });

  it('folds on a constant input, and names the node when repeats do not fit the rank', () => {
    const folded = encodeModel({
      opset: 17,
      nodes: [node('Tile', ['c', 'repeats'], ['t'], 'tile'), node('Add', ['x', 't'], ['y'], 'add')],
      inputs: [valueInfo('x', [6])],
      outputs: [{ name: 'y' }],
      initializers: [{ name: 'c', data_type: 1, dims: [2], float_data: [1, 2] }, int64Init('repeats', [3])],
    });
    const g = importOnnx(folded);
    expect(g.nodes.map((n) => n.op)).toEqual(['Add']);
    expect(Array.from(g.initializers.get(g.nodes[0]!.inputs[1]!)!.data as Float32Array)).toEqual([1, 2, 1, 2, 1, 2]);
    expect(() => importOnnx(tileModel([2, 3], [2]))).toThrow(OnnxImportError);
    expect(() => importOnnx(tileModel([2, 3], [2]))).toThrow(/Tile node 'tile'.*one entry per input dim/);
  });
});
