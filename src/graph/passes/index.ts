/**
 * Graph optimisation pipeline. Every pass is a pure `(graph) => graph` that never mutates its input.
 *
 * Order (each step can be switched off; the benchmark compares against OPTIMIZATIONS_OFF):
 *   1. removeIdentity        Identity / Dropout / Pads of 0
 *      gatherToSlice         Gather of one constant index -> Slice (+ Reshape): a view in the memory plan, not a copy
 *      mergeSlices           a Slice read only by a Slice over other axes -> one Slice (x[:, :, ::2, ::2]: one dispatch)
 *      cancelTransposes      Transpose pairs that undo each other (also across elementwise ops) removed, others merged
 *      fuseGelu              x · (1 + Erf(x/√2)) · ½ and the tanh form -> Gelu (before matMulToGemm, which then carries
 *                            it into the Gemm's 2-D view, where fuseEpilogue folds it)
 *      matMulToGemm          MatMul(2-D A, constant 2-D B) -> Gemm, so heads fold and fuse like Gemm
 *      fuseHardActivations   x * Clip(x + 3, 0, 6) / 6 and kin -> HardSwish / HardSigmoid (before folding eats the + 3)
 *      fuseLayerNorm         ReduceMean / Sub / Pow / ReduceMean / Add / Sqrt / Div [/ Mul / Add] -> LayerNormalization
 *      channelsLastToNchw    Transpose(NCHW→NHWC) · LayerNorm / Linear / per-channel ops · Transpose back (ConvNeXt) ->
 *                            ChannelLayerNorm, 1×1 Conv, the same ops in NCHW, no Transpose
 *      fuseAttention         MatMul(Q, Kᵀ) [· scale] [+ bias / Swin's reshaped mask] -> Softmax -> MatMul(·, V) -> Attention
 *   2. foldBatchNorm         BN into a preceding Conv/ConvT/Gemm/MatMul(const)   } repeated until nothing changes,
 *      foldConstants         per-channel Mul / Div / Add / Sub into weights/bias } as each can expose the other
 *   3. foldBatchNormForward  BN into the following pad-free Conv (pre-activation nets)
 *      fuseChannelScale      SE gate x * s[n,c] (+ residual Add, + activation) -> ChannelScale
 *   4. fuseEpilogue          bias Add, residual Add, activation -> FusedConv / FusedGemm / FusedConvTranspose (fuseResidual: residuals)
 *      foldChannelScaleIntoConv  (fuseChannelScale) a bare ChannelScale read only by a 1x1 conv -> ChannelScaleConv
 *      fuseBatchNormActivation   a BN (left after folding) read only by an activation -> FusedBatchNorm
 *      foldBatchNormIntoConv     a FusedBatchNorm read only by a 1x1 / stride 1 / unpadded conv -> BatchNormConv
 *                                (the conv applies BN + activation to its input as it reads it; DenseNet)
 *      fuseResizeAdd        Add(Resize(x), y), y of the Add's exact shape -> FusedResize (FPN top-down step); after
 *                           fuseEpilogue, which may already have taken the Add as a conv residual (same dispatch count)
 *      foldResidualViews    FusedConv residual Pad(Slice(x)) (constant 0; CIFAR ResNets' option-A shortcut) -> the conv
 *                           reads x through a strided, zero-padded residual view: no Slice / Pad dispatch
 *   5. removeDeadCode        unreachable nodes and unused initializers
 */
import type { Graph } from '../ir.js';
import { cancelTransposes } from './cancel_transposes.js';
import { removeDeadCode } from './dead_code.js';
import { foldBatchNormBackward, foldBatchNormForward } from './fold_batchnorm.js';
import { foldConstantArithmetic } from './fold_constants.js';
import { foldChannelScaleIntoConv, fuseChannelScale } from './fuse_channel_scale.js';
import { fuseBatchNormActivation } from './fuse_batchnorm_activation.js';
import { foldBatchNormIntoConv } from './fold_batchnorm_conv.js';
import { fuseEpilogues } from './fuse_epilogue.js';
import { fuseGelu } from './fuse_gelu.js';
import { fuseHardActivations } from './fuse_hard_activations.js';
import { fuseLayerNorm } from './fuse_layer_norm.js';
import { fuseAttention } from './fuse_attention.js';
import { gatherToSlice } from './gather_slice.js';
import { mergeSlices } from './merge_slices.js';
import { channelsLastToNchw } from './channels_last.js';
import { fuseResizeAdd } from './fuse_resize_add.js';
import { foldResidualViews } from './fold_residual_view.js';
import { matMulToGemm } from './matmul_to_gemm.js';
import { removeIdentityOps } from './remove_identity.js';

export { cancelTransposes } from './cancel_transposes.js';
export { removeDeadCode } from './dead_code.js';
export { foldBatchNormBackward, foldBatchNormForward } from './fold_batchnorm.js';
export { foldConstantArithmetic } from './fold_constants.js';
export { foldChannelScaleIntoConv, fuseChannelScale } from './fuse_channel_scale.js';
export { fuseBatchNormActivation } from './fuse_batchnorm_activation.js';
export { fuseEpilogues, type FuseEpilogueOptions } from './fuse_epilogue.js';
export { fuseGelu } from './fuse_gelu.js';
export { fuseHardActivations } from './fuse_hard_activations.js';
export { fuseLayerNorm } from './fuse_layer_norm.js';
export { fuseAttention } from './fuse_attention.js';
export { gatherToSlice } from './gather_slice.js';
export { mergeSlices } from './merge_slices.js';
export { channelsLastToNchw } from './channels_last.js';
export { fuseResizeAdd } from './fuse_resize_add.js';
export { expandResidualViews, foldResidualViews } from './fold_residual_view.js';
export { expandBatchNormConvs, foldBatchNormIntoConv } from './fold_batchnorm_conv.js';
export { removeIdentityOps } from './remove_identity.js';
export { matMulToGemm } from './matmul_to_gemm.js';

export interface OptimizeOptions {
  removeIdentity?: boolean;
  /** Gather of one constant index (qkv[0], x[:, 0]) -> Slice + Reshape (views instead of copies). */
  gatherToSlice?: boolean;
  /** Slice of a Slice over other axes (PyTorch's x[:, :, ::2, ::2]) -> one Slice (one dispatch instead of two). */
  mergeSlices?: boolean;
  /** Transpose pairs that cancel (NHWC converters' layout flips) go; consecutive ones merge into one. */
  cancelTransposes?: boolean;
  /** GELU written out (Erf or Tanh form, as exported below opset 20) -> Gelu. */
  fuseGelu?: boolean;
  matMulToGemm?: boolean;
  /** HardSwish / HardSigmoid written out as Add, Clip (or Min/Max), Mul, Div -> the single op. */
  fuseHardActivations?: boolean;
  /** LayerNorm decomposed into ReduceMean / Sub / Pow / Sqrt / Div (+ Mul, Add) -> LayerNormalization. */
  fuseLayerNorm?: boolean;
  /** Channels-last islands between two Transposes (ConvNeXt's LayerNorm + Linear blocks) -> NCHW ops, no Transposes. */
  channelsLastToNchw?: boolean;
  /** Scaled dot-product attention (MatMul, scale, bias, Softmax, MatMul) -> one Attention node. */
  fuseAttention?: boolean;
  foldBatchNorm?: boolean;
  foldBatchNormForward?: boolean;
  foldConstants?: boolean;
  /**
   * Squeeze-and-Excitation scale x * s[n,c] with its residual Add and activation -> ChannelScale; a bare one read
   * only by a 1x1 conv is then folded into it (ChannelScaleConv).
   */
  fuseChannelScale?: boolean;
  fuseEpilogue?: boolean;
  /** Within fuseEpilogue: also absorb residual Adds. */
  fuseResidual?: boolean;
  /** A BatchNormalization that could not fold, read only by an activation -> FusedBatchNorm (one dispatch). */
  fuseBatchNormActivation?: boolean;
  /** A FusedBatchNorm read only by a 1x1 / stride 1 / unpadded conv -> BatchNormConv (the conv's input prologue). */
  foldBatchNormIntoConv?: boolean;
  /** Add(Resize(x), y) with y of the Add's exact shape -> FusedResize (one dispatch; FPN decoders). */
  fuseResizeAdd?: boolean;
  /** A FusedConv residual Pad(Slice(x)) (constant-0 pad) -> x read through a residual view (no Slice / Pad dispatch). */
  foldResidualViews?: boolean;
  removeDeadCode?: boolean;
  /** Called after each pass that ran (for logging / debugging). */
  onPass?: (pass: string, before: Graph, after: Graph) => void;
  /**
   * The input graph's weight arrays belong to this optimisation (nobody else holds them: Session.create on ONNX bytes,
   * whose importer copies every tensor): a pass may then rescale a weight in place where only the rewritten node reads
   * it, instead of writing a new array. Folding BN into ResNet-50's convs copies ~100 MB otherwise (cold start).
   * Off by default: the input graph, and the `before` graphs handed to onPass, then keep their values.
   */
  ownsWeights?: boolean;
}

export const OPTIMIZATIONS_OFF: Readonly<OptimizeOptions> = Object.freeze({
  removeIdentity: false,
  gatherToSlice: false,
  mergeSlices: false,
  cancelTransposes: false,
  fuseGelu: false,
  matMulToGemm: false,
  fuseHardActivations: false,
  fuseLayerNorm: false,
  fuseAttention: false,
  channelsLastToNchw: false,
  foldBatchNorm: false,
  foldBatchNormForward: false,
  foldConstants: false,
  fuseChannelScale: false,
  fuseEpilogue: false,
  fuseResidual: false,
  fuseBatchNormActivation: false,
  foldBatchNormIntoConv: false,
  fuseResizeAdd: false,
  foldResidualViews: false,
  removeDeadCode: false,
});

const MAX_FOLD_ROUNDS = 4;

/** Run the enabled passes (all by default) in the order above; returns a new graph. */
export function optimize(graph: Graph, options: OptimizeOptions = {}): Graph {
  const on = (flag: keyof Omit<OptimizeOptions, 'onPass' | 'ownsWeights'>): boolean => options[flag] ?? true;
  let g = graph;
  const run = (name: string, pass: (x: Graph) => Graph): void => {
    const before = g;
    g = pass(g);
    options.onPass?.(name, before, g);
  };
  if (on('removeIdentity')) run('removeIdentity', removeIdentityOps);
  if (on('gatherToSlice')) run('gatherToSlice', gatherToSlice);
  if (on('mergeSlices')) run('mergeSlices', mergeSlices);
  if (on('cancelTransposes')) run('cancelTransposes', cancelTransposes);
  if (on('fuseGelu')) run('fuseGelu', fuseGelu);
  if (on('matMulToGemm')) run('matMulToGemm', matMulToGemm);
  if (on('fuseHardActivations')) run('fuseHardActivations', fuseHardActivations);
  if (on('fuseLayerNorm')) run('fuseLayerNorm', fuseLayerNorm);
  if (on('channelsLastToNchw')) run('channelsLastToNchw', channelsLastToNchw);
  if (on('fuseAttention')) run('fuseAttention', fuseAttention);
  for (let round = 0; round < MAX_FOLD_ROUNDS; round++) {
    const count = g.nodes.length;
    if (on('foldBatchNorm')) run('foldBatchNorm', (x) => foldBatchNormBackward(x, { inPlace: options.ownsWeights === true }));
    if (on('foldConstants')) run('foldConstants', foldConstantArithmetic);
    if (g.nodes.length === count) break;
  }
  if (on('foldBatchNormForward')) run('foldBatchNormForward', foldBatchNormForward);
  if (on('fuseChannelScale')) run('fuseChannelScale', fuseChannelScale);
  if (on('fuseEpilogue')) run('fuseEpilogue', (x) => fuseEpilogues(x, { residual: on('fuseResidual') }));
  if (on('fuseChannelScale')) run('foldChannelScaleIntoConv', foldChannelScaleIntoConv);
  if (on('fuseBatchNormActivation')) run('fuseBatchNormActivation', fuseBatchNormActivation);
  if (on('foldBatchNormIntoConv')) run('foldBatchNormIntoConv', foldBatchNormIntoConv);
  if (on('fuseResizeAdd')) run('fuseResizeAdd', fuseResizeAdd);
  if (on('foldResidualViews')) run('foldResidualViews', foldResidualViews);
  if (on('removeDeadCode')) run('removeDeadCode', removeDeadCode);
  return g;
}
