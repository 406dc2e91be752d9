/**
 * Resize (canonical form of ONNX Resize 10/11/13/18 and Upsample 7/9, docs/ir.md), DepthToSpace, SpaceToDepth.
 *
 * Resize's geometry lives here so the shape rule, the CPU reference and the WebGPU kernel agree on it:
 * `resizeGeometry` gives the output shape and the per-axis scale used by the coordinate transform, and
 * `resizeCoord` / `nearestIndex` / `cubicCoeffs` map one output coordinate to input coordinates.
 *
 * The arithmetic of the coordinate transforms is done in float32 (`Math.fround` after every operation), as
 * onnxruntime and the WGSL kernel do: nearest-neighbour rounding at exact .5 ties (half_pixel downsampling by 2,
 * for instance) depends on it, and f64 would round some ties the other way than both of them.
 */
import type { Node, Shape } from '../ir.js';
import { UNKNOWN, computeDtype, fail, fmtShape, requireFloat, requireInput } from './common.js';
import type { InputInfo, ShapeRule } from './types.js';

export const RESIZE_MODES = ['nearest', 'linear', 'cubic'] as const;
export const RESIZE_COORD_MODES = [
  'half_pixel',
  'half_pixel_symmetric',
  'pytorch_half_pixel',
  'align_corners',
  'asymmetric',
  'tf_half_pixel_for_nn',
  'tf_crop_and_resize',
] as const;
/** 'simple' is the IR's name for Resize-10 / Upsample's rule (floor when an axis upsamples, ceil when it shrinks). */
export const RESIZE_NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil', 'simple'] as const;

export type ResizeMode = (typeof RESIZE_MODES)[number];
export type ResizeCoordMode = (typeof RESIZE_COORD_MODES)[number];
export type ResizeNearestMode = (typeof RESIZE_NEAREST_MODES)[number];

export interface ResizeParams {
  mode: ResizeMode;
  coord: ResizeCoordMode;
  nearest: ResizeNearestMode;
  cubicA: number;
  excludeOutside: boolean;
  extrapolation: number;
  /** [starts..., ends...] per axis, normalised coordinates (tf_crop_and_resize only; [0.., 1..] otherwise). */
  roi: number[];
}

function choice<T extends string>(node: Node, key: string, allowed: readonly T[], dflt: T): T {
  const v = node.attrs[key] ?? dflt;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    fail(node, `attribute '${key}' = ${JSON.stringify(v)} is not supported (expected one of ${allowed.join(', ')})`);
  return v as T;
}

function num(node: Node, key: string, dflt: number): number {
  const v = node.attrs[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(node, `attribute '${key}' = ${JSON.stringify(v)} must be a finite number`);
  return v;
}

function nums(node: Node, key: string): number[] | undefined {
  const v = node.attrs[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x)))
    fail(node, `attribute '${key}' must be a list of finite numbers`);
  return v as number[];
}

/** The interpolation attributes of a canonical Resize node, validated (GraphError naming node, attribute, value). */
export function resizeParams(node: Node, rank: number): ResizeParams {
  const mode = choice(node, 'mode', RESIZE_MODES, 'nearest');
  const coord = choice(node, 'coordinate_transformation_mode', RESIZE_COORD_MODES, 'half_pixel');
  const nearest = choice(node, 'nearest_mode', RESIZE_NEAREST_MODES, 'round_prefer_floor');
  const exclude = num(node, 'exclude_outside', 0);
  if (exclude !== 0 && exclude !== 1) fail(node, `attribute 'exclude_outside' = ${exclude} must be 0 or 1`);
  const antialias = num(node, 'antialias', 0);
  if (antialias !== 0) fail(node, `attribute 'antialias' = ${antialias} is not supported (only 0)`);
  let roi = nums(node, 'roi');
  if (coord === 'tf_crop_and_resize') {
    if (!roi) fail(node, "coordinate_transformation_mode 'tf_crop_and_resize' needs attribute 'roi'");
    if (roi.length !== 2 * rank) fail(node, `attribute 'roi' has ${roi.length} values, expected ${2 * rank} for rank ${rank}`);
  } else {
    // roi only matters for tf_crop_and_resize (ONNX: "ignored otherwise").
    roi = [...new Array<number>(rank).fill(0), ...new Array<number>(rank).fill(1)];
  }
  return {
    mode,
    coord,
    nearest,
    cubicA: num(node, 'cubic_coeff_a', -0.75),
    excludeOutside: exclude === 1,
    extrapolation: num(node, 'extrapolation_value', 0),
    roi,
  };
}

export interface ResizeGeometry {
  outShape: number[];
  /** Per-axis scale of the coordinate transform (float32 values); NaN where a dim is unknown. */
  scales: number[];
}

/**
 * Output shape and coordinate scales of a canonical Resize over an input of shape `x` (-1 = unknown dim).
 * Canonical attributes: `scales` (output = floor(in × scale), f32 product as onnxruntime), `sizes` (scale = out / in),
 * or both (keep_aspect_ratio_policy resolved by the importer: sizes give the shape, scales the transform). A `sizes`
 * entry -1 takes dim `size_ref_dims[k]` of input `size_ref_inputs[k]` (sizes computed from a symbolic input shape at
 * run time, e.g. `F.interpolate(x, size=img.shape[-2:])` exported with dynamic H/W).
 */
export function resizeGeometry(node: Node, x: Shape, refShape: (input: number) => Shape | undefined): ResizeGeometry {
  const rank = x.length;
  if (rank < 1) fail(node, 'input X must have rank >= 1');
  const scalesAttr = nums(node, 'scales');
  const sizesAttr = nums(node, 'sizes');
  if (!scalesAttr && !sizesAttr) fail(node, "needs attribute 'scales' or 'sizes'");
  if (scalesAttr) {
    if (scalesAttr.length !== rank) fail(node, `attribute 'scales' has ${scalesAttr.length} values, expected ${rank} for input ${fmtShape(x)}`);
    scalesAttr.forEach((s, i) => {
      if (!(s > 0)) fail(node, `attribute 'scales' = [${scalesAttr.join(', ')}]: scale ${s} on axis ${i} must be > 0`);
    });
  }
  let sizes: number[] | undefined;
  if (sizesAttr) {
    if (sizesAttr.length !== rank) fail(node, `attribute 'sizes' has ${sizesAttr.length} values, expected ${rank} for input ${fmtShape(x)}`);
    const refInputs = nums(node, 'size_ref_inputs');
    const refDims = nums(node, 'size_ref_dims');
    sizes = sizesAttr.map((s, k) => {
      if (s === -1 && refInputs && refDims && refInputs[k] !== undefined && refInputs[k]! >= 0) {
        const shape = refShape(refInputs[k]!);
        if (!shape) fail(node, `input ${refInputs[k]} (a size reference for axis ${k}) is missing`);
        const d = shape[refDims[k]!];
        if (d === undefined) fail(node, `size reference dim ${refDims[k]} is out of range for input ${refInputs[k]} of shape ${fmtShape(shape)}`);
        return d;
      }
      if (!Number.isInteger(s) || s < 0) fail(node, `attribute 'sizes' = [${sizesAttr.join(', ')}]: size ${s} on axis ${k} must be a non-negative integer`);
      return s;
    });
  }
  const outShape: number[] = [];
  const scales: number[] = [];
  for (let k = 0; k < rank; k++) {
    const d = x[k]!;
    if (sizes) {
      outShape.push(sizes[k]!);
      scales.push(scalesAttr ? Math.fround(scalesAttr[k]!) : d > 0 && sizes[k]! > 0 ? Math.fround(sizes[k]! / d) : NaN);
    } else {
      const s = Math.fround(scalesAttr![k]!);
      outShape.push(d < 0 ? UNKNOWN : Math.floor(Math.fround(d * s)));
      scales.push(s);
    }
  }
  return { outShape, scales };
}

const f = Math.fround;

/**
 * Input coordinate (float32) of output coordinate `x` on one axis: in = input length, out = output length,
 * s = scale, roiStart/roiEnd = that axis' roi (tf_crop_and_resize). Same formulas as the ONNX spec / onnxruntime.
 */
export function resizeCoord(coord: ResizeCoordMode, x: number, s: number, inLen: number, outLen: number, roiStart: number, roiEnd: number): number {
  switch (coord) {
    case 'half_pixel':
      return f(f(f(x + 0.5) / s) - 0.5);
    case 'half_pixel_symmetric': {
      // onnxruntime adds the double literal 0.5 here, so the last sum is f64 rounded once to f32.
      const adjustment = f(outLen / f(s * inLen));
      const offset = f(f(inLen / 2) * f(1 - adjustment));
      return f(offset + (x + 0.5) / s - 0.5);
    }
    case 'pytorch_half_pixel':
      return outLen > 1 ? f(f(f(x + 0.5) / s) - 0.5) : 0;
    case 'align_corners':
      return outLen === 1 ? 0 : f(f(x * (inLen - 1)) / (outLen - 1));
    case 'asymmetric':
      return f(x / s);
    case 'tf_half_pixel_for_nn':
      return f(f(x + 0.5) / s);
    case 'tf_crop_and_resize':
      return outLen > 1
        ? f(f(roiStart * (inLen - 1)) + f(f(f(x * f(roiEnd - roiStart)) * (inLen - 1)) / (outLen - 1)))
        : f(0.5 * f(roiStart + roiEnd) * (inLen - 1));
  }
}

/**
 * An axis with scale 1 (and as many outputs as inputs) maps each coordinate to itself, without the coordinate
 * transform, as onnxruntime does: it matters for tf_half_pixel_for_nn, whose transform shifts by half a pixel even
 * at scale 1 (e.g. on N and C), and for tf_crop_and_resize, whose roi onnxruntime ignores on unscaled axes. The
 * WebGPU kernel interpolates only the other axes.
 */
export function resizeAxisIsIdentity(scale: number, inLen: number, outLen: number): boolean {
  return scale === 1 && inLen === outLen;
}

/**
 * A coordinate within a few float32 ulps of k + 0.5 is a tie: its exact value is k + 0.5 and rounding the scale to
 * float32 moved it (4.5 / f32(0.6) = 7.4999995 in f32; onnxruntime rounds that up under round_prefer_ceil).
 * Treating near-ties as ties also keeps the GPU, whose division may differ by an ulp, on the same side.
 */
export const TIE_EPS = 2 ** -20;
function isTie(c: number): boolean {
  return Math.abs(c - Math.floor(c) - 0.5) <= TIE_EPS * Math.max(1, Math.abs(c));
}

/** Nearest input index (clamped to [0, inLen - 1]) of input coordinate `c`; `s` = the axis scale (for 'simple'). */
export function nearestIndex(mode: ResizeNearestMode, c: number, s: number, inLen: number): number {
  let i: number;
  switch (mode) {
    case 'round_prefer_floor':
      i = isTie(c) ? Math.floor(c) : Math.round(c);
      break;
    case 'round_prefer_ceil':
      i = isTie(c) ? Math.ceil(c) : Math.round(c);
      break;
    case 'floor':
      i = Math.floor(c);
      break;
    case 'ceil':
      i = Math.ceil(c);
      break;
    case 'simple':
      i = s < 1 ? Math.ceil(c) : Math.trunc(c);
      break;
  }
  return Math.min(Math.max(i, 0), inLen - 1);
}

/** Keys' cubic convolution weights of the taps floor(c)-1 .. floor(c)+2 for fraction t = c - floor(c). */
export function cubicCoeffs(t: number, a: number): [number, number, number, number] {
  const w = (d: number): number => {
    const ad = Math.abs(d);
    if (ad <= 1) return ((a + 2) * ad - (a + 3)) * ad * ad + 1;
    if (ad < 2) return ((a * ad - 5 * a) * ad + 8 * a) * ad - 4 * a;
    return 0;
  };
  return [w(t + 1), w(t), w(1 - t), w(2 - t)];
}

// ---------------------------------------------------------------------------------------------------------------
// shape rules

const resizeRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  requireFloat(node, x, 'input X');
  resizeParams(node, x.shape.length);
  const { outShape } = resizeGeometry(node, x.shape, (i) => inputs[i]?.shape);
  return [{ dtype: computeDtype(x.dtype), shape: outShape }];
};

export function blocksize(node: Node): number {
  const b = node.attrs['blocksize'];
  if (typeof b !== 'number' || !Number.isInteger(b) || b < 1) fail(node, `attribute 'blocksize' = ${JSON.stringify(b)} must be a positive integer`);
  return b;
}

/** DepthToSpace mode: 'DCR' (depth-column-row, the default) or 'CRD' (column-row-depth, PixelShuffle). */
export function depthToSpaceMode(node: Node): 'DCR' | 'CRD' {
  const m = node.attrs['mode'] ?? 'DCR';
  if (m !== 'DCR' && m !== 'CRD') fail(node, `attribute 'mode' = ${JSON.stringify(m)} is not supported (expected DCR or CRD)`);
  return m;
}

function nchw(node: Node, x: InputInfo): void {
  if (x.shape.length !== 4) fail(node, `input X must be 4-D NCHW, got shape ${fmtShape(x.shape)}`);
}

const depthToSpaceRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  nchw(node, x);
  const b = blocksize(node);
  depthToSpaceMode(node);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (c >= 0 && c % (b * b) !== 0) fail(node, `channels ${c} are not divisible by blocksize² = ${b * b}`);
  const k = (d: number, m: number) => (d < 0 ? UNKNOWN : d * m);
  return [{ dtype: computeDtype(x.dtype), shape: [n, c < 0 ? UNKNOWN : c / (b * b), k(h, b), k(w, b)] }];
};

const spaceToDepthRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  nchw(node, x);
  const b = blocksize(node);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (h >= 0 && h % b !== 0) fail(node, `height ${h} is not divisible by blocksize ${b}`);
  if (w >= 0 && w % b !== 0) fail(node, `width ${w} is not divisible by blocksize ${b}`);
  const k = (d: number) => (d < 0 ? UNKNOWN : d / b);
  return [{ dtype: computeDtype(x.dtype), shape: [n, c < 0 ? UNKNOWN : c * b * b, k(h), k(w)] }];
};

/**
 * `FusedResize` (pass fuseResizeAdd): Resize with an elementwise residual added to its output, y = resize(X) + R.
 * Inputs and attributes are Resize's, plus R as the LAST input (after any size-reference inputs), with exactly the
 * output's shape (no broadcasting). Same f32 result as Resize followed by Add.
 */
const fusedResizeRule: ShapeRule = (node, inputs) => {
  const [y] = resizeRule(node, inputs.slice(0, -1));
  if (inputs.length < 2) fail(node, 'needs the residual as its last input');
  const r = requireInput(node, inputs, inputs.length - 1, 'residual');
  requireFloat(node, r, 'residual');
  const o = y!.shape;
  if (r.shape.length !== o.length || r.shape.some((d, k) => d !== o[k]))
    fail(node, `residual ${fmtShape(r.shape)} must have the output's shape ${fmtShape(o)}`);
  return [y!];
};

export const resizeShapeRules: Record<string, ShapeRule> = {
  Resize: resizeRule,
  FusedResize: fusedResizeRule,
  DepthToSpace: depthToSpaceRule,
  SpaceToDepth: spaceToDepthRule,
};
