/**
 * CPU reference for the Tessera op FusedBatchNorm (definition: src/graph/ops/fused_batchnorm.ts): the
 * BatchNormalization reference kernel (PyTorch's float32 arithmetic, batchNormLinearTerms), then the activation with
 * the FusedConv epilogue's element function, each stored as f32 where the unfused BN and activation nodes store:
 * a fused graph reproduces the unfused one bit for bit on this backend.
 */
import { batchNormOf, readFusedBatchNorm } from '../../graph/ops/fused_batchnorm.js';
import { batchNormalization } from './batchnorm.js';
import { activationF32 } from './fused.js';
import type { CpuKernel } from './types.js';
import { fail } from './util.js';

const fusedBatchNorm: CpuKernel = (node, inputs) => {
  const e = readFusedBatchNorm(node);
  if (inputs.length !== 5) fail(node, `takes 5 inputs (X, scale, B, mean, var), got ${inputs.length}`);
  const [y] = batchNormalization(batchNormOf(node), inputs);
  if (!y || y.dtype !== 'f32') fail(node, 'BatchNormalization produced no f32 output');
  if (e.activation !== 'none') {
    const act = activationF32(e);
    const out = y.data as Float32Array;
    for (let i = 0; i < out.length; i++) out[i] = act(out[i]!);
  }
  return [y];
};

export const fusedBatchNormCpuKernels: Record<string, CpuKernel> = { FusedBatchNorm: fusedBatchNorm };
