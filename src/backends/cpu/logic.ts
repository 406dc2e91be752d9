/**
 * CPU reference for the logical, modulo, scatter and scan ops (definitions: src/graph/ops/logic.ts).
 *
 * Mod computes exactly: JS `%` on doubles is C fmod (exact for any f32 operands), BigInt `%` truncates like C; the
 * floored form (fmod = 0) moves a non-zero remainder whose sign differs from the divisor's by one divisor. An integer
 * divisor of 0 gives 0 (ONNX leaves it undefined). ScatterND and CumSum are dtype-generic (f32, i32, i64, u8...):
 * the importer folds them on constants (Swin's attention mask); CumSum accumulates floats in float64.
 */
import { allocData, attrInt, attrString, sizeOf, stridesOf } from '../../graph/ir.js';
import type { Tensor } from '../../graph/ir.js';
import { modFmod } from '../../graph/ops/logic.js';
import { binary, type BinarySpec } from './elementwise.js';
import type { CpuKernel } from './types.js';
import { type AnyArray, fail, floatData, intValues, need, normAxis } from './util.js';

const logicalSpec = (f: (a: boolean, b: boolean) => boolean): BinarySpec => ({
  num: (a, b) => +f(a !== 0, b !== 0),
  big: (a, b) => (f(a !== 0n, b !== 0n) ? 1n : 0n),
  compare: true,
  bool: 'only',
});

/** Remainder with the divisor's sign (Python %, torch.remainder). */
function flooredMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

const fmodSpec: BinarySpec = {
  num: (a, b) => a % b,
  big: (a, b) => (b === 0n ? 0n : a % b),
  int: (a, b) => (b === 0 ? 0 : a % b),
};

const floorModSpec: BinarySpec = {
  num: flooredMod,
  big: (a, b) => {
    if (b === 0n) return 0n;
    const r = a % b;
    return r !== 0n && r < 0n !== b < 0n ? r + b : r;
  },
  int: (a, b) => (b === 0 ? 0 : flooredMod(a, b)),
};

const modFmodKernel = binary(fmodSpec);
const modFloorKernel = binary(floorModSpec);

const mod: CpuKernel = (node, inputs) => (modFmod(node) === 1 ? modFmodKernel : modFloorKernel)(node, inputs);

const not: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  if (x.dtype !== 'bool') fail(node, `X must be bool, got ${x.dtype}`);
  const src = x.data as Uint8Array;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] ? 0 : 1;
  return [{ dtype: 'bool', shape: [...x.shape], data: out }];
};

type Combine = (old: number | bigint, v: number | bigint) => number | bigint;

const COMBINE: Record<string, Combine | undefined> = {
  none: (_old, v) => v,
  add: (old, v) => (typeof old === 'bigint' ? old + (v as bigint) : old + (v as number)),
  mul: (old, v) => (typeof old === 'bigint' ? old * (v as bigint) : old * (v as number)),
  max: (old, v) => (v > old ? v : old),
  min: (old, v) => (v < old ? v : old),
};

const scatterND: CpuKernel = (node, inputs) => {
  const data = need(node, inputs, 0);
  const ind = need(node, inputs, 1);
  const upd = need(node, inputs, 2);
  const reduction = attrString(node, 'reduction', 'none');
  const combine = Object.hasOwn(COMBINE, reduction) ? COMBINE[reduction] : undefined;
  if (!combine) fail(node, `unsupported reduction '${reduction}'`);
  if (upd.dtype !== data.dtype) fail(node, `data (${data.dtype}) and updates (${upd.dtype}) dtypes differ`);
  if (data.dtype === 'binary') fail(node, `dtype 'binary' is not supported`);
  if (ind.shape.length < 1) fail(node, `indices must have rank >= 1`);
  const k = ind.shape[ind.shape.length - 1]!;
  if (k > data.shape.length) fail(node, `indices address ${k} dims of data of rank ${data.shape.length}`);
  const expected = [...ind.shape.slice(0, -1), ...data.shape.slice(k)];
  if (expected.length !== upd.shape.length || expected.some((d, i) => d !== upd.shape[i]))
    fail(node, `updates shape [${upd.shape.join(', ')}] must be [${expected.join(', ')}]`);
  const idx = intValues(node, ind);
  const strides = stridesOf(data.shape);
  const slice = sizeOf(data.shape.slice(k));
  const out = data.data.slice();
  const o = out as unknown as AnyArray;
  const u = upd.data as unknown as AnyArray;
  const count = sizeOf(ind.shape.slice(0, -1));
  for (let j = 0; j < count; j++) {
    let base = 0;
    for (let d = 0; d < k; d++) {
      const dim = data.shape[d]!;
      const raw = idx[j * k + d]!;
      const i = raw < 0 ? raw + dim : raw;
      if (i < 0 || i >= dim) fail(node, `index ${raw} is out of range for axis ${d} of size ${dim}`);
      base += i * strides[d]!;
    }
    for (let e = 0; e < slice; e++) o[base + e] = combine(o[base + e]!, u[j * slice + e]!);
  }
  return [{ dtype: data.dtype, shape: [...data.shape], data: out }];
};

const cumSum: CpuKernel = (node, inputs) => {
  const x: Tensor = need(node, inputs, 0);
  if (x.dtype === 'bool' || x.dtype === 'binary') fail(node, `X must be numeric, got ${x.dtype}`);
  const axis = normAxis(node, attrInt(node, 'axis'), x.shape.length);
  const exclusive = attrInt(node, 'exclusive', 0) === 1;
  const reverse = attrInt(node, 'reverse', 0) === 1;
  const dim = x.shape[axis]!;
  const inner = sizeOf(x.shape.slice(axis + 1));
  const outer = sizeOf(x.shape.slice(0, axis));
  const big = x.dtype === 'i64';
  const dtype = x.dtype === 'f16' ? 'f32' : x.dtype;
  const s = (x.dtype === 'f16' ? floatData(node, x) : x.data) as unknown as AnyArray;
  const data = allocData(dtype, x.data.length);
  const out = data as unknown as AnyArray;
  const add = big ? (a: number | bigint, b: number | bigint) => (a as bigint) + (b as bigint) : (a: number | bigint, b: number | bigint) => (a as number) + (b as number);
  for (let o = 0; o < outer; o++)
    for (let q = 0; q < inner; q++) {
      let acc: number | bigint = big ? 0n : 0;
      for (let t = 0; t < dim; t++) {
        const i = (o * dim + (reverse ? dim - 1 - t : t)) * inner + q;
        const before = acc;
        acc = add(acc, s[i]!);
        out[i] = exclusive ? before : acc;
      }
    }
  return [{ dtype, shape: [...x.shape], data }];
};

export const logicCpuKernels: Record<string, CpuKernel> = {
  Not: not,
  And: binary(logicalSpec((a, b) => a && b)),
  Or: binary(logicalSpec((a, b) => a || b)),
  Xor: binary(logicalSpec((a, b) => a !== b)),
  Mod: mod,
  ScatterND: scatterND,
  CumSum: cumSum,
};
