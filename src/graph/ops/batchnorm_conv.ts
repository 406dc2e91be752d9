/**
 * Tessera op `BatchNormConv`, introduced by foldBatchNormIntoConv (src/graph/passes/fold_batchnorm_conv.ts): a
 * pre-activation FusedBatchNorm (BN + activation, src/graph/ops/fused_batchnorm.ts) whose only reader is a pointwise
 * conv, applied by the conv as it reads its input. DenseNet's dense layers run concat → BN → ReLU → 1x1 conv; the BN
 * folds neither backward (a concat) nor forward (a ReLU in between).
 *
 *   BatchNormConv  inputs X, W, [B], [R], scale, bn_B, mean, var   (0..3 exactly FusedConv's, 4..7 the BN's)
 *                  attrs: every FusedConv attribute (its epilogue), epsilon (1e-5), and the prologue activation as
 *                  in_activation ('none'), in_act_alpha, in_act_beta, in_act_min, in_act_max
 *
 *   y = FusedConv(in_activation(BatchNormalization(X)), W, B, R)
 *
 * Only 1x1 / stride 1 / unpadded / dilation 1 / group 1 convs qualify: a padded conv reads zeros that the BN never
 * sees, so the affine must not apply to them. The conv's GEMM reduction index is then the input channel, and the
 * prologue is a per-K scale, shift and activation of each loaded input value.
 * `prologueOf` / `convOf` split the node back into the FusedBatchNorm and FusedConv it stands for: the CPU reference
 * runs exactly those two (bit for bit the unfused graph), and backends or kernel variants without the prologue expand
 * the node back (expandBatchNormConvs).
 */
import { attrInt, attrInts, attrString, type Attrs, type Node } from '../ir.js';
import { fail, fmtShape } from './common.js';
import { fusedShapeRules } from './fused.js';
import { fusedBatchNormShapeRules, readFusedBatchNorm } from './fused_batchnorm.js';
import type { Epilogue } from './fused.js';
import type { ShapeRule } from './types.js';

/** FusedBatchNorm's activation attributes and the names they take on a BatchNormConv. */
export const PROLOGUE_ATTRS: readonly (readonly [string, string])[] = [
  ['activation', 'in_activation'],
  ['act_alpha', 'in_act_alpha'],
  ['act_beta', 'in_act_beta'],
  ['act_min', 'in_act_min'],
  ['act_max', 'in_act_max'],
];

/** The FusedBatchNorm part of `node`, writing `output` (the value the conv reads). */
export function prologueOf(node: Node, output = ''): Node {
  const attrs: Attrs = {};
  if (node.attrs['epsilon'] !== undefined) attrs['epsilon'] = node.attrs['epsilon'];
  for (const [bn, conv] of PROLOGUE_ATTRS) if (node.attrs[conv] !== undefined) attrs[bn] = node.attrs[conv]!;
  if (attrs['activation'] === undefined) attrs['activation'] = 'none';
  return { name: node.name, op: 'FusedBatchNorm', inputs: [node.inputs[0]!, ...node.inputs.slice(4, 8)], outputs: [output], attrs };
}

/** The FusedConv part of `node` (inputs X, W, [B], [R]; the prologue attributes removed). */
export function convOf(node: Node, input = node.inputs[0]!): Node {
  const attrs: Attrs = { ...node.attrs };
  delete attrs['epsilon'];
  for (const [, conv] of PROLOGUE_ATTRS) delete attrs[conv];
  return { ...node, op: 'FusedConv', inputs: [input, ...node.inputs.slice(1, 4)], attrs };
}

/** The prologue's activation (validated as FusedBatchNorm's; throws GraphError naming the node). */
export function readPrologue(node: Node): Epilogue {
  return readFusedBatchNorm(prologueOf(node));
}

/** 1x1 kernel, strides 1, dilations 1, group 1, no padding: the convs whose input may carry the prologue. */
export function isUnpaddedPointwise(node: Node, w: readonly number[]): boolean {
  const ones = (key: string) => attrInts(node, key, [1, 1]).every((v) => v === 1);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const unpadded = autoPad === 'VALID' || ((autoPad === 'NOTSET' || autoPad === '') && attrInts(node, 'pads', [0, 0, 0, 0]).every((p) => p === 0));
  return w.length === 4 && w[2] === 1 && w[3] === 1 && ones('strides') && ones('dilations') && attrInt(node, 'group', 1) === 1 && unpadded;
}

const batchNormConvRule: ShapeRule = (node, inputs) => {
  if (inputs.length !== 8) fail(node, `takes 8 inputs (X, W, [B], [R], scale, B, mean, var), got ${inputs.length}`);
  const x = inputs[0];
  const w = inputs[1];
  if (!x || !w) fail(node, 'missing required input X or W');
  if (x.shape.length !== 4) fail(node, `X must be 4-D (N, C, H, W), got ${fmtShape(x.shape)}`);
  if (!isUnpaddedPointwise(node, w.shape)) fail(node, `only 1x1 / stride 1 / unpadded / group 1 convs take a BN prologue (W ${fmtShape(w.shape)})`);
  fusedBatchNormShapeRules['FusedBatchNorm']!(prologueOf(node), [x, ...inputs.slice(4, 8)]);
  return fusedShapeRules['FusedConv']!(convOf(node), inputs.slice(0, 4));
};

export const batchNormConvShapeRules: Record<string, ShapeRule> = { BatchNormConv: batchNormConvRule };
