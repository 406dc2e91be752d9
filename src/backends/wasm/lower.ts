/**
 * Lowering of graph nodes to WASM kernel calls. Each lowerer looks at one node (op, attributes, shapes, and where
 * its tensors sit in the memory plan) and returns a kernel call: the kernel id, the weights it needs packed into
 * linear memory, the scratch each thread needs, and an encoder that writes the parameter block once addresses are
 * known (field order = the enums in kernels/<kernel>.c). A node no lowerer takes (or a layout a kernel cannot
 * address: a tensor whose H x W plane is not dense) runs on the CPU reference kernel instead, on the same memory
 * (executor.ts), and `WasmExecutor.fallbackNodes` lists it.
 */
import { attrFloat, attrInt, sizeOf, stridesOf, type Graph, type Node, type Shape, type Tensor } from '../../graph/ir.js';
import { convParams, convOutputSpatial } from '../../graph/ops/conv.js';
import { matmulLayout } from '../../graph/ops/gemm.js';
import { readEpilogue, type Epilogue } from '../../graph/ops/fused.js';
import { geluApproximation } from '../../graph/ops/gelu.js';
import { poolParams, poolOutputSpatial } from '../../graph/ops/pool.js';
import { batchNormLinearTerms } from '../../graph/ops/batchnorm.js';
import { alignedScaleShape } from '../../graph/ops/channel_scale.js';
import { readFusedBatchNorm } from '../../graph/ops/fused_batchnorm.js';
import { normalizeSlice } from '../../graph/ops/shape_ops.js';
import type { MemoryPlan, TensorPlacement } from '../../plan/types.js';
import { packConvBias, packConvWeights, packGemm, packGemmBias, packWinogradWeights, type PackedLater } from './pack.js';
import { lowerBinary } from './lower_binary.js';
import { lowerConv3d } from './lower_conv3d.js';
import { lowerAttention, lowerChannelLayerNorm, lowerLayerNorm, lowerSoftmax } from './lower_transformer.js';

/**
 * Packed weights by source tensor, for one executor's lowering (ctx.packed): a weight read by several calls (a 3-D
 * conv's depth slices) is packed, and placed, once. Not global: the packed copies are garbage once in wasm memory.
 */
function packedOnce(ctx: LowerContext, w: Tensor, key: string, pack: () => PackedLater): PackedLater {
  if (!ctx.packed) return pack();
  let m = ctx.packed.get(w);
  if (!m) ctx.packed.set(w, (m = new Map()));
  let p = m.get(key);
  if (!p) m.set(key, (p = pack()));
  return p;
}

/** Kernel ids: the enum in kernels/program.c. */
export const KERNEL_IDS = { conv2d: 0, depthwise2d: 1, pool2d: 2, eltwise: 3, channel_affine: 4, gemm: 5, pad2d: 6, binarize: 7, bdots: 8, bbits: 9, layer_norm: 10, softmax: 11, attention: 12, copy6: 13, winograd: 14 } as const;
export type KernelName = keyof typeof KERNEL_IDS;

/** Activation codes: the enum in kernels/common.h. */
const ACT_CODES: Record<Epilogue['activation'], number> = {
  none: 0,
  relu: 1,
  clip: 2,
  leaky_relu: 3,
  hard_sigmoid: 4,
  hard_swish: 5,
  sigmoid: 6,
  silu: 7,
  tanh: 8,
  gelu: 9,
  gelu_tanh: 10,
};

/** Addresses the encoder needs, resolved after layout. */
export interface Addresses {
  /** Byte address of element 0 of an activation tensor (or of a constant placed by the lowerer). */
  tensor(name: string): number;
  /** Byte address of the lowerer's i-th packed weight array. */
  weight(i: number): number;
  /** Per-thread scratch: base address and byte stride between threads. */
  scratch: number;
  scratchStride: number;
  /** One scratch area shared by all threads (e.g. a conv's padded input), reused by every call. */
  shared: number;
  /**
   * Threads that will run this program. The executor encodes a pooled program (its thread count) and, beside it,
   * a one-thread program for runs on the calling thread alone: splitting a node into channel chunks only pays when
   * threads share them (each chunk repeats its block's im2col or Winograd input transform).
   */
  threads: number;
}

export interface KernelCall {
  node: Node;
  kernel: KernelName;
  /** Arrays to place in linear memory (packed weights, biases, tap offsets), or packings written there at layout. */
  weights: (Float32Array | Int32Array | PackedLater)[];
  scratchBytes: number;
  /** Bytes of the shared scratch area this call uses (0: none). */
  sharedBytes?: number;
  /** Constant inputs read in place (initializers placed in memory under their own name). */
  constants: string[];
  encode(a: Addresses): number[];
}

export interface LowerContext {
  graph: Graph;
  plan: MemoryPlan;
  constant(name: string): Tensor | undefined;
  /** Views the lowerers add (depth slices of a 3-D conv), addressed like planned tensors. */
  views?: Map<string, TensorPlacement>;
  /** Weights packed so far in this lowering (see packedOnce). */
  packed?: Map<Tensor, Map<string, PackedLater>>;
}

export const f32bits = (() => {
  const f = new Float32Array(1);
  const i = new Int32Array(f.buffer);
  return (x: number) => {
    f[0] = x;
    return i[0]!;
  };
})();

export function epilogueFields(e: Epilogue): number[] {
  return [ACT_CODES[e.activation], f32bits(e.alpha), f32bits(e.beta), f32bits(e.min), f32bits(e.max), e.residualAfterActivation ? 1 : 0];
}

const NO_EPILOGUE: Epilogue = { activation: 'none', alpha: 0, beta: 0, min: -Infinity, max: Infinity, residualAfterActivation: false };

/** [N, C, H, W] view of a rank-3/4 placement whose H x W plane is dense: { ns, cs } strides, or undefined. */
export function planeStrides(t: TensorPlacement | undefined): { ns: number; cs: number; H: number; W: number; N: number; C: number } | undefined {
  if (!t || t.dtype !== 'f32') return undefined;
  const s = t.shape;
  if (s.length === 4) {
    const [N, C, H, W] = s as [number, number, number, number];
    if ((W > 1 && t.strides[3] !== 1) || (H > 1 && t.strides[2] !== W)) return undefined;
    return { N, C, H, W, ns: t.strides[0]!, cs: t.strides[1]! };
  }
  if (s.length === 3) {
    const [N, C, W] = s as [number, number, number];
    if (W > 1 && t.strides[2] !== 1) return undefined;
    return { N, C, H: 1, W, ns: t.strides[0]!, cs: t.strides[1]! };
  }
  return undefined;
}

/**
 * [N, C, 1, S] view of a rank >= 3 placement whose spatial dims (D x H x W, ...) form one dense block per channel:
 * for the ops that treat a channel's plane as a whole (global pools, per-channel affine / scale).
 */
export function flatPlanes(t: TensorPlacement | undefined): ReturnType<typeof planeStrides> {
  if (!t || t.dtype !== 'f32' || t.shape.length < 3) return undefined;
  if (t.shape.length <= 4) return planeStrides(t);
  const spatial = t.shape.slice(2);
  let expect = 1;
  for (let i = t.shape.length - 1; i >= 2; i--) {
    if (t.shape[i]! > 1 && t.strides[i] !== expect) return undefined;
    expect *= t.shape[i]!;
  }
  return { N: t.shape[0]!, C: t.shape[1]!, H: 1, W: sizeOf(spatial), ns: t.strides[0]!, cs: t.strides[1]! };
}

function f32Const(ctx: LowerContext, name: string | undefined): Float32Array | undefined {
  if (!name) return undefined;
  const t = ctx.constant(name);
  return t && t.dtype === 'f32' ? (t.data as Float32Array) : undefined;
}

/** A conv input read from elsewhere than its placement (ChannelScaleConv: the scaled copy in shared scratch). */
interface InputOverride {
  address(a: Addresses): number;
  ns: number;
  cs: number;
}

/**
 * Rows and row length of the padded plane a window kernel reads (depthwise conv, MaxPool): every tap of every output,
 * including the 4-lane vector reads (stride 2 loads 8 floats and keeps the even lanes).
 */
function paddedPlane(H: number, W: number, OH: number, OW: number, KH: number, KW: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number): [number, number] {
  const Hp = Math.max(H + ph, (OH - 1) * sh + (KH - 1) * dh + 1);
  const ow4 = Math.max(4, Math.ceil(OW / 4) * 4);
  const Wp = Math.max(W + pw, (ow4 - 4) * sw + (KW - 1) * dw + (sw === 2 ? 8 : sw === 1 ? 4 : 3 * sw + 1), (OW - 1) * sw + (KW - 1) * dw + 1);
  return [Hp, Wp];
}

/** ChannelScaleConv's input scale s read by the conv's column copy: its name and its strides over (n, c). */
interface ConvInputScale {
  name: string;
  ns: number;
  cs: number;
  constant: boolean;
}

/**
 * `scale`: only a 1×1 unpadded conv takes one (its column copy multiplies, and there are no padding zeros the scale
 * could turn into NaN); any other geometry returns undefined.
 */
function lowerConv(node: Node, ctx: LowerContext, override?: InputOverride, scale?: ConvInputScale): KernelCall | KernelCall[] | undefined {
  const [xName, wName, bName, rName] = node.inputs;
  const placed = planeStrides(ctx.plan.tensors.get(xName!));
  const x = placed && override ? { ...placed, ns: override.ns, cs: override.cs } : placed;
  const inputAddr = (a: Addresses) => (override ? override.address(a) : a.tensor(xName!));
  const y = planeStrides(ctx.plan.tensors.get(node.outputs[0]!));
  const w = ctx.constant(wName!);
  if (!x || !y || !w || w.dtype !== 'f32' || w.shape.length !== ctx.plan.tensors.get(xName!)!.shape.length) return undefined;
  const bias = bName ? f32Const(ctx, bName) : undefined;
  if (bName && !bias) return undefined;
  const r = rName ? planeStrides(ctx.plan.tensors.get(rName)) : undefined;
  if (rName && !r) return undefined;
  const xShape = ctx.plan.tensors.get(xName!)!.shape;
  const p = convParams(node, xShape, w.shape);
  const e = node.op === 'FusedConv' || node.op === 'ChannelScaleConv' ? readEpilogue(node) : NO_EPILOGUE;
  const two = p.spatialRank === 2;
  const [KH, KW] = two ? p.kernel : [1, p.kernel[0]!];
  const [sh, sw] = two ? p.strides : [1, p.strides[0]!];
  const [dh, dw] = two ? p.dilations : [1, p.dilations[0]!];
  const [ph, pw] = two ? [p.pads[0]!, p.pads[1]!] : [0, p.pads[0]!];
  const out = convOutputSpatial(xShape, p);
  const [OH, OW] = two ? out : [1, out[0]!];
  const cout = w.shape[0]!;
  const cin = x.C;
  const G = p.group;
  const wdata = w.data as Float32Array;
  const common = [x.N, cin, x.H, x.W];
  if (scale && !(KH === 1 && KW === 1 && sh === 1 && sw === 1 && p.pads.every((v) => v === 0))) return undefined;
  if (G === cin && cout === cin && cin > 1 && !scale) {
    // Depthwise: padded plane per thread (rows Hp, row length Wp).
    const [Hp, Wp] = paddedPlane(x.H, x.W, OH, OW, KH, KW, sh, sw, ph, pw, dh, dw);
    const b = new Float32Array(cin);
    if (bias) b.set(bias);
    return {
      node,
      kernel: 'depthwise2d',
      weights: [wdata, b],
      scratchBytes: Hp * Wp * 4,
      constants: [],
      encode: (a) => [
        inputAddr(a), a.tensor(node.outputs[0]!), rName ? a.tensor(rName) : 0, a.weight(0), a.weight(1),
        x.N, cin, x.H, x.W, OH, OW, KH, KW, sh, sw, ph, pw, dh, dw,
        x.ns, x.cs, y.ns, y.cs, r?.ns ?? 0, r?.cs ?? 0,
        ...epilogueFields(e), a.scratch, a.scratchStride, Hp, Wp,
      ],
    };
  }
  const K = (cin / G) * KH * KW;
  const P = OH * OW;
  const tiles = Math.ceil(cout / G / 4);
  const [peh, pew] = two ? [p.pads[2]!, p.pads[3]!] : [0, p.pads[1]!];
  if (!scale && two && KH === 3 && KW === 3 && sh === 1 && sw === 1 && dh === 1 && dw === 1 && G === 1 && winogradPays(cin, cout, OH, OW)) {
    const geom = { N: x.N, cin, H: x.H, W: x.W, ns: x.ns, cs: x.cs, cout, OH, OW, pads: [ph, pw, peh, pew] as const };
    return lowerWinograd(node, ctx, geom, w, bias, inputAddr, y, rName ? { name: rName, ...r! } : undefined, e);
  }
  const packed = [packedOnce(ctx, w, `conv ${cout} ${G} ${K}`, () => packConvWeights(wdata, cout, G, K, true)), packConvBias(bias, cout, G)];
  const plain1x1 = KH === 1 && KW === 1 && sh === 1 && sw === 1 && ph === 0 && pw === 0 && peh === 0 && pew === 0;
  // A 1x1 conv reads its input rows in place only when few output channels share them: otherwise each pixel block
  // is copied into a contiguous panel first (K streams 8 floats at a time from rows a plane apart thrash the cache;
  // the copy costs 4 / C_out of the arithmetic).
  const is1x1 = plain1x1 && cout / G <= 8 && !scale;
  const epi = epilogueFields(e);
  const fields = (a: Addresses, input: number, NB: number, chunks: number, mode: number, Hp = 0, Wp = 0, offs = 0) => [
    input, a.tensor(node.outputs[0]!), rName ? a.tensor(rName) : 0, a.weight(0), a.weight(1),
    ...common, cout, OH, OW, KH, KW, sh, sw, ph, pw, dh, dw, G,
    x.ns, x.cs, y.ns, y.cs, r?.ns ?? 0, r?.cs ?? 0,
    ...epi, a.scratch, a.scratchStride, NB, chunks, mode, Hp, Wp, offs,
    scale ? a.tensor(scale.name) : 0, scale?.ns ?? 0, scale?.cs ?? 0,
  ];
  if (sh === 1 && sw === 1 && !plain1x1) {
    // Stride 1: pad the input once (pad2d), then read every tap in place (MODE_PADDED, kernels/conv.c).
    const Hp = x.H + ph + peh;
    const Wp = x.W + pw + pew;
    const offs = new Int32Array(K);
    let k = 0;
    for (let ci = 0; ci < cin / G; ci++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) offs[k++] = ci * Hp * Wp + kh * dh * Wp + kw * dw;
    // Rows per work item: >= 64 output pixels, so a channel tile's weights are reused from cache (7x7 planes).
    const R = Math.min(OH, Math.max(1, Math.ceil(64 / OW)));
    const rows = x.N * G * Math.ceil(OH / R);
    // + one row and 8 floats: lanes past a row's end read into the next row (computed, never stored)
    const sharedBytes = (x.N * cin * Hp * Wp + Wp + 16) * 4;
    const pad = pad2dCall(node, inputAddr, x, Hp, Wp, ph, pw, sharedBytes);
    const conv: KernelCall = {
      node,
      kernel: 'conv2d',
      weights: [...packed, offs],
      scratchBytes: 0,
      sharedBytes,
      constants: [],
      encode: (a) => fields(a, a.shared, R, channelChunks(rows, tiles, a.threads), 2, Hp, Wp, a.weight(2)),
    };
    return [pad, conv];
  }
  // Pixel blocks: the column buffer (K x NB floats) stays within ~128 KB (L2), blocks of equal size. Work items
  // (batch, group, block, channel chunk) number at least 4 per thread when the channels allow, so a static split
  // stays balanced; every chunk of a block copies the block's columns again (1/(4 x tiles per chunk) extra).
  const nbMax = Math.min(512, Math.max(32, Math.floor(32768 / K) & ~7));
  const nblocks = Math.ceil(P / nbMax);
  const NB = Math.ceil(Math.ceil(P / nblocks) / 8) * 8;
  const items = x.N * G * nblocks;
  // K panel rows plus the one row im2col gathers before spreading it over the panels (kernels/conv.c)
  const scratchBytes = (K + 1) * (is1x1 ? 8 : Math.min(NB, Math.ceil(P / 8) * 8)) * 4;
  return {
    node,
    kernel: 'conv2d',
    weights: packed,
    scratchBytes,
    constants: scale?.constant ? [scale.name] : [],
    encode: (a) => fields(a, inputAddr(a), NB, channelChunks(items, tiles, a.threads), is1x1 ? 1 : 0),
  };
}

/**
 * Channel chunks per work item of a conv: with threads, enough that every thread gets ~4 items (a static split stays
 * balanced when the pixel blocks are few); alone, none (each chunk repeats its block's input gather or transform).
 */
function channelChunks(items: number, tiles: number, threads: number): number {
  const want = threads > 1 ? 4 * threads : 1;
  return items >= want ? 1 : Math.min(tiles, Math.ceil(want / items));
}

/** The zero-padded copy of a conv's input into the shared scratch (planes of Hp × Wp, the input at row top, column left). */
function pad2dCall(
  node: Node, inputAddr: (a: Addresses) => number, x: { N: number; C: number; H: number; W: number; ns: number; cs: number },
  Hp: number, Wp: number, top: number, left: number, sharedBytes: number,
): KernelCall {
  return {
    node,
    kernel: 'pad2d',
    weights: [],
    scratchBytes: 0,
    sharedBytes,
    constants: [],
    encode: (a) => [inputAddr(a), a.shared, x.N, x.C, x.H, x.W, x.ns, x.cs, Hp, Wp, top, left],
  };
}

/**
 * Whether a 3×3 stride-1 conv runs as Winograd F(2×2, 3×3) (kernels/winograd.c) rather than the direct padded-plane
 * GEMM: 2.25× fewer multiplies, paid for by the input and output transforms (about 1/C_out and 1/C_in of the GEMM)
 * and at load by U (16/9 the size of W, ~36 ns per filter). Measured per layer (docs/wasm.md) it won on every layer
 * with ≥ 8 channels each side; left out: small planes with large filters (ResNet-18/50's 512 channels at 7×7: 6.4 →
 * 5.0 ms a run on one thread, but ~9 ms of transform at load for each such layer), where a few runs only repay it.
 */
export function winogradPays(cin: number, cout: number, OH: number, OW: number): boolean {
  if (cin < 8 || cout < 8 || OH < 2 || OW < 2) return false;
  return OH * OW >= 100 || cin * cout < 128 * 128;
}

interface WinogradGeom {
  N: number;
  cin: number;
  H: number;
  W: number;
  ns: number;
  cs: number;
  cout: number;
  OH: number;
  OW: number;
  /** [top, left, bottom, right] */
  pads: readonly [number, number, number, number];
}

/** Tiles per work item: the transformed input block V (16 × C_in × NB floats) within ~96 KB, 8..64 tiles. */
const winogradBlock = (cin: number) => Math.max(8, Math.min(64, Math.floor(1536 / cin) & ~7));

/** pad2d into the shared scratch, then the Winograd kernel (field order: the WG_* enum in kernels/winograd.c). */
function lowerWinograd(
  node: Node, ctx: LowerContext, g: WinogradGeom, w: Tensor, bias: Float32Array | undefined,
  inputAddr: (a: Addresses) => number, y: { ns: number; cs: number }, res: { name: string; ns: number; cs: number } | undefined, e: Epilogue,
): KernelCall[] {
  const TH = Math.ceil(g.OH / 2), TW = Math.ceil(g.OW / 2);
  // every tile's 4×4 patch inside, plus the 8 floats the stride-2 loads of a 4-tile group read past it
  const Hp = 2 * TH + 2, Wp = 2 * TW + 4;
  const NB = winogradBlock(g.cin);
  const items = g.N * Math.ceil((TH * TW) / NB);
  const tiles = Math.ceil(g.cout / 4);
  const sharedBytes = (g.N * g.cin * Hp * Wp + 16) * 4;
  const pad = pad2dCall(node, inputAddr, { ...g, C: g.cin }, Hp, Wp, g.pads[0], g.pads[1], sharedBytes);
  const wg: KernelCall = {
    node,
    kernel: 'winograd',
    weights: [packedOnce(ctx, w, `winograd ${g.cout} ${g.cin}`, () => packWinogradWeights(w.data as Float32Array, g.cout, g.cin, true)), packConvBias(bias, g.cout, 1)],
    scratchBytes: (16 * g.cin * NB + 16 * 4 * NB) * 4,
    sharedBytes,
    constants: [],
    encode: (a) => [
      a.shared, a.tensor(node.outputs[0]!), res ? a.tensor(res.name) : 0, a.weight(0), a.weight(1),
      g.N, g.cin, g.cout, g.OH, g.OW, Hp, Wp, TH, TW,
      y.ns, y.cs, res?.ns ?? 0, res?.cs ?? 0,
      ...epilogueFields(e), a.scratch, a.scratchStride, NB, channelChunks(items, tiles, a.threads),
    ],
  };
  return [pad, wg];
}

function lowerGemm(node: Node, ctx: LowerContext): KernelCall | undefined {
  const [aName, bName, cName, rName] = node.inputs;
  const at = ctx.plan.tensors.get(aName!);
  const yt = ctx.plan.tensors.get(node.outputs[0]!);
  const b = ctx.constant(bName!);
  if (!at || !yt || !at.contiguous || !yt.contiguous || at.dtype !== 'f32' || !b || b.dtype !== 'f32' || b.shape.length !== 2) return undefined;
  if (at.shape.length !== 2 || attrInt(node, 'transA', 0) !== 0) return undefined;
  const transB = attrInt(node, 'transB', 0) !== 0;
  const [M, K] = at.shape as [number, number];
  const N = transB ? b.shape[0]! : b.shape[1]!;
  const c = cName ? ctx.constant(cName) : undefined;
  if (cName && (!c || c.dtype !== 'f32' || !(sizeOf(c.shape) === 1 || (sizeOf(c.shape) === N && c.shape[c.shape.length - 1] === N)))) return undefined;
  const rt = rName ? ctx.plan.tensors.get(rName) : undefined;
  if (rName && (!rt || !rt.contiguous)) return undefined;
  const e = node.op === 'FusedGemm' ? readEpilogue(node) : NO_EPILOGUE;
  const alpha = attrFloat(node, 'alpha', 1);
  const beta = attrFloat(node, 'beta', 1);
  return {
    node,
    kernel: 'gemm',
    weights: [packGemm(b.data as Float32Array, K, N, transB, alpha, true), packGemmBias(c?.data as Float32Array | undefined, N, beta)],
    scratchBytes: 0,
    constants: [],
    encode: (a) => [a.tensor(aName!), a.tensor(node.outputs[0]!), rName ? a.tensor(rName) : 0, a.weight(0), a.weight(1), M, K, N, K, N, N, ...epilogueFields(e), ...GEMM_PACKED_B],
  };
}

/** The gemm fields after the epilogue for a packed constant B: no runtime B strides, no batch dims. */
const GEMM_PACKED_B = [0, 0, 0, ...new Array<number>(12).fill(0)];

/**
 * MatMul on the gemm kernel (numpy batching, graph/ops/gemm.ts matmulLayout): a constant 2-D B is packed at load
 * like a Gemm's (a batch only A has is folded into M); a runtime B is read in place through its strides, batch dims
 * (at most 4 after simplification) decoded per work item. A, B and Y must be dense.
 */
function lowerMatMul(node: Node, ctx: LowerContext): KernelCall | undefined {
  const [aName, bName] = node.inputs;
  const at = ctx.plan.tensors.get(aName!);
  const yt = ctx.plan.tensors.get(node.outputs[0]!);
  const b = ctx.constant(bName!);
  const bt = b ? undefined : ctx.plan.tensors.get(bName!);
  if (!at || !yt || !at.contiguous || !yt.contiguous || at.dtype !== 'f32' || yt.dtype !== 'f32') return undefined;
  if (b ? b.dtype !== 'f32' : !bt || !bt.contiguous || bt.dtype !== 'f32') return undefined;
  const layout = matmulLayout(at.shape, b ? b.shape : bt!.shape);
  if (!layout || layout.batchShape.length > 4) return undefined;
  const { m: M, k: K, n: N } = layout;
  const pad4 = (v: number[]) => [...v, 0, 0, 0, 0].slice(0, 4);
  const batchFields = [layout.batchShape.length, ...pad4(layout.batchShape), ...pad4(layout.aBatchStrides), ...pad4(layout.bBatchStrides)];
  if (b && layout.bBatchStrides.some((s) => s !== 0)) return undefined; // a constant batched B: not worth packing
  const bias = packGemmBias(undefined, N, 0);
  return {
    node,
    kernel: 'gemm',
    weights: b ? [packedOnce(ctx, b, `gemm ${K} ${N}`, () => packGemm(b.data as Float32Array, K, N, false, 1, true)), bias] : [bias],
    scratchBytes: 0,
    constants: [],
    encode: (a) => [
      a.tensor(aName!), a.tensor(node.outputs[0]!), 0, b ? a.weight(0) : a.tensor(bName!), a.weight(b ? 1 : 0),
      M, K, N, K, N, N, ...epilogueFields(NO_EPILOGUE),
      b ? 0 : N, b ? 0 : 1, ...batchFields,
    ],
  };
}

function lowerPool(node: Node, ctx: LowerContext): KernelCall | undefined {
  if (node.outputs.length > 1 && node.outputs[1] !== '') return undefined; // MaxPool indices
  const xt = ctx.plan.tensors.get(node.inputs[0]!);
  const global = node.op === 'GlobalAveragePool' || node.op === 'GlobalMaxPool';
  const planes = global ? flatPlanes : planeStrides; // a global pool sees any spatial rank as one plane
  const x = planes(xt);
  const y = planes(ctx.plan.tensors.get(node.outputs[0]!));
  if (!x || !y) return undefined;
  let fields: number[];
  if (global) {
    fields = [x.H, x.W, 1, 1, x.H, x.W, 1, 1, 0, 0, 0, 0, 1, 1, x.ns, x.cs, y.ns, y.cs, node.op === 'GlobalAveragePool' ? 3 : 4];
  } else {
    const p = poolParams(node, xt!.shape);
    const out = poolOutputSpatial(xt!.shape, p);
    const two = p.spatialRank === 2;
    if (p.spatialRank > 2) return undefined;
    const pick = (v: number[], d: number) => (two ? v : [d, v[0]!]);
    const [KH, KW] = pick(p.kernel, 1);
    const [sh, sw] = pick(p.strides, 1);
    const [dh, dw] = pick(p.dilations, 1);
    const [ph, pw] = two ? [p.pads[0]!, p.pads[1]!] : [0, p.pads[0]!];
    const [peh, pew] = two ? [p.pads[2]!, p.pads[3]!] : [0, p.pads[1]!];
    const [OH, OW] = pick(out, 1);
    const kind = node.op === 'MaxPool' ? 0 : p.countIncludePad ? 2 : 1;
    fields = [x.H, x.W, OH, OW, KH, KW, sh, sw, ph, pw, peh, pew, dh, dw, x.ns, x.cs, y.ns, y.cs, kind];
  }
  return {
    node,
    kernel: 'pool2d',
    weights: [],
    scratchBytes: 0,
    constants: [],
    encode: (a) => [a.tensor(node.inputs[0]!), a.tensor(node.outputs[0]!), x.N, x.C, ...fields],
  };
}

const BINARY_OPS: Partial<Record<string, number>> = { Add: 0, Sub: 1, Mul: 2, Div: 3, Max: 4, Min: 5 };
const UNARY_ACT: Partial<Record<string, (n: Node) => Epilogue>> = {
  Relu: () => ({ ...NO_EPILOGUE, activation: 'relu' }),
  Sigmoid: () => ({ ...NO_EPILOGUE, activation: 'sigmoid' }),
  Tanh: () => ({ ...NO_EPILOGUE, activation: 'tanh' }),
  Gelu: (n) => ({ ...NO_EPILOGUE, activation: geluApproximation(n) === 'tanh' ? 'gelu_tanh' : 'gelu' }),
  Erf: () => NO_EPILOGUE, // act code from ELTWISE_ONLY_ACT
  HardSwish: () => ({ ...NO_EPILOGUE, activation: 'hard_swish' }),
  HardSigmoid: (n) => ({ ...NO_EPILOGUE, activation: 'hard_sigmoid', alpha: attrFloat(n, 'alpha', 0.2), beta: attrFloat(n, 'beta', 0.5) }),
  LeakyRelu: (n) => ({ ...NO_EPILOGUE, activation: 'leaky_relu', alpha: attrFloat(n, 'alpha', 0.01) }),
  Clip: (n) => ({ ...NO_EPILOGUE, activation: 'clip', min: attrFloat(n, 'min', -3.4028234663852886e38), max: attrFloat(n, 'max', 3.4028234663852886e38) }),
};

/** Unary ops the eltwise kernel runs through an act code that is no epilogue activation (common.h ACT_ERF). */
const ELTWISE_ONLY_ACT: Partial<Record<string, number>> = { Erf: 11 };

/** Element strides of `shape` broadcast to `out` (rank-aligned right; broadcast and size-1 dims 0), or undefined. */
export function broadcastStrides(placeStrides: readonly number[], shape: Shape, out: Shape): number[] | undefined {
  if (shape.length > out.length) return undefined;
  const s: number[] = [];
  for (let i = 0; i < out.length; i++) {
    const k = i - (out.length - shape.length);
    if (k < 0) s.push(0);
    else if (shape[k] === out[i]) s.push(out[i] === 1 ? 0 : placeStrides[k]!);
    else if (shape[k] === 1) s.push(0);
    else return undefined;
  }
  return s;
}

/**
 * Dims and per-operand strides merged where every operand steps through two adjacent dims as one (s[i] = s[i+1] *
 * d[i+1]), then padded to the kernel's `rank` dims (4: eltwise): any rank works when the layout allows (a 5-D Relu is
 * one long row).
 */
export function collapseDims(dims: readonly number[], strides: number[][], rank = 4): { dims: number[]; strides: number[][] } | undefined {
  // extent-1 dims are never stepped: drop them first
  const keep = dims.map((v, i) => i).filter((i) => dims[i] !== 1);
  const d = keep.map((i) => dims[i]!);
  const ss = strides.map((x) => keep.map((i) => x[i]!));
  for (let i = d.length - 2; i >= 0; i--) {
    if (ss.every((x) => x[i] === x[i + 1]! * d[i + 1]!)) {
      d[i] = d[i]! * d[i + 1]!;
      d.splice(i + 1, 1);
      for (const x of ss) {
        x[i] = x[i + 1]!;
        x.splice(i + 1, 1);
      }
    }
  }
  if (d.length > rank) return undefined;
  while (d.length < rank) {
    d.unshift(1);
    for (const x of ss) x.unshift(0);
  }
  return { dims: d, strides: ss };
}

function lowerEltwise(node: Node, ctx: LowerContext): KernelCall | undefined {
  const yt = ctx.plan.tensors.get(node.outputs[0]!);
  if (!yt || yt.dtype !== 'f32') return undefined;
  const out = yt.shape;
  const unary = UNARY_ACT[node.op];
  const operands = unary ? [node.inputs[0]!] : node.inputs.slice(0, 2);
  if (!unary && (node.inputs.length !== 2 || BINARY_OPS[node.op] === undefined)) return undefined;
  const constants: string[] = [];
  const strides: number[][] = [];
  for (const name of operands) {
    const t = ctx.plan.tensors.get(name);
    const c = t ? undefined : ctx.constant(name);
    if (c && c.dtype !== 'f32') return undefined;
    if (!t && !c) return undefined;
    if (t && t.dtype !== 'f32') return undefined;
    const s = broadcastStrides(t ? t.strides : stridesOf(c!.shape), t ? t.shape : c!.shape, out);
    if (!s) return undefined;
    if (c) constants.push(name);
    strides.push(s);
  }
  const os = broadcastStrides(yt.strides, out, out)!;
  const merged = collapseDims(out, [os, ...strides]);
  if (!merged) return undefined;
  const [mos, ...ms] = merged.strides as [number[], ...number[][]];
  const e = unary ? unary(node) : NO_EPILOGUE;
  const op = unary ? 6 : BINARY_OPS[node.op]!;
  const bStr = ms[1] ?? [0, 0, 0, 0];
  return {
    node,
    kernel: 'eltwise',
    weights: [],
    scratchBytes: 0,
    constants,
    encode: (a) => [
      a.tensor(operands[0]!), operands[1] ? a.tensor(operands[1]) : 0, a.tensor(node.outputs[0]!), op, ...merged.dims,
      ...ms[0]!, ...bStr, ...mos, ELTWISE_ONLY_ACT[node.op] ?? ACT_CODES[e.activation], ...epilogueFields(e).slice(1, 5),
    ],
  };
}

/** Copies of the Concat inputs not already written in place into their slice of the output. */
function lowerConcat(node: Node, ctx: LowerContext): KernelCall[] | undefined {
  const yt = ctx.plan.tensors.get(node.outputs[0]!);
  if (!yt || yt.dtype !== 'f32') return undefined;
  const rank = yt.shape.length;
  const rawAxis = attrInt(node, 'axis');
  const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
  const inPlace = ctx.plan.concatInPlace.get(node.name);
  const calls: KernelCall[] = [];
  let offset = 0;
  for (let i = 0; i < node.inputs.length; i++) {
    const name = node.inputs[i]!;
    const placed = ctx.plan.tensors.get(name);
    // a constant input (ViT's class token) is copied from its placed data
    const k = placed ? undefined : ctx.constant(name);
    const t = placed ?? (k && { dtype: k.dtype, shape: k.shape, strides: stridesOf(k.shape) });
    if (!t || t.dtype !== 'f32') return undefined;
    const elemOffset = offset * yt.strides[axis]!;
    offset += t.shape[axis]!;
    if (inPlace?.[i]) continue;
    const src = (a: Addresses) => (k ? a.weight(0) : a.tensor(name));
    const c = copyCall(node, [...t.shape], src, [...t.strides], (a) => a.tensor(node.outputs[0]!) + elemOffset * 4, [...yt.strides], k ? [k.data as Float32Array] : []);
    if (!c) return undefined;
    calls.push(c);
  }
  return calls;
}

/** ChannelScale's S (a planned tensor or a constant, broadcast to [N, C, 1, ...]): its strides over n and c. */
function channelScaleOperand(ctx: LowerContext, sName: string, xShape: Shape): ConvInputScale | undefined {
  const st = ctx.plan.tensors.get(sName);
  const sc = st ? undefined : ctx.constant(sName);
  const sShape = st?.shape ?? sc?.shape;
  if (!sShape || (st && st.dtype !== 'f32') || (sc && sc.dtype !== 'f32')) return undefined;
  const al = alignedScaleShape(sShape, xShape.length);
  if (!al) return undefined;
  const sStr = st ? st.strides : stridesOf(sShape);
  const off = xShape.length - sShape.length;
  const strideAt = (dim: number) => (dim - off < 0 || al[dim] === 1 ? 0 : sStr[dim - off]!);
  return { name: sName, ns: strideAt(0), cs: strideAt(1), constant: !!sc };
}

function lowerChannelAffine(node: Node, ctx: LowerContext, outOverride?: InputOverride): KernelCall | undefined {
  const x = flatPlanes(ctx.plan.tensors.get(node.inputs[0]!));
  const placedY = outOverride ? x : flatPlanes(ctx.plan.tensors.get(node.outputs[0]!));
  const y = placedY && outOverride ? { ...placedY, ns: outOverride.ns, cs: outOverride.cs } : placedY;
  const outAddr = (a: Addresses) => (outOverride ? outOverride.address(a) : a.tensor(node.outputs[0]!));
  if (!x || !y) return undefined;
  const xShape = ctx.plan.tensors.get(node.inputs[0]!)!.shape;
  if (node.op === 'ChannelScale') {
    const [, sName, rName] = node.inputs;
    const s = channelScaleOperand(ctx, sName!, xShape);
    if (!s) return undefined;
    const r = rName ? flatPlanes(ctx.plan.tensors.get(rName)) : undefined;
    if (rName && !r) return undefined;
    const e = readEpilogue(node);
    return {
      node,
      kernel: 'channel_affine',
      weights: [],
      scratchBytes: 0,
      constants: s.constant ? [sName!] : [],
      encode: (a) => [
        a.tensor(node.inputs[0]!), a.tensor(sName!), rName ? a.tensor(rName) : 0, outAddr(a), x.N, x.C, x.H * x.W,
        x.ns, x.cs, s.ns, s.cs, r?.ns ?? 0, r?.cs ?? 0, y.ns, y.cs, ...epilogueFields(e), 0, 0, 0,
      ],
    };
  }
  // BatchNormalization / FusedBatchNorm: y = act(x * a[c] + b[c]) with PyTorch's f32 a, b.
  const [, sN, bN, mN, vN] = node.inputs;
  const [scale, bias, mean, variance] = [sN, bN, mN, vN].map((n) => f32Const(ctx, n));
  if (!scale || !bias || !mean || !variance) return undefined;
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const C = x.C;
  const ab = new Float32Array(2 * C);
  for (let c = 0; c < C; c++) {
    const [aa, bb] = batchNormLinearTerms(scale[c]!, bias[c]!, mean[c]!, variance[c]!, eps);
    ab[c] = aa;
    ab[C + c] = bb;
  }
  const e = node.op === 'FusedBatchNorm' ? readFusedBatchNorm(node) : NO_EPILOGUE;
  return {
    node,
    kernel: 'channel_affine',
    weights: [ab],
    scratchBytes: 0,
    constants: [],
    encode: (a) => [
      a.tensor(node.inputs[0]!), a.weight(0), 0, a.tensor(node.outputs[0]!), x.N, x.C, x.H * x.W,
      x.ns, x.cs, 0, 1, 0, 0, y.ns, y.cs, ...epilogueFields(e), 1, a.weight(0) + C * 4, 1,
    ],
  };
}

/** A strided copy (eltwise OP_COPY) of any rank the layouts let collapse to 4 dims: dst[i] = src[i] over `dims`. */
function copyCall(node: Node, dims: number[], src: (a: Addresses) => number, srcStrides: number[], dst: (a: Addresses) => number, dstStrides: number[], weights: Float32Array[] = []): KernelCall | undefined {
  // size-1 dims are never stepped: stride 0 keeps the kernel's contiguity test simple
  const zero = (st: number[]) => st.map((v, i) => (dims[i] === 1 ? 0 : v));
  const merged = collapseDims(dims, [zero(srcStrides), zero(dstStrides)]);
  if (!merged) {
    // 5-D / 6-D layouts (window partitions): the copy6 kernel
    const m6 = collapseDims(dims, [zero(srcStrides), zero(dstStrides)], 6);
    if (!m6) return undefined;
    return { node, kernel: 'copy6', weights, scratchBytes: 0, constants: [], encode: (a) => [src(a), dst(a), ...m6.dims, ...m6.strides[0]!, ...m6.strides[1]!] };
  }
  const [ss, ds] = merged.strides as [number[], number[]];
  return {
    node,
    kernel: 'eltwise',
    weights,
    scratchBytes: 0,
    constants: [],
    encode: (a) => [src(a), 0, dst(a), 6, ...merged.dims, ...ss, 0, 0, 0, 0, ...ds, 0, 0, 0, 0, 0],
  };
}

function f32Placement(ctx: LowerContext, name: string | undefined): TensorPlacement | undefined {
  const t = name ? ctx.plan.tensors.get(name) : undefined;
  return t && t.dtype === 'f32' && t.shape.length > 0 ? t : undefined;
}

function lowerSlice(node: Node, ctx: LowerContext): KernelCall[] | undefined {
  const x = f32Placement(ctx, node.inputs[0]);
  const y = f32Placement(ctx, node.outputs[0]);
  if (!x || !y) return undefined;
  const n = normalizeSlice(x.shape, node.attrs);
  if (n.shape.some((d, i) => d !== y.shape[i])) return undefined;
  const offset = n.starts.reduce((acc, s, i) => acc + s * x.strides[i]!, 0);
  const src = x.strides.map((st, i) => st * n.steps[i]!);
  const c = copyCall(node, [...y.shape], (a) => a.tensor(node.inputs[0]!) + offset * 4, src, (a) => a.tensor(node.outputs[0]!), [...y.strides]);
  return c && [c];
}

/** A reshape-like op the planner could not make a view (a strided input): a copy in element order into dense Y. */
function lowerReshapeCopy(node: Node, ctx: LowerContext): KernelCall[] | undefined {
  const x = f32Placement(ctx, node.inputs[0]);
  const y = ctx.plan.tensors.get(node.outputs[0]!);
  if (!x || !y || y.dtype !== 'f32' || !y.contiguous || sizeOf(x.shape) !== sizeOf(y.shape)) return undefined;
  if (node.outputs.slice(1).some((o) => o !== '')) return undefined; // Dropout's mask
  const c = copyCall(node, [...x.shape], (a) => a.tensor(node.inputs[0]!), [...x.strides], (a) => a.tensor(node.outputs[0]!), stridesOf(x.shape));
  return c && [c];
}

/** Gather at constant indices (at most 16): one copy of X's slice per index into Y (strided: a Concat's slice too). */
function lowerGather(node: Node, ctx: LowerContext): KernelCall[] | undefined {
  const x = f32Placement(ctx, node.inputs[0]);
  const y = ctx.plan.tensors.get(node.outputs[0]!);
  const idx = ctx.constant(node.inputs[1]!);
  if (!x || !y || y.dtype !== 'f32' || !idx || (idx.dtype !== 'i64' && idx.dtype !== 'i32')) return undefined;
  const count = sizeOf(idx.shape);
  if (count === 0 || count > 16) return undefined;
  const rank = x.shape.length;
  const rawAxis = attrInt(node, 'axis', 0);
  const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
  const dim = x.shape[axis]!;
  const pre = x.shape.slice(0, axis);
  const post = x.shape.slice(axis + 1);
  const dims = [...pre, ...post];
  const srcStrides = [...x.strides.slice(0, axis), ...x.strides.slice(axis + 1)];
  // Y = [pre, idx..., post]: index k of the flattened indices is the slice of Y at its position in the index dims
  const ys = y.strides;
  const dstStrides = [...ys.slice(0, axis), ...ys.slice(axis + idx.shape.length)];
  const idxStrides = stridesOf(idx.shape);
  const calls: KernelCall[] = [];
  for (let k = 0; k < count; k++) {
    let i = Number(idx.data[k]);
    if (i < 0) i += dim;
    if (!(i >= 0 && i < dim)) return undefined;
    const srcOff = i * x.strides[axis]! * 4;
    const dstOff = idxStrides.reduce((acc, st, j) => acc + Math.floor(k / st) % idx.shape[j]! * ys[axis + j]!, 0) * 4;
    const c = copyCall(node, dims, (a) => a.tensor(node.inputs[0]!) + srcOff, srcStrides, (a) => a.tensor(node.outputs[0]!) + dstOff, dstStrides);
    if (!c) return undefined;
    calls.push(c);
  }
  return calls;
}

function lowerTranspose(node: Node, ctx: LowerContext): KernelCall[] | undefined {
  const x = f32Placement(ctx, node.inputs[0]);
  const y = f32Placement(ctx, node.outputs[0]);
  if (!x || !y) return undefined;
  const rank = x.shape.length;
  const perm = node.attrs['perm'] === undefined ? [...Array(rank).keys()].reverse() : (node.attrs['perm'] as number[]);
  if (perm.length !== rank) return undefined;
  const c = copyCall(node, [...y.shape], (a) => a.tensor(node.inputs[0]!), perm.map((p) => x.strides[p]!), (a) => a.tensor(node.outputs[0]!), [...y.strides]);
  return c && [c];
}

function lowerPad(node: Node, ctx: LowerContext): KernelCall[] | undefined {
  const x = f32Placement(ctx, node.inputs[0]);
  const y = f32Placement(ctx, node.outputs[0]);
  if (!x || !y || (node.attrs['mode'] ?? 'constant') !== 'constant') return undefined;
  const pads = node.attrs['pads'] as number[] | undefined;
  const rank = x.shape.length;
  if (!pads || pads.length !== 2 * rank || pads.some((v) => v < 0)) return undefined;
  const value = node.attrs['value'] === undefined ? 0 : Number(node.attrs['value']);
  const fill = copyCall(node, [...y.shape], (a) => a.weight(0), y.shape.map(() => 0), (a) => a.tensor(node.outputs[0]!), [...y.strides], [new Float32Array([value])]);
  const offset = pads.slice(0, rank).reduce((acc, b, i) => acc + b * y.strides[i]!, 0);
  const copy = copyCall(node, [...x.shape], (a) => a.tensor(node.inputs[0]!), [...x.strides], (a) => a.tensor(node.outputs[0]!) + offset * 4, [...y.strides]);
  return fill && copy && [fill, copy];
}

/**
 * ChannelScaleConv: a 1×1 conv whose column copy (im2col) applies s[n, c] as it copies (one call), else x * s[n, c]
 * into the shared scratch (channel_affine) and the conv reads that (RegNet's SE blocks: the fused form saves a
 * pass over the input, ~0.06 ms of 0.47 per 208-channel 14×14 block on one thread).
 */
function lowerChannelScaleConv(node: Node, ctx: LowerContext): KernelCall[] | undefined {
  const [xName, , , , sName] = node.inputs;
  const xt = ctx.plan.tensors.get(xName!);
  const x = planeStrides(xt);
  if (!x || !sName) return undefined;
  const s = channelScaleOperand(ctx, sName, xt!.shape);
  const fused = s && lowerConv({ ...node, op: 'FusedConv', inputs: node.inputs.slice(0, 4) }, ctx, undefined, s);
  if (fused && !Array.isArray(fused)) return [{ ...fused, node }];
  const scaleNode: Node = { name: node.name, op: 'ChannelScale', inputs: [xName!, sName], outputs: node.outputs, attrs: {} };
  const dense = { ns: x.C * x.H * x.W, cs: x.H * x.W };
  const bytes = x.N * dense.ns * 4 + 64;
  // the scale writes a dense copy into shared scratch instead of the node's output
  const scale = lowerChannelAffine(scaleNode, ctx, { address: (a) => a.shared, ...dense });
  const conv = lowerConv({ ...node, op: 'FusedConv', inputs: node.inputs.slice(0, 4) }, ctx, { address: (a) => a.shared, ...dense });
  if (!scale || !conv || Array.isArray(conv)) return undefined; // pad2d would need the shared area too
  return [{ ...scale, sharedBytes: bytes }, { ...conv, node, sharedBytes: bytes }];
}

/** A conv node lowered with a given context (BinaryWeightConv's decoded weights), as a list of calls. */
export function lowerConvWith(node: Node, ctx: LowerContext): KernelCall[] | undefined {
  const c = lowerConv(node, ctx);
  return c && (Array.isArray(c) ? c : [c]);
}

/** Kernel calls of one node, or undefined when it runs on the CPU reference kernel. */
export function lowerNode(node: Node, ctx: LowerContext): KernelCall[] | undefined {
  // Empty outputs: nothing to compute (and no kernel divides by a zero extent).
  const outs = node.outputs.filter((o) => o !== '').map((o) => ctx.plan.tensors.get(o));
  if (outs.length > 0 && outs.every((t) => t && sizeOf(t.shape) === 0)) return [];
  if (node.inputs.some((i) => i !== '' && ctx.plan.tensors.has(i) && sizeOf(ctx.plan.tensors.get(i)!.shape) === 0)) return undefined;
  switch (node.op) {
    case 'Conv':
    case 'FusedConv': {
      if (ctx.plan.tensors.get(node.inputs[0]!)?.shape.length === 5) return lowerConv3d(node, ctx);
      const c = lowerConv(node, ctx);
      return c && (Array.isArray(c) ? c : [c]);
    }
    case 'Gemm':
    case 'FusedGemm': {
      const c = lowerGemm(node, ctx);
      return c && [c];
    }
    case 'MatMul': {
      const c = lowerMatMul(node, ctx);
      return c && [c];
    }
    case 'MaxPool':
    case 'AveragePool':
    case 'GlobalAveragePool':
    case 'GlobalMaxPool': {
      const c = lowerPool(node, ctx);
      return c && [c];
    }
    case 'Concat':
      return lowerConcat(node, ctx);
    case 'Slice':
      return lowerSlice(node, ctx);
    case 'Transpose':
      return lowerTranspose(node, ctx);
    case 'Reshape':
    case 'Flatten':
    case 'Squeeze':
    case 'Unsqueeze':
    case 'Identity':
    case 'Dropout':
      return lowerReshapeCopy(node, ctx);
    case 'Gather':
      return lowerGather(node, ctx);
    case 'LayerNormalization':
      return lowerLayerNorm(node, ctx);
    case 'ChannelLayerNorm':
      return lowerChannelLayerNorm(node, ctx);
    case 'Softmax':
      return lowerSoftmax(node, ctx);
    case 'Attention':
      return lowerAttention(node, ctx);
    case 'Pad':
      return lowerPad(node, ctx);
    case 'ChannelScaleConv':
      return lowerChannelScaleConv(node, ctx);
    case 'BinaryConv':
    case 'BinaryConvBits':
    case 'BinaryGemm':
    case 'BinaryWeightConv':
      return lowerBinary(node, ctx);
    case 'BatchNormalization':
    case 'FusedBatchNorm':
    case 'ChannelScale': {
      const c = lowerChannelAffine(node, ctx);
      return c && [c];
    }
    default: {
      if (BINARY_OPS[node.op] !== undefined || UNARY_ACT[node.op]) {
        const c = lowerEltwise(node, ctx);
        return c && [c];
      }
      return undefined;
    }
  }
}

/** Ops a WASM kernel can take (for the planner's in-place decisions; the lowerer still checks layouts). */
export const WASM_OPS: ReadonlySet<string> = new Set([
  'Conv', 'FusedConv', 'Gemm', 'FusedGemm', 'MatMul', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'Concat',
  'BatchNormalization', 'FusedBatchNorm', 'ChannelScale', 'ChannelScaleConv', 'Slice', 'Transpose', 'Pad',
  'LayerNormalization', 'ChannelLayerNorm', 'Softmax', 'Attention', 'Gather',
  'BinaryConv', 'BinaryConvBits', 'BinaryGemm', 'BinaryWeightConv',
  ...Object.keys(BINARY_OPS), ...Object.keys(UNARY_ACT),
]);
