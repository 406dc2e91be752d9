/**
 * CPU reference of Resize / Upsample / DepthToSpace / SpaceToDepth vs onnxruntime-node, on single-node ONNX models
 * built here (resize_models.ts) and imported by Tessera's importer: every mode × coordinate_transformation_mode
 * × nearest_mode (nearest) or × cubic_coeff_a × exclude_outside (cubic), up- and downsampling, scales and sizes,
 * non-integer scales, odd sizes. Max abs error ≤ 1e-5 per case (the worst one is printed).
 */
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import type { Tensor } from '../../../src/graph/ir.js';
import { importOnnx } from '../../../src/import/onnx/index.js';
import { rng } from './helpers.js';
import { resizeModel, spaceDepthModel, type ResizeModelSpec } from './resize_models.js';

const TOL = 1e-5;
let worst = { err: 0, label: '' };
let count = 0;
afterAll(() => console.log(`Resize/Upsample/DepthToSpace/SpaceToDepth vs onnxruntime: ${count} models, max abs error ${worst.err.toExponential(2)} (${worst.label})`));

function randomInput(shape: number[], seed: number): Float32Array {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

/** Runs the model in onnxruntime and in Tessera (import + CPU executor); returns a failure line or ''. */
async function compare(label: string, bytes: Uint8Array, shape: number[], seed: number): Promise<string> {
  const data = randomInput(shape, seed);
  const session = await ort.InferenceSession.create(bytes);
  const ref = (await session.run({ x: new ort.Tensor('float32', data, shape) }))['y']!;
  const graph = importOnnx(bytes);
  const x: Tensor = { dtype: 'f32', shape, data };
  const y = new CpuExecutor(graph).run({ x })['y']!;
  count++;
  if (JSON.stringify([...y.shape]) !== JSON.stringify([...ref.dims])) return `${label}: shape [${y.shape}] vs ort [${ref.dims}]`;
  const a = y.data as Float32Array;
  const b = ref.data as Float32Array;
  let err = 0;
  for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i]! - b[i]!));
  if (err > worst.err) worst = { err, label };
  return err <= TOL ? '' : `${label}: max abs ${err}`;
}

/** Geometries: upsampling, downsampling, non-integer scales, odd sizes, scales and sizes. */
const GEOMETRIES: { label: string; shape: number[]; scales?: number[]; sizes?: number[] }[] = [
  { label: 'up x2', shape: [1, 2, 5, 7], scales: [1, 1, 2, 2] },
  { label: 'up 1.7x2.3', shape: [2, 3, 7, 5], scales: [1, 1, 1.7, 2.3] },
  { label: 'down 0.6x0.5', shape: [1, 2, 9, 8], scales: [1, 1, 0.6, 0.5] },
  { label: 'down x0.5 (ties)', shape: [1, 1, 6, 10], scales: [1, 1, 0.5, 0.5] },
  { label: 'sizes 4x6->7x3', shape: [1, 1, 4, 6], sizes: [1, 1, 7, 3] },
  { label: 'sizes 9x5->4x11', shape: [1, 2, 9, 5], sizes: [1, 2, 4, 11] },
  { label: 'sizes to 1x1', shape: [1, 1, 5, 4], sizes: [1, 1, 1, 1] },
];

const COORD_MODES = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn', 'half_pixel_symmetric', 'tf_crop_and_resize'];
const ROI = [0, 0, 0.2, -0.1, 1, 1, 0.9, 1.2];

function spec(mode: string, coord: string, g: (typeof GEOMETRIES)[number], extra: Record<string, number | string> = {}): ResizeModelSpec {
  const tf = coord === 'tf_crop_and_resize';
  return {
    opset: coord === 'half_pixel_symmetric' ? 18 : 13,
    inShape: g.shape,
    attrs: { mode, coordinate_transformation_mode: coord, ...(tf ? { extrapolation_value: 0.25 } : {}), ...extra },
    ...(tf ? { roi: ROI } : {}),
    ...(g.scales ? { scales: g.scales } : { sizes: g.sizes! }),
  };
}

interface Case {
  label: string;
  spec: ResizeModelSpec;
  shape: number[];
}

async function runAll(cases: Case[]): Promise<string[]> {
  const bad: string[] = [];
  for (const [i, c] of cases.entries()) {
    const msg = await compare(c.label, resizeModel(c.spec), c.shape, 1000 + i);
    if (msg) bad.push(msg);
  }
  return bad;
}

describe('Resize CPU reference vs onnxruntime', () => {
  it('nearest: every coordinate_transformation_mode × nearest_mode × geometry', async () => {
    const cases: Case[] = [];
    for (const coord of COORD_MODES)
      for (const nm of ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'])
        for (const g of GEOMETRIES) cases.push({ label: `nearest ${coord} ${nm} ${g.label}`, spec: spec('nearest', coord, g, { nearest_mode: nm }), shape: g.shape });
    expect(await runAll(cases)).toEqual([]);
  });

  it('linear: every coordinate_transformation_mode × geometry (bilinear on NCHW, 2-D input)', async () => {
    const cases: Case[] = [];
    for (const coord of COORD_MODES) {
      for (const g of GEOMETRIES) cases.push({ label: `linear ${coord} ${g.label}`, spec: spec('linear', coord, g), shape: g.shape });
      const g2 = { label: '2-D 5x7 -> 8x4', shape: [5, 7], sizes: [8, 4] };
      cases.push({ label: `linear ${coord} ${g2.label}`, spec: { ...spec('linear', coord, g2), ...(coord === 'tf_crop_and_resize' ? { roi: [0.1, 0, 0.8, 1.1] } : {}) }, shape: g2.shape });
    }
    expect(await runAll(cases)).toEqual([]);
  });

  it('cubic: every coordinate_transformation_mode × cubic_coeff_a × exclude_outside × geometry', async () => {
    const cases: Case[] = [];
    for (const coord of COORD_MODES)
      for (const a of [-0.75, -0.5])
        for (const ex of [0, 1])
          for (const g of GEOMETRIES)
            cases.push({ label: `cubic ${coord} a=${a} exclude=${ex} ${g.label}`, spec: spec('cubic', coord, g, { cubic_coeff_a: a, exclude_outside: ex }), shape: g.shape });
    expect(await runAll(cases)).toEqual([]);
  });

  it('nearest on every axis (N and C too), opset 11, roi on unscaled axes, trilinear', async () => {
    const cases: Case[] = [
      { label: 'nearest all axes', spec: { opset: 13, inShape: [2, 3, 4, 5], scales: [0.5, 2, 1.5, 0.7], attrs: { mode: 'nearest' } }, shape: [2, 3, 4, 5] },
      { label: 'nearest 3-D sizes', spec: { opset: 13, inShape: [3, 5, 7], sizes: [2, 8, 7], attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric' } }, shape: [3, 5, 7] },
      { label: 'opset 11 linear align_corners', spec: { opset: 11, inShape: [1, 2, 5, 6], scales: [1, 1, 1.5, 0.75], attrs: { mode: 'linear', coordinate_transformation_mode: 'align_corners' } }, shape: [1, 2, 5, 6] },
      // roi on unscaled axes (C, H) is ignored, as onnxruntime does (those axes map identically).
      ...['nearest', 'linear', 'cubic'].map((mode) => ({
        label: `tf_crop_and_resize ${mode} roi on unscaled axes`,
        spec: { opset: 13, inShape: [1, 3, 5, 7], sizes: [1, 3, 5, 9], roi: [0, 0.4, 0.3, 0, 1, 1, 1, 1], attrs: { mode, coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: 7 } },
        shape: [1, 3, 5, 7],
      })),
      { label: 'trilinear NCDHW', spec: { opset: 13, inShape: [1, 2, 3, 4, 5], scales: [1, 1, 2, 1.5, 0.6], attrs: { mode: 'linear' } }, shape: [1, 2, 3, 4, 5] },
    ];
    expect(await runAll(cases)).toEqual([]);
  });

  it('opset 18: axes and keep_aspect_ratio_policy', async () => {
    const cases: Case[] = [];
    for (const policy of ['stretch', 'not_larger', 'not_smaller'])
      for (const mode of ['nearest', 'linear'])
        cases.push({
          label: `opset 18 ${policy} ${mode} axes [2, 3]`,
          spec: { opset: 18, inShape: [1, 2, 6, 9], sizes: [8, 10], attrs: { mode, axes: [2, 3], keep_aspect_ratio_policy: policy } },
          shape: [1, 2, 6, 9],
        });
    cases.push({ label: 'opset 18 scales axes [3, 2]', spec: { opset: 18, inShape: [1, 2, 5, 7], scales: [0.5, 2.5], attrs: { mode: 'linear', axes: [3, 2] } }, shape: [1, 2, 5, 7] });
    cases.push({ label: 'opset 18 tf_crop axes', spec: { opset: 18, inShape: [1, 1, 5, 7], sizes: [4, 6], roi: [0.1, 0.2, 0.7, 1.0], attrs: { mode: 'linear', axes: [2, 3], coordinate_transformation_mode: 'tf_crop_and_resize' } }, shape: [1, 1, 5, 7] });
    expect(await runAll(cases)).toEqual([]);
  });
});

describe('Resize-10 and Upsample vs onnxruntime (asymmetric, legacy nearest rule)', () => {
  it('Resize-10 and Upsample-7/9: nearest and linear, up and down', async () => {
    const cases: Case[] = [];
    for (const mode of ['nearest', 'linear'])
      for (const scales of [[1, 1, 2, 3], [1, 1, 0.6, 0.5], [1, 1, 1.5, 2.5]]) {
        const shape = [1, 2, 5, 7];
        cases.push({ label: `Resize-10 ${mode} [${scales}]`, spec: { opset: 10, inShape: shape, scales, legacyScalesInput: true, attrs: { mode } }, shape });
        if (scales.every((s) => s >= 1)) {
          cases.push({ label: `Upsample-9 ${mode} [${scales}]`, spec: { op: 'Upsample' as const, opset: 9, inShape: shape, scales, legacyScalesInput: true, attrs: { mode } }, shape });
          cases.push({ label: `Upsample-7 ${mode} [${scales}]`, spec: { op: 'Upsample' as const, opset: 7, inShape: shape, attrs: { mode, scales } }, shape });
        }
      }
    expect(await runAll(cases)).toEqual([]);
  });
});

describe('DepthToSpace / SpaceToDepth vs onnxruntime', () => {
  it('DCR, CRD and SpaceToDepth at blocksizes 2 and 3', async () => {
    const bad: string[] = [];
    let seed = 5000;
    for (const b of [2, 3]) {
      for (const mode of ['DCR', 'CRD']) {
        const shape = [2, 2 * b * b, 3, 5];
        const msg = await compare(`DepthToSpace ${mode} b${b}`, spaceDepthModel('DepthToSpace', shape, { blocksize: b, mode }), shape, seed++);
        if (msg) bad.push(msg);
      }
      const shape = [2, 3, 2 * b, 3 * b];
      const msg = await compare(`SpaceToDepth b${b}`, spaceDepthModel('SpaceToDepth', shape, { blocksize: b }), shape, seed++);
      if (msg) bad.push(msg);
    }
    const shape = [1, 8, 2, 3];
    const msg = await compare('DepthToSpace opset 1 (DCR)', spaceDepthModel('DepthToSpace', shape, { blocksize: 2 }, 9), shape, seed++);
    if (msg) bad.push(msg);
    expect(bad).toEqual([]);
  });
});
