/**
 * Gemm: Y = alpha * A' * B' + beta * C, A' = transA ? A^T : A (A' is [M, K]), B' is [K, N], optional C
 * unidirectionally broadcastable to [M, N]. Attributes: alpha (1), beta (1), transA (0), transB (0).
 * MatMul: numpy matmul (1-D operands are promoted then the added dim removed; batch dims broadcast).
 */
import { attrInt, type Node, type Shape } from '../ir.js';
import { computeDtype, dimsCompatible, fail, fmtShape, isNumeric, requireFloat, requireInput, sameComputeDtype } from './common.js';
import { broadcastShapes } from './elementwise.js';
import type { ShapeRule } from './types.js';

export interface GemmDims {
  m: number;
  n: number;
  k: number;
}

/** M, N, K of a Gemm node from the A and B shapes; throws when the inner dims differ. */
export function gemmDims(node: Node, a: Shape, b: Shape): GemmDims {
  if (a.length !== 2) fail(node, `A must be 2-D, got shape ${fmtShape(a)}`);
  if (b.length !== 2) fail(node, `B must be 2-D, got shape ${fmtShape(b)}`);
  const transA = attrInt(node, 'transA', 0) !== 0;
  const transB = attrInt(node, 'transB', 0) !== 0;
  const [m, ka] = transA ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
  const [kb, n] = transB ? [b[1]!, b[0]!] : [b[0]!, b[1]!];
  if (!dimsCompatible(ka, kb))
    fail(node, `inner dims differ: A ${fmtShape(a)}${transA ? '^T' : ''} has K=${ka}, B ${fmtShape(b)}${transB ? '^T' : ''} has K=${kb}`);
  return { m, n, k: ka >= 0 ? ka : kb };
}

export const gemmRule: ShapeRule = (node, inputs) => {
  const a = requireInput(node, inputs, 0, 'input A');
  const b = requireInput(node, inputs, 1, 'input B');
  requireFloat(node, a, 'A');
  requireFloat(node, b, 'B');
  const { m, n } = gemmDims(node, a.shape, b.shape);
  const c = inputs[2];
  if (c) {
    requireFloat(node, c, 'C');
    if (c.shape.length > 2) fail(node, `C must have rank <= 2, got shape ${fmtShape(c.shape)}`);
    const target = [m, n];
    const bc = broadcastShapes(c.shape, target, node);
    // Unidirectional: C stretches to [M, N], never the other way round.
    if (bc.some((d, i) => target[i]! >= 0 && d !== target[i])) fail(node, `C shape ${fmtShape(c.shape)} does not broadcast to [${m}, ${n}]`);
  }
  return [{ dtype: 'f32', shape: [m, n] }];
};

/** Output shape of numpy matmul, with 1-D promotion and batch broadcasting. */
export function matmulShape(node: Node, a: Shape, b: Shape): number[] {
  if (a.length === 0 || b.length === 0) fail(node, `operands must have rank >= 1, got ${fmtShape(a)} and ${fmtShape(b)}`);
  const a2 = a.length === 1 ? [1, a[0]!] : [...a];
  const b2 = b.length === 1 ? [b[0]!, 1] : [...b];
  const ka = a2[a2.length - 1]!;
  const kb = b2[b2.length - 2]!;
  if (!dimsCompatible(ka, kb)) fail(node, `inner dims differ: A ${fmtShape(a)} has K=${ka}, B ${fmtShape(b)} has K=${kb}`);
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2), node);
  const out = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]!);
  if (b.length > 1) out.push(b2[b2.length - 1]!);
  return out;
}

export const matmulRule: ShapeRule = (node, inputs) => {
  const a = requireInput(node, inputs, 0, 'input A');
  const b = requireInput(node, inputs, 1, 'input B');
  if (!isNumeric(a.dtype) || !sameComputeDtype(a.dtype, b.dtype)) fail(node, `operands must share a numeric dtype, got ${a.dtype} and ${b.dtype}`);
  return [{ dtype: computeDtype(a.dtype), shape: matmulShape(node, a.shape, b.shape) }];
};
