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

/**
 * The products a numpy MatMul of dense A and B is made of: M, K, N and the batch dims, simplified for kernels that
 * decode a few batch dims per work item: size-1 dims dropped, neighbours both operands step through contiguously
 * merged (two dense [B, G, H, ...] operands have one batch dim), and a batch only A has (B a 2-D weight) folded
 * into M (a Linear layer on [B, T, C] tokens is one [B*T, C] x [C, N] product). Strides are in elements, 0 along
 * a broadcast dim; Y is dense [batch..., M, N]. Undefined when the shapes do not multiply.
 */
export interface MatmulLayout {
  m: number;
  k: number;
  n: number;
  batchShape: number[];
  aBatchStrides: number[];
  bBatchStrides: number[];
}

export function matmulLayout(aShape: Shape, bShape: Shape): MatmulLayout | undefined {
  if (aShape.length === 0 || bShape.length === 0) return undefined;
  const a = aShape.length === 1 ? [1, aShape[0]!] : [...aShape];
  const b = bShape.length === 1 ? [bShape[0]!, 1] : [...bShape];
  const [m, k] = a.slice(-2) as [number, number];
  const [k2, n] = b.slice(-2) as [number, number];
  if (k !== k2) return undefined;
  const aBatch = a.slice(0, -2);
  const bBatch = b.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const shape: number[] = [];
  const aStrides: number[] = [];
  const bStrides: number[] = [];
  let aStep = m * k;
  let bStep = k * n;
  for (let d = rank - 1; d >= 0; d--) {
    const ad = aBatch[d - (rank - aBatch.length)] ?? 1;
    const bd = bBatch[d - (rank - bBatch.length)] ?? 1;
    if (ad !== bd && ad !== 1 && bd !== 1) return undefined;
    shape.unshift(Math.max(ad, bd));
    aStrides.unshift(ad === 1 ? 0 : aStep);
    bStrides.unshift(bd === 1 ? 0 : bStep);
    aStep *= ad;
    bStep *= bd;
  }
  const batch = simplifyBatch(shape, aStrides, bStrides);
  if (batch.shape.length === 1 && batch.bStrides[0] === 0 && batch.aStrides[0] === m * k)
    return { m: m * batch.shape[0]!, k, n, batchShape: [], aBatchStrides: [], bBatchStrides: [] };
  return { m, k, n, batchShape: batch.shape, aBatchStrides: batch.aStrides, bBatchStrides: batch.bStrides };
}

/** Batch dims without size-1 dims, adjacent dims merged where both operands step over the inner one exactly. */
export function simplifyBatch(shape: number[], aStrides: number[], bStrides: number[]): { shape: number[]; aStrides: number[]; bStrides: number[] } {
  const out = { shape: [] as number[], aStrides: [] as number[], bStrides: [] as number[] };
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d]!;
    if (size === 1) continue;
    // out's dim 0 is the next inner kept dim (dims are prepended): merge when d steps over it exactly.
    if (out.shape.length && aStrides[d] === out.aStrides[0]! * out.shape[0]! && bStrides[d] === out.bStrides[0]! * out.shape[0]!) {
      out.shape[0] = out.shape[0]! * size;
      continue;
    }
    out.shape.unshift(size);
    out.aStrides.unshift(aStrides[d]!);
    out.bStrides.unshift(bStrides[d]!);
  }
  return out;
}
