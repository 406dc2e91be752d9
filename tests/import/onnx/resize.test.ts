/**
 * Import of Resize / Upsample / DepthToSpace / SpaceToDepth: canonical forms (docs/ir.md), sizes computed from a
 * symbolic input shape at run time (Shape → Slice → Concat, as `F.interpolate(x, size=img.shape[-2:])` exports),
 * and the typed errors for what is not supported.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import { importOnnx, OnnxImportError } from '../../../src/import/onnx/index.js';
import { rng } from '../../backends/cpu/helpers.js';
import { dynamicSizesModel, resizeModel, type ResizeModelSpec } from '../../backends/cpu/resize_models.js';
import { encodeModel, int64Init, node, valueInfo } from './helpers.js';

function importError(bytes: Uint8Array): Error {
  try {
    importOnnx(bytes);
  } catch (e) {
    return e as Error;
  }
  throw new Error('import succeeded');
}

describe('Resize import: canonical form', () => {
  it('Upsample-7/9 and Resize-10 become Resize(asymmetric, nearest_mode simple) with scales', () => {
    const specs: Omit<ResizeModelSpec, 'inShape'>[] = [
      { op: 'Upsample' as const, opset: 7, attrs: { mode: 'nearest', scales: [1, 1, 2, 2] } },
      { op: 'Upsample' as const, opset: 9, scales: [1, 1, 2, 2], legacyScalesInput: true, attrs: { mode: 'nearest' } },
      { opset: 10, scales: [1, 1, 2, 2], legacyScalesInput: true, attrs: { mode: 'nearest' } },
    ];
    for (const spec of specs) {
      const g = importOnnx(resizeModel({ inShape: [1, 3, 4, 4], ...spec }));
      expect(g.nodes.map((n) => [n.op, n.inputs, n.attrs])).toEqual([
        ['Resize', ['x'], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'simple', scales: [1, 1, 2, 2] }],
      ]);
    }
    const bilinear = importOnnx(resizeModel({ op: 'Upsample', opset: 7, inShape: [1, 1, 2, 2], attrs: { mode: 'bilinear', scales: [1, 1, 2, 2] } }));
    expect(bilinear.nodes[0]!.attrs['mode']).toBe('linear');
  });

  it('opset 18 axes expand to every axis; keep_aspect_ratio_policy resolves to sizes + the common scale', () => {
    const g = importOnnx(resizeModel({ opset: 18, inShape: [1, 2, 6, 9], sizes: [8, 10], attrs: { mode: 'linear', axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' } }));
    const a = g.nodes[0]!.attrs;
    expect(a['sizes']).toEqual([1, 2, 7, 10]); // scale min(8/6, 10/9): round(6 · 10/9) = 7
    expect(a['scales']).toEqual([1, 1, Math.fround(10 / 9), Math.fround(10 / 9)]);
  });
});

describe('Resize import: sizes computed from a symbolic input shape', () => {
  it('keeps them as references to input dims, resolved per concrete shape; matches onnxruntime at several sizes', async () => {
    const bytes = dynamicSizesModel();
    const g = importOnnx(bytes);
    const resize = g.nodes.find((n) => n.op === 'Resize')!;
    expect(resize.inputs).toEqual(['f', 'x']);
    expect(resize.attrs['sizes']).toEqual([1, 3, -1, -1]);
    expect(resize.attrs['size_ref_inputs']).toEqual([-1, -1, 1, 1]);
    expect(resize.attrs['size_ref_dims']).toEqual([-1, -1, 2, 3]);
    expect(g.nodes.some((n) => n.op === 'Shape' || n.op === 'Concat')).toBe(false); // the shape chain is gone
    const session = await ort.InferenceSession.create(bytes);
    const cpu = new CpuExecutor(g);
    for (const [h, w] of [[8, 10], [7, 13], [16, 6]] as const) {
      const r = rng(h * 100 + w);
      const data = Float32Array.from({ length: 3 * h * w }, () => r() * 2 - 1);
      const ref = (await session.run({ x: new ort.Tensor('float32', data, [1, 3, h, w]) }))['y']!;
      const y = cpu.run({ x: { dtype: 'f32', shape: [1, 3, h, w], data } })['y']!;
      expect([...y.shape]).toEqual([...ref.dims]);
      let err = 0;
      for (let i = 0; i < y.data.length; i++) err = Math.max(err, Math.abs((y.data[i] as number) - (ref.data as Float32Array)[i]!));
      expect(err).toBeLessThanOrEqual(1e-5);
    }
  });

  it('with static input shapes the chain folds to constant sizes', () => {
    const g = importOnnx(dynamicSizesModel(), { inputShapes: { x: [1, 3, 8, 10] } });
    const resize = g.nodes.find((n) => n.op === 'Resize')!;
    expect(resize.inputs).toEqual(['f']);
    expect(resize.attrs['sizes']).toEqual([1, 3, 8, 10]);
  });
});

describe('Resize import: typed errors naming node, attribute and value', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['antialias', resizeModel({ opset: 18, inShape: [1, 1, 4, 4], scales: [1, 1, 2, 2], attrs: { mode: 'linear', antialias: 1 } }), /Resize node 'resize0': attribute 'antialias' = 1 is not supported/],
    ['mode', resizeModel({ opset: 13, inShape: [1, 1, 4, 4], scales: [1, 1, 2, 2], attrs: { mode: 'area' } }), /attribute 'mode' = 'area' is not supported/],
    ['coordinate mode', resizeModel({ opset: 13, inShape: [1, 1, 4, 4], scales: [1, 1, 2, 2], attrs: { coordinate_transformation_mode: 'center' } }), /attribute 'coordinate_transformation_mode' = 'center'/],
    ['half_pixel_symmetric before 18', resizeModel({ opset: 13, inShape: [1, 1, 4, 4], scales: [1, 1, 2, 2], attrs: { coordinate_transformation_mode: 'half_pixel_symmetric' } }), /'half_pixel_symmetric' needs opset 18/],
    ['nearest_mode', resizeModel({ opset: 13, inShape: [1, 1, 4, 4], scales: [1, 1, 2, 2], attrs: { nearest_mode: 'simple' } }), /attribute 'nearest_mode' = 'simple'/],
    ['policy', resizeModel({ opset: 18, inShape: [1, 1, 4, 4], sizes: [1, 1, 8, 8], attrs: { keep_aspect_ratio_policy: 'fit' } }), /attribute 'keep_aspect_ratio_policy' = 'fit'/],
    ['policy with dynamic dims', resizeModel({ opset: 18, inShape: [1, 1, 'H', 4], sizes: [8, 8], attrs: { axes: [2, 3], keep_aspect_ratio_policy: 'not_smaller' } }), /keep_aspect_ratio_policy' = 'not_smaller' needs the size of axis 2/],
    ['scales length', resizeModel({ opset: 13, inShape: [1, 1, 4, 4], scales: [2, 2], attrs: {} }), /input 2 \(scales\) has 2 values, expected 4/],
    ['axes', resizeModel({ opset: 18, inShape: [1, 1, 4, 4], scales: [2, 2], attrs: { axes: [2, 4] } }), /attribute 'axes' = \[2, 4\]: axis 4 is out of range/],
    ['no scales or sizes', resizeModel({ opset: 13, inShape: [1, 1, 4, 4], attrs: {} }), /needs input 2 \(scales\) or input 3 \(sizes\)/],
    ['tf_crop without roi', resizeModel({ opset: 13, inShape: [1, 1, 4, 4], scales: [1, 1, 2, 2], attrs: { coordinate_transformation_mode: 'tf_crop_and_resize' } }), /needs input 1 \(roi\)/],
    ['Upsample mode', resizeModel({ op: 'Upsample', opset: 9, inShape: [1, 1, 4, 4], scales: [1, 1, 2, 2], legacyScalesInput: true, attrs: { mode: 'cubic' } }), /Upsample node 'resize0': attribute 'mode' = 'cubic'/],
  ];
  for (const [label, bytes, msg] of cases)
    it(label, () => {
      const e = importError(bytes);
      expect(e).toBeInstanceOf(OnnxImportError);
      expect(e.message).toMatch(msg);
    });

  it('scales that are a runtime tensor', () => {
    const bytes = encodeModel({
      opset: 13,
      nodes: [node('Resize', ['x', '', 's'], ['y'], 'up')],
      inputs: [valueInfo('x', [1, 1, 4, 4]), valueInfo('s', [4])],
      outputs: [valueInfo('y', [1, 1, 8, 8])],
    });
    const e = importError(bytes);
    expect(e).toBeInstanceOf(OnnxImportError);
    expect(e.message).toMatch(/Resize node 'up': input 2 \(scales, 's'\) must be a constant/);
  });
});
