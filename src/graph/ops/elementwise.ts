/**
 * Elementwise ops.
 *  - Unary float ops (Sigmoid, Tanh, HardSwish, Exp, Sqrt, Floor, Ceil, Reciprocal, LeakyRelu (alpha 0.01),
 *    HardSigmoid (alpha 0.2, beta 0.5)): X f32 -> f32.
 *  - Unary numeric ops (Relu, Neg, Abs, Sign, Clip (min -Inf, max +Inf)): keep the input dtype (ints allowed).
 *  - Identity / Dropout: any dtype, pass-through (Dropout: inference, output 0 only).
 *  - Binary Add, Sub, Mul, Div, Pow: numpy broadcasting; both operands share a dtype (Pow's exponent may differ).
 *  - Equal, Less, Greater, LessOrEqual, GreaterOrEqual: broadcasting, output bool.
 *  - Variadic Min, Max, Sum, Mean: broadcasting over all inputs, shared dtype.
 *  - Where(cond bool, X, Y): broadcasting over the three.
 * f16 operands count as f32 and float outputs are f32.
 */
import { GraphError, type DType, type Node, type Shape } from '../ir.js';
import { computeDtype, fail, fmtShape, isFloat, isNumeric, requireFloat, requireInput, sameComputeDtype, withNode } from './common.js';
import type { InputInfo, ShapeRule } from './types.js';

/**
 * Numpy broadcast of two shapes (right-aligned; a dim of 1 stretches). Unknown dims (-1): -1 with 1 or -1 stays
 * -1, -1 with k > 1 becomes k. Throws GraphError (naming `node` when given) on incompatible dims.
 */
export function broadcastShapes(a: Shape, b: Shape, node?: Node): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)]!;
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)]!;
    if (da === db) out[i] = da;
    else if (da === 1) out[i] = db;
    else if (db === 1) out[i] = da;
    else if (da < 0) out[i] = db;
    else if (db < 0) out[i] = da;
    else {
      const msg = `shapes ${fmtShape(a)} and ${fmtShape(b)} are not broadcastable (axis ${i}: ${da} vs ${db})`;
      throw node ? new GraphError(msg, node.name, node.op) : new GraphError(msg);
    }
  }
  return out;
}

function outDtype(d: DType): DType {
  return computeDtype(d);
}

const floatUnary: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  requireFloat(node, x, 'X');
  return [{ dtype: 'f32', shape: [...x.shape] }];
};

const numericUnary: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  if (!isNumeric(x.dtype)) fail(node, `X must be numeric, got ${x.dtype}`);
  return [{ dtype: outDtype(x.dtype), shape: [...x.shape] }];
};

const passThrough: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  return [{ dtype: outDtype(x.dtype), shape: [...x.shape] }];
};

const clipRule: ShapeRule = (node, inputs) => {
  const [out] = numericUnary(node, inputs);
  const min = node.attrs['min'] ?? -Infinity;
  const max = node.attrs['max'] ?? Infinity;
  if (typeof min !== 'number' || typeof max !== 'number') fail(node, `attributes min/max must be numbers`);
  return [out!];
};

function requireSameDtype(node: Node, infos: InputInfo[]): DType {
  const first = infos[0]!.dtype;
  for (const info of infos) {
    if (!sameComputeDtype(info.dtype, first)) fail(node, `inputs have different dtypes (${infos.map((i) => i.dtype).join(', ')})`);
  }
  return outDtype(first);
}

function broadcastAll(node: Node, infos: InputInfo[]): number[] {
  return infos.slice(1).reduce<number[]>((acc, info) => broadcastShapes(acc, info.shape, node), [...infos[0]!.shape]);
}

const arithmetic: ShapeRule = (node, inputs) => {
  const a = requireInput(node, inputs, 0, 'input A');
  const b = requireInput(node, inputs, 1, 'input B');
  if (!isNumeric(a.dtype)) fail(node, `A must be numeric, got ${a.dtype}`);
  if (!isNumeric(b.dtype)) fail(node, `B must be numeric, got ${b.dtype}`);
  // Pow allows a different exponent type (ONNX T1 / T2); the others need matching operands.
  const dtype = node.op === 'Pow' ? outDtype(a.dtype) : requireSameDtype(node, [a, b]);
  return [{ dtype, shape: broadcastShapes(a.shape, b.shape, node) }];
};

const comparison: ShapeRule = (node, inputs) => {
  const a = requireInput(node, inputs, 0, 'input A');
  const b = requireInput(node, inputs, 1, 'input B');
  if (node.op !== 'Equal' && (!isNumeric(a.dtype) || !isNumeric(b.dtype)))
    fail(node, `operands must be numeric, got ${a.dtype} and ${b.dtype}`);
  requireSameDtype(node, [a, b]);
  return [{ dtype: 'bool', shape: broadcastShapes(a.shape, b.shape, node) }];
};

const variadic: ShapeRule = (node, inputs) => {
  if (inputs.length === 0) fail(node, `needs at least one input`);
  const infos = inputs.map((_, i) => requireInput(node, inputs, i));
  const dtype = requireSameDtype(node, infos);
  if (!isNumeric(dtype)) fail(node, `inputs must be numeric, got ${dtype}`);
  if (node.op === 'Mean' && !isFloat(dtype)) fail(node, `inputs must be float, got ${dtype}`);
  return [{ dtype, shape: broadcastAll(node, infos) }];
};

const whereRule: ShapeRule = (node, inputs) => {
  const cond = requireInput(node, inputs, 0, 'condition');
  const x = requireInput(node, inputs, 1, 'input X');
  const y = requireInput(node, inputs, 2, 'input Y');
  if (cond.dtype !== 'bool') fail(node, `condition must be bool, got ${cond.dtype}`);
  const dtype = requireSameDtype(node, [x, y]);
  return [{ dtype, shape: withNode(node, () => broadcastAll(node, [cond, x, y])) }];
};

export const elementwiseRules: Record<string, ShapeRule> = {
  Sigmoid: floatUnary,
  Tanh: floatUnary,
  HardSwish: floatUnary,
  HardSigmoid: floatUnary,
  LeakyRelu: floatUnary,
  Exp: floatUnary,
  Sqrt: floatUnary,
  Floor: floatUnary,
  Ceil: floatUnary,
  Reciprocal: floatUnary,
  Relu: numericUnary,
  Neg: numericUnary,
  Abs: numericUnary,
  Sign: numericUnary,
  Clip: clipRule,
  Identity: passThrough,
  Dropout: passThrough,
  Add: arithmetic,
  Sub: arithmetic,
  Mul: arithmetic,
  Div: arithmetic,
  Pow: arithmetic,
  Equal: comparison,
  Less: comparison,
  LessOrEqual: comparison,
  GreaterOrEqual: comparison,
  Greater: comparison,
  Min: variadic,
  Max: variadic,
  Sum: variadic,
  Mean: variadic,
  Where: whereRule,
};
