/**
 * Lowering of the transformer ops to kernels/transformer.c: LayerNormalization and ChannelLayerNorm (layer_norm),
 * Softmax over the last axis (softmax) and Attention (attention: one query row per work item, scores in per-thread
 * scratch). Layouts the kernels cannot address return undefined (the node runs on the CPU reference).
 */
import { attrFloat, attrInt, sizeOf, stridesOf, type Node } from '../../graph/ir.js';
import { attentionDims } from '../../graph/ops/attention.js';
import { layerNormGeometry } from '../../graph/ops/layer_norm.js';
import type { TensorPlacement } from '../../plan/types.js';
import { broadcastStrides, collapseDims, f32bits, flatPlanes, type Addresses, type KernelCall, type LowerContext } from './lower.js';

/** Strides of the dims [from, rank) of `t` when they form one dense block (extent-1 dims ignored). */
function denseTail(t: TensorPlacement, from: number): boolean {
  let expect = 1;
  for (let i = t.shape.length - 1; i >= from; i--) {
    if (t.shape[i]! > 1 && t.strides[i] !== expect) return false;
    expect *= t.shape[i]!;
  }
  return true;
}

/** The one stride that steps through dims [0, to) of both tensors as a single dim, or undefined. */
function outerStrides(x: TensorPlacement, y: TensorPlacement, to: number): [number, number] | undefined {
  const dims = x.shape.slice(0, to);
  const merged = collapseDims(dims, [x.strides.slice(0, to), y.strides.slice(0, to)].map((s) => s.map((v, i) => (dims[i] === 1 ? 0 : v))), 1);
  return merged && [merged.strides[0]![0]!, merged.strides[1]![0]!];
}

/** Scale / bias as a placed constant: [address index, element stride (0: one element shared by all)]. */
function param(ctx: LowerContext, name: string | undefined, len: number): Float32Array | undefined {
  const t = name ? ctx.constant(name) : undefined;
  if (!t || t.dtype !== 'f32') return undefined;
  const n = sizeOf(t.shape);
  return n === 1 || n === len ? (t.data as Float32Array) : undefined;
}

function layerNormCall(node: Node, ctx: LowerContext, f: { outer: number; inner: number; len: number; xos: number; xes: number; yos: number; yes: number }): KernelCall | undefined {
  const [, sName, bName] = node.inputs;
  const scale = param(ctx, sName, f.len);
  const bias = bName ? param(ctx, bName, f.len) : undefined;
  if (!scale || (bName && !bias)) return undefined;
  const eps = attrFloat(node, 'epsilon', 1e-5);
  return {
    node,
    kernel: 'layer_norm',
    weights: bias ? [scale, bias] : [scale],
    scratchBytes: 0,
    constants: [],
    encode: (a: Addresses) => [
      a.tensor(node.inputs[0]!), a.tensor(node.outputs[0]!), a.weight(0), bias ? a.weight(1) : 0, scale.length === 1 ? 0 : 1,
      bias && bias.length === 1 ? 0 : 1, f.outer, f.inner, f.len, f.xos, f.xes, f.yos, f.yes, f32bits(eps),
    ],
  };
}

/** LayerNormalization: each row X[..., axis:] dense; the rows before it one uniform stride apart. */
export function lowerLayerNorm(node: Node, ctx: LowerContext): KernelCall[] | undefined {
  const x = ctx.plan.tensors.get(node.inputs[0]!);
  const y = ctx.plan.tensors.get(node.outputs[0]!);
  if (!x || !y || x.dtype !== 'f32' || y.dtype !== 'f32' || x.shape.length === 0) return undefined;
  const { axis, rowLength, rows } = layerNormGeometry(node, x.shape);
  if (rowLength === 0 || !denseTail(x, axis) || !denseTail(y, axis)) return undefined;
  const os = outerStrides(x, y, axis);
  if (!os) return undefined;
  const c = layerNormCall(node, ctx, { outer: rows, inner: 1, len: rowLength, xos: os[0], xes: 1, yos: os[1], yes: 1 });
  return c && [c];
}

/** ChannelLayerNorm: NCHW (any spatial rank) with each channel's positions dense; 16 positions per work item. */
export function lowerChannelLayerNorm(node: Node, ctx: LowerContext): KernelCall[] | undefined {
  const x = flatPlanes(ctx.plan.tensors.get(node.inputs[0]!));
  const y = flatPlanes(ctx.plan.tensors.get(node.outputs[0]!));
  if (!x || !y || x.C === 0) return undefined;
  const c = layerNormCall(node, ctx, { outer: x.N, inner: x.H * x.W, len: x.C, xos: x.ns, xes: x.cs, yos: y.ns, yes: y.cs });
  return c && [c];
}

/** Softmax over the last axis (rows dense, one uniform row stride). */
export function lowerSoftmax(node: Node, ctx: LowerContext): KernelCall[] | undefined {
  const x = ctx.plan.tensors.get(node.inputs[0]!);
  const y = ctx.plan.tensors.get(node.outputs[0]!);
  if (!x || !y || x.dtype !== 'f32' || y.dtype !== 'f32' || x.shape.length === 0) return undefined;
  const r = x.shape.length;
  const axis = attrInt(node, 'axis', -1);
  if (axis !== -1 && axis !== r - 1) return undefined;
  const len = x.shape[r - 1]!;
  if (len === 0 || !denseTail(x, r - 1) || !denseTail(y, r - 1)) return undefined;
  const os = outerStrides(x, y, r - 1);
  if (!os) return undefined;
  const rows = sizeOf(x.shape.slice(0, r - 1));
  return [{
    node,
    kernel: 'softmax',
    weights: [],
    scratchBytes: 0,
    constants: [],
    encode: (a) => [a.tensor(node.inputs[0]!), a.tensor(node.outputs[0]!), rows, len, os[0], os[1]],
  }];
}

/** A placed activation or a constant read in place: its shape and element strides. */
function operand(ctx: LowerContext, name: string): { shape: readonly number[]; strides: readonly number[]; constant: boolean } | undefined {
  const t = ctx.plan.tensors.get(name);
  if (t) return t.dtype === 'f32' ? { shape: t.shape, strides: t.strides, constant: false } : undefined;
  const c = ctx.constant(name);
  return c && c.dtype === 'f32' ? { shape: c.shape, strides: stridesOf(c.shape), constant: true } : undefined;
}

/**
 * Attention: Q, K, V, Bias and Y through their own strides (K in either layout), batch dims broadcast (numpy) and
 * merged down to the kernel's 4. Scratch: one row of scores per thread.
 */
export function lowerAttention(node: Node, ctx: LowerContext): KernelCall[] | undefined {
  const names = node.inputs.slice(0, 4);
  const [qN, kN, vN] = names as [string, string, string];
  const bN = names[3] || undefined;
  const q = operand(ctx, qN);
  const k = operand(ctx, kN);
  const v = operand(ctx, vN);
  const b = bN ? operand(ctx, bN) : undefined;
  const y = ctx.plan.tensors.get(node.outputs[0]!);
  if (!q || !k || !v || (bN && !b) || !y || y.dtype !== 'f32') return undefined;
  const dims = attentionDims(node, q.shape, k.shape, v.shape, b?.shape);
  const { batch, n: N, m: M, d: D, dv: DV } = dims;
  if (N === 0 || M === 0 || DV === 0) return undefined;
  const last2 = (o: { shape: readonly number[]; strides: readonly number[] }) => {
    const r = o.shape.length;
    // extent-1 dims are never stepped
    return [o.shape[r - 2] === 1 ? 0 : o.strides[r - 2]!, o.shape[r - 1] === 1 ? 0 : o.strides[r - 1]!] as const;
  };
  const batchOf = (o: { shape: readonly number[]; strides: readonly number[] }) =>
    broadcastStrides(o.strides.slice(0, -2), o.shape.slice(0, -2), batch);
  const [qns, qds] = last2(q);
  // K: 'kt' is [D, M] (rows d, columns m); 'k' is [M, D]
  const [k0, k1] = last2(k);
  const [kms, kds] = dims.kLayout === 'kt' ? [k1, k0] : [k0, k1];
  const [vms, vjs] = last2(v);
  const [yns, yjs] = last2(y);
  let bns = 0;
  let bms = 0;
  let bb: number[] | undefined = batch.map(() => 0);
  if (b) {
    const full = broadcastStrides(b.strides, b.shape, [...batch, N, M]);
    if (!full) return undefined;
    bb = full.slice(0, -2);
    [bns, bms] = [full[full.length - 2]!, full[full.length - 1]!];
  }
  const qb = batchOf(q);
  const kb = batchOf(k);
  const vb = batchOf(v);
  const yb = broadcastStrides(y.strides.slice(0, -2), y.shape.slice(0, -2), batch);
  if (!qb || !kb || !vb || !yb || !bb) return undefined;
  const merged = collapseDims(batch, [yb, qb, kb, vb, bb], 4);
  if (!merged) return undefined;
  const [myb, mqb, mkb, mvb, mbb] = merged.strides as [number[], number[], number[], number[], number[]];
  const constants = [qN, kN, vN, ...(bN ? [bN] : [])].filter((nm, i) => [q, k, v, b][i]!.constant);
  return [{
    node,
    kernel: 'attention',
    weights: [],
    // one row of scores, rounded up to whole vectors
    scratchBytes: Math.ceil(M / 4) * 16,
    constants,
    encode: (a) => [
      a.tensor(qN), a.tensor(kN), a.tensor(vN), bN ? a.tensor(bN) : 0, a.tensor(node.outputs[0]!), N, M, D, DV, f32bits(dims.scale),
      qns, qds, kms, kds, vms, vjs, bns, bms, yns, yjs, a.scratch, a.scratchStride,
      ...merged.dims, ...mqb, ...mkb, ...mvb, ...mbb, ...myb,
    ],
  }];
}
