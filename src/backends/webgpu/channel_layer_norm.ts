/**
 * ChannelLayerNorm (src/graph/ops/channel_layer_norm.ts): one thread per (image, position),
 * `shaders/channel_layer_norm.wgsl`. The same program normalises short LayerNormalization rows (layer_norm.ts): a row
 * is then one "position" whose channels are contiguous.
 */
import { attrFloat, sizeOf, type Node } from '../../graph/ir.js';
import { channelLayerNormGeometry } from '../../graph/ops/channel_layer_norm.js';
import type { Kernel, KernelContext, KernelPlan } from './program.js';
import { WG, inputShape } from './kernel_util.js';

/** LayerNorm over `c` values `positions` apart, for `images` × `positions` threads; X, Scale, [B] are node inputs 0..2. */
export function channelNormPlan(ctx: KernelContext, name: string, images: number, c: number, positions: number): KernelPlan {
  const node: Node = ctx.node;
  const hasBias = (node.inputs[2] ?? '') !== '';
  const names = hasBias ? ['x', 'scale', 'bias'] : ['x', 'scale'];
  const total = images * positions;
  return {
    programs: [
      {
        name: hasBias ? `${name}_bias` : name,
        shader: 'channel_layer_norm',
        accessors: true,
        defines: { WG, HAS_BIAS: hasBias ? 1 : 0 },
        inputs: names.map((wgsl, i) => ({ wgsl, tensor: node.inputs[i]! })),
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'c', type: 'u32', value: c },
          { name: 'positions', type: 'u32', value: positions },
          { name: 'scale_len', type: 'u32', value: sizeOf(inputShape(ctx, 1)) },
          { name: 'bias_len', type: 'u32', value: hasBias ? sizeOf(inputShape(ctx, 2)) : 1 },
          { name: 'epsilon', type: 'f32', value: attrFloat(node, 'epsilon', 1e-5) },
        ],
        workgroups: Math.ceil(total / WG),
      },
    ],
  };
}

export const channelLayerNormKernel: Kernel = (ctx) => {
  const { n, c, positions } = channelLayerNormGeometry(inputShape(ctx, 0));
  return channelNormPlan(ctx, 'channel_layer_norm', n, c, positions);
};
