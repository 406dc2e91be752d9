/**
 * The tables the GPU preprocessing shader runs on (src/image/gpu_plan.ts), checked without a GPU: a line-by-line CPU
 * emulation of shaders/image_preprocess.wgsl (f32 arithmetic, reading only the uploaded window) must reproduce the
 * CLI's imageToTensor. The real shader is compared in Chromium by tests/image/gpu_preprocess.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { packParams, planResample, PARAMS_BYTES, type ResamplePlan } from '../../src/image/gpu_plan.js';
import { imageToTensor, normalizationFor, type ImageU8, type InputGeometry, type Normalization } from '../../src/io/preprocess.js';
import { mulberry32 } from '../harness/rng.js';

const f = Math.fround;

function randomImage(w: number, h: number, seed: number): ImageU8 {
  const r = mulberry32(seed);
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * 256);
  return { width: w, height: h, channels: 4, layout: 'HWC', data };
}

/** What the shader computes, in f32, touching only the window's pixels. */
function emulateShader(img: ImageU8, plan: ResamplePlan, geom: InputGeometry, norm: Normalization): Float32Array {
  const { width: W, height: H, channels: C } = geom;
  const win = plan.window;
  const pixel = (x: number, y: number): number[] => {
    if (!(x >= 0 && x < win.width && y >= 0 && y < win.height)) throw new Error(`tap (${x}, ${y}) outside the ${win.width}x${win.height} window`);
    const at = ((win.y + y) * img.width + win.x + x) * 4;
    const rgb = [img.data[at]!, img.data[at + 1]!, img.data[at + 2]!];
    if (C === 1) return [f(f(f(0.299 * rgb[0]!) + f(0.587 * rgb[1]!)) + f(0.114 * rgb[2]!)), 0, 0];
    return norm.bgr ? rgb.reverse() : rgb;
  };
  const out = new Float32Array(C * H * W);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const col = plan.taps.subarray(x * 4, x * 4 + 4);
      const row = plan.taps.subarray((W + y) * 4, (W + y) * 4 + 4);
      const acc = [0, 0, 0];
      for (let j = 0; j < row[2]!; j++) {
        const line = [0, 0, 0];
        for (let k = 0; k < col[2]!; k++) {
          const p = pixel(col[0]! + k, row[0]! + j);
          for (let c = 0; c < 3; c++) line[c] = f(line[c]! + f(plan.weights[col[1]! + k]! * p[c]!));
        }
        for (let c = 0; c < 3; c++) acc[c] = f(acc[c]! + f(plan.weights[row[1]! + j]! * line[c]!));
      }
      for (let c = 0; c < C; c++) {
        const v = norm.pixelScale === 1 / 255 ? f(acc[c]! / 255) : f(acc[c]! * f(norm.pixelScale));
        out[(c * H + y) * W + x] = f(f(v - f(norm.mean[c]!)) / f(norm.std[c]!));
      }
    }
  return out;
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('planResample', () => {
  const IMAGENET: Normalization = { pixelScale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], bgr: false };
  const cases: [number, number, InputGeometry, Normalization][] = [
    [32, 32, { channels: 3, height: 32, width: 32 }, IMAGENET], // model size: identity
    [64, 48, { channels: 3, height: 32, width: 32 }, IMAGENET], // downscale, landscape crop
    [20, 50, { channels: 3, height: 32, width: 32 }, IMAGENET], // upscale, portrait crop
    [33, 32, { channels: 3, height: 32, width: 32 }, { ...IMAGENET, bgr: true }],
    [1, 1, { channels: 3, height: 7, width: 5 }, IMAGENET], // 1x1 source, non-square target
    [300, 17, { channels: 3, height: 12, width: 40 }, { pixelScale: 1, mean: [127.5, 127.5, 127.5], std: [64, 64, 64], bgr: false }],
    [45, 45, { channels: 1, height: 28, width: 28 }, { pixelScale: 1 / 255, mean: [0.1307], std: [0.3081], bgr: false }],
    [97, 61, { channels: 3, height: 1, width: 1 }, IMAGENET], // 1x1 model input
  ];
  for (const [w, h, geom, norm] of cases) {
    it(`${w}x${h} -> ${geom.channels}x${geom.height}x${geom.width}${norm.bgr ? ' BGR' : ''}: shader emulation = imageToTensor within 1e-5`, () => {
      const img = randomImage(w, h, w * 1000 + h);
      const plan = planResample(w, h, geom);
      expect(plan.window.x).toBeGreaterThanOrEqual(0);
      expect(plan.window.y).toBeGreaterThanOrEqual(0);
      expect(plan.window.x + plan.window.width).toBeLessThanOrEqual(w);
      expect(plan.window.y + plan.window.height).toBeLessThanOrEqual(h);
      const want = imageToTensor(img, geom, norm).data as Float32Array;
      const got = emulateShader(img, plan, geom, norm);
      expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-5);
    });
  }

  it('uploads only the columns a center crop reads from a wide panorama', () => {
    const plan = planResample(4000, 100, { channels: 3, height: 32, width: 32 });
    // The crop is the centre 100x100: the window is that plus at most the filter's reach.
    expect(plan.window.height).toBe(100);
    expect(plan.window.width).toBeGreaterThanOrEqual(100);
    expect(plan.window.width).toBeLessThanOrEqual(110);
    expect(Math.abs(plan.window.x + plan.window.width / 2 - 2000)).toBeLessThanOrEqual(4);
  });

  it('reads each pixel once at the model size (identity taps)', () => {
    const plan = planResample(32, 16, { channels: 3, height: 16, width: 32 });
    expect(plan.window).toEqual({ x: 0, y: 0, width: 32, height: 16 });
    expect(Array.from(plan.weights)).toEqual(new Array(48).fill(1));
    expect(Array.from(plan.taps.subarray(5 * 4, 5 * 4 + 3))).toEqual([5, 5, 1]);
  });
});

describe('packParams', () => {
  it('lays out the uniform block as the shader declares it', () => {
    const norm = normalizationFor({ mean: [0.1, 0.2, 0.3], std: [0.4, 0.5, 0.6], colorOrder: 'BGR' }, 3);
    const buf = packParams({ channels: 3, height: 24, width: 40 }, norm, 17);
    expect(buf.byteLength).toBe(PARAMS_BYTES);
    const u = new Uint32Array(buf);
    const fl = new Float32Array(buf);
    expect(Array.from(u.subarray(0, 6))).toEqual([40, 24, 3, 17, 1, 1]);
    expect(fl[6]).toBe(f(1 / 255));
    expect(Array.from(fl.subarray(8, 11))).toEqual([0.1, 0.2, 0.3].map(f));
    expect(Array.from(fl.subarray(12, 15))).toEqual([0.4, 0.5, 0.6].map(f));
  });
});
