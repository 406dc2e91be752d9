/** LayerNormalization (src/graph/ops/layer_norm.ts): one workgroup per row, `shaders/layer_norm.wgsl`. */
import { attrFloat, sizeOf } from '../../graph/ir.js';
import { layerNormGeometry } from '../../graph/ops/layer_norm.js';
import type { Kernel } from './program.js';
import { WG, inputShape } from './kernel_util.js';

export const layerNormKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const x = inputShape(ctx, 0);
  const { rowLength, rows } = layerNormGeometry(node, x);
  const hasBias = (node.inputs[2] ?? '') !== '';
  const names = hasBias ? ['x', 'scale', 'bias'] : ['x', 'scale'];
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
