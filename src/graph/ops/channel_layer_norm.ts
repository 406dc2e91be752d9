/**
 * ChannelLayerNorm (a Tessera op, made by `channelsLastToNchw`, src/graph/passes/channels_last.ts): LayerNorm over
 * the channel axis of an NCHW (N, C, ...spatial) tensor, at every position:
 *   y[n, :, p] = LayerNormalization(x[n, :, p]) · Scale + B
 * i.e. what ConvNeXt writes as Transpose(NCHW → NHWC) → LayerNormalization(axis −1) → Transpose back, without the
 * two copies. Inputs X [N, C, ...], Scale [C] (or one element), [B] [C] (or one element); attribute epsilon (1e-5).
 * Output: X's shape, f32. The CPU reference (backends/cpu/channel_layer_norm.ts) is the LayerNormalization reference on
 * the transposed tensor, so the rewrite is bit-identical on the CPU.
 */
import { sizeOf, type Shape } from '../ir.js';
import { fail, fmtShape, requireFloat, requireInput } from './common.js';
import type { ShapeRule } from './types.js';

/** Channels and positions per image of an NCHW-like shape. */
export function channelLayerNormGeometry(shape: Shape): { n: number; c: number; positions: number } {
  return { n: shape[0]!, c: shape[1]!, positions: sizeOf(shape.slice(2)) };
}

export const channelLayerNormRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  requireFloat(node, x, 'X');
  if (x.shape.length < 2) fail(node, `X must have rank >= 2 (N, C, ...), got ${fmtShape(x.shape)}`);
  const c = x.shape[1]!;
  for (const [i, what] of [[1, 'Scale'], [2, 'B']] as const) {
    const p = i === 1 ? requireInput(node, inputs, 1, 'Scale') : inputs[2];
    if (!p) continue;
    requireFloat(node, p, what);
    const size = sizeOf(p.shape);
    if (c >= 0 && size !== 1 && size !== c) fail(node, `${what} ${fmtShape(p.shape)} must have ${c} elements (one per channel) or one`);
  }
  return [{ dtype: 'f32', shape: [...x.shape] }];
};
