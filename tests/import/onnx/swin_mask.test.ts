/**
 * Swin's shifted-window attention mask, as torchvision's export spells it: the padded size from
 * Shape -> Gather -> Mod arithmetic, a zero image from ConstantOfShape, one ScatterND per (row band, column band)
 * region writing its region number, the window partition (Reshape / Transpose / Reshape), pairwise differences
 * (Unsqueeze, Sub) and masked_fill (Equal, Not, Where). Everything is known at import: the mask must fold to one
 * constant initializer, leaving only the attention itself, and the result must match onnxruntime.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import { importOnnx } from '../../../src/import/onnx/index.js';
import { encodeModel, int64Init, intsAttr, node, valueInfo } from './helpers.js';

const SIZE = 6; // H = W, already a multiple of the window (the padding arithmetic still runs and gives 0)
const WINDOW = 3;
const SHIFT = 1;
const CHANNELS = 5;

/** (start, end) bands of torchvision's h_slices / w_slices, made non-negative. */
const BANDS: [number, number][] = [
  [0, SIZE - WINDOW],
  [SIZE - WINDOW, SIZE - SHIFT],
  [SIZE - SHIFT, SIZE],
];

const scalarI64 = (name: string, v: number) => ({ name, data_type: 7, dims: [], int64_data: [v] });
const f32Scalar = (name: string, v: number) => ({ name, data_type: 1, dims: [], float_data: [v] });

function maskModel(): Uint8Array {
  const nodes: object[] = [];
  const inits: object[] = [scalarI64('one', 1), scalarI64('two', 2), scalarI64('win', WINDOW), int64Init('axes0', [0])];
  // pad = (win - dim % win) % win; padded = dim + pad, for dims 1 (H) and 2 (W) of x [1, H, W, C].
  nodes.push(node('Shape', ['x'], ['shape'], 'shape'));
  for (const [k, idx] of [['h', 'one'], ['w', 'two']] as const) {
    nodes.push(
      node('Gather', ['shape', idx], [`${k}_dim`], `${k}_dim`, [{ name: 'axis', type: 2, i: 0 }]),
      node('Mod', [`${k}_dim`, 'win'], [`${k}_rem`], `${k}_mod`),
      node('Sub', ['win', `${k}_rem`], [`${k}_gap`], `${k}_gap`),
      node('Mod', [`${k}_gap`, 'win'], [`${k}_pad`], `${k}_mod2`),
      node('Add', [`${k}_dim`, `${k}_pad`], [`${k}_padded`], `${k}_padded`),
      node('Unsqueeze', [`${k}_padded`, 'axes0'], [`${k}_vec`], `${k}_vec`),
    );
  }
  nodes.push(node('Concat', ['h_vec', 'w_vec'], ['mask_shape'], 'mask_shape', [{ name: 'axis', type: 2, i: 0 }]));
  nodes.push(node('ConstantOfShape', ['mask_shape'], ['img0'], 'zeros', [{ name: 'value', type: 4, t: { data_type: 1, dims: [1], float_data: [0] } }]));
  let count = 0;
  let img = 'img0';
  for (const [h0, h1] of BANDS)
    for (const [w0, w1] of BANDS) {
      const cells: number[] = [];
      for (let r = h0; r < h1; r++) for (let c = w0; c < w1; c++) cells.push(r, c);
      const n = cells.length / 2;
      inits.push(int64Init(`idx${count}`, cells, [n, 2]));
      inits.push({ name: `val${count}`, data_type: 1, dims: [n], float_data: new Array<number>(n).fill(count) });
      nodes.push(node('ScatterND', [img, `idx${count}`, `val${count}`], [`img${count + 1}`], `scatter${count}`));
      img = `img${count + 1}`;
      count++;
    }
  const nw = (SIZE / WINDOW) ** 2;
  const ww = WINDOW * WINDOW;
  inits.push(
    int64Init('part_shape', [SIZE / WINDOW, WINDOW, SIZE / WINDOW, WINDOW]),
    int64Init('win_shape', [nw, ww]),
    int64Init('axes1', [1]),
    int64Init('axes2', [2]),
    f32Scalar('zero', 0),
    f32Scalar('minus100', -100),
    int64Init('tokens_shape', [nw, ww, CHANNELS]),
  );
  nodes.push(
    node('Reshape', [img, 'part_shape'], ['parts'], 'partition'),
    node('Transpose', ['parts'], ['parts_t'], 'partition_t', [intsAttr('perm', [0, 2, 1, 3])]),
    node('Reshape', ['parts_t', 'win_shape'], ['windows'], 'windows'),
    node('Unsqueeze', ['windows', 'axes1'], ['wa'], 'wa'),
    node('Unsqueeze', ['windows', 'axes2'], ['wb'], 'wb'),
    node('Sub', ['wa', 'wb'], ['diff'], 'diff'),
    node('Equal', ['diff', 'zero'], ['same'], 'same'),
    node('Not', ['same'], ['differs'], 'differs'),
    node('Where', ['differs', 'minus100', 'diff'], ['masked'], 'fill_differs'),
    node('Where', ['same', 'zero', 'masked'], ['mask'], 'fill_same'),
    // The attention the mask is added to: scores of each window's tokens, + mask, softmax.
    node('Reshape', ['x', 'tokens_shape'], ['tokens'], 'tokens'),
    node('Transpose', ['tokens'], ['tokens_t'], 'tokens_t', [intsAttr('perm', [0, 2, 1])]),
    node('MatMul', ['tokens', 'tokens_t'], ['scores'], 'scores'),
    node('Add', ['scores', 'mask'], ['masked_scores'], 'add_mask'),
    node('Softmax', ['masked_scores'], ['y'], 'softmax', [{ name: 'axis', type: 2, i: -1 }]),
  );
  return encodeModel({ opset: 17, nodes, inputs: [valueInfo('x', [1, SIZE, SIZE, CHANNELS])], outputs: [valueInfo('y', [nw, ww, ww])], initializers: inits });
}

describe("import: Swin's shifted-window attention mask folds to a constant", () => {
  it('leaves only the attention; the mask is one initializer with -100 across regions and 0 within', () => {
    const g = importOnnx(maskModel());
    expect(g.nodes.map((n) => n.op)).toEqual(['Reshape', 'Transpose', 'MatMul', 'Add', 'Softmax']);
    const mask = g.initializers.get(g.nodes[3]!.inputs[1]!)!;
    expect(mask.shape).toEqual([4, 9, 9]);
    const values = new Set(Array.from(mask.data as Float32Array));
    expect(values).toEqual(new Set([0, -100]));
    // The first window (top left) lies in one region: no -100 in it; the last one spans four regions.
    const per = 81;
    expect(Array.from((mask.data as Float32Array).subarray(0, per)).every((v) => v === 0)).toBe(true);
    expect(Array.from((mask.data as Float32Array).subarray(3 * per)).filter((v) => v === -100).length).toBeGreaterThan(0);
  });

  it('matches onnxruntime', async () => {
    const bytes = maskModel();
    const data = Float32Array.from({ length: SIZE * SIZE * CHANNELS }, (_, i) => Math.sin(i * 0.37));
    const session = await ort.InferenceSession.create(bytes);
    const want = (await session.run({ x: new ort.Tensor('float32', data, [1, SIZE, SIZE, CHANNELS]) }))['y']!;
    const got = new CpuExecutor(importOnnx(bytes)).run({ x: { dtype: 'f32', shape: [1, SIZE, SIZE, CHANNELS], data } })['y']!;
    expect(got.shape).toEqual([...want.dims]);
    const ref = want.data as Float32Array;
    const maxErr = Math.max(...Array.from(got.data as Float32Array, (v, i) => Math.abs(v - ref[i]!)));
    expect(maxErr).toBeLessThan(1e-6);
  });
});
