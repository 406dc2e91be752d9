/**
 * BatchNormConv (src/graph/ops/batchnorm_conv.ts): the pointwise conv with its input's BN + activation applied as
 * it is read, on the conv2d_1x1 kernel with the IN_BN / IN_RELU switches (shaders/conv2d_1x1.wgsl): each loaded
 * input vector becomes max((x - mean[ic]) * scale[ic] / sqrt(var[ic] + eps) + B[ic], 0), the arithmetic of the
 * standalone batchnorm shader, so the normalised tensor never exists in memory.
 * Only the prologue activations 'none' and 'relu' and only convs the variant rule gives to conv2d_1x1 run here;
 * lowerBatchNormConvs (lower.ts) splits the others back into FusedBatchNorm → FusedConv before kernels are planned.
 */
import { attrFloat, type Node } from '../../graph/ir.js';
import { convOf, readPrologue } from '../../graph/ops/batchnorm_conv.js';
import { WebGPUKernelError, type Kernel } from './program.js';
import { parseConv } from './conv.js';
import { pointwisePlan } from './conv_gemm.js';
import { isPointwise } from './conv_select.js';

/** True when the conv2d_1x1 prologue computes this node's activation (else the node must be expanded back). */
export function conv1x1TakesPrologue(node: Node): boolean {
  const a = readPrologue(node).activation;
  return a === 'none' || a === 'relu';
}

export const batchNormConvKernel: Kernel = (ctx) => {
  const { node } = ctx;
  if (!conv1x1TakesPrologue(node))
    throw new WebGPUKernelError(`prologue activation '${readPrologue(node).activation}' is not supported by conv2d_1x1 (expand the node)`, node.name, node.op);
  const conv = parseConv({ ...ctx, node: convOf(node), inputShapes: ctx.inputShapes.slice(0, 4) });
  if (!isPointwise(conv.shape) || conv.shape.group !== 1 || !conv.weight)
    throw new WebGPUKernelError('only 1x1 / stride 1 / unpadded / group 1 convs with constant weights take a BN prologue', node.name, node.op);
  const plan = pointwisePlan(conv);
  const program = plan.programs[0]!;
  const relu = readPrologue(node).activation === 'relu' ? 1 : 0;
  program.name = program.name.replace('conv2d_1x1', relu ? 'conv2d_1x1_bnrelu' : 'conv2d_1x1_bn');
  program.defines = { ...program.defines, IN_BN: 1, IN_RELU: relu };
  program.inputs = [
    ...program.inputs,
    ...['bn_scale', 'bn_bias', 'bn_mean', 'bn_var'].map((wgsl, k) => ({ wgsl, tensor: node.inputs[4 + k]! })),
  ];
  program.uniforms = [...program.uniforms, { name: 'in_epsilon', type: 'f32', value: attrFloat(node, 'epsilon', 1e-5) }];
  return plan;
};
