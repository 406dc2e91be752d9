/**
 * The resampling plan the GPU preprocessing shader (shaders/image_preprocess.wgsl) executes: the very weights of the
 * CPU path (`resampleGeometry` of src/io/preprocess.ts: antialiased triangle filter; by default torchvision's
 * shorter-side resize + center crop, or any axis-aligned view matrix of src/io/geometry.ts), flattened into
 * GPU-friendly tables, plus the source window those weights read and the output -> canonical index matrix the shader
 * applies to its thread index (flips, transposes). Pure arithmetic, no WebGPU, so it is testable anywhere.
 */
import type { Mat3 } from '../io/geometry.js';
import { resampleGeometry, type AxisWeights, type InputGeometry, type Normalization } from '../io/preprocess.js';

/** Source pixels the filter reads (the centered crop plus the filter's reach): only these are uploaded. */
export interface SourceWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ResamplePlan {
  window: SourceWindow;
  /**
   * 4 u32 per canonical column (canonicalWidth entries) then per canonical row: first source index relative to the
   * window, index of its first weight in `weights`, number of taps, unused.
   */
  taps: Uint32Array;
  weights: Float32Array;
  /** Columns of the canonical grid (the output's width, or its height when the view transposes). */
  canonicalWidth: number;
  /** Output pixel index -> canonical pixel index (see separableGeometry); identity for the plain rule. */
  index: Mat3;
}

/** One axis' taps without their zero weights at either end (adding 0 * pixel changes no sum, so results are identical). */
function trimmed(axis: AxisWeights): { first: number[]; weights: Float32Array[] } {
  const first: number[] = [];
  const weights: Float32Array[] = [];
  axis.weights.forEach((w, o) => {
    let lo = 0;
    let hi = w.length - 1;
    while (lo < hi && w[lo] === 0) lo++;
    while (hi > lo && w[hi] === 0) hi--;
    first.push(axis.first[o]! + lo);
    weights.push(w.subarray(lo, hi + 1));
  });
  return { first, weights };
}

/** The shader's tables for one view (`matrix`: output -> source, default the plain resize + center crop). */
export function planResample(srcW: number, srcH: number, geom: InputGeometry, matrix?: Mat3): ResamplePlan {
  const { rows, cols, canonicalWidth, index } = resampleGeometry(srcW, srcH, geom, matrix);
  const axes = [trimmed(cols), trimmed(rows)];
  const span = axes.map(({ first, weights }) => {
    const lo = Math.min(...first);
    const hi = Math.max(...first.map((f, i) => f + weights[i]!.length));
    return { lo, size: hi - lo };
  });
  const total = axes.reduce((s, a) => s + a.weights.reduce((t, w) => t + w.length, 0), 0);
  const taps = new Uint32Array((cols.weights.length + rows.weights.length) * 4);
  const weights = new Float32Array(total);
  let entry = 0;
  let next = 0;
  axes.forEach(({ first, weights: ws }, axis) => {
    ws.forEach((w, o) => {
      taps.set([first[o]! - span[axis]!.lo, next, w.length, 0], entry * 4);
      weights.set(w, next);
      next += w.length;
      entry++;
    });
  });
  return { window: { x: span[0]!.lo, y: span[1]!.lo, width: span[0]!.size, height: span[1]!.size }, taps, weights, canonicalWidth, index };
}

/** Where one view's entries start in the tables of `planViews`, and how its output pixels index them. */
export interface ViewTables {
  /** First taps entry (vec4 index) of the view: its canonical columns, then its canonical rows. */
  tapBase: number;
  canonicalWidth: number;
  index: Mat3;
}

/** Several views of one source (test-time augmentation) in one set of tables over one uploaded window. */
export interface ViewsPlan {
  /** Union of the views' windows: uploaded once, so every view reads the same frame of a video. */
  window: SourceWindow;
  taps: Uint32Array;
  weights: Float32Array;
  views: ViewTables[];
}

/** The views' plans concatenated, tap positions made relative to the union window. */
export function planViews(srcW: number, srcH: number, geom: InputGeometry, matrices: readonly (Mat3 | undefined)[]): ViewsPlan {
  const plans = matrices.map((m) => planResample(srcW, srcH, geom, m));
  const x0 = Math.min(...plans.map((p) => p.window.x));
  const y0 = Math.min(...plans.map((p) => p.window.y));
  const x1 = Math.max(...plans.map((p) => p.window.x + p.window.width));
  const y1 = Math.max(...plans.map((p) => p.window.y + p.window.height));
  const taps = new Uint32Array(plans.reduce((s, p) => s + p.taps.length, 0));
  const weights = new Float32Array(plans.reduce((s, p) => s + p.weights.length, 0));
  const views: ViewTables[] = [];
  let tapAt = 0;
  let weightAt = 0;
  for (const p of plans) {
    const entries = p.taps.length / 4;
    for (let e = 0; e < entries; e++) {
      // Columns (the first canonicalWidth entries) shift by the window's x, rows by its y.
      const shift = e < p.canonicalWidth ? p.window.x - x0 : p.window.y - y0;
      taps.set([p.taps[e * 4]! + shift, p.taps[e * 4 + 1]! + weightAt, p.taps[e * 4 + 2]!, 0], tapAt * 4 + e * 4);
    }
    weights.set(p.weights, weightAt);
    views.push({ tapBase: tapAt, canonicalWidth: p.canonicalWidth, index: p.index });
    tapAt += entries;
    weightAt += p.weights.length;
  }
  return { window: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, taps, weights, views };
}

/** Byte size of the shader's uniform block (see Params in shaders/image_preprocess.wgsl). */
export const PARAMS_BYTES = 128;

/**
 * The shader's uniform block: output size and placement, colour handling, the normalisation constants, and the view's
 * output -> canonical index matrix (a mat3x3<f32>: three columns padded to vec4; integer entries, exact in f32) and
 * the view's first taps entry. Without `view`, the identity view of an output-sized canonical grid.
 */
export function packParams(geom: InputGeometry, norm: Normalization, outBase: number, view?: Partial<ViewTables>): ArrayBuffer {
  const buf = new ArrayBuffer(PARAMS_BYTES);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  u.set([geom.width, geom.height, geom.channels, outBase, norm.bgr ? 1 : 0, norm.pixelScale === 1 / 255 ? 1 : 0]);
  f[6] = norm.pixelScale;
  u[7] = view?.canonicalWidth ?? geom.width;
  for (let c = 0; c < geom.channels; c++) {
    f[8 + c] = norm.mean[c]!;
    f[12 + c] = norm.std[c]!;
  }
  const m = view?.index ?? [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let col = 0; col < 3; col++) for (let row = 0; row < 3; row++) f[16 + col * 4 + row] = m[col * 3 + row]!;
  u[28] = view?.tapBase ?? 0;
  return buf;
}
