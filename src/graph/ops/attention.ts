/**
 * Attention (a Tessera op, made by `fuseAttention`, src/graph/passes/fuse_attention.ts): scaled dot-product attention
 * as vision transformers export it (MatMul → [Mul/Div by a scalar] → [Add bias or mask] → Softmax(last axis) →
 * MatMul), in one node:
 *   S = (Q · K') · scale [+ Bias];  Y = softmax(S, last axis) · V
 * Inputs: Q [...b, N, D]; K [...b, D, M] when k_layout = 'kt' (the MatMul's own B operand) or [...b, M, D] when
 * k_layout = 'k' (a transpose of the last two axes absorbed); V [...b, M, Dv]; optional Bias broadcastable to
 * [...b, N, M] (relative-position bias, Swin's shifted-window mask). Batch dims broadcast (numpy) over all four.
 * Attributes: scale (f32, 1), k_layout ('kt').
 * Output: [...broadcast batch, N, Dv] f32.
 */
import { attrFloat, attrString, type Node, type Shape } from '../ir.js';
import { dimsCompatible, fail, fmtShape, requireFloat, requireInput } from './common.js';
import { broadcastShapes } from './elementwise.js';
import type { ShapeRule } from './types.js';

export interface AttentionDims {
  /** Broadcast batch dims of the output. */
  batch: number[];
  n: number;
  m: number;
  d: number;
  dv: number;
  kLayout: 'k' | 'kt';
  scale: number;
}

/** N, M, D, Dv and the broadcast batch dims of an Attention node; throws GraphError on a mismatch. */
export function attentionDims(node: Node, q: Shape, k: Shape, v: Shape, bias?: Shape): AttentionDims {
  const kLayout = attrString(node, 'k_layout', 'kt');
  if (kLayout !== 'k' && kLayout !== 'kt') fail(node, `k_layout must be 'k' or 'kt', got '${kLayout}'`);
  for (const [t, what] of [[q, 'Q'], [k, 'K'], [v, 'V']] as const)
    if (t.length < 2) fail(node, `${what} must have rank >= 2, got shape ${fmtShape(t)}`);
  const n = q[q.length - 2]!;
  const d = q[q.length - 1]!;
  const [kd, m] = kLayout === 'kt' ? [k[k.length - 2]!, k[k.length - 1]!] : [k[k.length - 1]!, k[k.length - 2]!];
  if (!dimsCompatible(d, kd)) fail(node, `Q ${fmtShape(q)} and K ${fmtShape(k)} (${kLayout}) disagree on the head dim (${d} vs ${kd})`);
  const vm = v[v.length - 2]!;
  const dv = v[v.length - 1]!;
  if (!dimsCompatible(m, vm)) fail(node, `K ${fmtShape(k)} has ${m} keys but V ${fmtShape(v)} has ${vm}`);
  let batch = broadcastShapes(q.slice(0, -2), k.slice(0, -2), node);
  batch = broadcastShapes(batch, v.slice(0, -2), node);
  if (bias) {
    const full = broadcastShapes([...batch, n, m], bias, node);
    if (full[full.length - 2] !== n || full[full.length - 1] !== m)
      fail(node, `Bias ${fmtShape(bias)} does not broadcast to the scores [..., ${n}, ${m}]`);
    batch = full.slice(0, -2);
  }
  return { batch, n, m, d: d >= 0 ? d : kd, dv, kLayout, scale: attrFloat(node, 'scale', 1) };
}

export const attentionRule: ShapeRule = (node, inputs) => {
  const q = requireInput(node, inputs, 0, 'Q');
  const k = requireInput(node, inputs, 1, 'K');
  const v = requireInput(node, inputs, 2, 'V');
  const bias = inputs[3];
  for (const [t, what] of [[q, 'Q'], [k, 'K'], [v, 'V']] as const) requireFloat(node, t, what);
  if (bias) requireFloat(node, bias, 'Bias');
  const dims = attentionDims(node, q.shape, k.shape, v.shape, bias?.shape);
  return [{ dtype: 'f32', shape: [...dims.batch, dims.n, dims.dv] }];
};
