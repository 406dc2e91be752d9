/**
 * Lowering of the binary ops (XNOR-Net / BWN; src/graph/ops/binary.ts) to the WASM integer kernels
 * (kernels/binary.c): BinaryConv, BinaryConvBits (packed chains, fused pooling) and BinaryGemm as binarize + bdots
 * (+ bbits), exact like the CPU reference; BinaryWeightConv as a float conv on its decoded ±alpha weights (what the
 * reference computes too). The binarised activations and the dots of a BinaryConvBits live in the shared scratch.
 */
import { attrInt, type Node, type Tensor } from '../../graph/ir.js';
import { binaryConvInput, binaryConvParams, binaryGemmZeroSign, fusedPool, thresholdsIndex, unpackWeightSigns, wordsFor } from '../../graph/ops/binary.js';
import { convOutputSpatial } from '../../graph/ops/conv.js';
import { readEpilogue } from '../../graph/ops/fused.js';
import { poolOutputSpatial } from '../../graph/ops/pool.js';
import type { Addresses, KernelCall, LowerContext } from './lower.js';
import { epilogueFields, lowerConvWith, planeStrides } from './lower.js';

/** Weight bits [M][taps][words] -> [M][k64 u64] (taps * words rounded up to even, zero padded). */
function packBits(bits: Uint32Array, m: number, perOut: number): { data: Int32Array; k64: number } {
  const k64 = Math.ceil(perOut / 2);
  const out = new Int32Array(m * k64 * 2);
  for (let o = 0; o < m; o++) for (let i = 0; i < perOut; i++) out[o * k64 * 2 + i] = bits[o * perOut + i]! | 0;
  return { data: out, k64 };
}

function f32Of(ctx: LowerContext, name: string | undefined): Float32Array | undefined {
  const t = name ? ctx.constant(name) : undefined;
  return t && t.dtype === 'f32' ? (t.data as Float32Array) : undefined;
}

export function lowerBinary(node: Node, ctx: LowerContext): KernelCall[] | undefined {
  if (node.op === 'BinaryWeightConv') return lowerBinaryWeightConv(node, ctx);
  const isGemm = node.op === 'BinaryGemm';
  const bits = node.op === 'BinaryConvBits';
  const xName = node.inputs[0]!;
  const xt = ctx.plan.tensors.get(xName);
  const w = ctx.constant(node.inputs[1]!);
  if (!xt || !w || w.dtype !== 'binary') return undefined;
  const yt = ctx.plan.tensors.get(node.outputs[0]!);
  if (!yt) return undefined;
  // geometry: BinaryGemm is a 1x1 conv over one pixel of K channels
  let N: number, C: number, H: number, W: number, packed: boolean, ns: number, cs: number;
  if (isGemm) {
    if (xt.shape.length !== 2 || !xt.contiguous || xt.dtype !== 'f32') return undefined;
    [N, C] = xt.shape as [number, number];
    [H, W, packed, ns, cs] = [1, 1, false, C, 1];
  } else {
    const input = binaryConvInput(node, { dtype: xt.dtype, shape: xt.shape });
    [N, C, H, W] = input.nchw as [number, number, number, number];
    packed = input.packed;
    if (packed) {
      if (!xt.contiguous) return undefined;
      [ns, cs] = [0, 0];
    } else {
      const x = planeStrides(xt);
      if (!x) return undefined;
      [ns, cs] = [x.ns, x.cs];
    }
  }
  const p = isGemm ? undefined : binaryConvParams(node);
  const [KH, KW] = p ? (p.kernel as [number, number]) : [1, 1];
  const [sh, sw] = p ? (p.strides as [number, number]) : [1, 1];
  const [dh, dw] = p ? (p.dilations as [number, number]) : [1, 1];
  const [ph, pw] = p ? [p.pads[0]!, p.pads[1]!] : [0, 0];
  const [OH, OW] = p ? (convOutputSpatial([N, C, H, W], p) as [number, number]) : [1, 1];
  const padValue = p ? p.padValue : 0;
  const zeroSign = isGemm ? binaryGemmZeroSign(node) : attrInt(node, 'zero_sign', -1);
  const M = w.shape[0]!;
  const words = wordsFor(C);
  const { data: wp, k64 } = packBits(w.data as Uint32Array, M, KH * KW * words);
  const T = f32Of(ctx, node.inputs[thresholdsIndex(node)] || undefined);
  if (node.inputs[thresholdsIndex(node)] && !T) return undefined;
  const planeBytes = Math.ceil((N * H * W * words * 4) / 64) * 64;
  const scratchBytes = 2 * k64 * 8;
  const dotsAt = (a: Addresses) => a.shared + 2 * planeBytes;
  // binarize: X -> sign words at shared, nonzero words at shared + planeBytes (T, when given, is its weight 0)
  const binarize: KernelCall = {
    node,
    kernel: 'binarize',
    weights: T ? [T] : [],
    scratchBytes: 0,
    constants: [],
    encode: (a) => [a.tensor(xName), a.shared, a.shared + planeBytes, N, C, H, W, ns, cs, T ? a.weight(0) : 0, zeroSign, packed ? 1 : 0],
  };
  // bdots fields up to the mode; then the output part
  const dotsHead = (a: Addresses, mode: number) => [
    a.shared, a.shared + planeBytes, a.weight(0), N, C, H, W, M, OH, OW, KH, KW, sh, sw, ph, pw, dh, dw, padValue, k64, mode,
  ];
  let calls: KernelCall[];
  if (bits) {
    const qt = ctx.constant(node.inputs[2]!);
    if (!qt || qt.dtype !== 'i32' || !yt.contiguous) return undefined;
    const pool = fusedPool(node, [N, M, OH, OW]);
    const [PH, PW] = pool ? (poolOutputSpatial([N, M, OH, OW], pool) as [number, number]) : [OH, OW];
    const poolFields = pool
      ? [pool.kernel[0]!, pool.kernel[1]!, pool.strides[0]!, pool.strides[1]!, pool.pads[0]!, pool.pads[1]!, pool.dilations[0]!, pool.dilations[1]!, 1]
      : [1, 1, 1, 1, 0, 0, 1, 1, 0];
    calls = [
      binarize,
      {
        node,
        kernel: 'bdots',
        weights: [wp],
        scratchBytes,
        constants: [],
        encode: (a) => [...dotsHead(a, 2), dotsAt(a), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, a.scratch, a.scratchStride],
      },
      {
        node,
        kernel: 'bbits',
        weights: [qt.data as Int32Array],
        scratchBytes: 0,
        constants: [],
        encode: (a) => [dotsAt(a), a.tensor(node.outputs[0]!), a.weight(0), N, M, OH, OW, PH, PW, ...poolFields],
      },
    ];
  } else {
    const alpha = f32Of(ctx, node.inputs[2]);
    const bias = node.inputs[3] ? f32Of(ctx, node.inputs[3]) : undefined;
    if (!alpha || (node.inputs[3] && !bias)) return undefined;
    const e = readEpilogue(node);
    const rName = isGemm ? undefined : node.inputs[5] || undefined;
    let outNs: number, outCs: number;
    let rNs = 0, rCs = 0;
    if (isGemm) {
      if (!yt.contiguous) return undefined;
      [outNs, outCs] = [M, 1];
    } else {
      const y = planeStrides(yt);
      if (!y) return undefined;
      [outNs, outCs] = [y.ns, y.cs];
      if (rName) {
        const r = planeStrides(ctx.plan.tensors.get(rName));
        if (!r) return undefined;
        [rNs, rCs] = [r.ns, r.cs];
      }
    }
    calls = [
      binarize,
      {
        node,
        kernel: 'bdots',
        weights: bias ? [wp, alpha, bias] : [wp, alpha],
        scratchBytes,
        constants: [],
        encode: (a) => [
          ...dotsHead(a, isGemm ? 1 : 0), a.tensor(node.outputs[0]!), outNs, outCs, a.weight(1), bias ? a.weight(2) : 0,
          rName ? a.tensor(rName) : 0, rNs, rCs, ...epilogueFields(e), a.scratch, a.scratchStride,
        ],
      },
    ];
  }
  const sharedBytes = 2 * planeBytes + (bits ? N * M * OH * OW * 4 : 0) + 64;
  for (const c of calls) c.sharedBytes = sharedBytes;
  return calls;
}

/** BinaryWeightConv = a float conv with weights ±alpha[o] (and bias, residual, activation): the conv kernels. */
function lowerBinaryWeightConv(node: Node, ctx: LowerContext): KernelCall[] | undefined {
  const xt = ctx.plan.tensors.get(node.inputs[0]!);
  const w = ctx.constant(node.inputs[1]!);
  const alpha = f32Of(ctx, node.inputs[2]);
  if (!xt || xt.shape.length !== 4 || !w || w.dtype !== 'binary' || !alpha) return undefined;
  const p = binaryConvParams(node);
  const [KH, KW] = p.kernel as [number, number];
  const M = w.shape[0]!;
  const C = xt.shape[1]!;
  const taps = KH * KW;
  const dec = unpackWeightSigns(w.data as Uint32Array, M, C, taps);
  for (let o = 0; o < M; o++) for (let i = o * C * taps; i < (o + 1) * C * taps; i++) dec[i] = dec[i]! * alpha[o]!;
  const decoded: Tensor = { dtype: 'f32', shape: [M, C, KH, KW], data: dec };
  const wName = `${node.inputs[1]}#decoded`;
  const attrs: Node['attrs'] = { ...node.attrs, kernel_shape: p.kernel, strides: p.strides, pads: p.pads, dilations: p.dilations };
  for (const k of ['pad_value', 'zero_sign', 'in_channels']) delete attrs[k];
  const conv: Node = { name: node.name, op: 'FusedConv', inputs: [node.inputs[0]!, wName, node.inputs[3] ?? '', node.inputs[5] ?? ''], outputs: node.outputs, attrs };
  const calls = lowerConvWith(conv, { ...ctx, constant: (n) => (n === wName ? decoded : ctx.constant(n)) });
  return calls?.map((c) => ({ ...c, node }));
}
