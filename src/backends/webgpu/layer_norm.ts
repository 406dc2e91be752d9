/**
 * LayerNormalization (src/graph/ops/layer_norm.ts) and ChannelLayerNorm (src/graph/ops/channel_layer_norm.ts). A
 * reduction variant (reduce_select.ts) per shape:
 *  - reduce_thread: one invocation per normalised line (`shaders/channel_layer_norm.wgsl`): ChannelLayerNorm's
 *    positions, and LayerNormalization's rows when many and short (a row is then one "position" whose channels are
 *    contiguous). Transformer rows are short (ViT-Tiny 192, Swin-T 96-768) and many (49-3136): each paid 12 workgroup
 *    barriers, and on SwiftShader, where a barrier stops every lane, LayerNorm was ~15 % of ViT-Tiny's time (8× less
 *    per row per thread).
 *  - reduce_wg / reduce_subgroup: one workgroup per line (generated `layer_norm` / `layer_norm_sg`, reduce_wgsl.ts).
 */
import { attrFloat, sizeOf } from '../../graph/ir.js';
import { layerNormGeometry } from '../../graph/ops/layer_norm.js';
import { channelLayerNormGeometry } from '../../graph/ops/channel_layer_norm.js';
import type { Kernel, KernelContext, KernelPlan } from './program.js';
import { WG, inputShape } from './kernel_util.js';
import { lineReductionFields, selectReductionVariant, type ReductionOp } from './reduce_select.js';

export { SHORT_ROW } from './reduce_select.js';

/** LayerNorm over `c` values `positions` apart, for `images` × `positions` lines; X, Scale, [B] are node inputs 0..2. */
function normPlan(ctx: KernelContext, op: ReductionOp, name: string, images: number, c: number, positions: number): KernelPlan {
  const { node } = ctx;
  const hasBias = (node.inputs[2] ?? '') !== '';
  const names = hasBias ? ['x', 'scale', 'bias'] : ['x', 'scale'];
  const lines = images * positions;
  const variant = selectReductionVariant({ op, lines, length: c }, ctx.features ?? { subgroups: false }, ctx.reductionVariant);
  const perLine = variant === 'reduce_thread' ? undefined : lineReductionFields('layer_norm', variant, lines);
  return {
    programs: [
      {
        // LayerNormalization's workgroup-per-row program keeps its historical name `layer_norm`.
        name: `${perLine ? (op === 'LayerNorm' ? `layer_norm${variant === 'reduce_wg' ? '' : perLine.suffix}` : `${name}${perLine.suffix}`) : name}${hasBias ? '_bias' : ''}`,
        shader: perLine?.shader ?? 'channel_layer_norm',
        ...(perLine?.extensions ? { extensions: perLine.extensions } : {}),
        accessors: true,
        defines: { WG, HAS_BIAS: hasBias ? 1 : 0 },
        inputs: names.map((wgsl, i) => ({ wgsl, tensor: node.inputs[i]! })),
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: lines },
          // channel_layer_norm.wgsl calls the line length `c`, the per-line shaders `n`.
          { name: perLine ? 'n' : 'c', type: 'u32', value: c },
          { name: 'positions', type: 'u32', value: positions },
          { name: 'scale_len', type: 'u32', value: sizeOf(inputShape(ctx, 1)) },
          { name: 'bias_len', type: 'u32', value: hasBias ? sizeOf(inputShape(ctx, 2)) : 1 },
          { name: 'epsilon', type: 'f32', value: attrFloat(node, 'epsilon', 1e-5) },
        ],
        workgroups: perLine?.workgroups ?? Math.ceil(lines / WG),
      },
    ],
  };
}

export const layerNormKernel: Kernel = (ctx) => {
  const { rowLength, rows } = layerNormGeometry(ctx.node, inputShape(ctx, 0));
  return normPlan(ctx, 'LayerNorm', 'layer_norm_rows', rows, rowLength, 1);
};

export const channelLayerNormKernel: Kernel = (ctx) => {
  const { n, c, positions } = channelLayerNormGeometry(inputShape(ctx, 0));
  return normPlan(ctx, 'ChannelLayerNorm', 'channel_layer_norm', n, c, positions);
};
