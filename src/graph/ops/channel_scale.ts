/**
 * Tessera op `ChannelScale`, introduced by the channel-scale fusion pass (src/graph/passes/fuse_channel_scale.ts):
 * the Squeeze-and-Excitation gate `x * s` with the residual Add and the activation that follow it, in one pass
 * over x.
 *
 *   ChannelScale  inputs X [N, C, ...spatial], S (per sample and channel), [R] (X's shape, or read through a
 *                 residual view: ./residual_view.ts)
 *                 attrs: the FusedConv epilogue attributes (src/graph/ops/fused.ts): activation ('none'),
 *                 act_alpha, act_beta, act_min, act_max, residual_after_activation (0), residual view
 *
 *   y = X * S[n, c]                   (S broadcast over the spatial dims only)
 *   if R and residual_after_activation == 0:  y = y + R
 *   y = activation(y)
 *   if R and residual_after_activation == 1:  y = y + R
 *
 *   ChannelScaleConv  inputs X, W, [B], [R], S   attrs: every FusedConv attribute
 *   y = FusedConv(X * S[n, c], W, B, R)       (the scale of the conv's input, applied as it is read)
 * made from a ChannelScale with nothing absorbed whose only reader is a pointwise conv (GhostNet: SE gate → the
 * next Ghost module's 1x1 primary conv). Inputs 0..3 are exactly FusedConv's, S comes last.
 *
 * S has X's rank or less (numpy broadcasting, right-aligned) and varies at most along N and C: [N, C, 1, 1],
 * [1, C, 1, 1], [C, 1, 1] and [1, 1, 1, 1] are valid, [1, C, H, 1] is not (a general Mul stays a Mul).
 * Each step rounds to f32 exactly where the unfused Mul / Add / activation nodes would.
 */
import { GraphError, type Node, type Shape } from '../ir.js';
import { fail, fmtShape, isFloat } from './common.js';
import { fusedShapeRules, readEpilogue, type Epilogue } from './fused.js';
import { checkResidualView, readResidualView } from './residual_view.js';
import type { InputInfo, ShapeRule } from './types.js';

/** S's shape right-aligned to rank `rank` (leading 1s), or undefined when S has more dims than X. */
export function alignedScaleShape(scale: Shape, rank: number): number[] | undefined {
  if (scale.length > rank) return undefined;
  return [...new Array<number>(rank - scale.length).fill(1), ...scale];
}

/**
 * True when a tensor of shape `scale` broadcasts against X (`x`, rank ≥ 2) along the spatial dims only, i.e. it is
 * a per-(sample, channel) scale. Unknown (-1) dims of X match anything but 1 in S; they never make S invalid.
 */
export function isChannelScaleShape(scale: Shape, x: Shape): boolean {
  if (x.length < 2) return false;
  const s = alignedScaleShape(scale, x.length);
  if (!s) return false;
  const matches = (sd: number, xd: number) => sd === 1 || sd === xd || xd < 0 || sd < 0;
  if (!matches(s[0]!, x[0]!) || !matches(s[1]!, x[1]!)) return false;
  return s.slice(2).every((d) => d === 1);
}

/** Epilogue attributes of a ChannelScale node (validated; throws GraphError naming the node). */
export function readChannelScale(node: Node): Epilogue {
  if (node.attrs['activation'] === 'silu')
    throw new GraphError(`activation 'silu' is not supported by ChannelScale (use sigmoid nodes)`, node.name, node.op);
  return readEpilogue(node);
}

const channelScaleRule: ShapeRule = (node, inputs) => {
  readChannelScale(node);
  if (inputs.length < 2 || inputs.length > 3) fail(node, `takes 2 or 3 inputs (X, S, [R]), got ${inputs.length}`);
  const [x, s, r] = inputs as [InputInfo | undefined, InputInfo | undefined, InputInfo | undefined];
  if (!x || !s) fail(node, 'missing required input X or S');
  for (const [info, what] of [[x, 'X'], [s, 'S'], [r, 'R']] as const)
    if (info && !isFloat(info.dtype)) fail(node, `${what} must be a float tensor, got ${info.dtype}`);
  if (x.shape.length < 2) fail(node, `X must have rank ≥ 2 (N, C, ...), got ${fmtShape(x.shape)}`);
  if (!isChannelScaleShape(s.shape, x.shape))
    fail(node, `S shape ${fmtShape(s.shape)} must vary only along N and C of X ${fmtShape(x.shape)} (e.g. [N, C, 1, 1])`);
  const view = r && readResidualView(node, x.shape.length);
  if (r && view) checkResidualView(node, view, r.shape, x.shape);
  else if (r) {
    const same = r.shape.length === x.shape.length && r.shape.every((d, i) => d === x.shape[i] || d < 0 || x.shape[i]! < 0);
    if (!same) fail(node, `residual R shape ${fmtShape(r.shape)} must equal X's shape ${fmtShape(x.shape)}`);
  }
  return [{ dtype: 'f32', shape: [...x.shape] }];
};

/** A ChannelScaleConv node seen as the FusedConv it wraps (inputs X, W, [B], [R]). */
export function fusedConvOf(node: Node): Node {
  return { ...node, op: 'FusedConv', inputs: node.inputs.slice(0, 4) };
}

const channelScaleConvRule: ShapeRule = (node, inputs) => {
  if (inputs.length !== 5) fail(node, `takes 5 inputs (X, W, [B], [R], S), got ${inputs.length}`);
  const out = fusedShapeRules['FusedConv']!(fusedConvOf(node), inputs.slice(0, 4));
  const x = inputs[0]!;
  const s = inputs[4];
  if (!s) fail(node, 'missing required input S (index 4)');
  if (!isFloat(s.dtype)) fail(node, `S must be a float tensor, got ${s.dtype}`);
  if (!isChannelScaleShape(s.shape, x.shape))
    fail(node, `S shape ${fmtShape(s.shape)} must vary only along N and C of X ${fmtShape(x.shape)} (e.g. [N, C, 1, 1])`);
  return out;
};

export const channelScaleShapeRules: Record<string, ShapeRule> = { ChannelScale: channelScaleRule, ChannelScaleConv: channelScaleConvRule };
