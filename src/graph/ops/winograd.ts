/**
 * Tessera ops of the Winograd F(2×2, 3×3) convolution, introduced by the WebGPU lowering (src/backends/webgpu/lower.ts
 * `lowerWinograd`) for 3×3 / stride 1 / dilation 1 / group 1 convs with constant weights. A 2×2 output tile needs a
 * 4×4 input patch d; with U = G g Gᵀ (g: one 3×3 filter) and V = Bᵀ d B, the tile is Aᵀ (Σ_c U ⊙ V) A: 16 products
 * per tile and (C_in, C_out) pair instead of 36, and the sum over C_in is 16 independent GEMMs.
 *
 *   WinogradInput   X [N, C, H, W]                       attrs pads [top, left, bottom, right] (each 0..2)
 *                   → V [16, C, Tp]: V[e, c, t] = (Bᵀ d B)[e / 4, e % 4] of tile t's 4×4 patch of channel c
 *   WinogradGemm    V [16, C, Tp], W [K, C, 3, 3] (constant)
 *                   → M [16, Tp, Kp]: M[e, t, k] = Σ_c U[e, c, k] V[e, c, t], U = G g Gᵀ
 *   WinogradOutput  M [16, Tp, Kp], [B] [K], [R] [N, K, OH, OW]   attrs output_shape [N, K, OH, OW] + the FusedConv
 *                   epilogue attributes (src/graph/ops/fused.ts)
 *                   → Y [N, K, OH, OW]: each tile Aᵀ M A, then bias, residual, activation as FusedConv does
 *
 * Tiles: OH = H + top + bottom - 2, OW likewise; tile t = (n · TH + ty) · TW + tx with TH = ceil(OH / 2),
 * TW = ceil(OW / 2); its patch starts at input row 2·ty - top, column 2·tx - left (outside the image: zero).
 * T = N · TH · TW, padded to Tp = ceil(T / 16) · 16 (V is zero for the padding tiles, so kernels read whole 16-row
 * blocks without bounds checks); Kp = ceil(K / 8) · 8 (M's columns past K are zero).
 *
 * Matrices (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016):
 *   Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]   Aᵀ = [1 1 1 0; 0 1 -1 -1]
 */
import { attrInts, type Node } from '../ir.js';
import { fail, fmtShape, isFloat } from './common.js';
import { readEpilogue } from './fused.js';
import type { InputInfo, ShapeRule } from './types.js';

/** Elements of one transformed tile (4×4). */
export const WINOGRAD_ELEMS = 16;
/** Tile rows V / M are padded to (the GEMM's row block). */
export const WINOGRAD_TILE_ALIGN = 16;
/** Column block M is padded to (the GEMM's column block). */
export const WINOGRAD_CHANNEL_ALIGN = 8;
/** Largest pad per side the lowering produces (a 4×4 patch of a 3×3 conv never needs more). */
export const WINOGRAD_MAX_PAD = 2;

export interface WinogradTiles {
  /** Tile rows / columns per image. */
  th: number;
  tw: number;
  /** Tiles in all (N · th · tw) and padded to WINOGRAD_TILE_ALIGN. */
  tiles: number;
  tilesPadded: number;
}

export function winogradTiles(n: number, oh: number, ow: number): WinogradTiles {
  const th = Math.ceil(oh / 2);
  const tw = Math.ceil(ow / 2);
  const tiles = n * th * tw;
  return { th, tw, tiles, tilesPadded: Math.ceil(tiles / WINOGRAD_TILE_ALIGN) * WINOGRAD_TILE_ALIGN };
}

export const paddedChannels = (k: number): number => Math.ceil(k / WINOGRAD_CHANNEL_ALIGN) * WINOGRAD_CHANNEL_ALIGN;

/** Validated pads [top, left, bottom, right] of a WinogradInput node. */
export function winogradPads(node: Node): [number, number, number, number] {
  const pads = attrInts(node, 'pads', [0, 0, 0, 0]);
  if (pads.length !== 4 || pads.some((p) => !Number.isInteger(p) || p < 0 || p > WINOGRAD_MAX_PAD))
    fail(node, `pads ${fmtShape(pads)} must be 4 integers in 0..${WINOGRAD_MAX_PAD} (top, left, bottom, right)`);
  return pads as [number, number, number, number];
}

/** Validated output_shape [N, K, OH, OW] of a WinogradOutput node. */
export function winogradOutputShape(node: Node): [number, number, number, number] {
  const s = attrInts(node, 'output_shape', []);
  if (s.length !== 4 || s.some((d) => !Number.isInteger(d) || d < 1)) fail(node, `output_shape ${fmtShape(s)} must be 4 positive integers [N, K, OH, OW]`);
  return s as [number, number, number, number];
}

/**
 * U = G g Gᵀ for every (input channel c, output channel k), computed in float64: [16, C, K] row-major
 * (U[(e · C + c) · K + k]). `w` is OIHW [K, C, 3, 3].
 */
export function winogradWeights(w: ArrayLike<number>, k: number, c: number): Float64Array {
  const u = new Float64Array(WINOGRAD_ELEMS * c * k);
  const gg = new Float64Array(12); // G g: 4 rows × 3 columns
  for (let oc = 0; oc < k; oc++)
    for (let ic = 0; ic < c; ic++) {
      const base = (oc * c + ic) * 9;
      for (let j = 0; j < 3; j++) {
        const g0 = w[base + j]!;
        const g1 = w[base + 3 + j]!;
        const g2 = w[base + 6 + j]!;
        gg[j] = g0;
        gg[3 + j] = 0.5 * (g0 + g1 + g2);
        gg[6 + j] = 0.5 * (g0 - g1 + g2);
        gg[9 + j] = g2;
      }
      for (let i = 0; i < 4; i++) {
        const a = gg[3 * i]!;
        const b = gg[3 * i + 1]!;
        const d = gg[3 * i + 2]!;
        const row = [a, 0.5 * (a + b + d), 0.5 * (a - b + d), d];
        for (let j = 0; j < 4; j++) u[((4 * i + j) * c + ic) * k + oc] = row[j]!;
      }
    }
  return u;
}

function requireFloatInput(node: Node, inputs: (InputInfo | undefined)[], i: number, what: string): InputInfo {
  const info = inputs[i];
  if (!info) fail(node, `missing required input ${what} (index ${i})`);
  if (!isFloat(info.dtype)) fail(node, `${what} must be a float tensor, got ${info.dtype}`);
  return info;
}

const inputRule: ShapeRule = (node, inputs) => {
  const [top, left, bottom, right] = winogradPads(node);
  const x = requireFloatInput(node, inputs, 0, 'X');
  if (x.shape.length !== 4 || x.shape.some((d) => d < 1)) fail(node, `X must be a known 4-D shape [N, C, H, W], got ${fmtShape(x.shape)}`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const oh = h + top + bottom - 2;
  const ow = w + left + right - 2;
  if (oh < 1 || ow < 1) fail(node, `X ${fmtShape(x.shape)} with pads [${top}, ${left}, ${bottom}, ${right}] is smaller than the 3×3 kernel`);
  return [{ dtype: 'f32', shape: [WINOGRAD_ELEMS, c, winogradTiles(n, oh, ow).tilesPadded] }];
};

const gemmRule: ShapeRule = (node, inputs) => {
  const v = requireFloatInput(node, inputs, 0, 'V');
  const w = requireFloatInput(node, inputs, 1, 'W');
  if (v.shape.length !== 3 || v.shape[0] !== WINOGRAD_ELEMS || v.shape[2]! % WINOGRAD_TILE_ALIGN !== 0)
    fail(node, `V must be [16, C, Tp] with Tp a multiple of ${WINOGRAD_TILE_ALIGN}, got ${fmtShape(v.shape)}`);
  if (w.shape.length !== 4 || w.shape[2] !== 3 || w.shape[3] !== 3 || w.shape[1] !== v.shape[1])
    fail(node, `W must be [K, ${v.shape[1]}, 3, 3], got ${fmtShape(w.shape)}`);
  return [{ dtype: 'f32', shape: [WINOGRAD_ELEMS, v.shape[2]!, paddedChannels(w.shape[0]!)] }];
};

const outputRule: ShapeRule = (node, inputs) => {
  readEpilogue(node);
  const [n, k, oh, ow] = winogradOutputShape(node);
  const m = requireFloatInput(node, inputs, 0, 'M');
  const t = winogradTiles(n, oh, ow);
  if (m.shape.length !== 3 || m.shape[0] !== WINOGRAD_ELEMS || m.shape[1] !== t.tilesPadded || m.shape[2] !== paddedChannels(k))
    fail(node, `M must be [16, ${t.tilesPadded}, ${paddedChannels(k)}] for output_shape [${n}, ${k}, ${oh}, ${ow}], got ${fmtShape(m.shape)}`);
  const b = inputs[1];
  if (b && (b.shape.length !== 1 || b.shape[0] !== k)) fail(node, `bias B must be [${k}], got ${fmtShape(b.shape)}`);
  const r = inputs[2];
  const out = [n, k, oh, ow];
  if (r && (r.shape.length !== 4 || r.shape.some((d, i) => d !== out[i]))) fail(node, `residual R must be ${fmtShape(out)}, got ${fmtShape(r.shape)}`);
  if (inputs.length > 3) fail(node, `takes at most 3 inputs (M, [B], [R]), got ${inputs.length}`);
  return [{ dtype: 'f32', shape: out }];
};

export const winogradShapeRules: Record<string, ShapeRule> = { WinogradInput: inputRule, WinogradGemm: gemmRule, WinogradOutput: outputRule };
