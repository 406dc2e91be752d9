/**
 * The op -> shape rule table (every canonical op of docs/ir.md). Kept apart from index.ts so that infer.ts and
 * validate.ts can import it without an import cycle. Passes that add Tessera ops call `registerShapeRule`.
 */
import { batchNormRule } from './batchnorm.js';
import { binaryShapeRules } from './binary.js';
import { channelScaleShapeRules } from './channel_scale.js';
import { batchNormConvShapeRules } from './batchnorm_conv.js';
import { convRule } from './conv.js';
import { convTransposeRule } from './conv_transpose.js';
import { elementwiseRules } from './elementwise.js';
import { fusedShapeRules } from './fused.js';
import { fusedBatchNormShapeRules } from './fused_batchnorm.js';
import { geluShapeRules } from './gelu.js';
import { gemmRule, matmulRule } from './gemm.js';
import { im2colShapeRules } from './im2col.js';
import { resizeShapeRules } from './resize.js';
import { globalPoolRule, poolRule } from './pool.js';
import { reduceRule } from './reduce.js';
import { shapeOpRules } from './shape_ops.js';
import { softmaxRule } from './softmax.js';
import { attentionRule } from './attention.js';
import { channelLayerNormRule } from './channel_layer_norm.js';
import { layerNormRule } from './layer_norm.js';
import { logicShapeRules } from './logic.js';
import type { ShapeRule } from './types.js';
import { winogradShapeRules } from './winograd.js';

export const shapeRules: Record<string, ShapeRule> = {
  Conv: convRule,
  ConvTranspose: convTransposeRule,
  BatchNormalization: batchNormRule,
  MaxPool: poolRule,
  AveragePool: poolRule,
  GlobalAveragePool: globalPoolRule,
  GlobalMaxPool: globalPoolRule,
  ReduceMean: reduceRule,
  ReduceMax: reduceRule,
  ReduceSum: reduceRule,
  Gemm: gemmRule,
  MatMul: matmulRule,
  Softmax: softmaxRule,
  Attention: attentionRule,
  ChannelLayerNorm: channelLayerNormRule,
  LayerNormalization: layerNormRule,
  ...elementwiseRules,
  ...geluShapeRules,
  ...shapeOpRules,
  ...fusedShapeRules,
  ...fusedBatchNormShapeRules,
  ...binaryShapeRules,
  ...channelScaleShapeRules,
  ...batchNormConvShapeRules,
  ...winogradShapeRules,
  ...im2colShapeRules,
  ...resizeShapeRules,
  ...logicShapeRules,
};

/** Add (or replace) the shape rule of an op, e.g. a Tessera op introduced by a pass. */
export function registerShapeRule(op: string, rule: ShapeRule): void {
  shapeRules[op] = rule;
}

