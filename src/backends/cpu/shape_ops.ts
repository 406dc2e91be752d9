/**
 * Data-movement ops: Concat, Split, Slice, Pad, Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Expand, Shape,
 * Gather, Cast, ConstantOfShape, Range, Where, Identity, Dropout.
 *
 * dtype-generic (f32, f16, i32, i64, bool, u8): the ONNX importer folds shape subgraphs (i64) with these kernels.
 * Kernels never write into their inputs; view-like ops (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout)
 * return a new Tensor sharing the input's data.
 */
import { allocData, attrInt, attrInts, attrString, f16ToF32, f32ToF16, sizeOf, stridesOf } from '../../graph/ir.js';
import type { DType, Node, Shape, Tensor, TypedArray } from '../../graph/ir.js';
import type { CpuKernel } from './types.js';
import {
  type AnyArray,
  broadcastIndexMaps,
  broadcastShapes,
  fail,
  intValues,
  need,
  normAxis,
  sameShape,
  scalarNumber,
} from './util.js';

function checkStorable(node: Node, t: Tensor): void {
  if (t.dtype === 'binary') fail(node, `dtype 'binary' is not supported by ${node.op}`);
}

/** Value of dtype `dtype` for a JS number (bigint for i64). */
function cellValue(dtype: DType, v: number): number | bigint {
  if (dtype === 'i64') return BigInt(Math.trunc(v));
  if (dtype === 'f16') return f32ToF16(v);
  return v;
}

/**
 * Builds an output of `outShape` where element (i0, i1, ...) = src[sum_d maps[d][i_d]], or `fill` when any map entry
 * is -1 (padding). `maps[d]` holds, per output index along axis d, the source element offset along that axis.
 */
function gatherByAxisMaps(dtype: DType, src: TypedArray, outShape: Shape, maps: Int32Array[], fill: number | bigint = 0): TypedArray {
  const n = sizeOf(outShape);
  const out = allocData(dtype, n);
  const o = out as unknown as AnyArray;
  const s = src as unknown as AnyArray;
  if (n === 0) return out;
  const rank = outShape.length;
  if (rank === 0) {
    o[0] = s[0]!;
    return out;
  }
  const last = maps[rank - 1]!;
  const lastLen = outShape[rank - 1]!;
  const idx = new Array<number>(rank).fill(0);
  let q = 0;
  for (;;) {
    let base = 0;
    let padded = false;
    for (let d = 0; d < rank - 1; d++) {
      const m = maps[d]![idx[d]!]!;
      if (m < 0) padded = true;
      base += m;
    }
    if (padded) {
      for (let i = 0; i < lastLen; i++) o[q++] = fill;
    } else {
      for (let i = 0; i < lastLen; i++) {
        const m = last[i]!;
        o[q++] = m < 0 ? fill : s[base + m]!;
      }
    }
    let d = rank - 2;
    for (; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  return out;
}

/** Axis map for a strided walk: entry i = (start + i * step) * stride. */
function affineMap(len: number, start: number, step: number, stride: number): Int32Array {
  const m = new Int32Array(len);
  for (let i = 0; i < len; i++) m[i] = (start + i * step) * stride;
  return m;
}

function view(t: Tensor, shape: number[]): Tensor {
  return { dtype: t.dtype, shape, data: t.data };
}

// ---------------------------------------------------------------------------------------------------------------

const concat: CpuKernel = (node, inputs) => {
  const ts = inputs.map((_, i) => need(node, inputs, i));
  if (ts.length === 0) fail(node, 'needs at least one input');
  const first = ts[0]!;
  checkStorable(node, first);
  const rank = first.shape.length;
  const axis = normAxis(node, attrInt(node, 'axis'), rank);
  for (const t of ts) {
    if (t.dtype !== first.dtype) fail(node, `input dtypes differ: ${first.dtype} and ${t.dtype}`);
    if (t.shape.length !== rank || t.shape.some((d, i) => i !== axis && d !== first.shape[i]))
      fail(node, `input shapes [${first.shape.join(', ')}] and [${t.shape.join(', ')}] differ outside axis ${axis}`);
  }
  const outShape = [...first.shape];
  outShape[axis] = ts.reduce((a, t) => a + t.shape[axis]!, 0);
  const outer = sizeOf(first.shape.slice(0, axis));
  const inner = sizeOf(first.shape.slice(axis + 1));
  const out = allocData(first.dtype, sizeOf(outShape)) as Exclude<TypedArray, BigInt64Array> | BigInt64Array;
  const outBlock = outShape[axis]! * inner;
  let offset = 0;
  for (const t of ts) {
    const block = t.shape[axis]! * inner;
    for (let o = 0; o < outer; o++) {
      (out as Float32Array).set((t.data as Float32Array).subarray(o * block, (o + 1) * block), o * outBlock + offset);
    }
    offset += block;
  }
  return [{ dtype: first.dtype, shape: outShape, data: out }];
};

const split: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  checkStorable(node, x);
  const axis = normAxis(node, attrInt(node, 'axis', 0), x.shape.length);
  const dim = x.shape[axis]!;
  const count = node.outputs.length;
  let sizes: number[];
  if (node.attrs['split'] !== undefined) sizes = attrInts(node, 'split');
  else {
    // Only legal without `split` when the axis divides evenly (older opsets); the importer normally sets it.
    if (dim % count !== 0) fail(node, `axis ${axis} of size ${dim} cannot be split evenly into ${count} outputs`);
    sizes = new Array<number>(count).fill(dim / count);
  }
  if (sizes.length !== count) fail(node, `split has ${sizes.length} sizes for ${count} outputs`);
  if (sizes.some((s) => s < 0) || sizes.reduce((a, b) => a + b, 0) !== dim)
    fail(node, `split sizes [${sizes.join(', ')}] do not add up to axis ${axis} size ${dim}`);
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const inBlock = dim * inner;
  let offset = 0;
  return sizes.map((s) => {
    const shape = [...x.shape];
    shape[axis] = s;
    const out = allocData(x.dtype, sizeOf(shape)) as Float32Array;
    const block = s * inner;
    for (let o = 0; o < outer; o++) out.set((x.data as Float32Array).subarray(o * inBlock + offset, o * inBlock + offset + block), o * block);
    offset += block;
    return { dtype: x.dtype, shape, data: out };
  });
};

/** ONNX Slice clamping for one axis; returns [start, count]. */
function sliceAxis(dim: number, start: number, end: number, step: number): [number, number] {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = Math.min(Math.max(start, 0), dim);
    end = Math.min(Math.max(end, 0), dim);
    return [start, Math.max(0, Math.ceil((end - start) / step))];
  }
  start = Math.min(Math.max(start, 0), dim - 1);
  end = Math.min(Math.max(end, -1), dim - 1);
  return [start, Math.max(0, Math.ceil((end - start) / step))];
}

const slice: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  checkStorable(node, x);
  const rank = x.shape.length;
  const starts = attrInts(node, 'starts');
  const ends = attrInts(node, 'ends');
  const axes = attrInts(node, 'axes', starts.map((_, i) => i)).map((a) => normAxis(node, a, rank));
  const steps = attrInts(node, 'steps', starts.map(() => 1));
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length)
    fail(node, 'starts, ends, axes and steps must have the same length');
  if (new Set(axes).size !== axes.length) fail(node, `axes [${axes.join(', ')}] contain duplicates`);
  if (steps.some((s) => s === 0)) fail(node, 'steps must not be 0');
  const strides = stridesOf(x.shape);
  const outShape = [...x.shape];
  const begin = new Array<number>(rank).fill(0);
  const step = new Array<number>(rank).fill(1);
  axes.forEach((a, i) => {
    const [s, count] = sliceAxis(x.shape[a]!, starts[i]!, ends[i]!, steps[i]!);
    begin[a] = s;
    step[a] = steps[i]!;
    outShape[a] = count;
  });
  const maps = outShape.map((len, d) => affineMap(len, begin[d]!, step[d]!, strides[d]!));
  return [{ dtype: x.dtype, shape: outShape, data: gatherByAxisMaps(x.dtype, x.data, outShape, maps) }];
};

/** Source index along one axis for a padded output index, or -1 for constant padding. */
function padSource(i: number, len: number, mode: string): number {
  if (i >= 0 && i < len) return i;
  if (mode === 'constant') return -1;
  if (mode === 'edge') return i < 0 ? 0 : len - 1;
  // reflect (mirror without repeating the edge); iterate for pads wider than the axis
  if (len === 1) return 0;
  const period = 2 * (len - 1);
  let j = ((i % period) + period) % period;
  if (j >= len) j = period - j;
  return j;
}

const pad: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  checkStorable(node, x);
  const rank = x.shape.length;
  const pads = attrInts(node, 'pads');
  if (pads.length !== 2 * rank) fail(node, `pads must have ${2 * rank} entries, got ${pads.length}`);
  const mode = attrString(node, 'mode', 'constant');
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') fail(node, `unknown mode '${mode}'`);
  const value = node.attrs['value'] === undefined ? 0 : Number(node.attrs['value']);
  const strides = stridesOf(x.shape);
  const outShape = x.shape.map((d, i) => d + pads[i]! + pads[i + rank]!);
  if (outShape.some((d) => d < 0)) fail(node, `pads [${pads.join(', ')}] crop below zero size`);
  if (mode !== 'constant' && x.shape.some((d, i) => d === 0 && outShape[i]! > 0)) fail(node, `${mode} padding of an empty axis`);
  const maps = outShape.map((len, d) => {
    const m = new Int32Array(len);
    for (let i = 0; i < len; i++) {
      const s = padSource(i - pads[d]!, x.shape[d]!, mode);
      m[i] = s < 0 ? -1 : s * strides[d]!;
    }
    return m;
  });
  const fill = x.dtype === 'bool' ? +(value !== 0) : cellValue(x.dtype, value);
  return [{ dtype: x.dtype, shape: outShape, data: gatherByAxisMaps(x.dtype, x.data, outShape, maps, fill) }];
};

const reshape: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  const target = attrInts(node, 'shape');
  const allowZero = attrInt(node, 'allowzero', 0) !== 0;
  const shape = target.map((d, i) => {
    if (d === 0 && !allowZero) {
      if (i >= x.shape.length) fail(node, `shape[${i}] = 0 copies a dim the input (rank ${x.shape.length}) does not have`);
      return x.shape[i]!;
    }
    return d;
  });
  const inferred = shape.filter((d) => d === -1).length;
  if (inferred > 1) fail(node, `shape [${target.join(', ')}] has more than one -1`);
  if (shape.some((d) => d < -1)) fail(node, `shape [${target.join(', ')}] has a negative dim`);
  const total = sizeOf(x.shape);
  if (inferred === 1) {
    const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (known === 0 || total % known !== 0) fail(node, `cannot reshape [${x.shape.join(', ')}] to [${target.join(', ')}]`);
    shape[shape.indexOf(-1)] = total / known;
  }
  if (sizeOf(shape) !== total) fail(node, `cannot reshape [${x.shape.join(', ')}] (${total} elements) to [${shape.join(', ')}]`);
  return [view(x, shape)];
};

const flatten: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  const rank = x.shape.length;
  let axis = attrInt(node, 'axis', 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) fail(node, `axis ${attrInt(node, 'axis', 1)} is out of range for rank ${rank}`);
  return [view(x, [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))])];
};

const transpose: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  checkStorable(node, x);
  const rank = x.shape.length;
  const perm = attrInts(node, 'perm', x.shape.map((_, i) => rank - 1 - i));
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i))
    fail(node, `perm [${perm.join(', ')}] is not a permutation of ${rank} axes`);
  const strides = stridesOf(x.shape);
  const outShape = perm.map((p) => x.shape[p]!);
  const maps = perm.map((p, d) => affineMap(outShape[d]!, 0, 1, strides[p]!));
  return [{ dtype: x.dtype, shape: outShape, data: gatherByAxisMaps(x.dtype, x.data, outShape, maps) }];
};

const squeeze: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  const rank = x.shape.length;
  let axes: number[];
  if (node.attrs['axes'] === undefined) axes = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  else axes = attrInts(node, 'axes').map((a) => normAxis(node, a, rank));
  for (const a of axes) if (x.shape[a] !== 1) fail(node, `cannot squeeze axis ${a} of size ${x.shape[a]}`);
  return [view(x, x.shape.filter((_, i) => !axes.includes(i)))];
};

const unsqueeze: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  const axesAttr = attrInts(node, 'axes');
  const outRank = x.shape.length + axesAttr.length;
  const axes = axesAttr.map((a) => normAxis(node, a, outRank));
  if (new Set(axes).size !== axes.length) fail(node, `axes [${axesAttr.join(', ')}] contain duplicates`);
  const shape: number[] = [];
  let j = 0;
  for (let i = 0; i < outRank; i++) shape.push(axes.includes(i) ? 1 : x.shape[j++]!);
  return [view(x, shape)];
};

const expand: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  checkStorable(node, x);
  const outShape = broadcastShapes(node, [x.shape, attrInts(node, 'shape')]);
  const strides = stridesOf(x.shape);
  const lead = outShape.length - x.shape.length;
  const maps = outShape.map((len, d) => {
    const src = d - lead;
    const stride = src < 0 || x.shape[src] === 1 ? 0 : strides[src]!;
    return affineMap(len, 0, 1, stride);
  });
  return [{ dtype: x.dtype, shape: outShape, data: gatherByAxisMaps(x.dtype, x.data, outShape, maps) }];
};

const shapeOp: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  const rank = x.shape.length;
  const clampAxis = (a: number) => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
  const start = clampAxis(attrInt(node, 'start', 0));
  const end = clampAxis(attrInt(node, 'end', rank));
  const dims = x.shape.slice(start, Math.max(start, end));
  return [{ dtype: 'i64', shape: [dims.length], data: BigInt64Array.from(dims.map((d) => BigInt(d))) }];
};

const gather: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  const ind = need(node, inputs, 1);
  checkStorable(node, x);
  const axis = normAxis(node, attrInt(node, 'axis', 0), x.shape.length);
  const dim = x.shape[axis]!;
  const indices = intValues(node, ind).map((i) => {
    const j = i < 0 ? i + dim : i;
    if (j < 0 || j >= dim) fail(node, `index ${i} is out of range for axis ${axis} of size ${dim}`);
    return j;
  });
  const outShape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const out = allocData(x.dtype, sizeOf(outShape)) as Float32Array;
  const src = x.data as Float32Array;
  let q = 0;
  for (let o = 0; o < outer; o++) {
    for (const j of indices) {
      const from = (o * dim + j) * inner;
      out.set(src.subarray(from, from + inner), q);
      q += inner;
    }
  }
  return [{ dtype: x.dtype, shape: outShape, data: out }];
};

const castTargets: readonly DType[] = ['f32', 'f16', 'i32', 'i64', 'bool', 'u8'];

const cast: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  checkStorable(node, x);
  const to = attrString(node, 'to') as DType;
  if (!castTargets.includes(to)) fail(node, `cannot cast to '${to}'`);
  const n = x.data.length;
  if (to === x.dtype) return [{ dtype: to, shape: [...x.shape], data: x.data.slice() }];
  const out = allocData(to, n);
  if (x.dtype === 'i64') {
    const src = x.data as BigInt64Array;
    for (let i = 0; i < n; i++) {
      const v = src[i]!;
      if (to === 'i32') (out as Int32Array)[i] = Number(BigInt.asIntN(32, v));
      else if (to === 'u8') (out as Uint8Array)[i] = Number(BigInt.asUintN(8, v));
      else if (to === 'bool') (out as Uint8Array)[i] = v !== 0n ? 1 : 0;
      else if (to === 'f16') (out as Uint16Array)[i] = f32ToF16(Number(v));
      else (out as Float32Array)[i] = Number(v);
    }
  } else {
    const read = x.dtype === 'f16' ? (i: number) => f16ToF32(x.data[i] as number) : (i: number) => x.data[i] as number;
    for (let i = 0; i < n; i++) {
      const v = read(i);
      switch (to) {
        case 'f32':
          (out as Float32Array)[i] = v;
          break;
        case 'f16':
          (out as Uint16Array)[i] = f32ToF16(v);
          break;
        case 'bool':
          (out as Uint8Array)[i] = v !== 0 ? 1 : 0; // NaN is true, as in C
          break;
        case 'i64':
          // float -> int truncates toward zero; NaN / infinities have no defined value in ONNX: saturate, NaN -> 0
          (out as BigInt64Array)[i] = Number.isNaN(v)
            ? 0n
            : v >= 9.223372036854776e18
              ? 0x7fffffffffffffffn
              : v < -9.223372036854776e18
                ? -0x8000000000000000n
                : BigInt(Math.trunc(v));
          break;
        default:
          // i32 / u8: truncate, typed array store wraps modulo 2^bits (C conversion of in-range values)
          (out as Int32Array | Uint8Array)[i] = Number.isFinite(v) ? Math.trunc(v) : 0;
      }
    }
  }
  return [{ dtype: to, shape: [...x.shape], data: out }];
};

const constantOfShape: CpuKernel = (node, inputs) => {
  const shape = intValues(node, need(node, inputs, 0));
  if (shape.some((d) => d < 0)) fail(node, `shape [${shape.join(', ')}] has a negative dim`);
  const v = node.attrs['value'];
  let dtype: DType = 'f32';
  let fill: number | bigint = 0;
  if (v !== undefined) {
    if (typeof v !== 'object' || Array.isArray(v) || !('dtype' in v)) fail(node, `attribute 'value' must be a one-element tensor`);
    if (v.data.length !== 1) fail(node, `attribute 'value' must have exactly one element, got ${v.data.length}`);
    dtype = v.dtype;
    fill = v.data[0]!;
  }
  const data = allocData(dtype, sizeOf(shape));
  (data as Float32Array).fill(fill as number);
  return [{ dtype, shape, data }];
};

const range: CpuKernel = (node, inputs) => {
  const [s, l, d] = [0, 1, 2].map((i) => need(node, inputs, i)) as [Tensor, Tensor, Tensor];
  if (s.dtype !== l.dtype || s.dtype !== d.dtype) fail(node, `start, limit and delta dtypes differ`);
  const start = scalarNumber(node, s);
  const limit = scalarNumber(node, l);
  const delta = scalarNumber(node, d);
  if (delta === 0) fail(node, 'delta must not be 0');
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  if (!Number.isFinite(n)) fail(node, 'range is infinite');
  const data = allocData(s.dtype, n);
  const o = data as unknown as AnyArray;
  for (let i = 0; i < n; i++) o[i] = cellValue(s.dtype, start + i * delta);
  return [{ dtype: s.dtype, shape: [n], data }];
};

const where: CpuKernel = (node, inputs) => {
  const [c, x, y] = [0, 1, 2].map((i) => need(node, inputs, i)) as [Tensor, Tensor, Tensor];
  if (c.dtype !== 'bool') fail(node, `condition must be bool (got ${c.dtype})`);
  if (x.dtype !== y.dtype) fail(node, `X and Y dtypes differ: ${x.dtype} and ${y.dtype}`);
  checkStorable(node, x);
  const outShape = broadcastShapes(node, [c.shape, x.shape, y.shape]);
  const n = sizeOf(outShape);
  const map = (t: Tensor) => (sameShape(t.shape, outShape) ? null : broadcastIndexMaps(outShape, [t.shape])[0]!);
  const [mc, mx, my] = [map(c), map(x), map(y)];
  const cond = c.data as Uint8Array;
  const xs = x.data as unknown as AnyArray;
  const ys = y.data as unknown as AnyArray;
  const data = allocData(x.dtype, n);
  const o = data as unknown as AnyArray;
  for (let i = 0; i < n; i++) o[i] = cond[mc ? mc[i]! : i] ? xs[mx ? mx[i]! : i]! : ys[my ? my[i]! : i]!;
  return [{ dtype: x.dtype, shape: outShape, data }];
};

const identity: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  return [view(x, [...x.shape])];
};

const dropout: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  const outs: Tensor[] = [view(x, [...x.shape])];
  // Inference: nothing is dropped, so the optional mask is all true.
  if (node.outputs.length > 1 && node.outputs[1] !== '')
    outs.push({ dtype: 'bool', shape: [...x.shape], data: new Uint8Array(x.data.length).fill(1) });
  return outs;
};

export const shapeOpKernels: Record<string, CpuKernel> = {
  Concat: concat,
  Split: split,
  Slice: slice,
  Pad: pad,
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Expand: expand,
  Shape: shapeOp,
  Gather: gather,
  Cast: cast,
  ConstantOfShape: constantOfShape,
  Range: range,
  Where: where,
  Identity: identity,
  Dropout: dropout,
};
