/**
 * BatchNormConv (src/graph/ops/batchnorm_conv.ts): the pointwise conv with its input's BN + activation applied as
 * it is read, so the normalised tensor never exists in memory. The conv variant is chosen as for the plain conv
 * (conv.ts); the kernels with the IN_BN / IN_RELU switches apply the prologue where they load the input, with the
 * arithmetic of the standalone batchnorm shader:
 *   conv2d_1x1 (shaders/conv2d_1x1.wgsl): per input channel, on the 4 loaded vec4s;
 *   conv2d_wgm / conv2d_wgm_8x16 (A-tile gather) and conv2d_splitk (conv_wgsl.ts BN_PROLOGUE): per loaded value,
 *   whose channel the K index gives (1x1: k = ic), so no division is added.
 * Only the prologue activations 'none' and 'relu' and only those variants run here; lowerBatchNormConvs (lower.ts)
 * splits the others back into FusedBatchNorm → FusedConv before kernels are planned.
 */
import { attrFloat, type Node } from '../../graph/ir.js';
import { convOf, readPrologue } from '../../graph/ops/batchnorm_conv.js';
import { WebGPUKernelError, type Kernel } from './program.js';
import { convKernel } from './conv.js';
import type { ConvVariant } from './conv_select.js';

/** Variants whose shaders take the prologue, and those shaders (the f16-compute split-K included). */
const PROLOGUE_VARIANTS: readonly ConvVariant[] = ['conv2d_1x1', 'conv2d_wgm', 'conv2d_wgm_8x16', 'conv2d_splitk'];
const PROLOGUE_SHADERS = new Set(['conv2d_1x1', 'conv2d_wgm', 'conv2d_wgm16', 'conv2d_splitk', 'conv2d_splitk_f16']);

/** True when `variant` applies this node's prologue (else the node must be expanded back). */
export function takesPrologue(node: Node, variant: ConvVariant): boolean {
  const a = readPrologue(node).activation;
  return (a === 'none' || a === 'relu') && PROLOGUE_VARIANTS.includes(variant);
}

export const batchNormConvKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const activation = readPrologue(node).activation;
  const plan = convKernel({ ...ctx, node: convOf(node), inputShapes: ctx.inputShapes.slice(0, 4) });
  const program = plan.programs[0]!;
  if ((activation !== 'none' && activation !== 'relu') || plan.programs.length !== 1 || !PROLOGUE_SHADERS.has(program.shader))
    throw new WebGPUKernelError(`no BN prologue (activation '${activation}') in kernel ${program.shader}: the node must be expanded (lowerBatchNormConvs)`, node.name, node.op);
  const relu = activation === 'relu' ? 1 : 0;
  program.name = program.name.replace(/^(conv2d_1x1|conv2d_wgm|conv2d_splitk)/, `$1_${relu ? 'bnrelu' : 'bn'}`);
  program.defines = { ...program.defines, IN_BN: 1, IN_RELU: relu };
  program.inputs = [
    ...program.inputs,
    ...['bn_scale', 'bn_bias', 'bn_mean', 'bn_var'].map((wgsl, k) => ({ wgsl, tensor: node.inputs[4 + k]! })),
  ];
  program.uniforms = [...program.uniforms, { name: 'in_epsilon', type: 'f32', value: attrFloat(node, 'epsilon', 1e-5) }];
  return plan;
};
