/**
 * Small helpers shared by the CPU kernels: input access, float views, broadcasting and axis normalisation.
 * Everything here throws `GraphError` naming the node, so kernel failures always say where they happened.
 */
import { GraphError, f16ToF32, sizeOf, stridesOf } from '../../graph/ir.js';
import type { DType, Node, Shape, Tensor } from '../../graph/ir.js';

/** Index-assignable view of any typed array (numbers or bigints), for dtype-generic copies. */
export type AnyArray = { [i: number]: number | bigint; readonly length: number };

export function fail(node: Node, message: string): never {
  throw new GraphError(message, node.name, node.op);
}

/** The i-th input, which must be present. */
export function need(node: Node, inputs: (Tensor | undefined)[], i: number): Tensor {
  const t = inputs[i];
  if (t === undefined) fail(node, `input ${i} ('${node.inputs[i] ?? ''}') is required`);
  return t;
}

/**
 * Tensor data as a Float32Array: f32 data is returned as-is (never written to); other dtypes are converted
 * (f16 decoded, integers/bool as values). The executor decodes f16 initializers once, so this is rarely hit.
 */
export function floatData(node: Node, t: Tensor): Float32Array {
  if (t.dtype === 'f32') return t.data as Float32Array;
  if (t.dtype === 'binary') fail(node, `dtype 'binary' is not supported by this kernel`);
  const out = new Float32Array(t.data.length);
  if (t.data instanceof BigInt64Array) for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]);
  else if (t.dtype === 'f16') for (let i = 0; i < out.length; i++) out[i] = f16ToF32(t.data[i] as number);
  else for (let i = 0; i < out.length; i++) out[i] = t.data[i] as number;
  return out;
}

/** A float kernel's input must be floating point (f32, or f16 which is decoded). */
export function floatInput(node: Node, inputs: (Tensor | undefined)[], i: number): Tensor {
  const t = need(node, inputs, i);
  if (t.dtype !== 'f32' && t.dtype !== 'f16') fail(node, `input ${i} must be f32 (got ${t.dtype})`);
  return t;
}

export function f32Tensor(shape: Shape, data?: Float32Array): Tensor {
  return { dtype: 'f32', shape: [...shape], data: data ?? new Float32Array(sizeOf(shape)) };
}

/** Normalise a possibly negative axis into [0, rank). */
export function normAxis(node: Node, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(node, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** numpy broadcasting of any number of shapes. */
export function broadcastShapes(node: Node, shapes: Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o])
        fail(node, `shapes ${shapes.map((x) => `[${x.join(',')}]`).join(' and ')} cannot be broadcast`);
    }
  }
  return out;
}

/** Strides of `shape` seen through broadcasting to `outShape`: 0 along broadcast (size-1 or missing) dims. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = stridesOf(shape);
  const out = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const o = outShape.length - shape.length + i;
    out[o] = shape[i] === 1 ? 0 : own[i]!;
  }
  return out;
}

/**
 * For every output element (row-major over `outShape`) the flat source index into each broadcast input.
 * Returned as one Int32Array per input; used by the generic (non fast-path) broadcasting loops.
 */
export function broadcastIndexMaps(outShape: Shape, inShapes: Shape[]): Int32Array[] {
  const total = sizeOf(outShape);
  const rank = outShape.length;
  const strides = inShapes.map((s) => broadcastStrides(s, outShape));
  const maps = inShapes.map(() => new Int32Array(total));
  const idx = new Array<number>(rank).fill(0);
  const offs = new Array<number>(inShapes.length).fill(0);
  for (let i = 0; i < total; i++) {
    for (let j = 0; j < maps.length; j++) maps[j]![i] = offs[j]!;
    // odometer increment, updating each input offset incrementally
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      for (let j = 0; j < offs.length; j++) offs[j]! += strides[j]![d]!;
      if (idx[d]! < outShape[d]!) break;
      for (let j = 0; j < offs.length; j++) offs[j]! -= strides[j]![d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return maps;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Integer values of a tensor (i64 via Number), e.g. a shape or indices tensor. */
export function intValues(node: Node, t: Tensor): number[] {
  if (t.dtype === 'f32' || t.dtype === 'f16' || t.dtype === 'binary') fail(node, `expected an integer tensor (got ${t.dtype})`);
  const out = new Array<number>(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]);
  return out;
}

/** Scalar value (first element) of any numeric tensor as a JS number. */
export function scalarNumber(node: Node, t: Tensor): number {
  if (t.data.length < 1) fail(node, 'expected a scalar, got an empty tensor');
  if (t.dtype === 'f16') return f16ToF32(t.data[0] as number);
  return Number(t.data[0]);
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'f32' || dtype === 'f16';
}
