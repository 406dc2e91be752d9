/**
 * WebGPU kernels of the binary ops (src/graph/ops/binary.ts, docs/binary.md):
 *
 *   BinaryConv / BinaryGemm  two dispatches: `binary_pack` binarises X (thresholds T folded in) into bit-packed
 *                            channel words per pixel, then `binary_conv` does the XNOR-popcount convolution with
 *                            the fused alpha / bias / activation epilogue. A Gemm is a 1x1 conv on a 1x1 image.
 *   BinaryWeightConv         one dispatch, `binary_weight_conv`: float activations, weights read from bits.
 *   BinaryConvBits           [`binary_pack` for f32 X], then `binary_conv_bits`: one thread per output word (32
 *                            channels of one pixel), bits = dot in [Q0, Q1], fused MaxPool by OR / AND.
 * A bit-packed X (from a BinaryConvBits) is bound directly as the conv's packed input: no pack dispatch.
 *
 * Weights are repacked at load into [ceil(M/4)][KH][KW][words] vec4s (4 output channels per vec4, padding bits
 * cleared) and uploaded as a derived constant; the packed activations live in a per-node scratch buffer, also
 * declared as a derived constant (the executor allocates one buffer per name). Bit words travel in the
 * executor's f32 buffers as raw bit patterns (WGSL bitcast), never through float arithmetic.
 */
import type { Node, Tensor } from '../../graph/ir.js';
import { binaryConvParams, fusedPool, paddedChannels, wordsFor } from '../../graph/ops/binary.js';
import { poolOutputSpatial } from '../../graph/ops/pool.js';
import { convOutputSpatial } from '../../graph/ops/conv.js';
import { readEpilogue } from '../../graph/ops/fused.js';
import { fusedEpilogue } from './fused.js';
import { WG, inputShape } from './kernel_util.js';
import { WebGPUKernelError, groupsFor, type Kernel, type KernelContext, type KernelPlan, type ProgramSpec } from './program.js';

/** Channel mask of the last word (all ones when C is a multiple of 32). */
function lastMask(c: number): number {
  const rest = c % 32;
  return rest === 0 ? 0xffffffff : ((1 << rest) >>> 0) - 1;
}

/** [M, taps, words] sign words -> [ceil(M/4)][taps][words][4] with channel padding bits cleared; as f32 bits. */
export function packBinaryWeightsOc4(bits: Uint32Array, m: number, taps: number, c: number): Float32Array {
  const words = wordsFor(c);
  const blocks = Math.ceil(m / 4);
  const out = new Uint32Array(blocks * taps * words * 4);
  for (let o = 0; o < m; o++)
    for (let t = 0; t < taps; t++)
      for (let j = 0; j < words; j++) {
        const mask = j === words - 1 ? lastMask(c) : 0xffffffff;
        out[((((o >> 2) * taps + t) * words + j) << 2) + (o & 3)] = (bits[(o * taps + t) * words + j]! & mask) >>> 0;
      }
  return new Float32Array(out.buffer);
}

function weightsOf(ctx: KernelContext): Tensor {
  const w = ctx.constant?.(ctx.node.inputs[1]!);
  if (!w || w.dtype !== 'binary' || !(w.data instanceof Uint32Array))
    throw new WebGPUKernelError('binary weights W must be a constant binary tensor', ctx.node.name, ctx.node.op);
  return w;
}

/** in_channels of a bit-packed X (0 when X is f32). */
function packedInput(ctx: KernelContext): number {
  const { node } = ctx;
  if (node.op !== 'BinaryConv' && node.op !== 'BinaryConvBits') return 0;
  const c = node.attrs['in_channels'];
  if (c === undefined) return 0;
  if (typeof c !== 'number' || !Number.isInteger(c) || c < 1) throw new WebGPUKernelError('in_channels must be a positive int', node.name, node.op);
  const x = inputShape(ctx, 0);
  if (x.length !== 4 || x[3] !== paddedChannels(c)) throw new WebGPUKernelError(`bit-packed X [${x.join(', ')}] does not hold ${c} channels`, node.name, node.op);
  if ((node.attrs['zero_sign'] ?? -1) !== -1) throw new WebGPUKernelError('bit-packed X needs zero_sign -1', node.name, node.op);
  return c;
}

interface Geometry {
  n: number; c: number; h: number; w: number; m: number; oh: number; ow: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number;
}

function geometry(ctx: KernelContext): Geometry {
  const { node } = ctx;
  const y = ctx.outputShapes[0]!;
  if (node.op === 'BinaryGemm') {
    const [n, k] = inputShape(ctx, 0) as [number, number];
    return { n, c: k, h: 1, w: 1, m: y[1]!, oh: 1, ow: 1, kh: 1, kw: 1, sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pl: 0 };
  }
  const x = inputShape(ctx, 0) as [number, number, number, number];
  const packed = packedInput(ctx);
  const [n, c, h, w] = packed ? [x[0], packed, x[1], x[2]] : x;
  const p = binaryConvParams(node);
  const m = weightsOf(ctx).shape[0]!;
  const [oh, ow] = convOutputSpatial([n, c, h, w], p) as [number, number];
  return {
    n, c, h, w, m, oh, ow,
    kh: p.kernel[0]!, kw: p.kernel[1]!, sh: p.strides[0]!, sw: p.strides[1]!, dh: p.dilations[0]!, dw: p.dilations[1]!,
    pt: p.pads[0]!, pl: p.pads[1]!,
  };
}

function convUniforms(g: Geometry, threads: number) {
  return [
    { name: 'total', type: 'u32', value: threads },
    { name: 'in_c', type: 'u32', value: g.c },
    { name: 'in_h', type: 'u32', value: g.h },
    { name: 'in_w', type: 'u32', value: g.w },
    { name: 'out_c', type: 'u32', value: g.m },
    { name: 'out_h', type: 'u32', value: g.oh },
    { name: 'out_w', type: 'u32', value: g.ow },
    { name: 'stride_h', type: 'u32', value: g.sh },
    { name: 'stride_w', type: 'u32', value: g.sw },
    { name: 'dil_h', type: 'u32', value: g.dh },
    { name: 'dil_w', type: 'u32', value: g.dw },
    { name: 'pad_top', type: 'i32', value: g.pt },
    { name: 'pad_left', type: 'i32', value: g.pl },
    { name: 'oc_blocks', type: 'u32', value: Math.ceil(g.m / 4) },
    { name: 'ow_blocks', type: 'u32', value: Math.ceil(g.ow / 4) },
  ] as const;
}

/** Input index of the optional bias, thresholds and residual. */
const BIAS = 3;
const THRESHOLDS = 4;
const RESIDUAL = 5;

/** Residual binding and defines (`// @if RES_BEFORE` / `RES_AFTER` lines of the shaders). */
function residual(node: Node) {
  if (!present(node, RESIDUAL)) return { bindings: [], defines: { RES_BEFORE: 0, RES_AFTER: 0 } };
  const after = readEpilogue(node).residualAfterActivation;
  return { bindings: [{ wgsl: 'res', tensor: node.inputs[RESIDUAL]! }], defines: { RES_BEFORE: after ? 0 : 1, RES_AFTER: after ? 1 : 0 } };
}

function present(node: Node, i: number): boolean {
  return (node.inputs[i] ?? '') !== '';
}

/** Binarised input of a BinaryConv / BinaryGemm / BinaryConvBits: the pack program and its scratch, or packed X. */
function packedActivations(ctx: KernelContext, g: Geometry, thresholdsIndex: number) {
  const { node } = ctx;
  const words = wordsFor(g.c);
  const pixels = g.h * g.w;
  const plane = g.n * pixels * words;
  if (packedInput(ctx)) {
    if (present(node, thresholdsIndex)) throw new WebGPUKernelError('bit-packed X takes no thresholds T', node.name, node.op);
    return { tensor: node.inputs[0]!, plane, zeroSignZero: false, programs: [] as ProgramSpec[], constants: [] as { name: string; data: Float32Array }[] };
  }
  const zeroSignZero = (node.attrs['zero_sign'] ?? -1) === 0;
  const hasT = present(node, thresholdsIndex);
  const scratch = `\u0000binary_x:${node.name}`;
  const pack: ProgramSpec = {
    name: zeroSignZero ? 'binary_pack_ternary' : 'binary_pack',
    shader: 'binary_pack',
    defines: { WG, HAS_T: hasT ? 1 : 0, ZERO_SIGN_ZERO: zeroSignZero ? 1 : 0 },
    inputs: [{ wgsl: 'x', tensor: node.inputs[0]! }, ...(hasT ? [{ wgsl: 'th', tensor: node.inputs[thresholdsIndex]! }] : [])],
    outputs: [{ wgsl: 'xp', tensor: scratch }],
    uniforms: [
      { name: 'total', type: 'u32', value: g.n * words * pixels },
      { name: 'pixels', type: 'u32', value: pixels },
      { name: 'words', type: 'u32', value: words },
      { name: 'channels', type: 'u32', value: g.c },
      { name: 'plane', type: 'u32', value: plane },
    ],
    workgroups: groupsFor(g.n * words * pixels, WG),
  };
  return { tensor: scratch, plane, zeroSignZero, programs: [pack], constants: [{ name: scratch, data: new Float32Array(plane * (zeroSignZero ? 2 : 1)) }] };
}

/** BinaryConv and BinaryGemm. */
export const binaryConvKernel: Kernel = (ctx): KernelPlan => {
  const { node } = ctx;
  const g = geometry(ctx);
  const w = weightsOf(ctx);
  const padMinusOne = node.op === 'BinaryConv' && binaryConvParams(node).padValue === -1;
  const words = wordsFor(g.c);
  const hasBias = present(node, BIAS);
  const act = fusedEpilogue({ ...node, op: 'FusedConv', inputs: [] });
  const res = residual(node);
  const weights = `\u0000binary_w_oc4:${node.inputs[1]}:${g.c}`;
  const x = packedActivations(ctx, g, THRESHOLDS);
  const zeroSignZero = x.zeroSignZero;
  const threads = g.n * Math.ceil(g.m / 4) * g.oh * Math.ceil(g.ow / 4);
  const conv: ProgramSpec = {
    name: `binary_conv${padMinusOne ? '_pad_m1' : ''}${zeroSignZero ? '_ternary' : ''}`,
    shader: 'binary_conv',
    defines: { WG, KH: g.kh, KW: g.kw, WORDS: words, HAS_BIAS: hasBias ? 1 : 0, PAD_MINUS_ONE: padMinusOne ? 1 : 0, ZERO_SIGN_ZERO: zeroSignZero ? 1 : 0, ...res.defines },
    activation: act.activation,
    inputs: [
      { wgsl: 'xp', tensor: x.tensor },
      { wgsl: 'w', tensor: weights, vec4: true },
      { wgsl: 'alpha', tensor: node.inputs[2]! },
      ...(hasBias ? [{ wgsl: 'bias', tensor: node.inputs[BIAS]! }] : []),
      ...res.bindings,
    ],
    outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
    uniforms: [...convUniforms(g, threads), { name: 'plane', type: 'u32', value: x.plane }, { name: 'last_mask', type: 'u32', value: lastMask(g.c) }, ...act.uniforms],
    workgroups: groupsFor(threads, WG),
    macs: g.n * g.m * g.oh * g.ow * g.c * g.kh * g.kw,
  };
  return {
    constants: [...x.constants, { name: weights, data: packBinaryWeightsOc4(w.data as Uint32Array, g.m, g.kh * g.kw, g.c) }],
    programs: [...x.programs, conv],
  };
};

/** [M, taps, words] sign words -> [ceil(M/32)][taps][words][8][4] (32 output channels per tap word, zero-padded). */
export function packBinaryWeightsOc32(bits: Uint32Array, m: number, taps: number, c: number): Float32Array {
  const words = wordsFor(c);
  const out = new Uint32Array(wordsFor(m) * taps * words * 32);
  for (let o = 0; o < m; o++)
    for (let t = 0; t < taps; t++)
      for (let j = 0; j < words; j++) {
        const mask = j === words - 1 ? lastMask(c) : 0xffffffff;
        out[((((o >> 5) * taps + t) * words + j) << 5) + (o & 31)] = (bits[(o * taps + t) * words + j]! & mask) >>> 0;
      }
  return new Float32Array(out.buffer);
}

/** Q [3, M] (i32) -> [lo x M32][hi x M32][pooling OR-mask x words] as f32 bits; padding channels: empty, OR. */
export function packBitIntervals(q: Int32Array, m: number): Float32Array {
  const m32 = paddedChannels(m);
  const out = new Int32Array(2 * m32 + wordsFor(m));
  out.fill(1, 0, m32);
  out.fill(0, m32, 2 * m32);
  out.fill(-1, 2 * m32);
  for (let o = 0; o < m; o++) {
    out[o] = q[o]!;
    out[m32 + o] = q[m + o]!;
    if (q[2 * m + o] === 0) out[2 * m32 + (o >> 5)]! &= ~(1 << (o & 31));
  }
  return new Float32Array(out.buffer);
}

/**
 * Threads per output word of binary_conv_bits: 1 (a thread computes all 32 channels: most reuse of each input
 * word) up to 8 (4 channels each, bits OR-ed in workgroup memory: 8x the threads for tiny late layers).
 * The smallest split giving at least `minThreads` threads is used. On SwiftShader split 1 was fastest for every
 * VGG-13 layer, even one with a single workgroup (docs/binary.md), so only layers below one workgroup split.
 * Exposed for the benchmark harness and tests (`split` forces a value).
 */
export const binaryConvBitsTuning = { minThreads: 64, split: 0 as 0 | 1 | 2 | 4 | 8 };

function bitsSplit(words: number): 1 | 2 | 4 | 8 {
  if (binaryConvBitsTuning.split) return binaryConvBitsTuning.split;
  for (const s of [1, 2, 4] as const) if (words * s >= binaryConvBitsTuning.minThreads) return s;
  return 8;
}

export const binaryConvBitsKernel: Kernel = (ctx): KernelPlan => {
  const { node } = ctx;
  const g = geometry(ctx);
  const w = weightsOf(ctx);
  const q = ctx.constant?.(node.inputs[2]!);
  if (!q || q.dtype !== 'i32' || !(q.data instanceof Int32Array) || q.data.length !== 3 * g.m)
    throw new WebGPUKernelError(`Q must be a constant i32 [3, ${g.m}] tensor`, node.name, node.op);
  const padMinusOne = binaryConvParams(node).padValue === -1;
  const pool = fusedPool(node, [g.n, g.m, g.oh, g.ow]);
  const [ph, pw] = pool ? poolOutputSpatial([g.n, g.m, g.oh, g.ow], pool) : [g.oh, g.ow];
  const wordsOut = wordsFor(g.m);
  const x = packedActivations(ctx, g, 3);
  const weights = `\u0000binary_w_oc32:${node.inputs[1]}:${g.c}`;
  const intervals = `\u0000binary_q:${node.inputs[2]}`;
  const items = g.n * wordsOut * ph! * pw!;
  const split = bitsSplit(items);
  const convG = { ...g, oh: ph!, ow: pw! };
  const p = pool ?? { kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1] };
  const conv: ProgramSpec = {
    name: `binary_conv_bits${pool ? '_pool' : ''}${padMinusOne ? '_pad_m1' : ''}${x.zeroSignZero ? '_ternary' : ''}${split > 1 ? `_split${split}` : ''}`,
    shader: 'binary_conv_bits',
    defines: {
      WG, KH: g.kh, KW: g.kw, WORDS: wordsFor(g.c), PAD_MINUS_ONE: padMinusOne ? 1 : 0, ZERO_SIGN_ZERO: x.zeroSignZero ? 1 : 0,
      POOL: pool ? 1 : 0, PKH: p.kernel[0]!, PKW: p.kernel[1]!, SPLIT: split, GROUPS: 8 / split, G2: split <= 4 ? 1 : 0, G4: split <= 2 ? 1 : 0, G8: split === 1 ? 1 : 0, SHARED: split > 1 ? 1 : 0,
    },
    inputs: [
      { wgsl: 'xp', tensor: x.tensor },
      { wgsl: 'w', tensor: weights, vec4: true },
      { wgsl: 'q', tensor: intervals },
    ],
    outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
    uniforms: [
      ...convUniforms(convG, items),
      { name: 'plane', type: 'u32', value: x.plane },
      { name: 'last_mask', type: 'u32', value: lastMask(g.c) },
      { name: 'conv_h', type: 'u32', value: g.oh },
      { name: 'conv_w', type: 'u32', value: g.ow },
      { name: 'words_out', type: 'u32', value: wordsOut },
      { name: 'm32', type: 'u32', value: paddedChannels(g.m) },
      { name: 'pool_sh', type: 'u32', value: p.strides[0]! },
      { name: 'pool_sw', type: 'u32', value: p.strides[1]! },
      { name: 'pool_dh', type: 'u32', value: p.dilations[0]! },
      { name: 'pool_dw', type: 'u32', value: p.dilations[1]! },
      { name: 'pool_pt', type: 'i32', value: p.pads[0]! },
      { name: 'pool_pl', type: 'i32', value: p.pads[1]! },
    ],
    workgroups: groupsFor(items * split, WG),
    macs: g.n * g.m * g.oh * g.ow * g.c * g.kh * g.kw,
  };
  return {
    constants: [
      ...x.constants,
      { name: weights, data: packBinaryWeightsOc32(w.data as Uint32Array, g.m, g.kh * g.kw, g.c) },
      { name: intervals, data: packBitIntervals(q.data, g.m) },
    ],
    programs: [...x.programs, conv],
  };
};

export const binaryWeightConvKernel: Kernel = (ctx): KernelPlan => {
  const { node } = ctx;
  const g = geometry(ctx);
  const w = weightsOf(ctx);
  const hasBias = present(node, BIAS);
  const act = fusedEpilogue({ ...node, op: 'FusedConv', inputs: [] });
  const res = residual(node);
  const weights = `\u0000binary_w_oc4:${node.inputs[1]}:${g.c}`;
  const threads = g.n * Math.ceil(g.m / 4) * g.oh * Math.ceil(g.ow / 4);
  return {
    constants: [{ name: weights, data: packBinaryWeightsOc4(w.data as Uint32Array, g.m, g.kh * g.kw, g.c) }],
    programs: [
      {
        name: 'binary_weight_conv',
        shader: 'binary_weight_conv',
        defines: { WG, KH: g.kh, KW: g.kw, WORDS: wordsFor(g.c), HAS_BIAS: hasBias ? 1 : 0, ...res.defines },
        activation: act.activation,
        inputs: [
          { wgsl: 'x', tensor: node.inputs[0]! },
          { wgsl: 'w', tensor: weights, vec4: true },
          { wgsl: 'alpha', tensor: node.inputs[2]! },
          ...(hasBias ? [{ wgsl: 'bias', tensor: node.inputs[BIAS]! }] : []),
          ...res.bindings,
        ],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [...convUniforms(g, threads), ...act.uniforms],
        workgroups: groupsFor(threads, WG),
        macs: g.n * g.m * g.oh * g.ow * g.c * g.kh * g.kw,
      },
    ],
  };
};

export const binaryWebgpuKernels: Record<string, Kernel> = {
  BinaryConv: binaryConvKernel,
  BinaryGemm: binaryConvKernel,
  BinaryWeightConv: binaryWeightConvKernel,
  BinaryConvBits: binaryConvBitsKernel,
};
