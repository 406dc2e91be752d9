/**
 * FusedBatchNorm (src/graph/ops/fused_batchnorm.ts): BatchNormalization with the activation that reads it, one
 * dispatch. The batchnorm shader (shaders/batchnorm.wgsl) already ends in activate(); this kernel is the plain BN
 * program with the epilogue's activation and its act_a / act_b uniforms, read exactly as for FusedConv.
 */
import { batchNormOf, readFusedBatchNorm } from '../../graph/ops/fused_batchnorm.js';
import { fusedEpilogue } from './fused.js';
import type { Kernel } from './program.js';
import { batchNormKernel } from './reduce_ops.js';

export const fusedBatchNormKernel: Kernel = (ctx) => {
  const { node } = ctx;
  readFusedBatchNorm(node); // validates the attributes (GraphError naming the node)
  const plan = batchNormKernel({ ...ctx, node: batchNormOf(node) });
  const epilogue = fusedEpilogue({ ...node, op: 'FusedConv', inputs: [] });
  for (const program of plan.programs) {
    program.name = program.name.replace('batchnorm', 'batchnorm_act');
    program.activation = epilogue.activation;
    program.uniforms = [...program.uniforms, ...epilogue.uniforms];
  }
  return plan;
};
