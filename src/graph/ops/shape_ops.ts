/**
 * Data-movement ops: Concat, Split, Slice, Pad, Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Expand, Shape,
 * Gather, Cast, ConstantOfShape, Range. Canonical attributes are in docs/ir.md; everything an ONNX model passes as
 * a constant input (shape, starts/ends, pads, axes, split) is an attribute here.
 */
import { GraphError, type Attrs, type AttrValue, type DType, type Node, type Shape } from '../ir.js';
import { attrFloat, attrInt, attrInts, attrString } from '../ir.js';
import {
  computeDtype,
  constValues,
  dimsCompatible,
  fail,
  fmtShape,
  isInteger,
  normalizeAxes,
  normalizeAxis,
  productOrUnknown,
  requireInput,
  sameComputeDtype,
  UNKNOWN,
  withNode,
} from './common.js';
import { broadcastShapes } from './elementwise.js';
import type { ShapeRule } from './types.js';

const DTYPES: readonly DType[] = ['f32', 'f16', 'i32', 'i64', 'bool', 'u8', 'binary'];

// ---------------------------------------------------------------------------------------------------------------
// Slice

export interface NormalizedSlice {
  /** Per axis of the input (all axes, untouched ones are 0 / dim / 1). Starts and ends are clamped. */
  starts: number[];
  ends: number[];
  steps: number[];
  /** Output shape; -1 where the sliced input dim is unknown. */
  shape: number[];
}

function intList(attrs: Attrs, key: string, dflt?: number[]): number[] {
  const v: AttrValue | undefined = attrs[key];
  if (v === undefined) {
    if (dflt) return dflt;
    throw new GraphError(`missing attribute '${key}'`);
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new GraphError(`attribute '${key}' must be a list of integers`);
  return v as number[];
}

/**
 * ONNX Slice semantics over every axis: negative starts/ends count from the end; then, for step > 0, both are
 * clamped to [0, dim]; for step < 0, start is clamped to [0, dim - 1] and end to [-1, dim - 1] (-1 meaning
 * "before index 0"). Output length along an axis: max(0, ceil((end - start) / step)).
 * Huge sentinel ends (INT64_MAX as a float) are fine: they clamp.
 */
export function normalizeSlice(shape: Shape, attrs: Attrs): NormalizedSlice {
  const rank = shape.length;
  const starts = intList(attrs, 'starts');
  const ends = intList(attrs, 'ends');
  const axesRaw = intList(attrs, 'axes', starts.map((_, i) => i));
  const steps = intList(attrs, 'steps', starts.map(() => 1));
  if (ends.length !== starts.length || axesRaw.length !== starts.length || steps.length !== starts.length)
    throw new GraphError(`starts/ends/axes/steps lengths differ (${starts.length}, ${ends.length}, ${axesRaw.length}, ${steps.length})`);
  const out: NormalizedSlice = {
    starts: new Array<number>(rank).fill(0),
    ends: [...shape],
    steps: new Array<number>(rank).fill(1),
    shape: [...shape],
  };
  const seen = new Set<number>();
  for (let i = 0; i < starts.length; i++) {
    const a = axesRaw[i]!;
    if (a < -rank || a >= rank) throw new GraphError(`slice axis ${a} is out of range for rank ${rank}`);
    const axis = a < 0 ? a + rank : a;
    if (seen.has(axis)) throw new GraphError(`slice axes [${axesRaw.join(', ')}] contain duplicates`);
    seen.add(axis);
    const step = steps[i]!;
    if (step === 0) throw new GraphError(`slice step on axis ${axis} is 0`);
    const dim = shape[axis]!;
    out.steps[axis] = step;
    if (dim < 0) {
      // Unknown extent: keep the raw bounds for backends that resolve them at run time.
      out.starts[axis] = starts[i]!;
      out.ends[axis] = ends[i]!;
      out.shape[axis] = UNKNOWN;
      continue;
    }
    let s = starts[i]!;
    let e = ends[i]!;
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
    } else {
      s = Math.min(Math.max(s, 0), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
    }
    out.starts[axis] = s;
    out.ends[axis] = e;
    out.shape[axis] = Math.max(0, Math.ceil((e - s) / step));
  }
  return out;
}

const sliceRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  const s = withNode(node, () => normalizeSlice(x.shape, node.attrs));
  return [{ dtype: computeDtype(x.dtype), shape: s.shape }];
};

// ---------------------------------------------------------------------------------------------------------------
// Concat / Split

const concatRule: ShapeRule = (node, inputs) => {
  if (inputs.length === 0) fail(node, `needs at least one input`);
  const infos = inputs.map((_, i) => requireInput(node, inputs, i));
  const rank = infos[0]!.shape.length;
  const axis = normalizeAxis(node, attrInt(node, 'axis'), rank);
  const shape = [...infos[0]!.shape];
  for (const [i, info] of infos.entries()) {
    if (!sameComputeDtype(info.dtype, infos[0]!.dtype)) fail(node, `input ${i} has dtype ${info.dtype}, expected ${infos[0]!.dtype}`);
    if (info.shape.length !== rank) fail(node, `input ${i} has rank ${info.shape.length}, expected ${rank}`);
    for (let d = 0; d < rank; d++) {
      if (d === axis) continue;
      if (!dimsCompatible(info.shape[d]!, shape[d]!))
        fail(node, `input ${i} shape ${fmtShape(info.shape)} differs from ${fmtShape(infos[0]!.shape)} outside axis ${axis}`);
      if (shape[d]! < 0) shape[d] = info.shape[d]!;
    }
  }
  shape[axis] = infos.reduce((acc, info) => (acc < 0 || info.shape[axis]! < 0 ? UNKNOWN : acc + info.shape[axis]!), 0);
  return [{ dtype: computeDtype(infos[0]!.dtype), shape }];
};

const splitRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  const axis = normalizeAxis(node, attrInt(node, 'axis', 0), x.shape.length);
  const dim = x.shape[axis]!;
  const n = node.outputs.length;
  let sizes: number[];
  if (node.attrs['split'] !== undefined) {
    sizes = attrInts(node, 'split');
  } else {
    // Not canonical, but unambiguous: equal parts, one per output (ONNX default).
    if (dim < 0) fail(node, `split sizes are required when axis ${axis} has unknown size`);
    if (dim % n !== 0) fail(node, `axis ${axis} of size ${dim} cannot be split evenly into ${n} outputs`);
    sizes = new Array<number>(n).fill(dim / n);
  }
  if (sizes.length !== n) fail(node, `split has ${sizes.length} sizes but the node has ${n} outputs`);
  if (sizes.some((s) => s < 0)) fail(node, `split sizes ${fmtShape(sizes)} must be non-negative`);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (dim >= 0 && total !== dim) fail(node, `split sizes ${fmtShape(sizes)} sum to ${total}, but axis ${axis} has size ${dim}`);
  return sizes.map((s) => {
    const shape = [...x.shape];
    shape[axis] = s;
    return { dtype: computeDtype(x.dtype), shape };
  });
};

// ---------------------------------------------------------------------------------------------------------------
// Pad

const padRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  const rank = x.shape.length;
  const pads = attrInts(node, 'pads');
  if (pads.length !== 2 * rank) fail(node, `pads has ${pads.length} values, expected ${2 * rank} for rank ${rank}`);
  const mode = attrString(node, 'mode', 'constant');
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') fail(node, `unsupported pad mode '${mode}'`);
  attrFloat(node, 'value', 0);
  const shape = x.shape.map((d, i) => {
    if (d < 0) return UNKNOWN;
    const [b, e] = [pads[i]!, pads[i + rank]!];
    if (mode === 'reflect' && (b >= d || e >= d) && (b > 0 || e > 0))
      fail(node, `reflect pads (${b}, ${e}) must be smaller than dim ${d} on axis ${i}`);
    if (mode === 'edge' && d === 0 && (b > 0 || e > 0)) fail(node, `edge padding of an empty axis ${i}`);
    const size = d + b + e;
    if (size < 0) fail(node, `negative pads (${b}, ${e}) remove more than dim ${d} on axis ${i}`);
    return size;
  });
  return [{ dtype: computeDtype(x.dtype), shape }];
};

// ---------------------------------------------------------------------------------------------------------------
// Reshape / Flatten / Transpose / Squeeze / Unsqueeze / Expand

/**
 * Reshape output shape. 0 copies the input dim at the same index (unless allowzero), one -1 is inferred.
 * With unknown input dims the inferred -1 is still computed when every unknown input dim is copied by a 0.
 */
export function reshapeShape(inputShape: Shape, target: readonly number[], allowZero: boolean): number[] {
  const out = [...target];
  const copied = new Set<number>();
  let inferAt = -1;
  for (let i = 0; i < out.length; i++) {
    const d = out[i]!;
    if (d === 0 && !allowZero) {
      if (i >= inputShape.length) throw new GraphError(`shape ${fmtShape(target)} copies dim ${i} (0) but the input has rank ${inputShape.length}`);
      out[i] = inputShape[i]!;
      copied.add(i);
    } else if (d === -1) {
      if (inferAt >= 0) throw new GraphError(`shape ${fmtShape(target)} has more than one -1`);
      inferAt = i;
    } else if (d < -1) throw new GraphError(`shape ${fmtShape(target)} has an invalid dim ${d}`);
  }
  if (allowZero && inferAt >= 0 && target.includes(0)) throw new GraphError(`shape ${fmtShape(target)} mixes 0 and -1 with allowzero=1`);
  // Elements not accounted for by copied dims, on both sides.
  const restIn = productOrUnknown(inputShape.filter((_, i) => !copied.has(i)));
  const restOut = productOrUnknown(out.filter((_, i) => !copied.has(i) && i !== inferAt));
  if (inferAt >= 0) {
    if (restIn < 0) out[inferAt] = UNKNOWN;
    else if (restOut === 0) {
      if (restIn !== 0) throw new GraphError(`cannot reshape ${fmtShape(inputShape)} to ${fmtShape(target)}`);
      out[inferAt] = 0;
    } else {
      if (restIn % restOut !== 0) throw new GraphError(`cannot reshape ${fmtShape(inputShape)} (size ${restIn}) to ${fmtShape(target)}`);
      out[inferAt] = restIn / restOut;
    }
  } else if (restIn >= 0 && restOut >= 0 && restIn !== restOut) {
    throw new GraphError(`cannot reshape ${fmtShape(inputShape)} to ${fmtShape(target)}: element counts differ`);
  }
  return out;
}

const reshapeRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  const target = attrInts(node, 'shape');
  const allowZero = attrInt(node, 'allowzero', 0) !== 0;
  return [{ dtype: computeDtype(x.dtype), shape: withNode(node, () => reshapeShape(x.shape, target, allowZero)) }];
};

const flattenRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  const rank = x.shape.length;
  // axis lies in [-rank, rank]: rank itself puts everything in the first dim, negatives count from rank.
  const raw = attrInt(node, 'axis', 1);
  if (raw < -rank || raw > rank) fail(node, `axis ${raw} is out of range [-${rank}, ${rank}]`);
  const axis = raw < 0 ? raw + rank : raw;
  return [{ dtype: computeDtype(x.dtype), shape: [productOrUnknown(x.shape.slice(0, axis)), productOrUnknown(x.shape.slice(axis))] }];
};

const transposeRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  const rank = x.shape.length;
  const perm = attrInts(node, 'perm', x.shape.map((_, i) => rank - 1 - i));
  if (perm.length !== rank) fail(node, `perm ${fmtShape(perm)} has length ${perm.length}, expected ${rank}`);
  const p = normalizeAxes(node, perm, rank, 'perm');
  return [{ dtype: computeDtype(x.dtype), shape: p.map((i) => x.shape[i]!) }];
};

const squeezeRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  const rank = x.shape.length;
  let axes: number[];
  if (node.attrs['axes'] === undefined) {
    if (x.shape.some((d) => d < 0)) fail(node, `axes are required when the input shape ${fmtShape(x.shape)} has unknown dims`);
    axes = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  } else {
    axes = normalizeAxes(node, attrInts(node, 'axes'), rank);
    for (const a of axes) {
      if (x.shape[a]! >= 0 && x.shape[a] !== 1) fail(node, `cannot squeeze axis ${a} of size ${x.shape[a]} (shape ${fmtShape(x.shape)})`);
    }
  }
  return [{ dtype: computeDtype(x.dtype), shape: x.shape.filter((_, i) => !axes.includes(i)) }];
};

const unsqueezeRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  const raw = attrInts(node, 'axes');
  const outRank = x.shape.length + raw.length;
  const axes = normalizeAxes(node, raw, outRank);
  const shape: number[] = [];
  let src = 0;
  for (let i = 0; i < outRank; i++) shape.push(axes.includes(i) ? 1 : x.shape[src++]!);
  return [{ dtype: computeDtype(x.dtype), shape }];
};

const expandRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  const target = attrInts(node, 'shape');
  return [{ dtype: computeDtype(x.dtype), shape: broadcastShapes(x.shape, target, node) }];
};

// ---------------------------------------------------------------------------------------------------------------
// Shape / Gather / Cast / ConstantOfShape / Range

const shapeRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  const rank = x.shape.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const start = clamp(attrInt(node, 'start', 0));
  const end = clamp(attrInt(node, 'end', rank));
  return [{ dtype: 'i64', shape: [Math.max(0, end - start)] }];
};

const gatherRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  const idx = requireInput(node, inputs, 1, 'indices');
  if (idx.dtype !== 'i32' && idx.dtype !== 'i64') fail(node, `indices must be i32 or i64, got ${idx.dtype}`);
  const rank = x.shape.length;
  if (rank === 0) fail(node, `X must have rank >= 1`);
  const axis = normalizeAxis(node, attrInt(node, 'axis', 0), rank);
  const dim = x.shape[axis]!;
  const values = constValues(idx);
  if (values && dim >= 0) {
    const bad = values.find((v) => v < -dim || v >= dim);
    if (bad !== undefined) fail(node, `index ${bad} is out of range for axis ${axis} of size ${dim}`);
  }
  return [{ dtype: computeDtype(x.dtype), shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)] }];
};

const castRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  const to = attrString(node, 'to') as DType;
  if (!DTYPES.includes(to)) fail(node, `unknown target dtype '${to}'`);
  return [{ dtype: to, shape: [...x.shape] }];
};

const constantOfShapeRule: ShapeRule = (node, inputs) => {
  const s = requireInput(node, inputs, 0, 'shape input');
  if (!isInteger(s.dtype)) fail(node, `shape input must be an integer tensor, got ${s.dtype}`);
  if (s.shape.length !== 1) fail(node, `shape input must be 1-D, got shape ${fmtShape(s.shape)}`);
  const v = node.attrs['value'];
  let dtype: DType = 'f32';
  if (v !== undefined) {
    if (typeof v !== 'object' || Array.isArray(v) || !('data' in v)) fail(node, `attribute 'value' must be a tensor`);
    if (v.data.length !== 1) fail(node, `attribute 'value' must hold one element`);
    dtype = v.dtype;
  }
  const values = constValues(s);
  if (values && values.some((d) => d < 0)) fail(node, `shape ${fmtShape(values)} has negative dims`);
  // Without a constant shape input only the rank is known.
  const shape = values ?? new Array<number>(Math.max(0, s.shape[0]!)).fill(UNKNOWN);
  return [{ dtype: computeDtype(dtype), shape }];
};

const rangeRule: ShapeRule = (node, inputs) => {
  const infos = ['start', 'limit', 'delta'].map((what, i) => requireInput(node, inputs, i, what));
  for (const [i, info] of infos.entries()) {
    if (info.shape.length !== 0 && !(info.shape.length === 1 && info.shape[0] === 1))
      fail(node, `input ${i} must be a scalar, got shape ${fmtShape(info.shape)}`);
    if (!sameComputeDtype(info.dtype, infos[0]!.dtype)) fail(node, `inputs have different dtypes`);
  }
  const [start, limit, delta] = infos.map((info) => constValues(info)?.[0]);
  let n = UNKNOWN;
  if (start !== undefined && limit !== undefined && delta !== undefined) {
    if (delta === 0) fail(node, `delta is 0`);
    n = Math.max(0, Math.ceil((limit - start) / delta));
  }
  return [{ dtype: computeDtype(infos[0]!.dtype), shape: [n] }];
};

export const shapeOpRules: Record<string, ShapeRule> = {
  Concat: concatRule,
  Split: splitRule,
  Slice: sliceRule,
  Pad: padRule,
  Reshape: reshapeRule,
  Flatten: flattenRule,
  Transpose: transposeRule,
  Squeeze: squeezeRule,
  Unsqueeze: unsqueezeRule,
  Expand: expandRule,
  Shape: shapeRule,
  Gather: gatherRule,
  Cast: castRule,
  ConstantOfShape: constantOfShapeRule,
  Range: rangeRule,
};
