/**
 * ChannelLayerNorm (src/graph/ops/channel_layer_norm.ts) on the CPU: the LayerNormalization reference on the
 * channels-last view (Transpose, LayerNormalization axis −1, Transpose back), so `channelsLastToNchw` is
 * bit-identical to the graph it rewrites.
 */
import type { Node } from '../../graph/ir.js';
import { layerNorm } from './layer_norm.js';
import { shapeOpKernels } from './shape_ops.js';
import type { CpuKernel } from './types.js';
import { need } from './util.js';

const step = (node: Node, op: string, attrs: Node['attrs']): Node => ({ ...node, op, attrs });

export const channelLayerNorm: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  const r = x.shape.length;
  const toLast = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1];
  const back = [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)];
  const t = shapeOpKernels.Transpose!(step(node, 'Transpose', { perm: toLast }), [x])[0]!;
  const y = layerNorm(step(node, 'LayerNormalization', { axis: -1, epsilon: node.attrs['epsilon'] ?? 1e-5 }), [t, inputs[1], inputs[2]])[0]!;
  return shapeOpKernels.Transpose!(step(node, 'Transpose', { perm: back }), [y]);
};
