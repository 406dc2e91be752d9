/** ReduceMean, ReduceMax, ReduceSum over `axes` (all when absent or empty), keepdims (1). Float64 accumulation. */
import { allocData, attrInt, attrInts, sizeOf, stridesOf } from '../../graph/ir.js';
import type { DType } from '../../graph/ir.js';
import type { CpuKernel } from './types.js';
import { fail, floatData, need, normAxis } from './util.js';

type Mode = 'mean' | 'max' | 'sum';

function reduce(mode: Mode): CpuKernel {
  return (node, inputs) => {
    const x = need(node, inputs, 0);
    if (x.dtype === 'bool' || x.dtype === 'binary') fail(node, `dtype ${x.dtype} is not supported`);
    if (mode === 'mean' && x.dtype !== 'f32' && x.dtype !== 'f16') fail(node, `ReduceMean needs a float input (got ${x.dtype})`);
    const rank = x.shape.length;
    const axesAttr = node.attrs['axes'] === undefined ? [] : attrInts(node, 'axes');
    const axes = axesAttr.length === 0 ? x.shape.map((_, i) => i) : axesAttr.map((a) => normAxis(node, a, rank));
    if (new Set(axes).size !== axes.length) fail(node, `axes [${axesAttr.join(', ')}] contain duplicates`);
    const keepDims = attrInt(node, 'keepdims', 1) !== 0;
    const reduced = x.shape.map((_, i) => axes.includes(i));
    const keptShape = x.shape.map((d, i) => (reduced[i] ? 1 : d));
    const outShape = keepDims ? keptShape : x.shape.filter((_, i) => !reduced[i]);
    const outCount = sizeOf(keptShape);
    const count = sizeOf(x.shape) / Math.max(outCount, 1);
    if (mode === 'max' && sizeOf(x.shape) === 0 && outCount > 0) fail(node, 'ReduceMax of an empty set');

    // Output offset of each input element: strides of the kept shape, 0 along reduced axes.
    const keptStrides = stridesOf(keptShape);
    const outStride = x.shape.map((_, i) => (reduced[i] ? 0 : keptStrides[i]!));
    const acc = new Float64Array(outCount).fill(mode === 'max' ? -Infinity : 0);
    const src = x.dtype === 'i64' ? Float64Array.from(x.data as BigInt64Array, Number) : floatData(node, x);
    const n = src.length;
    const idx = new Array<number>(rank).fill(0);
    let o = 0;
    for (let i = 0; i < n; i++) {
      const v = src[i]!;
      if (mode === 'max') {
        if (v > acc[o]! || v !== v) acc[o] = v;
      } else acc[o]! += v;
      for (let d = rank - 1; d >= 0; d--) {
        o += outStride[d]!;
        if (++idx[d]! < x.shape[d]!) break;
        o -= outStride[d]! * x.shape[d]!;
        idx[d] = 0;
      }
    }
    if (mode === 'mean') for (let i = 0; i < outCount; i++) acc[i]! /= count;
    const dtype: DType = x.dtype === 'f16' ? 'f32' : x.dtype;
    const data = allocData(dtype, outCount);
    if (dtype === 'i64') for (let i = 0; i < outCount; i++) (data as BigInt64Array)[i] = BigInt(Math.trunc(acc[i]!));
    else (data as Float32Array).set(acc);
    return [{ dtype, shape: outShape, data }];
  };
}

export const reduceKernels: Record<string, CpuKernel> = {
  ReduceMean: reduce('mean'),
  ReduceMax: reduce('max'),
  ReduceSum: reduce('sum'),
};
