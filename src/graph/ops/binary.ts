/**
 * Tessera binary ops (XNOR-Net / BWN), introduced by the binarize pass (src/graph/passes/binarize.ts).
 * Full definition with examples: docs/binary.md.
 *
 *   BinaryConv        X f32 [N, C, H, W], W binary [M, KH, KW, C32], alpha f32 [M], [B f32 [M]], [T f32 [3, C]], [R]
 *   BinaryGemm        A f32 [N, K],       W binary [M, K32],         alpha f32 [M], [B f32 [M]], [T f32 [3, K]]
 *   BinaryWeightConv  X f32 [N, C, H, W], W binary [M, KH, KW, C32], alpha f32 [M], [B f32 [M]], '' (no T), [R]
 *
 * W: one bit per weight sign (1 = +1, 0 = -1), packed along the input channels: for output channel o and kernel
 * tap (ky, kx), C32 / 32 consecutive u32 words hold channels 0..C-1, LSB first; C32 = 32 * ceil(C / 32) and the
 * bits of channels >= C are 0 (ignored). Its logical shape [M, KH, KW, C32] is exactly that layout, so the
 * `.tessera` `binary` dtype (row-major bits, LSB first) stores it as is.
 *
 * Input binarisation (BinaryConv / BinaryGemm), per input channel c, with T = [s, lo, hi] (absent: [1, 0, 0]):
 *   x' = s[c] * x;   +1 if x' > hi[c];   -1 if x' < lo[c];   otherwise zero_sign (-1 or 0).
 * So without T: x > 0 -> +1, x < 0 -> -1, x == 0 -> zero_sign (-1: torch.where(x > 0, 1, -1); 0: ONNX Sign).
 * With T, a BatchNormalization before the sign is folded in exactly (thresholds found by searching the f32 line).
 *
 * Output: y[n, o, p] = act(alpha[o] * dot + B[o]), dot = sum over taps and channels of sign(x) * w (an integer,
 * computed exactly), act = the FusedConv epilogue activation (attributes activation, act_alpha, act_beta,
 * act_min, act_max). BinaryWeightConv: dot = sum of (+-1) * x over float activations. The convs take an optional
 * residual R (input 5, the output's shape) added before or after the activation exactly as FusedConv does
 * (attribute residual_after_activation).
 *
 * Attributes: BinaryConv / BinaryWeightConv: kernel_shape [KH, KW] (required), strides (1s), pads (0s),
 * dilations (1s), 2-D only, no groups. BinaryConv also: pad_value (0): 0 = zero padding (PyTorch: padded taps
 * contribute nothing), -1 = padded positions act as -1 inputs; zero_sign (-1). BinaryGemm: zero_sign (-1).
 *
 * Packed chains (pass src/graph/passes/pack_binary_chains.ts). A binary tensor [N, H, W, C32] of *activations* is
 * the per-pixel channel words that the XNOR kernels binarise X into: bit c % 32 of word ((n * H + h) * W + w) *
 * C32 / 32 + c / 32 is 1 for +1, 0 for -1 (row-major bits of the NHWC shape, LSB first, so it is the `binary`
 * dtype unchanged); the bits of channels >= C are 0.
 *   BinaryConv        may take such an X instead of f32 (attribute in_channels = C required, no T, zero_sign -1).
 *   BinaryConvBits    X (f32 NCHW or packed), W, Q i32 [3, M], [T f32 [3, C], f32 X only]
 *                     -> Y binary [N, OH', OW', M32]: output channel o's bit is 1 iff Q[0, o] <= dot <= Q[1, o]
 *                     (dot as in BinaryConv: the producer's epilogue and the consumer's thresholds folded into an
 *                     integer interval by the pass). With pool_kernel_shape (and pool_strides, pool_pads,
 *                     pool_dilations, pool_ceil_mode, MaxPool's meaning) the bits of each pooling window are
 *                     combined: OR where Q[2, o] = 1, AND where Q[2, o] = 0; (OH', OW') is the pooled size.
 *                     Attributes otherwise as BinaryConv (geometry, pad_value, zero_sign, in_channels).
 */
import { attrInt, attrInts, type Node, type Shape } from '../ir.js';
import { fail, fmtShape, requireFloat, requireInput } from './common.js';
import { convOutputSpatial, type ConvParams } from './conv.js';
import { activationFn, readEpilogue, sigmoid, type Epilogue } from './fused.js';
import { poolOutputSpatial, poolParams, type PoolParams } from './pool.js';
import type { InputInfo, ShapeRule } from './types.js';

export const BINARY_OPS = ['BinaryConv', 'BinaryGemm', 'BinaryWeightConv', 'BinaryConvBits'] as const;

/** Channels rounded up to whole u32 words. */
export function paddedChannels(c: number): number {
  return Math.ceil(c / 32) * 32;
}

export interface BinaryConvParams extends ConvParams {
  padValue: 0 | -1;
  zeroSign: 0 | -1;
}

function oneOf(node: Node, key: string, dflt: 0 | -1): 0 | -1 {
  const v = attrInt(node, key, dflt);
  if (v !== 0 && v !== -1) fail(node, `attribute '${key}' must be 0 or -1, got ${v}`);
  return v;
}

/** Conv geometry and binary attributes of a BinaryConv / BinaryWeightConv node. */
export function binaryConvParams(node: Node): BinaryConvParams {
  const kernel = attrInts(node, 'kernel_shape');
  if (kernel.length !== 2 || kernel.some((k) => k < 1)) fail(node, `kernel_shape ${fmtShape(kernel)} must be 2 positive ints`);
  const strides = attrInts(node, 'strides', [1, 1]);
  const dilations = attrInts(node, 'dilations', [1, 1]);
  const pads = attrInts(node, 'pads', [0, 0, 0, 0]);
  if (strides.length !== 2 || strides.some((s) => s < 1)) fail(node, `strides ${fmtShape(strides)} must be 2 positive ints`);
  if (dilations.length !== 2 || dilations.some((s) => s < 1)) fail(node, `dilations ${fmtShape(dilations)} must be 2 positive ints`);
  if (pads.length !== 4 || pads.some((p) => p < 0)) fail(node, `pads ${fmtShape(pads)} must be 4 non-negative ints`);
  return {
    spatialRank: 2,
    kernel,
    strides,
    dilations,
    pads,
    group: 1,
    padValue: node.op === 'BinaryConv' || node.op === 'BinaryConvBits' ? oneOf(node, 'pad_value', 0) : 0,
    zeroSign: oneOf(node, 'zero_sign', -1),
  };
}

export function binaryGemmZeroSign(node: Node): 0 | -1 {
  return oneOf(node, 'zero_sign', -1);
}

function checkPerChannel(node: Node, info: InputInfo | undefined, m: number, what: string): void {
  if (!info) return;
  requireFloat(node, info, what);
  if (info.shape.length !== 1 || info.shape[0] !== m) fail(node, `${what} shape ${fmtShape(info.shape)} must be [${m}]`);
}

function checkThresholds(node: Node, info: InputInfo | undefined, c: number): void {
  if (!info) return;
  requireFloat(node, info, 'T');
  if (info.shape.length !== 2 || info.shape[0] !== 3 || (c >= 0 && info.shape[1] !== c))
    fail(node, `thresholds T shape ${fmtShape(info.shape)} must be [3, ${c}]`);
}

function requireBinaryWeights(node: Node, w: InputInfo, rank: number): void {
  if (w.dtype !== 'binary') fail(node, `W must have dtype binary, got ${w.dtype}`);
  if (w.shape.length !== rank) fail(node, `W shape ${fmtShape(w.shape)} must have rank ${rank}`);
  if (w.shape[w.shape.length - 1]! % 32 !== 0) fail(node, `W's last dim ${w.shape[w.shape.length - 1]} must be a multiple of 32`);
}

/** X of a binary conv seen as NCHW: f32 [N, C, H, W], or packed bits [N, H, W, C32] with attribute in_channels. */
export interface BinaryConvInput {
  packed: boolean;
  /** [N, C, H, W] (C = in_channels for packed X). */
  nchw: number[];
}

/** Checks X (f32 NCHW, or for BinaryConv / BinaryConvBits packed NHWC bits) and returns its NCHW view. */
export function binaryConvInput(node: Node, x: InputInfo): BinaryConvInput {
  if (x.shape.length !== 4) fail(node, `X must be 4-D, got ${fmtShape(x.shape)}`);
  if (x.dtype !== 'binary') {
    requireFloat(node, x, 'X');
    if (node.attrs['in_channels'] !== undefined) fail(node, `attribute 'in_channels' is only for bit-packed X`);
    return { packed: false, nchw: [...x.shape] };
  }
  if (node.op === 'BinaryWeightConv') fail(node, `X must be a float tensor (f32), got binary`);
  const c = attrInt(node, 'in_channels', 0);
  if (c < 1) fail(node, `bit-packed X needs attribute 'in_channels' (a positive int)`);
  const [n, h, w, c32] = x.shape as [number, number, number, number];
  if (c32 !== paddedChannels(c)) fail(node, `bit-packed X ${fmtShape(x.shape)} must have ${paddedChannels(c)} channel bits per pixel for in_channels ${c}`);
  if (attrInt(node, 'zero_sign', -1) !== -1) fail(node, `bit-packed X has no zeros: zero_sign must be -1`);
  return { packed: true, nchw: [n, c, h, w] };
}

/** Input index of the thresholds T: 4 for BinaryConv / BinaryGemm, 3 for BinaryConvBits. */
export function thresholdsIndex(node: Node): number {
  return node.op === 'BinaryConvBits' ? 3 : 4;
}

/** The pooling fused into a BinaryConvBits (pool_* attributes), as MaxPool parameters; undefined without one. */
export function fusedPool(node: Node, convShape: Shape): PoolParams | undefined {
  if (node.attrs['pool_kernel_shape'] === undefined) return undefined;
  const attrs: Node['attrs'] = {};
  for (const key of ['kernel_shape', 'strides', 'pads', 'dilations', 'ceil_mode']) {
    const v = node.attrs[`pool_${key}`];
    if (v !== undefined) attrs[key] = v;
  }
  const pool = poolParams({ ...node, op: 'MaxPool', attrs }, convShape);
  if (pool.spatialRank !== 2) fail(node, `the fused pooling must be 2-D`);
  if (!poolWindowsNonEmpty(convShape, pool)) fail(node, `the fused pooling has windows that lie entirely in the padding`);
  return pool;
}

/** Input positions of one axis inside pooling window `o` (MaxPool's clipping of windows to the input). */
export function poolAxisTaps(o: number, size: number, pool: PoolParams, axis: number): number[] {
  const out: number[] = [];
  const start = o * pool.strides[axis]! - pool.pads[axis]!;
  for (let k = 0; k < pool.kernel[axis]!; k++) {
    const i = start + k * pool.dilations[axis]!;
    if (i >= 0 && i < size) out.push(i);
  }
  return out;
}

/** Every pooling window of a [N, C, H, W] input holds at least one input element (so max is never -inf). */
export function poolWindowsNonEmpty(shape: Shape, pool: PoolParams): boolean {
  const out = poolOutputSpatial(shape, pool);
  for (let axis = 0; axis < 2; axis++)
    for (let o = 0; o < out[axis]!; o++) if (poolAxisTaps(o, shape[axis + 2]!, pool, axis).length === 0) return false;
  return true;
}

function convLikeRule(op: 'BinaryConv' | 'BinaryWeightConv' | 'BinaryConvBits'): ShapeRule {
  return (node, inputs) => {
    if (op !== 'BinaryConvBits') readEpilogue(node);
    const xInfo = requireInput(node, inputs, 0, 'input X');
    const w = requireInput(node, inputs, 1, 'weight W');
    const x = binaryConvInput(node, xInfo);
    requireBinaryWeights(node, w, 4);
    const p = binaryConvParams(node);
    const [m, kh, kw, c32] = w.shape as [number, number, number, number];
    if (kh !== p.kernel[0] || kw !== p.kernel[1]) fail(node, `kernel_shape ${fmtShape(p.kernel)} does not match W ${fmtShape(w.shape)}`);
    const c = x.nchw[1]!;
    if (c >= 0 && paddedChannels(c) !== c32) fail(node, `W's packed channel dim ${c32} must be ${paddedChannels(c)} for ${c} input channels`);
    const tIndex = op === 'BinaryConvBits' ? 3 : 4;
    if (op === 'BinaryConvBits') {
      const q = requireInput(node, inputs, 2, 'intervals Q');
      if (q.dtype !== 'i32' || q.shape.length !== 2 || q.shape[0] !== 3 || q.shape[1] !== m) fail(node, `Q must be i32 [3, ${m}], got ${q.dtype} ${fmtShape(q.shape)}`);
      if (inputs.length > 4) fail(node, `takes at most 4 inputs, got ${inputs.length}`);
    } else {
      checkPerChannel(node, requireInput(node, inputs, 2, 'alpha'), m, 'alpha');
      checkPerChannel(node, inputs[3], m, 'B');
      if (inputs.length > 6) fail(node, `takes at most 6 inputs, got ${inputs.length}`);
    }
    if (op === 'BinaryWeightConv') {
      if (inputs[4]) fail(node, `takes no thresholds (input 4 must be empty)`);
    } else if (inputs[tIndex]) {
      if (x.packed) fail(node, `bit-packed X takes no thresholds T`);
      checkThresholds(node, inputs[tIndex], c);
    }
    const spatial = convOutputSpatial(x.nchw, p);
    if (spatial.some((s) => s <= 0)) fail(node, `output spatial size ${fmtShape(spatial)} is empty for input ${fmtShape(x.nchw)}`);
    const shape = [x.nchw[0]!, m, ...spatial];
    if (op === 'BinaryConvBits') {
      const pool = fusedPool(node, shape);
      const out = pool ? poolOutputSpatial(shape, pool) : spatial;
      if (out.some((s) => s <= 0)) fail(node, `pooled output size ${fmtShape(out)} is empty`);
      return [{ dtype: 'binary', shape: [shape[0]!, out[0]!, out[1]!, paddedChannels(m)] }];
    }
    const r = inputs[5];
    if (r) {
      requireFloat(node, r, 'residual R');
      if (r.shape.length !== 4 || r.shape.some((d, i) => d !== shape[i] && d >= 0 && shape[i]! >= 0))
        fail(node, `residual R shape ${fmtShape(r.shape)} must equal the output shape ${fmtShape(shape)}`);
    }
    return [{ dtype: 'f32', shape }];
  };
}

const binaryGemmRule: ShapeRule = (node, inputs) => {
  readEpilogue(node);
  binaryGemmZeroSign(node);
  const a = requireInput(node, inputs, 0, 'input A');
  const w = requireInput(node, inputs, 1, 'weight W');
  requireFloat(node, a, 'A');
  if (a.shape.length !== 2) fail(node, `A must be 2-D, got ${fmtShape(a.shape)}`);
  requireBinaryWeights(node, w, 2);
  const [m, k32] = w.shape as [number, number];
  const k = a.shape[1]!;
  if (k >= 0 && paddedChannels(k) !== k32) fail(node, `W's packed dim ${k32} must be ${paddedChannels(k)} for K = ${k}`);
  checkPerChannel(node, requireInput(node, inputs, 2, 'alpha'), m, 'alpha');
  checkPerChannel(node, inputs[3], m, 'B');
  checkThresholds(node, inputs[4], k);
  if (inputs.length > 5) fail(node, `takes at most 5 inputs, got ${inputs.length}`);
  return [{ dtype: 'f32', shape: [a.shape[0]!, m] }];
};

export const binaryShapeRules: Record<string, ShapeRule> = {
  BinaryConv: convLikeRule('BinaryConv'),
  BinaryWeightConv: convLikeRule('BinaryWeightConv'),
  BinaryGemm: binaryGemmRule,
  BinaryConvBits: convLikeRule('BinaryConvBits'),
};

/** Logical float weight shape [M, C, KH, KW] (conv) or [M, K] (gemm) of a binary node, given its X / A shape. */
export function logicalWeightShape(node: Node, inputShape: Shape, w: Shape): number[] {
  if (node.op === 'BinaryGemm') return [w[0]!, inputShape[1]!];
  return [w[0]!, inputShape[1]!, w[1]!, w[2]!];
}

// ---------------------------------------------------------------------------------------------------------------
// Bit packing shared by the pass, the backends and the tests.

/** Words per kernel tap (= per pixel of packed activations) for `c` channels. */
export function wordsFor(c: number): number {
  return Math.ceil(c / 32);
}

/**
 * Packs the signs of OIHW-ordered weights (`w[(o * c + ch) * taps + t]`, positive -> bit 1) into the BinaryConv W
 * layout [M, taps, words]: bit ch % 32 of word ((o * taps + t) * words + ch / 32). Gemm weights are taps = 1.
 */
export function packWeightSigns(w: ArrayLike<number>, m: number, c: number, taps: number): Uint32Array {
  const words = wordsFor(c);
  const out = new Uint32Array(m * taps * words);
  for (let o = 0; o < m; o++)
    for (let ch = 0; ch < c; ch++)
      for (let t = 0; t < taps; t++) {
        if (w[(o * c + ch) * taps + t]! > 0) out[(o * taps + t) * words + (ch >>> 5)]! |= 1 << (ch & 31);
      }
  return out;
}

/** Inverse of packWeightSigns: +-1 float weights in OIHW order ([M, C, taps]). */
export function unpackWeightSigns(bits: Uint32Array, m: number, c: number, taps: number): Float32Array {
  const words = wordsFor(c);
  const out = new Float32Array(m * c * taps);
  for (let o = 0; o < m; o++)
    for (let ch = 0; ch < c; ch++)
      for (let t = 0; t < taps; t++) out[(o * c + ch) * taps + t] = (bits[(o * taps + t) * words + (ch >>> 5)]! >>> (ch & 31)) & 1 ? 1 : -1;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Scalar semantics shared by the CPU reference and the packing pass (so both compute the same bits exactly).

/** The epilogue activation as the CPU reference applies it to fround(alpha * dot + B) (SiLU rounds its sigmoid). */
export function epilogueActivation(e: Epilogue): (v: number) => number {
  return e.activation === 'silu' ? (v) => v * Math.fround(sigmoid(v)) : activationFn(e);
}

/** A binary conv's f32 output for an integer dot product (no residual): fround(act(fround(alpha * dot + B))). */
export function binaryConvValue(dot: number, alpha: number, bias: number, act: (v: number) => number): number {
  return Math.fround(act(Math.fround(alpha * dot + bias)));
}

/** Input binarisation with zero_sign -1 (the only rule a packed tensor can hold): bit 1 (+1) iff s * x > hi. */
export function signBit(x: number, s: number, hi: number): boolean {
  return s * x > hi;
}
