/**
 * LayerNormalization (src/graph/ops/layer_norm.ts): one workgroup per row (`shaders/layer_norm.wgsl`, a tree
 * reduction in workgroup memory), or, for many rows of at most SHORT_ROW elements, one thread per row
 * (`shaders/channel_layer_norm.wgsl` with one position per image: a row is a "pixel" whose channels are contiguous).
 * Transformer rows are short (ViT-Tiny 192, Swin-T 96-768) and many (49-3136): each paid 12 workgroup barriers, and on
 * SwiftShader, where a barrier stops every lane, LayerNorm was ~15 % of ViT-Tiny's time (8× less per row per thread).
 */
import { attrFloat, sizeOf } from '../../graph/ir.js';
import { layerNormGeometry } from '../../graph/ops/layer_norm.js';
import type { Kernel } from './program.js';
import { channelNormPlan } from './channel_layer_norm.js';
import { WG, inputShape } from './kernel_util.js';

/** Rows up to this long run one per thread (no workgroup reduction) when there are at least MANY_ROWS of them. */
export const SHORT_ROW = 1024;
const MANY_ROWS = 64;

export const layerNormKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const x = inputShape(ctx, 0);
  const { rowLength, rows } = layerNormGeometry(node, x);
  const hasBias = (node.inputs[2] ?? '') !== '';
  const names = hasBias ? ['x', 'scale', 'bias'] : ['x', 'scale'];
  if (rowLength <= SHORT_ROW && rows >= MANY_ROWS) return channelNormPlan(ctx, 'layer_norm_rows', rows, rowLength, 1);
  return {
    programs: [
      {
        name: hasBias ? 'layer_norm_bias' : 'layer_norm',
        shader: 'layer_norm',
        accessors: true,
        defines: { WG, HAS_BIAS: hasBias ? 1 : 0 },
        inputs: names.map((wgsl, i) => ({ wgsl, tensor: node.inputs[i]! })),
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'rows', type: 'u32', value: rows },
          { name: 'n', type: 'u32', value: rowLength },
          { name: 'scale_len', type: 'u32', value: sizeOf(inputShape(ctx, 1)) },
          { name: 'bias_len', type: 'u32', value: hasBias ? sizeOf(inputShape(ctx, 2)) : 1 },
          { name: 'epsilon', type: 'f32', value: attrFloat(node, 'epsilon', 1e-5) },
        ],
        workgroups: rows,
      },
    ],
  };
};

