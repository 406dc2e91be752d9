/** Op → WebGPU kernel module registry. */
import { ACTIVATIONS, type Kernel } from './program.js';
import { binaryKernel, unaryKernel } from './elementwise.js';
import { binaryWebgpuKernels } from './binary_conv.js';
import { channelScaleConvKernel, channelScaleKernel } from './channel_scale.js';
import { batchNormConvKernel } from './batchnorm_conv.js';
import { convKernel } from './conv.js';
import { convTransposeKernel } from './conv_transpose.js';
import { fusedBatchNormKernel } from './fused_batchnorm.js';
import { globalPoolKernel, poolKernel } from './pool.js';
import { gemmKernel, matmulKernel } from './matmul.js';
import { aliasKernel, concatKernel, expandKernel, padKernel, sliceKernel, splitKernel, transposeKernel } from './layout_ops.js';
import { batchNormKernel, reduceKernel, softmaxKernel } from './reduce_ops.js';
import { channelLayerNormKernel, layerNormKernel } from './layer_norm.js';
import { attentionKernel } from './attention.js';
import { conv3dKernel, isVolumetric, pool3dKernel } from './volume.js';
import { winogradWebgpuKernels } from './winograd.js';
import { im2colWebgpuKernels } from './im2col.js';
import { resizeWebgpuKernels } from './resize.js';
import { gatherKernel } from './gather.js';
import { cumSumKernel } from './cumsum.js';
import { scatterNDKernel } from './scatter_nd.js';

/** 5-D inputs (NCDHW) go to the 3-D kernels, the rest to the 1-D/2-D ones. */
const bySpatialRank =
  (planar: Kernel, volumetric: Kernel): Kernel =>
  (ctx) =>
    isVolumetric(ctx) ? volumetric(ctx) : planar(ctx);

export const webgpuKernels: Record<string, Kernel> = {
  Conv: bySpatialRank(convKernel, conv3dKernel),
  FusedConv: bySpatialRank(convKernel, conv3dKernel),
  ConvTranspose: convTransposeKernel,
  FusedConvTranspose: convTransposeKernel,
  BatchNormalization: batchNormKernel,
  FusedBatchNorm: fusedBatchNormKernel,
  MaxPool: bySpatialRank(poolKernel, pool3dKernel),
  AveragePool: bySpatialRank(poolKernel, pool3dKernel),
  GlobalAveragePool: globalPoolKernel,
  GlobalMaxPool: globalPoolKernel,
  Gemm: gemmKernel,
  FusedGemm: gemmKernel,
  MatMul: matmulKernel,
  Softmax: softmaxKernel,
  Attention: attentionKernel,
  ChannelLayerNorm: channelLayerNormKernel,
  LayerNormalization: layerNormKernel,
  Concat: concatKernel,
  Slice: sliceKernel,
  Split: splitKernel,
  Pad: padKernel,
  Transpose: transposeKernel,
  Expand: expandKernel,
  Gather: gatherKernel,
  CumSum: cumSumKernel,
  ScatterND: scatterNDKernel,
  ReduceMean: reduceKernel,
  ReduceSum: reduceKernel,
  ReduceMax: reduceKernel,
  Reshape: aliasKernel,
  Flatten: aliasKernel,
  Squeeze: aliasKernel,
  Unsqueeze: aliasKernel,
  Identity: aliasKernel,
  Dropout: aliasKernel,
  Add: binaryKernel,
  Sub: binaryKernel,
  Mul: binaryKernel,
  Div: binaryKernel,
  Pow: binaryKernel,
  Mod: binaryKernel,
  Min: binaryKernel,
  Max: binaryKernel,
  Sum: binaryKernel,
  Mean: binaryKernel,
  ...binaryWebgpuKernels,
  ChannelScale: channelScaleKernel,
  ChannelScaleConv: channelScaleConvKernel,
  BatchNormConv: batchNormConvKernel,
  ...winogradWebgpuKernels,
  ...im2colWebgpuKernels,
  ...resizeWebgpuKernels,
};

// Silu and GeluTanh are epilogue forms, not ops (GeluTanh is Gelu with approximate = 'tanh').
for (const op of Object.keys(ACTIVATIONS)) if (op !== 'none' && op !== 'Identity' && op !== 'Silu' && op !== 'GeluTanh') webgpuKernels[op] = unaryKernel;

export function webgpuSupports(op: string): boolean {
  return Object.prototype.hasOwnProperty.call(webgpuKernels, op);
}
