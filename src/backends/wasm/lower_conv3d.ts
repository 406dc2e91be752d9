/**
 * 3-D convolutions (Conv / FusedConv on [N, C, D, H, W]) as 2-D conv calls over depth slices: output slice od is
 *   sum over the kernel depths kd that land inside the input (id = od * sd - pd + kd * dd) of conv2d(X[:, :, id], W[:, :, kd])
 * The first call of a slice writes bias (and the node's residual, added before the activation), every later one adds
 * onto what is there (its residual input is the output slice itself), and the last applies the activation. Slices
 * are views into the planned tensors (no copy); weight slices are packed once and shared by every output depth.
 * Falls back (CPU reference) for a residual added after the activation over several depth taps, or an output depth
 * that no kernel depth reaches (all padding).
 */
import { type Node, type Tensor } from '../../graph/ir.js';
import { convOutputSpatial, convParams } from '../../graph/ops/conv.js';
import { readEpilogue, type Epilogue } from '../../graph/ops/fused.js';
import type { TensorPlacement } from '../../plan/types.js';
import type { KernelCall, LowerContext } from './lower.js';
import { lowerConvWith } from './lower.js';

/** The [N, C, H, W] view of depth slice `d` of a dense-plane [N, C, D, H, W] placement, or undefined. */
function depthSlice(t: TensorPlacement, d: number, name: string): TensorPlacement | undefined {
  const [N, C, , H, W] = t.shape as [number, number, number, number, number];
  const s = t.strides;
  if ((W > 1 && s[4] !== 1) || (H > 1 && s[3] !== W)) return undefined;
  return { ...t, name, shape: [N, C, H, W], strides: [s[0]!, s[1]!, s[3]!, s[4]!], offset: t.offset + d * s[2]! * 4, contiguous: false, view: undefined };
}

export function lowerConv3d(node: Node, ctx: LowerContext): KernelCall[] | undefined {
  const [xName, wName, bName, rName] = node.inputs;
  const xt = ctx.plan.tensors.get(xName!);
  const yt = ctx.plan.tensors.get(node.outputs[0]!);
  const w = ctx.constant(wName!);
  if (!xt || !yt || !w || xt.dtype !== 'f32' || w.dtype !== 'f32' || xt.shape.length !== 5 || w.shape.length !== 5) return undefined;
  const rt = rName ? ctx.plan.tensors.get(rName) : undefined;
  if (rName && !rt) return undefined;
  const e: Epilogue = node.op === 'FusedConv' ? readEpilogue(node) : { activation: 'none', alpha: 0, beta: 0, min: -Infinity, max: Infinity, residualAfterActivation: false };
  const p = convParams(node, xt.shape, w.shape);
  const [OD] = convOutputSpatial(xt.shape, p) as [number];
  const D = xt.shape[2]!;
  const [KD, KH, KW] = p.kernel as [number, number, number];
  const [M, Cg] = [w.shape[0]!, w.shape[1]!];
  const taps = (d: number) => {
    const out: { kd: number; id: number }[] = [];
    for (let kd = 0; kd < KD; kd++) {
      const id = d * p.strides[0]! - p.pads[0]! + kd * p.dilations[0]!;
      if (id >= 0 && id < D) out.push({ kd, id });
    }
    return out;
  };
  if (rName && e.residualAfterActivation && [...Array(OD).keys()].some((d) => taps(d).length > 1)) return undefined;
  // weight slice kd: [M, Cg, KH, KW]
  const wSlices = new Map<number, Tensor>();
  const wSlice = (kd: number): Tensor => {
    let t = wSlices.get(kd);
    if (!t) {
      const src = w.data as Float32Array;
      const plane = KH * KW;
      const data = new Float32Array(M * Cg * plane);
      for (let mc = 0; mc < M * Cg; mc++) data.set(src.subarray((mc * KD + kd) * plane, (mc * KD + kd + 1) * plane), mc * plane);
      t = { dtype: 'f32', shape: [M, Cg, KH, KW], data };
      wSlices.set(kd, t);
    }
    return t;
  };
  const attrs2d = {
    kernel_shape: [KH, KW],
    strides: p.strides.slice(1),
    pads: [p.pads[1]!, p.pads[2]!, p.pads[4]!, p.pads[5]!],
    dilations: p.dilations.slice(1),
    group: p.group,
  };
  const views = new Map<string, TensorPlacement>();
  const calls: KernelCall[] = [];
  for (let od = 0; od < OD; od++) {
    const list = taps(od);
    if (list.length === 0) return undefined;
    const yName = `${node.outputs[0]}#d${od}`;
    const ys = depthSlice(yt, od, yName);
    if (!ys) return undefined;
    views.set(yName, ys);
    let rs: string | undefined;
    if (rName) {
      rs = `${rName}#d${od}`;
      const v = depthSlice(rt!, od, rs);
      if (!v) return undefined;
      views.set(rs, v);
    }
    for (let j = 0; j < list.length; j++) {
      const { kd, id } = list[j]!;
      const first = j === 0;
      const last = j === list.length - 1;
      const xs = `${xName}#d${id}`;
      const xv = depthSlice(xt, id, xs);
      if (!xv) return undefined;
      views.set(xs, xv);
      const residual = first ? (rs ?? '') : yName; // later taps add onto the partial sum
      const conv2d: Node = {
        name: node.name,
        op: 'FusedConv',
        inputs: [xs, `${wName}#k${kd}`, first ? (bName ?? '') : '', residual],
        outputs: [yName],
        attrs: {
          ...attrs2d,
          activation: last ? e.activation : 'none',
          act_alpha: e.alpha,
          act_beta: e.beta,
          act_min: e.min,
          act_max: e.max,
          residual_after_activation: first && last && rName && e.residualAfterActivation ? 1 : 0,
        },
      };
      const sub: LowerContext = {
        ...ctx,
        plan: { ...ctx.plan, tensors: new Map([...ctx.plan.tensors, ...views]) },
        constant: (n) => (n.startsWith(`${wName}#k`) ? wSlice(Number(n.slice(`${wName}#k`.length))) : ctx.constant(n)),
      };
      const c = lowerConvWith(conv2d, sub);
      if (!c) return undefined;
      calls.push(...c.map((k) => ({ ...k, node })));
    }
  }
  for (const [name, v] of views) ctx.views?.set(name, v);
  return calls;
}
