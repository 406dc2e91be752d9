/**
 * Elementwise ops: unary (Relu, Sigmoid, Clip, ...), binary with numpy broadcasting (Add, ..., Equal, Less, Greater)
 * and variadic (Min, Max, Sum, Mean). Mod and the logical ops reuse the binary loop from cpu/logic.ts.
 *
 * Floats (f32, f16 read as f32) compute in float64 and store f32. Integer dtypes are supported where ONNX allows them,
 * because the importer folds shape subgraphs (Mul/Div/Add/Equal/... of i64 dims) with these kernels: i64 computes in
 * BigInt (exact), i32/u8 in JS numbers with integer division truncating toward zero (as ONNX Runtime does).
 * Comparisons output bool. Sign(0) = 0.
 */
import { allocData, attrFloat, sizeOf } from '../../graph/ir.js';
import type { DType, Node, TypedArray } from '../../graph/ir.js';
import type { CpuKernel } from './types.js';
import { broadcastIndexMaps, broadcastShapes, fail, floatData, need, sameShape } from './util.js';

type Kind = 'float' | 'int' | 'big' | 'bool';

function kindOf(node: Node, dtype: DType): Kind {
  switch (dtype) {
    case 'f32':
    case 'f16':
      return 'float';
    case 'i32':
    case 'u8':
      return 'int';
    case 'i64':
      return 'big';
    case 'bool':
      return 'bool';
    default:
      return fail(node, `dtype '${dtype}' is not supported by elementwise ops`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Unary

interface UnarySpec {
  /** Float (and, unless floatOnly, i32/u8) implementation. */
  num: (x: number, node: Node) => number;
  /** i64 implementation; when absent the op goes through numbers (or is float-only). */
  big?: (x: bigint, node: Node) => bigint;
  floatOnly?: boolean;
}

const sign = (x: number) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN);

const unarySpecs: Record<string, UnarySpec> = {
  Relu: { num: (x) => (x > 0 ? x : 0 * x), big: (x) => (x > 0n ? x : 0n) },
  Neg: { num: (x) => -x, big: (x) => -x },
  Abs: { num: Math.abs, big: (x) => (x < 0n ? -x : x) },
  Sign: { num: sign, big: (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n) },
  Floor: { num: Math.floor, big: (x) => x },
  Ceil: { num: Math.ceil, big: (x) => x },
  Sigmoid: { num: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))), floatOnly: true },
  Tanh: { num: Math.tanh, floatOnly: true },
  Exp: { num: Math.exp, floatOnly: true },
  Sqrt: { num: Math.sqrt, floatOnly: true },
  Reciprocal: { num: (x) => 1 / x, floatOnly: true },
  HardSwish: { num: (x) => x * Math.min(1, Math.max(0, x / 6 + 0.5)), floatOnly: true },
  LeakyRelu: {
    num: (x, node) => (x >= 0 ? x : x * attrFloat(node, 'alpha', 0.01)),
    floatOnly: true,
  },
  HardSigmoid: {
    num: (x, node) => Math.min(1, Math.max(0, attrFloat(node, 'alpha', 0.2) * x + attrFloat(node, 'beta', 0.5))),
    floatOnly: true,
  },
  Clip: {
    num: (x, node) => {
      const lo = attrFloat(node, 'min', -Infinity);
      const hi = attrFloat(node, 'max', Infinity);
      return Number.isNaN(x) ? x : Math.min(hi, Math.max(lo, x));
    },
  },
};

/** Ops whose attributes are read per call: bind them once into a plain function for the loop. */
function bindUnary(node: Node, spec: UnarySpec): (x: number) => number {
  switch (node.op) {
    case 'LeakyRelu': {
      const alpha = attrFloat(node, 'alpha', 0.01);
      return (x) => (x >= 0 ? x : x * alpha);
    }
    case 'HardSigmoid': {
      const alpha = attrFloat(node, 'alpha', 0.2);
      const beta = attrFloat(node, 'beta', 0.5);
      return (x) => Math.min(1, Math.max(0, alpha * x + beta));
    }
    case 'Clip': {
      const lo = attrFloat(node, 'min', -Infinity);
      const hi = attrFloat(node, 'max', Infinity);
      if (lo > hi) fail(node, `Clip min ${lo} > max ${hi}`);
      return (x) => (x < lo ? lo : x > hi ? hi : x);
    }
    default:
      return (x) => spec.num(x, node);
  }
}

function unary(spec: UnarySpec): CpuKernel {
  return (node, inputs) => {
    const t = need(node, inputs, 0);
    const kind = kindOf(node, t.dtype);
    const n = t.data.length;
    if (kind === 'float') {
      const x = floatData(node, t);
      const y = new Float32Array(n);
      if (node.op === 'Relu') {
        for (let i = 0; i < n; i++) {
          const v = x[i]!;
          y[i] = v > 0 ? v : v === v ? 0 : v; // keeps NaN
        }
      } else {
        const f = bindUnary(node, spec);
        for (let i = 0; i < n; i++) y[i] = f(x[i]!);
      }
      return [{ dtype: 'f32', shape: [...t.shape], data: y }];
    }
    if (spec.floatOnly || kind === 'bool') fail(node, `${node.op} does not support dtype ${t.dtype}`);
    const y = allocData(t.dtype, n);
    if (kind === 'big') {
      const x = t.data as BigInt64Array;
      const out = y as BigInt64Array;
      if (node.op === 'Clip') {
        const f = bindUnary(node, spec);
        for (let i = 0; i < n; i++) out[i] = BigInt(f(Number(x[i])));
      } else {
        const f = spec.big!;
        for (let i = 0; i < n; i++) out[i] = f(x[i]!, node);
      }
    } else {
      const f = bindUnary(node, spec);
      const x = t.data as Int32Array | Uint8Array;
      const out = y as Int32Array | Uint8Array;
      for (let i = 0; i < n; i++) out[i] = f(x[i]!);
    }
    return [{ dtype: t.dtype, shape: [...t.shape], data: y }];
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Binary

export interface BinarySpec {
  num: (a: number, b: number) => number;
  big: (a: bigint, b: bigint) => bigint;
  /** Output is bool (num/big return 1/0). */
  compare?: boolean;
  /** Bool operands: 'also' (Equal), 'only' (And / Or / Xor, cpu/logic.ts); absent: numeric only. */
  bool?: 'also' | 'only';
  /** Integer semantics for i32/u8 (default: same as num). */
  int?: (a: number, b: number) => number;
}

const truncDiv = (a: number, b: number) => (b === 0 ? 0 : Math.trunc(a / b));

const binarySpecs: Record<string, BinarySpec> = {
  Add: { num: (a, b) => a + b, big: (a, b) => a + b },
  Sub: { num: (a, b) => a - b, big: (a, b) => a - b },
  Mul: { num: (a, b) => a * b, big: (a, b) => a * b },
  Div: { num: (a, b) => a / b, big: (a, b) => (b === 0n ? 0n : a / b), int: truncDiv },
  Pow: { num: (a, b) => a ** b, big: (a, b) => (b < 0n ? BigInt(Math.trunc(Number(a) ** Number(b))) : a ** b) },
  Equal: { num: (a, b) => +(a === b), big: (a, b) => (a === b ? 1n : 0n), compare: true, bool: 'also' },
  Less: { num: (a, b) => +(a < b), big: (a, b) => (a < b ? 1n : 0n), compare: true },
  Greater: { num: (a, b) => +(a > b), big: (a, b) => (a > b ? 1n : 0n), compare: true },
  LessOrEqual: { num: (a, b) => +(a <= b), big: (a, b) => (a <= b ? 1n : 0n), compare: true },
  GreaterOrEqual: { num: (a, b) => +(a >= b), big: (a, b) => (a >= b ? 1n : 0n), compare: true },
  Min: { num: (a, b) => (a !== a || b !== b ? NaN : Math.min(a, b)), big: (a, b) => (a < b ? a : b) },
  Max: { num: (a, b) => (a !== a || b !== b ? NaN : Math.max(a, b)), big: (a, b) => (a > b ? a : b) },
};

/** Float data of both operands, with dedicated loops for the hot arithmetic ops (residual adds, scale/shift). */
function floatBinary(op: string, spec: BinarySpec, a: Float32Array, b: Float32Array, ia: Int32Array | null, ib: Int32Array | null, n: number): Float32Array {
  const y = new Float32Array(n);
  if (ia === null && ib === null) {
    if (op === 'Add') for (let i = 0; i < n; i++) y[i] = a[i]! + b[i]!;
    else if (op === 'Mul') for (let i = 0; i < n; i++) y[i] = a[i]! * b[i]!;
    else if (op === 'Sub') for (let i = 0; i < n; i++) y[i] = a[i]! - b[i]!;
    else if (op === 'Div') for (let i = 0; i < n; i++) y[i] = a[i]! / b[i]!;
    else { const f = spec.num; for (let i = 0; i < n; i++) y[i] = f(a[i]!, b[i]!); }
    return y;
  }
  const f = spec.num;
  if (ia === null) {
    for (let i = 0; i < n; i++) y[i] = f(a[i]!, b[ib![i]!]!);
  } else if (ib === null) {
    for (let i = 0; i < n; i++) y[i] = f(a[ia[i]!]!, b[i]!);
  } else {
    for (let i = 0; i < n; i++) y[i] = f(a[ia[i]!]!, b[ib[i]!]!);
  }
  return y;
}

export function binary(spec: BinarySpec): CpuKernel {
  return (node, inputs) => {
    const aT = need(node, inputs, 0);
    const bT = need(node, inputs, 1);
    const kind = kindOf(node, aT.dtype);
    const bKind = kindOf(node, bT.dtype);
    if (kind !== bKind && node.op !== 'Pow') fail(node, `input dtypes differ: ${aT.dtype} and ${bT.dtype}`);
    if (kind === 'bool' ? spec.bool === undefined : spec.bool === 'only') fail(node, `${node.op} does not support ${aT.dtype} inputs`);
    const outShape = broadcastShapes(node, [aT.shape, bT.shape]);
    const n = sizeOf(outShape);
    const ia = sameShape(aT.shape, outShape) ? null : broadcastIndexMaps(outShape, [aT.shape])[0]!;
    const ib = sameShape(bT.shape, outShape) ? null : broadcastIndexMaps(outShape, [bT.shape])[0]!;
    const at = (i: number) => (ia === null ? i : ia[i]!);
    const bt = (i: number) => (ib === null ? i : ib[i]!);
    let data: TypedArray;
    let dtype: DType;
    if (kind === 'float') {
      const y = floatBinary(node.op, spec, floatData(node, aT), floatData(node, bT), ia, ib, n);
      if (spec.compare) {
        data = Uint8Array.from(y);
        dtype = 'bool';
      } else {
        data = y;
        dtype = 'f32';
      }
    } else {
      dtype = spec.compare ? 'bool' : aT.dtype;
      data = allocData(dtype, n);
      const out = data as unknown as { [i: number]: number | bigint };
      if (kind === 'big') {
        const a = aT.data as BigInt64Array;
        if (node.op === 'Pow' && bKind !== 'big') {
          const b = floatData(node, bT);
          for (let i = 0; i < n; i++) out[i] = BigInt(Math.trunc(Number(a[at(i)]!) ** b[bt(i)]!));
        } else {
          const b = bT.data as BigInt64Array;
          const f = spec.big;
          for (let i = 0; i < n; i++) {
            const v = f(a[at(i)]!, b[bt(i)]!);
            out[i] = spec.compare ? Number(v) : v;
          }
        }
      } else {
        const a = aT.data as Int32Array | Uint8Array;
        const b = bKind === kind ? (bT.data as Int32Array | Uint8Array) : floatData(node, bT);
        const f = spec.int ?? spec.num;
        const round = node.op === 'Pow';
        for (let i = 0; i < n; i++) {
          const v = f(a[at(i)]!, b[bt(i)]!);
          out[i] = round ? Math.trunc(v) : v;
        }
      }
    }
    return [{ dtype, shape: outShape, data }];
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Variadic: Min, Max, Sum, Mean (all inputs broadcast together)

function variadic(op: 'Min' | 'Max' | 'Sum' | 'Mean'): CpuKernel {
  return (node, inputs) => {
    const ts = inputs.map((_, i) => need(node, inputs, i));
    if (ts.length === 0) fail(node, 'needs at least one input');
    const kind = kindOf(node, ts[0]!.dtype);
    if (ts.some((t) => kindOf(node, t.dtype) !== kind)) fail(node, `input dtypes differ: ${ts.map((t) => t.dtype).join(', ')}`);
    if (kind === 'bool') fail(node, `${op} does not support bool inputs`);
    if (op === 'Mean' && kind !== 'float') fail(node, `Mean needs float inputs (got ${ts[0]!.dtype})`);
    const outShape = broadcastShapes(node, ts.map((t) => t.shape));
    const n = sizeOf(outShape);
    const maps = ts.map((t) => (sameShape(t.shape, outShape) ? null : broadcastIndexMaps(outShape, [t.shape])[0]!));
    if (kind === 'big') {
      const acc = new BigInt64Array(n);
      const f = binarySpecs[op === 'Sum' ? 'Add' : op]!.big;
      ts.forEach((t, j) => {
        const src = t.data as BigInt64Array;
        const m = maps[j];
        for (let i = 0; i < n; i++) {
          const v = src[m ? m[i]! : i]!;
          acc[i] = j === 0 ? v : f(acc[i]!, v);
        }
      });
      return [{ dtype: 'i64', shape: outShape, data: acc }];
    }
    const acc = new Float64Array(n);
    ts.forEach((t, j) => {
      const src = kind === 'float' ? floatData(node, t) : (t.data as Int32Array | Uint8Array);
      const m = maps[j];
      for (let i = 0; i < n; i++) {
        const v = src[m ? m[i]! : i]!;
        if (j === 0) acc[i] = v;
        else if (op === 'Sum' || op === 'Mean') acc[i] += v;
        else if (v !== v || acc[i]! !== acc[i]!) acc[i] = NaN;
        else if (op === 'Min') acc[i] = Math.min(acc[i]!, v);
        else acc[i] = Math.max(acc[i]!, v);
      }
    });
    if (op === 'Mean') for (let i = 0; i < n; i++) acc[i]! /= ts.length;
    const dtype: DType = kind === 'float' ? 'f32' : ts[0]!.dtype;
    const data = allocData(dtype, n) as Float32Array | Int32Array | Uint8Array;
    data.set(acc);
    return [{ dtype, shape: outShape, data }];
  };
}

export const elementwiseKernels: Record<string, CpuKernel> = {
  ...Object.fromEntries(Object.entries(unarySpecs).map(([op, spec]) => [op, unary(spec)])),
  ...Object.fromEntries(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual'].map((op) => [op, binary(binarySpecs[op]!)])),
  Min: variadic('Min'),
  Max: variadic('Max'),
  Sum: variadic('Sum'),
  Mean: variadic('Mean'),
};
