/**
 * CPU reference for the binary ops (definition: src/graph/ops/binary.ts, docs/binary.md).
 *
 * BinaryConv / BinaryGemm use exact integer arithmetic: activations are binarised into two bit planes per pixel
 * (sign bit, and "non-zero" bit for zero_sign = 0), packed 32 channels per u32 word like the weights, then
 *   dot = (number of counted inputs) - 2 * popcount((x ^ w) & nonzero)
 * over the taps inside the image; taps in the padding are skipped (pad_value 0) or count as -1 inputs
 * (pad_value -1). The epilogue is y = act(fround(alpha * dot + B)) with the product and sum in float64, which
 * is exactly what the float Conv kernel computes for +-alpha weights and +-1 inputs (the float64 sum of
 * +-alpha values is exact), so a binarised graph reproduces its float original bit for bit on this backend
 * (BinaryGemm rounds alpha * dot before adding B, like the Gemm kernel; exact when the Gemm had alpha = beta = 1).
 *
 * BinaryWeightConv decodes its bits to +-alpha float weights and runs the float Conv kernel, so it too matches
 * the float original exactly.
 */
import type { Node, Tensor } from '../../graph/ir.js';
import {
  binaryConvInput,
  binaryConvParams,
  binaryGemmZeroSign,
  epilogueActivation,
  fusedPool,
  paddedChannels,
  poolAxisTaps,
  thresholdsIndex,
  unpackWeightSigns,
  wordsFor,
} from '../../graph/ops/binary.js';
import { convOutputSpatial } from '../../graph/ops/conv.js';
import { readEpilogue } from '../../graph/ops/fused.js';
import { poolOutputSpatial } from '../../graph/ops/pool.js';
import { conv } from './conv.js';
import type { CpuKernel } from './types.js';
import { f32Tensor, fail, floatData, floatInput, need } from './util.js';

export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Bits of the real channels in word j of a c-channel pixel (the last word may be partial). */
export function channelMask(c: number, j: number): number {
  const rest = c - 32 * j;
  return rest >= 32 ? 0xffffffff : rest <= 0 ? 0 : ((1 << rest) >>> 0) - 1;
}

interface PackedInput {
  /** [N][P][words]: bit 1 = +1. */
  sign: Uint32Array;
  /** [N][P][words]: bit 1 = the input counts (non-zero after binarisation). */
  nonzero: Uint32Array;
}

/**
 * Binarises X viewed as [N, C, P] (NCHW with P = H * W) into per-pixel channel words. T (when given) is [3, C]:
 * x' = s * x, +1 when x' > hi, -1 when x' < lo, otherwise zero_sign.
 */
export function packActivations(x: Float32Array, n: number, c: number, p: number, t: Float32Array | undefined, zeroSign: 0 | -1): PackedInput {
  const words = wordsFor(c);
  const sign = new Uint32Array(n * p * words);
  const nonzero = new Uint32Array(n * p * words);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++) {
      const s = t ? t[ch]! : 1;
      const lo = t ? t[c + ch]! : 0;
      const hi = t ? t[2 * c + ch]! : 0;
      const bit = 1 << (ch & 31);
      const src = (b * c + ch) * p;
      for (let q = 0; q < p; q++) {
        const v = s * x[src + q]!;
        const w = (b * p + q) * words + (ch >>> 5);
        if (v > hi) {
          sign[w]! |= bit;
          nonzero[w]! |= bit;
        } else if (v < lo || zeroSign === -1) {
          nonzero[w]! |= bit;
        }
      }
    }
  return { sign, nonzero };
}

/**
 * The epilogue after alpha / bias, in place: activation and optional residual R (input 5), rounding to f32 exactly
 * where the unfused graph would (after the residual Add, after the activation, after SiLU's Sigmoid), like FusedConv.
 */
function applyEpilogue(node: Node, y: Tensor, residual: Tensor | undefined): void {
  const e = readEpilogue(node);
  const act = epilogueActivation(e);
  const out = y.data as Float32Array;
  if (!residual) {
    if (e.activation !== 'none') for (let i = 0; i < out.length; i++) out[i] = act(out[i]!);
    return;
  }
  if (residual.shape.length !== y.shape.length || residual.shape.some((d, i) => d !== y.shape[i]))
    fail(node, `residual R shape [${residual.shape.join(', ')}] differs from the output shape [${y.shape.join(', ')}]`);
  const r = floatData(node, residual);
  if (e.residualAfterActivation) for (let i = 0; i < out.length; i++) out[i] = Math.fround(act(out[i]!)) + r[i]!;
  else for (let i = 0; i < out.length; i++) out[i] = act(Math.fround(out[i]! + r[i]!));
}

const RESIDUAL = 5;

function perChannel(node: Node, inputs: (Tensor | undefined)[], i: number, m: number, what: string): Float32Array | undefined {
  if (inputs[i] === undefined) return undefined;
  const t = floatInput(node, inputs, i);
  if (t.data.length !== m) fail(node, `${what} must have ${m} elements, got ${t.data.length}`);
  return floatData(node, t);
}

function thresholds(node: Node, inputs: (Tensor | undefined)[], c: number): Float32Array | undefined {
  const ti = thresholdsIndex(node);
  if (inputs[ti] === undefined) return undefined;
  const t = floatInput(node, inputs, ti);
  if (t.shape.length !== 2 || t.shape[0] !== 3 || t.shape[1] !== c) fail(node, `thresholds T shape [${t.shape.join(', ')}] must be [3, ${c}]`);
  return floatData(node, t);
}

function binaryWeights(node: Node, inputs: (Tensor | undefined)[], shape: number[]): Uint32Array {
  const w = need(node, inputs, 1);
  if (w.dtype !== 'binary' || !(w.data instanceof Uint32Array)) fail(node, `W must be a binary tensor, got ${w.dtype}`);
  if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i]))
    fail(node, `W shape [${w.shape.join(', ')}] must be [${shape.join(', ')}]`);
  const need32 = Math.ceil(shape.reduce((a, b) => a * b, 1) / 32);
  if (w.data.length < need32) fail(node, `W holds ${w.data.length} words, needs ${need32}`);
  return w.data;
}

/** fround(alpha * dot + B); `gemmRounding` rounds alpha * dot first, as the Gemm kernel does before adding C. */
function scaled(dot: number, alpha: number, bias: number, gemmRounding = false): number {
  return gemmRounding ? Math.fround(Math.fround(alpha * dot) + bias) : Math.fround(alpha * dot + bias);
}

/** Integer dot products of a BinaryConv / BinaryConvBits: dot[((n * M + o) * OH + oy) * OW + ox]. */
interface ConvDots {
  dot: Int32Array;
  n: number;
  m: number;
  oh: number;
  ow: number;
}

/** Binarised X of a binary conv: packed with the thresholds from f32 X, or the bit-packed X itself. */
function convActivations(node: Node, inputs: (Tensor | undefined)[], zeroSign: 0 | -1): { x: PackedInput; nchw: number[] } {
  const xT = need(node, inputs, 0);
  const { packed, nchw } = binaryConvInput(node, { dtype: xT.dtype, shape: xT.shape });
  const [N, C, H, W] = nchw as [number, number, number, number];
  if (!packed) return { x: packActivations(floatData(node, xT), N, C, H * W, thresholds(node, inputs, C), zeroSign), nchw };
  if (!(xT.data instanceof Uint32Array)) fail(node, `bit-packed X must hold u32 words`);
  if (inputs[thresholdsIndex(node)] !== undefined) fail(node, `bit-packed X takes no thresholds T`);
  const words = wordsFor(C);
  if (xT.data.length < N * H * W * words) fail(node, `bit-packed X holds ${xT.data.length} words, needs ${N * H * W * words}`);
  // Every real channel counts (no zeros); bits of channels >= C are ignored like the padding of f32 X.
  const nonzero = new Uint32Array(N * H * W * words);
  for (let i = 0; i < nonzero.length; i++) nonzero[i] = channelMask(C, i % words);
  const sign = new Uint32Array(nonzero.length);
  for (let i = 0; i < sign.length; i++) sign[i] = xT.data[i]! & nonzero[i]!;
  return { x: { sign, nonzero }, nchw };
}

function convDots(node: Node, inputs: (Tensor | undefined)[]): ConvDots {
  const p = binaryConvParams(node);
  const { x, nchw } = convActivations(node, inputs, p.zeroSign);
  const [N, C, H, W] = nchw as [number, number, number, number];
  const [KH, KW] = p.kernel as [number, number];
  const M = need(node, inputs, 1).shape[0]!;
  const bits = binaryWeights(node, inputs, [M, KH, KW, paddedChannels(C)]);
  const [OH, OW] = convOutputSpatial(nchw, p) as [number, number];
  if (!(OH > 0 && OW > 0)) fail(node, `empty output [${OH}, ${OW}]`);
  const [sh, sw] = p.strides as [number, number];
  const [dh, dw] = p.dilations as [number, number];
  const [pt, pl] = p.pads as [number, number];
  const words = wordsFor(C);
  const taps = KH * KW;
  // Contribution of a tap that falls in -1 padding: every real channel is -1, so XOR leaves the weight bits.
  const padPopcount = new Int32Array(M * taps);
  for (let i = 0; i < M * taps; i++) {
    let pc = 0;
    for (let j = 0; j < words; j++) pc += popcount32(bits[i * words + j]! & channelMask(C, j));
    padPopcount[i] = pc;
  }
  const dot = new Int32Array(N * M * OH * OW);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < M; o++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let counted = 0;
          let pc = 0;
          for (let ky = 0; ky < KH; ky++) {
            const iy = oy * sh - pt + ky * dh;
            for (let kx = 0; kx < KW; kx++) {
              const ix = ox * sw - pl + kx * dw;
              const tap = ky * KW + kx;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
                if (p.padValue === -1) {
                  counted += C;
                  pc += padPopcount[o * taps + tap]!;
                }
                continue;
              }
              const xo = ((n * H + iy) * W + ix) * words;
              const wo = (o * taps + tap) * words;
              for (let j = 0; j < words; j++) {
                const nz = x.nonzero[xo + j]!;
                counted += popcount32(nz);
                pc += popcount32((x.sign[xo + j]! ^ bits[wo + j]!) & nz);
              }
            }
          }
          dot[((n * M + o) * OH + oy) * OW + ox] = counted - 2 * pc;
        }
  return { dot, n: N, m: M, oh: OH, ow: OW };
}

export const binaryConv: CpuKernel = (node, inputs) => {
  const d = convDots(node, inputs);
  const alpha = perChannel(node, inputs, 2, d.m, 'alpha');
  if (!alpha) fail(node, 'alpha is required');
  const bias = perChannel(node, inputs, 3, d.m, 'B');
  const out = f32Tensor([d.n, d.m, d.oh, d.ow]);
  const y = out.data as Float32Array;
  const plane = d.oh * d.ow;
  for (let i = 0; i < y.length; i++) {
    const o = Math.floor(i / plane) % d.m;
    y[i] = scaled(d.dot[i]!, alpha[o]!, bias ? bias[o]! : 0);
  }
  applyEpilogue(node, out, inputs[RESIDUAL]);
  return [out];
};

/** Q [3, M] of a BinaryConvBits: interval [Q0, Q1] of dots giving bit 1, pooling combine (1 = OR, 0 = AND). */
function intervals(node: Node, inputs: (Tensor | undefined)[], m: number): Int32Array {
  const q = need(node, inputs, 2);
  if (q.dtype !== 'i32' || !(q.data instanceof Int32Array) || q.shape.length !== 2 || q.shape[0] !== 3 || q.shape[1] !== m)
    fail(node, `Q must be i32 [3, ${m}], got ${q.dtype} [${q.shape.join(', ')}]`);
  return q.data;
}

/**
 * BinaryConvBits: the dots of BinaryConv, bit = Q0 <= dot <= Q1 per output channel, the fused pooling's windows
 * combined by OR / AND, packed per pixel (NHWC bits, channel padding 0).
 */
export const binaryConvBits: CpuKernel = (node, inputs) => {
  const d = convDots(node, inputs);
  const q = intervals(node, inputs, d.m);
  const pool = fusedPool(node, [d.n, d.m, d.oh, d.ow]);
  const [PH, PW] = pool ? (poolOutputSpatial([d.n, d.m, d.oh, d.ow], pool) as [number, number]) : [d.oh, d.ow];
  const ys = Array.from({ length: PH }, (_, o) => (pool ? poolAxisTaps(o, d.oh, pool, 0) : [o]));
  const xs = Array.from({ length: PW }, (_, o) => (pool ? poolAxisTaps(o, d.ow, pool, 1) : [o]));
  const words = wordsFor(d.m);
  const out: Tensor = { dtype: 'binary', shape: [d.n, PH, PW, paddedChannels(d.m)], data: new Uint32Array(d.n * PH * PW * words) };
  const y = out.data as Uint32Array;
  for (let n = 0; n < d.n; n++)
    for (let o = 0; o < d.m; o++) {
      const lo = q[o]!;
      const hi = q[d.m + o]!;
      const isOr = q[2 * d.m + o]! !== 0;
      const plane = (n * d.m + o) * d.oh * d.ow;
      for (let py = 0; py < PH; py++)
        for (let px = 0; px < PW; px++) {
          let bit = !isOr;
          for (const iy of ys[py]!)
            for (const ix of xs[px]!) {
              const v = d.dot[plane + iy * d.ow + ix]!;
              const b = lo <= v && v <= hi;
              bit = isOr ? bit || b : bit && b;
            }
          if (bit) y[((n * PH + py) * PW + px) * words + (o >>> 5)]! |= 1 << (o & 31);
        }
    }
  return [out];
};

export const binaryGemm: CpuKernel = (node, inputs) => {
  const aT = floatInput(node, inputs, 0);
  if (aT.shape.length !== 2) fail(node, `A must be 2-D, got [${aT.shape.join(', ')}]`);
  const [N, K] = aT.shape as [number, number];
  const M = need(node, inputs, 1).shape[0]!;
  const bits = binaryWeights(node, inputs, [M, paddedChannels(K)]);
  const alpha = perChannel(node, inputs, 2, M, 'alpha');
  if (!alpha) fail(node, 'alpha is required');
  const bias = perChannel(node, inputs, 3, M, 'B');
  const words = wordsFor(K);
  // A [N, K] is an NCHW map with C = K channels and one pixel: transpose it to [N, K, 1] is the same memory.
  const a = packActivations(floatData(node, aT), N, K, 1, thresholds(node, inputs, K), binaryGemmZeroSign(node));
  const out = f32Tensor([N, M]);
  const y = out.data as Float32Array;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < M; o++) {
      let counted = 0;
      let pc = 0;
      for (let j = 0; j < words; j++) {
        const nz = a.nonzero[n * words + j]!;
        counted += popcount32(nz);
        pc += popcount32((a.sign[n * words + j]! ^ bits[o * words + j]!) & nz);
      }
      y[n * M + o] = scaled(counted - 2 * pc, alpha[o]!, bias ? bias[o]! : 0, true);
    }
  applyEpilogue(node, out, undefined);
  return [out];
};

export const binaryWeightConv: CpuKernel = (node, inputs) => {
  const xT = floatInput(node, inputs, 0);
  if (xT.shape.length !== 4) fail(node, `X must be 4-D, got [${xT.shape.join(', ')}]`);
  const C = xT.shape[1]!;
  const p = binaryConvParams(node);
  const [KH, KW] = p.kernel as [number, number];
  const M = need(node, inputs, 1).shape[0]!;
  const bits = binaryWeights(node, inputs, [M, KH, KW, paddedChannels(C)]);
  const alpha = perChannel(node, inputs, 2, M, 'alpha');
  if (!alpha) fail(node, 'alpha is required');
  const taps = KH * KW;
  const w = unpackWeightSigns(bits, M, C, taps);
  for (let o = 0; o < M; o++) for (let i = o * C * taps; i < (o + 1) * C * taps; i++) w[i] = w[i]! * alpha[o]!;
  const convNode: Node = {
    name: node.name,
    op: 'Conv',
    inputs: node.inputs.slice(0, 2),
    outputs: node.outputs,
    attrs: { kernel_shape: p.kernel, strides: p.strides, pads: p.pads, dilations: p.dilations },
  };
  const [y] = conv(convNode, [xT, f32Tensor([M, C, KH, KW], w), inputs[3]]);
  if (!y) fail(node, 'conv produced no output');
  if (inputs[4] !== undefined) fail(node, 'takes no thresholds (input 4 must be empty)');
  applyEpilogue(node, y, inputs[RESIDUAL]);
  return [y];
};

export const binaryCpuKernels: Record<string, CpuKernel> = {
  BinaryConv: binaryConv,
  BinaryGemm: binaryGemm,
  BinaryWeightConv: binaryWeightConv,
  BinaryConvBits: binaryConvBits,
};
