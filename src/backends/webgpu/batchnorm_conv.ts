/**
 * BatchNormConv (src/graph/ops/batchnorm_conv.ts): the pointwise conv with its input's BN + activation applied as
 * it is read, so the normalised tensor never exists in memory. The conv variant is chosen as for the plain conv
 * (conv.ts); the kernels with the IN_BN / IN_RELU switches apply the prologue where they load the input, as
 * x * a[c] + b[c] then ReLU, with BN's float32 terms a, b computed once at load (batchNormLinearTerms, as the CPU
 * reference and the WASM channel_affine kernel compute them; constant BN parameters only). Measured on SwiftShader,
 * computing (x - mean) * scale / sqrt(var + eps) + B in the conv2d_1x1 loop instead made DenseNet-121 1.16x slower
 * than the separate BN dispatch, a, b 1.05x (so software adapters keep the BN dispatch there: lowerBatchNormConvs).
 *   conv2d_1x1 (shaders/conv2d_1x1.wgsl): per input channel, on the 4 loaded vec4s;
 *   conv2d_wgm / conv2d_wgm_8x16 (A-tile gather) and conv2d_splitk (conv_wgsl.ts BN_PROLOGUE): per loaded value,
 *   whose channel the K index gives (1x1: k = ic), so no division is added.
 * Only the prologue activations 'none' and 'relu' and only those variants run here; lowerBatchNormConvs (lower.ts)
 * splits the others back into FusedBatchNorm → FusedConv before kernels are planned.
 */
import { attrFloat, type Node } from '../../graph/ir.js';
import { batchNormLinearTerms } from '../../graph/ops/batchnorm.js';
import { convOf, readPrologue } from '../../graph/ops/batchnorm_conv.js';
import { weightValues } from './conv_common.js';
import { WebGPUKernelError, type Kernel } from './program.js';
import { convKernel } from './conv.js';
import type { ConvVariant } from './conv_select.js';

/** Variants whose shaders take the prologue, and those shaders (the f16-compute split-K included). */
const PROLOGUE_VARIANTS: readonly ConvVariant[] = ['conv2d_1x1', 'conv2d_wgm', 'conv2d_wgm_8x16', 'conv2d_splitk'];
const PROLOGUE_SHADERS = new Set(['conv2d_1x1', 'conv2d_wgm', 'conv2d_wgm16', 'conv2d_splitk', 'conv2d_splitk_f16']);

/**
 * True when `variant` applies this node's prologue (else the node must be expanded back); `isConstant` says whether
 * a tensor is an initializer (the BN parameters must be, for a and b).
 */
export function takesPrologue(node: Node, variant: ConvVariant, isConstant: (name: string) => boolean): boolean {
  const a = readPrologue(node).activation;
  return (a === 'none' || a === 'relu') && PROLOGUE_VARIANTS.includes(variant) && node.inputs.slice(4, 8).every(isConstant);
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
  const params = node.inputs.slice(4, 8).map((name) => ctx.constant?.(name));
  if (params.some((t) => !t)) throw new WebGPUKernelError('the BN prologue needs constant scale, B, mean and var (expand the node)', node.name, node.op);
  const [scale, bias, mean, variance] = params.map((t) => weightValues(t!)) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const c = scale.length;
  const ab = new Float32Array(2 * c);
  for (let k = 0; k < c; k++) [ab[k], ab[c + k]] = batchNormLinearTerms(scale[k]!, bias[k]!, mean[k]!, variance[k]!, eps);
  // Keyed by the parameter tensors and epsilon: convs sharing a BN share the upload.
  const abName = `bn_ab:${node.inputs.slice(4, 8).join('|')}|${eps}`;
  plan.constants = [...(plan.constants ?? []), { name: abName, data: ab }];
  program.inputs = [...program.inputs, { wgsl: 'bn_ab', tensor: abName }];
  return plan;
};
