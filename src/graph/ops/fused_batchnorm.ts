/**
 * Tessera op `FusedBatchNorm`, introduced by the BN-activation fusion pass
 * (src/graph/passes/fuse_batchnorm_activation.ts): an inference BatchNormalization and the activation that is its
 * only reader, in one pass over X. Pre-activation nets (DenseNet, pre-activation ResNets) run BN → ReLU → conv where
 * the BN can fold neither into the previous op (its input is a concat / residual sum) nor, past the ReLU, into the
 * next conv.
 *
 *   FusedBatchNorm  inputs X [N, C, ...], scale [C], B [C], mean [C], var [C]   (exactly BatchNormalization's)
 *                   attrs: epsilon (1e-5) + the FusedConv epilogue activation attributes (src/graph/ops/fused.ts):
 *                   activation ('none'), act_alpha, act_beta, act_min, act_max. No residual.
 *
 *   y = activation(BatchNormalization(X))
 * The BN part rounds to f32 exactly as the BatchNormalization reference does (batchNormLinearTerms), then the
 * activation, so on the CPU backend a fused graph reproduces the unfused one bit for bit.
 */
import { GraphError, type Node } from '../ir.js';
import { batchNormRule } from './batchnorm.js';
import { fail } from './common.js';
import { readEpilogue, type Epilogue } from './fused.js';
import type { ShapeRule } from './types.js';

const EPILOGUE_KEYS = ['activation', 'act_alpha', 'act_beta', 'act_min', 'act_max', 'residual_after_activation'];

/** Epilogue attributes of a FusedBatchNorm node (validated; throws GraphError naming the node). */
export function readFusedBatchNorm(node: Node): Epilogue {
  const e = readEpilogue(node);
  if (e.residualAfterActivation)
    throw new GraphError('FusedBatchNorm has no residual input: residual_after_activation must be 0', node.name, node.op);
  return e;
}

/** The node seen as the plain BatchNormalization it wraps (epilogue attributes removed), for base rules / kernels. */
export function batchNormOf(node: Node): Node {
  const attrs = { ...node.attrs };
  for (const key of EPILOGUE_KEYS) delete attrs[key];
  return { name: node.name, op: 'BatchNormalization', inputs: node.inputs.slice(0, 5), outputs: node.outputs, attrs };
}

const fusedBatchNormRule: ShapeRule = (node, inputs) => {
  readFusedBatchNorm(node);
  if (inputs.length !== 5) fail(node, `takes 5 inputs (X, scale, B, mean, var), got ${inputs.length}`);
  return batchNormRule(batchNormOf(node), inputs);
};

export const fusedBatchNormShapeRules: Record<string, ShapeRule> = { FusedBatchNorm: fusedBatchNormRule };
