/**
 * Tessera fused ops, introduced by the epilogue-fusion pass (src/graph/passes/fuse_epilogue.ts):
 *
 *   FusedConv  inputs X, W, [B], [R]   attrs: every Conv attribute + the epilogue attributes below
 *   FusedGemm  inputs A, B, [C], [R]   attrs: every Gemm attribute (alpha, beta, transA, transB) + epilogue
 *   FusedConvTranspose  inputs X, W, [B], [R]   attrs: every ConvTranspose attribute + epilogue
 *
 * Epilogue, applied per output element after the conv / gemm (bias included):
 *   y = conv(X, W) + B        (FusedGemm: y = alpha * A'B' + beta * C)
 *   if R and residual_after_activation == 0:  y = y + R
 *   y = activation(y)
 *   if R and residual_after_activation == 1:  y = y + R
 * R (residual) has exactly the output's shape (no broadcasting), unless FusedConv reads it through a residual view
 * (attributes residual_pads / residual_starts / residual_steps: a strided, zero-padded window of R; ./residual_view.ts).
 *
 * Epilogue attributes (defaults):
 *   activation  'none' | 'relu' | 'clip' | 'leaky_relu' | 'hard_sigmoid' | 'hard_swish' | 'sigmoid' | 'silu' | 'tanh'
 *               | 'gelu' | 'gelu_tanh'
 *               ('none')
 *   act_alpha   leaky_relu slope (0.01) / hard_sigmoid alpha (0.2)
 *   act_beta    hard_sigmoid beta (0.5)
 *   act_min, act_max   clip bounds (-Infinity, Infinity); ReLU6 is clip [0, 6]
 *   residual_after_activation   0 | 1 (0)
 * Activation formulas: relu max(y, 0); clip min(max(y, act_min), act_max); leaky_relu y >= 0 ? y : alpha*y;
 * hard_sigmoid max(0, min(1, alpha*y + beta)); hard_swish y * max(0, min(1, y/6 + 1/2)); sigmoid 1/(1+e^-y);
 * silu y * sigmoid(y); tanh tanh(y); gelu 0.5·y·(1 + erf(y/√2)); gelu_tanh 0.5·y·(1 + tanh(√(2/π)(y + 0.044715·y³)))
 * (both defined in ./gelu.ts).
 */
import { GraphError, attrFloat, attrInt, attrString, type Node } from '../ir.js';
import { fail, fmtShape } from './common.js';
import { convRule } from './conv.js';
import { convTransposeRule } from './conv_transpose.js';
import { gelu, geluTanh } from './gelu.js';
import { gemmRule } from './gemm.js';
import { checkResidualView, readResidualView, RESIDUAL_VIEW_ATTRS } from './residual_view.js';
import type { InputInfo, OutputInfo, ShapeRule } from './types.js';

export const ACTIVATIONS = ['none', 'relu', 'clip', 'leaky_relu', 'hard_sigmoid', 'hard_swish', 'sigmoid', 'silu', 'tanh', 'gelu', 'gelu_tanh'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** Epilogue attributes read with their defaults; what every backend needs to generate the epilogue. */
export interface Epilogue {
  activation: Activation;
  alpha: number;
  beta: number;
  min: number;
  max: number;
  residualAfterActivation: boolean;
}

const ALPHA_DEFAULT: Partial<Record<Activation, number>> = { leaky_relu: 0.01, hard_sigmoid: 0.2 };

/** Read and validate the epilogue attributes of a FusedConv / FusedGemm node (throws GraphError naming it). */
export function readEpilogue(node: Node): Epilogue {
  const activation = attrString(node, 'activation', 'none');
  if (!(ACTIVATIONS as readonly string[]).includes(activation))
    throw new GraphError(`unknown activation '${activation}' (expected one of ${ACTIVATIONS.join(', ')})`, node.name, node.op);
  const act = activation as Activation;
  const epilogue: Epilogue = {
    activation: act,
    alpha: attrFloat(node, 'act_alpha', ALPHA_DEFAULT[act] ?? 0),
    beta: attrFloat(node, 'act_beta', act === 'hard_sigmoid' ? 0.5 : 0),
    min: attrFloat(node, 'act_min', -Infinity),
    max: attrFloat(node, 'act_max', Infinity),
    residualAfterActivation: attrInt(node, 'residual_after_activation', 0) !== 0,
  };
  if (act === 'clip' && !(epilogue.min <= epilogue.max))
    throw new GraphError(`clip bounds act_min ${epilogue.min} > act_max ${epilogue.max}`, node.name, node.op);
  return epilogue;
}

/** Logistic function in the overflow-free form (exp of a non-positive argument only). */
export function sigmoid(y: number): number {
  return y >= 0 ? 1 / (1 + Math.exp(-y)) : Math.exp(y) / (1 + Math.exp(y));
}

/** The activation of an epilogue as a float64 scalar function (CPU reference; the formulas backends implement). */
export function activationFn(e: Epilogue): (y: number) => number {
  switch (e.activation) {
    case 'none':
      return (y) => y;
    case 'relu':
      return (y) => (y > 0 ? y : y === y ? 0 : y); // NaN propagates
    case 'clip':
      return (y) => (y < e.min ? e.min : y > e.max ? e.max : y);
    case 'leaky_relu':
      return (y) => (y >= 0 ? y : e.alpha * y);
    case 'hard_sigmoid':
      return (y) => Math.max(0, Math.min(1, e.alpha * y + e.beta));
    case 'hard_swish':
      return (y) => y * Math.max(0, Math.min(1, y / 6 + 0.5));
    case 'sigmoid':
      return sigmoid;
    case 'silu':
      return (y) => y * sigmoid(y);
    case 'tanh':
      return Math.tanh;
    case 'gelu':
      return gelu;
    case 'gelu_tanh':
      return geluTanh;
  }
}

/** The ops an epilogue is fused into. */
export type FusedBaseOp = 'Conv' | 'Gemm' | 'ConvTranspose';

/** Node seen as its base op (Conv / Gemm / ConvTranspose) with the first `baseInputs` inputs, for reusing base shape rules & kernels. */
export function baseNodeOf(node: Node, baseOp: FusedBaseOp): Node {
  const attrs = { ...node.attrs };
  for (const key of ['activation', 'act_alpha', 'act_beta', 'act_min', 'act_max', 'residual_after_activation', ...RESIDUAL_VIEW_ATTRS]) delete attrs[key];
  return { name: node.name, op: baseOp, inputs: node.inputs.slice(0, 3), outputs: node.outputs, attrs };
}

function fusedRule(baseOp: FusedBaseOp, baseRule: ShapeRule): ShapeRule {
  return (node, inputs) => {
    readEpilogue(node);
    if (inputs.length > 4) fail(node, `takes at most 4 inputs, got ${inputs.length}`);
    const out: OutputInfo[] = baseRule(baseNodeOf(node, baseOp), inputs.slice(0, 3));
    const residual: InputInfo | undefined = inputs[3];
    const view = residual && readResidualView(node, out[0]!.shape.length);
    if (residual && view) checkResidualView(node, view, residual.shape, out[0]!.shape);
    else if (residual) {
      const shape = out[0]!.shape;
      const same = residual.shape.length === shape.length && residual.shape.every((d, i) => d === shape[i] || d < 0 || shape[i]! < 0);
      if (!same) fail(node, `residual R shape ${fmtShape(residual.shape)} must equal the output shape ${fmtShape(shape)}`);
    }
    if (residual && residual.dtype !== 'f32' && residual.dtype !== 'f16') fail(node, `residual R must be f32, got ${residual.dtype}`);
    return out;
  };
}

export const fusedShapeRules: Record<string, ShapeRule> = {
  FusedConv: fusedRule('Conv', convRule),
  FusedGemm: fusedRule('Gemm', gemmRule),
  FusedConvTranspose: fusedRule('ConvTranspose', convTransposeRule),
};
