/**
 * ConvTranspose / FusedConvTranspose (1-D and 2-D, NCHW, constant weights) as a gather-form implicit GEMM: the sub-pixel decomposition.
 *
 * Output o receives x[i] * W[k] where o + pad - k * d = i * s. Split the output by stride phase r = o mod s: phase r
 * only ever receives the taps k with (r + pad - k * d) % s == 0 (every s / gcd(d, s)-th tap from the first), and
 * output j of that phase (o = r + s * j) reads input i = j + (r + pad - k * d) / s. So each phase is a dense stride-1
 * correlation of x with its taps, reversed (dilation d / gcd(d, s)), and the s_h × s_w phases tile the output: no
 * col2im scatter, no atomics, every output written once. They run as ONE dispatch of the implicit-GEMM conv shader
 * (the generated conv2d_gemm shader with TRANSPOSED, conv_wgsl.ts, via conv_gemm.ts `gemmConvPlan`): the weights are repacked at load per phase
 * (taps zero-padded to the largest phase's count so one KH × KW pipeline serves every phase), and the shader maps its
 * phase-major tile grid back to strided output positions. The shader's epilogue (bias; for FusedConvTranspose also
 * activation and residual) applies unchanged. Phases beyond the output (stride > output size) are left out.
 * Not handled here (WebGPUKernelError): 3-D, and weights that are not initializers (the CPU backend runs both).
 */
import { convTransposeParams } from '../../graph/ops/conv_transpose.js';
import { WebGPUKernelError, type Kernel } from './program.js';
import { inputShape } from './kernel_util.js';
import { fusedEpilogue } from './fused.js';
import { weightValues, type ConvNode } from './conv_common.js';
import { gemmConvPlan, packWeightsGrouped, type PackedWeights, type PhaseGrid } from './conv_gemm.js';

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** One spatial axis of the decomposition. */
export interface PhaseAxis {
  /** Per phase r < min(s, out) (outputs r, r + s, ...): its taps k, in the order the shader walks them (input ascending). */
  taps: number[][];
  /** Per phase: input index of tap 0 for the phase's output j = 0 (the phase's "pad"). */
  base: number[];
  /** Taps per phase after zero-padding: the largest phase's count (≥ 1). */
  width: number;
  /** Input step between consecutive taps of a phase: d / gcd(d, s). */
  dilation: number;
  /** Outputs per phase: ceil(out / s) (the last one may fall past `out`; the shader skips it). */
  rows: number;
}

export function phaseAxis(kernel: number, stride: number, dilation: number, padBegin: number, out: number): PhaseAxis {
  const taps: number[][] = [];
  const base: number[] = [];
  // Phases r >= out have no output at all (stride larger than the output): leave them out of the grid and packing.
  for (let r = 0; r < Math.min(stride, out); r++) {
    const ks: number[] = [];
    // Descending k = ascending input index (i = j + (r + pad - k d) / s), so the taps form a forward correlation.
    for (let k = kernel - 1; k >= 0; k--) if ((((r + padBegin - k * dilation) % stride) + stride) % stride === 0) ks.push(k);
    taps.push(ks);
    base.push(ks.length ? (r + padBegin - ks[0]! * dilation) / stride : 0);
  }
  const width = Math.max(1, ...taps.map((t) => t.length));
  return { taps, base, width, dilation: dilation / gcd(dilation, stride), rows: Math.ceil(out / stride) };
}

/**
 * Per phase (ph, pw), OIHW-like weights [C_out, C_in/group, TH, TW] of its taps (zeros past the phase's own count),
 * each packed like a conv's by `packWeightsGrouped`, phases one after the other.
 */
function packPhases(w: Float32Array, cin: number, coutPerGroup: number, group: number, kh: number, kw: number, ah: PhaseAxis, aw: PhaseAxis, block: number): Float32Array {
  const cinPerGroup = cin / group;
  const cout = coutPerGroup * group;
  const taps = ah.width * aw.width;
  const parts: Float32Array[] = [];
  for (let ph = 0; ph < ah.taps.length; ph++)
    for (let pw = 0; pw < aw.taps.length; pw++) {
      const oihw = new Float32Array(cout * cinPerGroup * taps);
      for (let g = 0; g < group; g++)
        for (let ocl = 0; ocl < coutPerGroup; ocl++)
          for (let icl = 0; icl < cinPerGroup; icl++)
            ah.taps[ph]!.forEach((ky, th) =>
              aw.taps[pw]!.forEach((kx, tw) => {
                // W is [C_in, C_out/group, KH, KW]; the conv packing wants [C_out, C_in/group, taps].
                const src = (((g * cinPerGroup + icl) * coutPerGroup + ocl) * kh + ky) * kw + kx;
                oihw[((g * coutPerGroup + ocl) * cinPerGroup + icl) * taps + th * aw.width + tw] = w[src]!;
              }),
            );
      parts.push(packWeightsGrouped(oihw, cout, group, cinPerGroup, taps, block));
    }
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export const convTransposeKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const x = inputShape(ctx, 0);
  const wShape = inputShape(ctx, 1);
  const p = convTransposeParams(node, x, wShape);
  if (p.spatialRank > 2) throw new WebGPUKernelError(`${p.spatialRank}-D ConvTranspose is not supported on WebGPU (the CPU backend runs it)`, node.name, node.op);
  const weight = ctx.constant?.(node.inputs[1]!);
  if (!weight) throw new WebGPUKernelError('ConvTranspose needs constant weights on WebGPU (they are repacked per stride phase at load)', node.name, node.op);
  // 1-D runs as 2-D with H = 1.
  const as2d = (v: readonly number[], one: number): [number, number] => (p.spatialRank === 1 ? [one, v[0]!] : [v[0]!, v[1]!]);
  const [n, cin] = [x[0]!, x[1]!];
  const [ih, iw] = as2d(x.slice(2), 1);
  const [oh, ow] = as2d(p.outSpatial, 1);
  const [kh, kw] = as2d(p.kernel, 1);
  const [sh, sw] = as2d(p.strides, 1);
  const [dh, dw] = as2d(p.dilations, 1);
  const [padH, padW] = as2d(p.pads.slice(0, p.spatialRank), 0);
  const coutPerGroup = wShape[1]!;
  const cout = coutPerGroup * p.group;
  const ah = phaseAxis(kh, sh, dh, padH, oh);
  const aw = phaseAxis(kw, sw, dw, padW, ow);
  // Channel block: the one that pads each group's output channels least (8 on ties, e.g. depthwise pads 1 → 4).
  const waste = (b: number) => Math.ceil(coutPerGroup / b) * b - coutPerGroup;
  const block: 8 | 4 = waste(8) <= waste(4) ? 8 : 4;
  const cpgPad = Math.ceil(coutPerGroup / block) * block;
  const cols = p.group * cpgPad;
  const packed: PackedWeights = {
    // The packing depends on the phase geometry too, so two nodes sharing W with other strides/pads get their own.
    name: `\u0000convT_pack_b${block}_k${kh}x${kw}_s${sh}x${sw}_d${dh}x${dw}_p${padH}x${padW}_g${p.group}:${node.inputs[1]}`,
    data: packPhases(weightValues(weight), cin, coutPerGroup, p.group, kh, kw, ah, aw, block),
    cols,
    cpgPad,
  };
  const px: 4 | 8 = aw.rows > 4 ? 8 : 4;
  const colBlocks = Math.ceil(aw.rows / px);
  const phases: PhaseGrid = {
    packed,
    px,
    gridH: ah.taps.length * ah.rows,
    owBlocks: aw.taps.length * colBlocks,
    macs: n * cin * ih * iw * coutPerGroup * kh * kw,
    uniforms: [
      { name: 'phase_rows', type: 'u32', value: ah.rows },
      { name: 'phase_col_blocks', type: 'u32', value: colBlocks },
      { name: 'out_step_h', type: 'u32', value: sh },
      { name: 'out_step_w', type: 'u32', value: sw },
      { name: 'phase_count_w', type: 'u32', value: aw.taps.length },
      { name: 'phase_wsize', type: 'u32', value: ((cin / p.group) * ah.width * aw.width * cols) / 4 },
      { name: 'phase_base_h', type: 'i32', value: ah.base },
      { name: 'phase_base_w', type: 'i32', value: aw.base },
    ],
  };
  const c: ConvNode = {
    node,
    // The per-phase correlation the shader runs: stride 1, the phase's tap count and dilation; pads live in phase_base.
    shape: { n, cin, ih, iw, cout, oh, ow, kh: ah.width, kw: aw.width, sh: 1, sw: 1, dh: ah.dilation, dw: aw.dilation, pads: [0, 0, 0, 0], group: p.group, constWeights: true },
    hasBias: node.inputs.length > 2 && node.inputs[2] !== '',
    act: fusedEpilogue(node),
    weight,
  };
  return gemmConvPlan(c, block, true, phases);
};
