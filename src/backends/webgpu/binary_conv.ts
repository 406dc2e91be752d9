/**
 * WebGPU kernels of the binary ops (src/graph/ops/binary.ts, docs/binary.md):
 *
 *   BinaryConv / BinaryGemm  two dispatches: `binary_pack` binarises X (thresholds T folded in) into bit-packed
 *                            channel words per pixel, then `binary_conv` does the XNOR-popcount convolution with
 *                            the fused alpha / bias / activation epilogue. A Gemm is a 1x1 conv on a 1x1 image.
 *   BinaryWeightConv         one dispatch, `binary_weight_conv`: float activations, weights read from bits.
 *
 * Weights are repacked at load into [ceil(M/4)][KH][KW][words] vec4s (4 output channels per vec4, padding bits
 * cleared) and uploaded as a derived constant; the packed activations live in a per-node scratch buffer, also
 * declared as a derived constant (the executor allocates one buffer per name). Bit words travel in the
 * executor's f32 buffers as raw bit patterns (WGSL bitcast), never through float arithmetic.
 */
import type { Node, Tensor } from '../../graph/ir.js';
import { binaryConvParams, wordsFor } from '../../graph/ops/binary.js';
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
  const [n, c, h, w] = inputShape(ctx, 0) as [number, number, number, number];
  const p = binaryConvParams(node);
  return {
    n, c, h, w, m: y[1]!, oh: y[2]!, ow: y[3]!,
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

/** BinaryConv and BinaryGemm. */
export const binaryConvKernel: Kernel = (ctx): KernelPlan => {
  const { node } = ctx;
  const g = geometry(ctx);
  const w = weightsOf(ctx);
  const zeroSignZero = (node.attrs['zero_sign'] ?? -1) === 0;
  const padMinusOne = node.op === 'BinaryConv' && binaryConvParams(node).padValue === -1;
  const words = wordsFor(g.c);
  const pixels = g.h * g.w;
  const plane = g.n * pixels * words;
  const hasT = present(node, THRESHOLDS);
  const hasBias = present(node, BIAS);
  const act = fusedEpilogue({ ...node, op: 'FusedConv', inputs: [] });
  const res = residual(node);
  const scratch = `\u0000binary_x:${node.name}`;
  const weights = `\u0000binary_w_oc4:${node.inputs[1]}:${g.c}`;
  const pack: ProgramSpec = {
    name: zeroSignZero ? 'binary_pack_ternary' : 'binary_pack',
    shader: 'binary_pack',
    defines: { WG, HAS_T: hasT ? 1 : 0, ZERO_SIGN_ZERO: zeroSignZero ? 1 : 0 },
    inputs: [{ wgsl: 'x', tensor: node.inputs[0]! }, ...(hasT ? [{ wgsl: 'th', tensor: node.inputs[THRESHOLDS]! }] : [])],
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
  const threads = g.n * Math.ceil(g.m / 4) * g.oh * Math.ceil(g.ow / 4);
  const conv: ProgramSpec = {
    name: `binary_conv${padMinusOne ? '_pad_m1' : ''}${zeroSignZero ? '_ternary' : ''}`,
    shader: 'binary_conv',
    defines: { WG, KH: g.kh, KW: g.kw, WORDS: words, HAS_BIAS: hasBias ? 1 : 0, PAD_MINUS_ONE: padMinusOne ? 1 : 0, ZERO_SIGN_ZERO: zeroSignZero ? 1 : 0, ...res.defines },
    activation: act.activation,
    inputs: [
      { wgsl: 'xp', tensor: scratch },
      { wgsl: 'w', tensor: weights, vec4: true },
      { wgsl: 'alpha', tensor: node.inputs[2]! },
      ...(hasBias ? [{ wgsl: 'bias', tensor: node.inputs[BIAS]! }] : []),
      ...res.bindings,
    ],
    outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
    uniforms: [...convUniforms(g, threads), { name: 'plane', type: 'u32', value: plane }, { name: 'last_mask', type: 'u32', value: lastMask(g.c) }, ...act.uniforms],
    workgroups: groupsFor(threads, WG),
    macs: g.n * g.m * g.oh * g.ow * g.c * g.kh * g.kw,
  };
  return {
    constants: [
      { name: scratch, data: new Float32Array(plane * (zeroSignZero ? 2 : 1)) },
      { name: weights, data: packBinaryWeightsOc4(w.data as Uint32Array, g.m, g.kh * g.kw, g.c) },
    ],
    programs: [pack, conv],
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
};
