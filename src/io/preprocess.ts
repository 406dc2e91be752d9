/**
 * Image → input tensor, following the graph metadata: value = (pixel * pixelScale - mean[c]) / std[c], NCHW float32.
 * Defaults when the metadata is silent: pixelScale 1/255, mean 0, std 1, RGB order.
 * Browser-safe (no Node imports).
 */
import type { GraphMetadata, Tensor } from '../graph/ir.js';
import { centerCropMatrix, separableGeometry, type Mat3, type SeparableGeometry, type AxisMap } from './geometry.js';

export class PreprocessError extends Error {
  override name = 'PreprocessError';
}

/** An 8-bit image. channels: 1 = gray, 3 = RGB, 4 = RGBA (alpha is ignored). */
export interface ImageU8 {
  width: number;
  height: number;
  channels: number;
  layout: 'HWC' | 'CHW';
  data: Uint8Array;
}

/** What the model wants: channel count and spatial size of one image (CHW without batch). */
export interface InputGeometry {
  channels: number;
  height: number;
  width: number;
}

export interface Normalization {
  pixelScale: number;
  mean: number[];
  std: number[];
  bgr: boolean;
}

/** Per-channel normalisation from graph metadata; a single mean/std value applies to every channel. */
export function normalizationFor(meta: GraphMetadata, channels: number): Normalization {
  const pick = (v: number[] | undefined, dflt: number, key: string): number[] => {
    if (v === undefined || v.length === 0) return new Array<number>(channels).fill(dflt);
    if (v.length === 1) return new Array<number>(channels).fill(v[0]!);
    if (v.length !== channels)
      throw new PreprocessError(`metadata ${key} has ${v.length} values but the model input has ${channels} channels`);
    return [...v];
  };
  const std = pick(meta.std, 1, 'std');
  if (std.some((s) => s === 0 || !Number.isFinite(s))) throw new PreprocessError(`metadata std must be finite and non-zero, got [${std.join(', ')}]`);
  return {
    pixelScale: meta.pixelScale ?? 1 / 255,
    mean: pick(meta.mean, 0, 'mean'),
    std,
    bgr: meta.colorOrder === 'BGR',
  };
}

/**
 * Model input geometry: from the graph input shape [N, C, H, W] where static, else from `metadata.inputSize`.
 */
export function inputGeometry(inputShape: readonly number[], meta: GraphMetadata): InputGeometry {
  const fromShape = inputShape.length === 4 ? inputShape.slice(1) : undefined;
  const size = meta.inputSize;
  const dims = [0, 1, 2].map((i) => {
    const s = fromShape?.[i];
    if (s !== undefined && s > 0) return s;
    const m = size?.[i];
    if (m !== undefined && m > 0) return m;
    return -1;
  });
  if (inputShape.length !== 4 && !size)
    throw new PreprocessError(`model input has shape [${inputShape.join(', ')}], not an NCHW image; give --input-size at convert time or use --input`);
  if (dims.some((d) => d < 0))
    throw new PreprocessError(`model input size is dynamic ([${inputShape.join(', ')}]) and metadata has no inputSize`);
  return { channels: dims[0]!, height: dims[1]!, width: dims[2]! };
}

/**
 * Normalise one (possibly interpolated) pixel value of channel c, in float32 steps like torchvision's
 * ToTensor + Normalize: x = v / 255 (or v * pixelScale), then (x - mean) / std.
 */
export function normalizeValue(v: number, c: number, norm: Normalization): number {
  const f = Math.fround;
  const x = norm.pixelScale === 1 / 255 ? f(v / 255) : f(v * f(norm.pixelScale));
  return f(f(x - f(norm.mean[c]!)) / f(norm.std[c]!));
}

/** The 256 possible normalised values of one channel, for integer pixels. */
function channelTable(c: number, norm: Normalization): Float32Array {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = normalizeValue(v, c, norm);
  return t;
}

/** Read channel c of pixel (y, x), converting between gray and colour and applying BGR order as needed. */
function channelReader(img: ImageU8, targetChannels: number, bgr: boolean): (c: number, y: number, x: number) => number {
  const { width, height, channels, data } = img;
  const at =
    img.layout === 'HWC'
      ? (c: number, y: number, x: number) => data[(y * width + x) * channels + c]!
      : (c: number, y: number, x: number) => data[(c * height + y) * width + x]!;
  if (channels === 1) return (_c, y, x) => at(0, y, x);
  if (channels < 3) throw new PreprocessError(`image has ${channels} channels; expected 1 (gray), 3 (RGB) or 4 (RGBA)`);
  if (targetChannels === 1) return (_c, y, x) => 0.299 * at(0, y, x) + 0.587 * at(1, y, x) + 0.114 * at(2, y, x);
  if (targetChannels !== 3) throw new PreprocessError(`model wants ${targetChannels} input channels; images give 1 or 3`);
  return bgr ? (c, y, x) => at(2 - c, y, x) : (c, y, x) => at(c, y, x);
}

/**
 * Separable resampling weights (triangle filter, i.e. bilinear, widened when shrinking so every source pixel
 * contributes: the antialiased resize of PIL / torchvision). `first` is the first source index per output index.
 */
export interface AxisWeights {
  first: Int32Array;
  weights: Float32Array[];
}

/**
 * Weights of `outCount` canonical output pixels read along a source axis of `inSize` pixels: output pixel o is
 * centred at source coordinate map.scale * (o + 0.5) + map.offset (pixel i spans [i, i+1)).
 */
function axisWeights(inSize: number, map: AxisMap, outCount: number): AxisWeights {
  const support = Math.max(1, map.scale);
  const first = new Int32Array(outCount);
  const weights: Float32Array[] = [];
  for (let o = 0; o < outCount; o++) {
    const center = map.scale * (o + 0.5) + map.offset;
    const lo = Math.min(inSize - 1, Math.max(0, Math.floor(center - support)));
    const hi = Math.max(lo, Math.min(inSize - 1, Math.ceil(center + support)));
    const w = new Float32Array(hi - lo + 1);
    let sum = 0;
    for (let i = lo; i <= hi; i++) {
      const v = Math.max(0, 1 - Math.abs((i + 0.5 - center) / support));
      w[i - lo] = v;
      sum += v;
    }
    if (sum === 0) {
      // Degenerate (1-pixel source, or a centre past the edge): take the nearest pixel.
      w.fill(0);
      w[Math.min(w.length - 1, Math.max(0, Math.floor(center) - lo))] = 1;
      sum = 1;
    }
    for (let i = 0; i < w.length; i++) w[i]! /= sum;
    first[o] = lo;
    weights.push(w);
  }
  return { first, weights };
}

/**
 * The resampling of one view, shared by the CPU path and the GPU shader (src/image/gpu_plan.ts): the per-axis
 * filter weights of the canonical grid (see separableGeometry in ./geometry.ts) and how output pixels index it.
 */
export interface ResampleGeometry extends SeparableGeometry {
  /** Canonical columns (canonicalWidth entries) along source x. */
  cols: AxisWeights;
  /** Canonical rows (canonicalHeight entries) along source y. */
  rows: AxisWeights;
}

/**
 * Filter weights of the view `matrix` (output pixel coordinates -> source coordinates, default: the plain rule,
 * resize shorter side + center crop) from a srcW x srcH image to the model's H x W. The one geometry function of
 * both preprocessing paths.
 */
export function resampleGeometry(srcW: number, srcH: number, geom: InputGeometry, matrix?: Mat3): ResampleGeometry {
  const m = matrix ?? centerCropMatrix(srcW, srcH, geom.width, geom.height);
  const sep = separableGeometry(m, geom.width, geom.height);
  return { ...sep, cols: axisWeights(srcW, sep.x, sep.canonicalWidth), rows: axisWeights(srcH, sep.y, sep.canonicalHeight) };
}

/**
 * Per-axis filter weights of the plain resize + center crop from a srcW x srcH image to the model's H x W. Like
 * torchvision Resize(shorter side) + CenterCrop: integer resized size, per-axis scale, crop offsets rounded
 * half-to-even.
 */
export function resizeWeights(srcW: number, srcH: number, geom: InputGeometry): { rows: AxisWeights; cols: AxisWeights } {
  const { rows, cols } = resampleGeometry(srcW, srcH, geom);
  return { rows, cols };
}

/**
 * Convert one image to a float32 [1, C, H, W] tensor for the model. Default geometry: when the image size differs
 * from the model's, it is resized (aspect ratio kept, shorter side to fit) with an antialiased bilinear filter, then
 * center-cropped. `matrix` (output pixel coordinates -> image coordinates, see ./geometry.ts) replaces that: a view
 * of test-time augmentation, a mirrored webcam frame, an EXIF-oriented photo.
 */
export function imageToTensor(img: ImageU8, geom: InputGeometry, norm: Normalization, matrix?: Mat3): Tensor {
  const { channels: C, height: H, width: W } = geom;
  const read = channelReader(img, C, norm.bgr);
  const out = new Float32Array(C * H * W);
  const finish = (c: number, v: number) => normalizeValue(v, c, norm);
  if (!matrix && img.height === H && img.width === W) {
    for (let c = 0; c < C; c++)
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out[(c * H + y) * W + x] = finish(c, read(c, y, x));
    return { dtype: 'f32', shape: [1, C, H, W], data: out };
  }
  const g = resampleGeometry(img.width, img.height, geom, matrix);
  const { rows, cols, canonicalWidth: CW, canonicalHeight: CH } = g;
  // Horizontal pass into a [C, srcH, CW] float buffer, then vertical pass into the canonical [C, CH, CW] image.
  const tmp = new Float32Array(C * img.height * CW);
  for (let c = 0; c < C; c++)
    for (let y = 0; y < img.height; y++)
      for (let x = 0; x < CW; x++) {
        const w = cols.weights[x]!;
        const x0 = cols.first[x]!;
        let s = 0;
        for (let k = 0; k < w.length; k++) s += w[k]! * read(c, y, x0 + k);
        tmp[(c * img.height + y) * CW + x] = s;
      }
  const canon = new Float32Array(C * CH * CW);
  for (let c = 0; c < C; c++)
    for (let y = 0; y < CH; y++) {
      const w = rows.weights[y]!;
      const y0 = rows.first[y]!;
      for (let x = 0; x < CW; x++) {
        let s = 0;
        for (let k = 0; k < w.length; k++) s += w[k]! * tmp[(c * img.height + y0 + k) * CW + x]!;
        canon[(c * CH + y) * CW + x] = finish(c, s);
      }
    }
  if (g.identityIndex) return { dtype: 'f32', shape: [1, C, H, W], data: canon };
  // Flips and transposes: output pixel (x, y) shows canonical pixel index * (x, y) (integer matrix entries).
  const m = g.index;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const cx = m[0]! * x + m[3]! * y + m[6]!;
      const cy = m[1]! * x + m[4]! * y + m[7]!;
      for (let c = 0; c < C; c++) out[(c * H + y) * W + x] = canon[(c * CH + cy) * CW + cx]!;
    }
  return { dtype: 'f32', shape: [1, C, H, W], data: out };
}

/** Every view of one image (one matrix each, see viewMatrices in ./geometry.ts) as one [V, C, H, W] batch. */
export function imageViewsToTensor(img: ImageU8, geom: InputGeometry, norm: Normalization, matrices: readonly Mat3[]): Tensor {
  const per = geom.channels * geom.height * geom.width;
  const data = new Float32Array(matrices.length * per);
  matrices.forEach((m, v) => data.set(imageToTensor(img, geom, norm, m).data as Float32Array, v * per));
  return { dtype: 'f32', shape: [matrices.length, geom.channels, geom.height, geom.width], data };
}

/**
 * Normalise `count` same-size uint8 CHW images (a slice of a data set) into one float32 [count, C, H, W] tensor.
 * Gray data sets feed 3-channel models by replication; sizes must match the model exactly (no resizing in eval).
 */
export function batchToTensor(
  images: Uint8Array,
  count: number,
  src: InputGeometry,
  geom: InputGeometry,
  norm: Normalization,
): Tensor {
  if (src.height !== geom.height || src.width !== geom.width)
    throw new PreprocessError(`data set images are ${src.height}x${src.width} but the model input is ${geom.height}x${geom.width}`);
  if (src.channels !== geom.channels && src.channels !== 1)
    throw new PreprocessError(`data set images have ${src.channels} channels but the model input has ${geom.channels}`);
  const plane = geom.height * geom.width;
  const C = geom.channels;
  const out = new Float32Array(count * C * plane);
  const tables = Array.from({ length: C }, (_, c) => channelTable(c, norm));
  for (let n = 0; n < count; n++)
    for (let c = 0; c < C; c++) {
      // Source channel: replicate gray; swap R/B when the model wants BGR.
      const sc = src.channels === 1 ? 0 : norm.bgr && C === 3 ? 2 - c : c;
      const s0 = (n * src.channels + sc) * plane;
      const d0 = (n * C + c) * plane;
      const table = tables[c]!;
      for (let i = 0; i < plane; i++) out[d0 + i] = table[images[s0 + i]!]!;
    }
  return { dtype: 'f32', shape: [count, C, geom.height, geom.width], data: out };
}
