/**
 * The resampling plan the GPU preprocessing shader (shaders/image_preprocess.wgsl) executes: the very weights of the
 * CPU path (`resizeWeights` of src/io/preprocess.ts: antialiased triangle filter, torchvision's shorter-side resize +
 * center crop), flattened into GPU-friendly tables, plus the source window those weights read. Pure arithmetic, no
 * WebGPU, so it is testable anywhere.
 */
import { resizeWeights, type AxisWeights, type InputGeometry, type Normalization } from '../io/preprocess.js';

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
   * 4 u32 per output column (W entries) then per output row (H entries): first source index relative to the window,
   * index of its first weight in `weights`, number of taps, unused.
   */
  taps: Uint32Array;
  weights: Float32Array;
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

export function planResample(srcW: number, srcH: number, geom: InputGeometry): ResamplePlan {
  const { rows, cols } = resizeWeights(srcW, srcH, geom);
  const axes = [trimmed(cols), trimmed(rows)];
  const span = axes.map(({ first, weights }) => {
    const lo = Math.min(...first);
    const hi = Math.max(...first.map((f, i) => f + weights[i]!.length));
    return { lo, size: hi - lo };
  });
  const total = axes.reduce((s, a) => s + a.weights.reduce((t, w) => t + w.length, 0), 0);
  const taps = new Uint32Array((geom.width + geom.height) * 4);
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
  return { window: { x: span[0]!.lo, y: span[1]!.lo, width: span[0]!.size, height: span[1]!.size }, taps, weights };
}

/** Byte size of the shader's uniform block (see Params in shaders/image_preprocess.wgsl). */
export const PARAMS_BYTES = 64;

/** The shader's uniform block: output size and placement, colour handling, and the normalisation constants. */
export function packParams(geom: InputGeometry, norm: Normalization, outBase: number): ArrayBuffer {
  const buf = new ArrayBuffer(PARAMS_BYTES);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  u.set([geom.width, geom.height, geom.channels, outBase, norm.bgr ? 1 : 0, norm.pixelScale === 1 / 255 ? 1 : 0]);
  f[6] = norm.pixelScale;
  for (let c = 0; c < geom.channels; c++) {
    f[8 + c] = norm.mean[c]!;
    f[12 + c] = norm.std[c]!;
  }
  return buf;
}
