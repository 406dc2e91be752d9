/** Op → WebGPU kernel module registry. */
import { ACTIVATIONS, type Kernel } from './program.js';
import { binaryKernel, unaryKernel } from './elementwise.js';
import { convKernel } from './conv.js';
import { globalPoolKernel, poolKernel } from './pool.js';
import { gemmKernel, matmulKernel } from './matmul.js';
import { aliasKernel, concatKernel, expandKernel, padKernel, sliceKernel, transposeKernel } from './layout_ops.js';
import { batchNormKernel, reduceKernel, softmaxKernel } from './reduce_ops.js';

export const webgpuKernels: Record<string, Kernel> = {
  Conv: convKernel,
  FusedConv: convKernel,
  BatchNormalization: batchNormKernel,
  MaxPool: poolKernel,
  AveragePool: poolKernel,
  GlobalAveragePool: globalPoolKernel,
  GlobalMaxPool: globalPoolKernel,
  Gemm: gemmKernel,
  FusedGemm: gemmKernel,
  MatMul: matmulKernel,
  Softmax: softmaxKernel,
  Concat: concatKernel,
  Slice: sliceKernel,
  Pad: padKernel,
  Transpose: transposeKernel,
  Expand: expandKernel,
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
  Min: binaryKernel,
  Max: binaryKernel,
  Sum: binaryKernel,
  Mean: binaryKernel,
};

for (const op of Object.keys(ACTIVATIONS)) if (op !== 'none' && op !== 'Identity' && op !== 'Silu') webgpuKernels[op] = unaryKernel;

export function webgpuSupports(op: string): boolean {
  return Object.prototype.hasOwnProperty.call(webgpuKernels, op);
}
