/**
 * Logical, modulo and scatter / scan ops (Swin's attention-mask subgraph, shape arithmetic of torch exports).
 *  - Not(X bool) -> bool; And / Or / Xor(A bool, B bool) -> bool, numpy broadcasting.
 *  - Mod(A, B): numpy broadcasting, shared numeric dtype. Attribute fmod (0): 0 = the result takes the divisor's
 *    sign (Python's %, torch.remainder), 1 = the dividend's sign (C fmod, torch.fmod). ONNX asks for fmod = 1 on
 *    floats; fmod = 0 on floats is accepted (ONNX Runtime does too) and means floored modulo.
 *  - ScatterND(data, indices int, updates): output = data with slices at `indices` replaced (reduction 'none') or
 *    combined ('add', 'mul', 'max', 'min'); indices [..., k] address the first k dims of data, updates have shape
 *    indices.shape[:-1] + data.shape[k:].
 *  - CumSum(X): inclusive (exclusive = 0) or exclusive prefix sums along attribute axis (from ONNX's axis input),
 *    forward or from the end (reverse = 1). Numeric dtypes.
 */
import { attrInt, attrString, type Node } from '../ir.js';
import { broadcastShapes } from './elementwise.js';
import { computeDtype, fail, fmtShape, isInteger, isNumeric, normalizeAxis, requireInput, sameComputeDtype } from './common.js';
import type { InputInfo, ShapeRule } from './types.js';

function requireBool(node: Node, info: InputInfo, what: string): void {
  if (info.dtype !== 'bool') fail(node, `${what} must be bool, got ${info.dtype}`);
}

const notRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  requireBool(node, x, 'X');
  return [{ dtype: 'bool', shape: [...x.shape] }];
};

const logicalBinary: ShapeRule = (node, inputs) => {
  const a = requireInput(node, inputs, 0, 'input A');
  const b = requireInput(node, inputs, 1, 'input B');
  requireBool(node, a, 'A');
  requireBool(node, b, 'B');
  return [{ dtype: 'bool', shape: broadcastShapes(a.shape, b.shape, node) }];
};

/** fmod attribute of a Mod node (0 or 1). */
export function modFmod(node: Node): 0 | 1 {
  const f = attrInt(node, 'fmod', 0);
  if (f !== 0 && f !== 1) fail(node, `attribute 'fmod' must be 0 or 1, got ${f}`);
  return f;
}

const modRule: ShapeRule = (node, inputs) => {
  modFmod(node);
  const a = requireInput(node, inputs, 0, 'input A');
  const b = requireInput(node, inputs, 1, 'input B');
  if (!isNumeric(a.dtype) || !isNumeric(b.dtype)) fail(node, `operands must be numeric, got ${a.dtype} and ${b.dtype}`);
  if (!sameComputeDtype(a.dtype, b.dtype)) fail(node, `inputs have different dtypes (${a.dtype}, ${b.dtype})`);
  return [{ dtype: computeDtype(a.dtype), shape: broadcastShapes(a.shape, b.shape, node) }];
};

export const SCATTER_REDUCTIONS = ['none', 'add', 'mul', 'max', 'min'] as const;

const scatterNDRule: ShapeRule = (node, inputs) => {
  const reduction = attrString(node, 'reduction', 'none');
  if (!(SCATTER_REDUCTIONS as readonly string[]).includes(reduction)) fail(node, `unsupported reduction '${reduction}'`);
  const data = requireInput(node, inputs, 0, 'data');
  const idx = requireInput(node, inputs, 1, 'indices');
  const upd = requireInput(node, inputs, 2, 'updates');
  if (!isInteger(idx.dtype)) fail(node, `indices must be an integer tensor, got ${idx.dtype}`);
  if (!sameComputeDtype(data.dtype, upd.dtype)) fail(node, `data (${data.dtype}) and updates (${upd.dtype}) dtypes differ`);
  if (idx.shape.length < 1) fail(node, `indices must have rank >= 1`);
  const k = idx.shape[idx.shape.length - 1]!;
  if (k >= 0 && k > data.shape.length) fail(node, `indices address ${k} dims of data of rank ${data.shape.length}`);
  if (k >= 0) {
    const expected = [...idx.shape.slice(0, -1), ...data.shape.slice(k)];
    const ok = expected.length === upd.shape.length && expected.every((d, i) => d < 0 || upd.shape[i]! < 0 || d === upd.shape[i]);
    if (!ok) fail(node, `updates shape ${fmtShape(upd.shape)} must be ${fmtShape(expected)}`);
  }
  return [{ dtype: computeDtype(data.dtype), shape: [...data.shape] }];
};

const cumSumRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  if (!isNumeric(x.dtype)) fail(node, `X must be numeric, got ${x.dtype}`);
  normalizeAxis(node, attrInt(node, 'axis'), x.shape.length);
  for (const key of ['exclusive', 'reverse']) {
    const v = attrInt(node, key, 0);
    if (v !== 0 && v !== 1) fail(node, `attribute '${key}' must be 0 or 1, got ${v}`);
  }
  return [{ dtype: computeDtype(x.dtype), shape: [...x.shape] }];
};

export const logicShapeRules: Record<string, ShapeRule> = {
  Not: notRule,
  And: logicalBinary,
  Or: logicalBinary,
  Xor: logicalBinary,
  Mod: modRule,
  ScatterND: scatterNDRule,
  CumSum: cumSumRule,
};
