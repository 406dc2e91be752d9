/**
 * Other converters' idioms that must cost nothing at run time: weights given as Constant nodes (and rearranged by
 * constant Transposes), and reshape targets computed with Shape / Slice / Gather / Mul / Unsqueeze / Cast / Concat on
 * a tensor whose batch is symbolic. After import only the real work is left, and it matches onnxruntime.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import { importOnnx } from '../../../src/import/onnx/index.js';
import { encodeModel, intsAttr, node, valueInfo } from './helpers.js';

const f32 = (dims: number[], seed: number) => ({
  data_type: 1,
  dims,
  float_data: Array.from({ length: dims.reduce((a, d) => a * d, 1) }, (_, i) => Math.sin(seed + 0.37 * i) * 0.3),
});
const i64 = (values: number[], dims = [values.length]) => ({ data_type: 7, dims, int64_data: values });
const konst = (out: string, t: object) => node('Constant', [], [out], `const_${out}`, [{ name: 'value', type: 4, t }]);
const int = (name: string, i: number) => ({ name, type: 2, i });

/**
 * x [N, 3, 6, 6] -> Conv (weights: a Constant in [kh, kw, cin, cout] order, Transposed to OIHW; bias a Constant) ->
 * c [N, 4, 6, 6] -> Reshape(c, Concat(Shape(c)[0:1], Unsqueeze(Shape(c)[1] * Shape(c)[2] * Shape(c)[3]))) -> Gemm.
 */
function model(): Uint8Array {
  return encodeModel({
    opset: 13,
    nodes: [
      konst('w_hwio', f32([3, 3, 3, 4], 1)),
      node('Transpose', ['w_hwio'], ['w'], 'w_to_oihw', [intsAttr('perm', [3, 2, 0, 1])]),
      konst('b', f32([4], 2)),
      node('Conv', ['x', 'w', 'b'], ['c'], 'conv', [intsAttr('pads', [1, 1, 1, 1])]),
      node('Shape', ['c'], ['s'], 'shape'),
      konst('zero', i64([0])),
      konst('one', i64([1])),
      node('Slice', ['s', 'zero', 'one'], ['n'], 'batch'),
      ...[1, 2, 3].flatMap((k) => [konst(`i${k}`, i64([k], [])), node('Gather', ['s', `i${k}`], [`d${k}`], `dim${k}`)]),
      node('Mul', ['d1', 'd2'], ['m12'], 'mul12'),
      node('Mul', ['m12', 'd3'], ['m123'], 'mul123'),
      node('Unsqueeze', ['m123', 'zero'], ['features'], 'unsqueeze'),
      node('Cast', ['features'], ['features64'], 'cast', [int('to', 7)]),
      node('Concat', ['n', 'features64'], ['target'], 'concat', [int('axis', 0)]),
      node('Reshape', ['c', 'target'], ['flat'], 'flatten'),
      konst('fc_w', f32([144, 5], 3)),
      konst('fc_b', f32([5], 4)),
      node('Gemm', ['flat', 'fc_w', 'fc_b'], ['y'], 'fc'),
    ],
    inputs: [valueInfo('x', ['N', 3, 6, 6])],
    outputs: [valueInfo('y', ['N', 5])],
  });
}

describe('import: Constant weights and symbolic shape arithmetic fold away', () => {
  it('leaves Conv, Reshape [0, 144] and Gemm, with the Constants as initializers', () => {
    const g = importOnnx(model());
    expect(g.nodes.map((n) => n.op)).toEqual(['Conv', 'Reshape', 'Gemm']);
    expect(g.nodes[1]!.attrs['shape']).toEqual([0, 144]);
    expect(g.initializers.get(g.nodes[0]!.inputs[1]!)!.shape).toEqual([4, 3, 3, 3]);
    expect(g.inputs[0]!.shape).toEqual([-1, 3, 6, 6]);
  });

  it.each([1, 3])('matches onnxruntime with batch %i', async (batch) => {
    const bytes = model();
    const data = Float32Array.from({ length: batch * 108 }, (_, i) => Math.cos(i * 0.11));
    const session = await ort.InferenceSession.create(bytes);
    const want = (await session.run({ x: new ort.Tensor('float32', data, [batch, 3, 6, 6]) }))['y']!;
    const got = new CpuExecutor(importOnnx(bytes)).run({ x: { dtype: 'f32', shape: [batch, 3, 6, 6], data } })['y']!;
    expect(got.shape).toEqual([batch, 5]);
    const ref = want.data as Float32Array;
    const maxErr = Math.max(...Array.from(got.data as Float32Array, (v, i) => Math.abs(v - ref[i]!)));
    expect(maxErr).toBeLessThan(1e-5);
  });
});
