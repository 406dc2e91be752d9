/**
 * CPU reference for the Tessera op BatchNormConv (definition: src/graph/ops/batchnorm_conv.ts): the FusedBatchNorm
 * reference on X (rounded to f32 where the unfused BN and activation nodes store), then the FusedConv reference on
 * that, so a fused graph reproduces the unfused one bit for bit on this backend.
 */
import { convOf, prologueOf } from '../../graph/ops/batchnorm_conv.js';
import { fusedCpuKernels } from './fused.js';
import { fusedBatchNormCpuKernels } from './fused_batchnorm.js';
import type { CpuKernel } from './types.js';
import { fail } from './util.js';

const batchNormConv: CpuKernel = (node, inputs) => {
  if (inputs.length !== 8) fail(node, `takes 8 inputs (X, W, [B], [R], scale, B, mean, var), got ${inputs.length}`);
  const [normalized] = fusedBatchNormCpuKernels['FusedBatchNorm']!(prologueOf(node), [inputs[0], ...inputs.slice(4, 8)]);
  return fusedCpuKernels['FusedConv']!(convOf(node), [normalized, ...inputs.slice(1, 4)]);
};

export const batchNormConvCpuKernels: Record<string, CpuKernel> = { BatchNormConv: batchNormConv };
