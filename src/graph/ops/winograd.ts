/**
 * Tessera ops of the Winograd convolutions F(m×m, 3×3), m = 2 or 4 (attribute `tile`, default 2), introduced by the
 * WebGPU lowering (src/backends/webgpu/lower.ts `lowerWinograd`) for 3×3 / stride 1 / dilation 1 / group 1 convs with
 * constant weights. An m×m output tile needs an α×α input patch d (α = m + 2); with U = G g Gᵀ (g: one 3×3 filter)
 * and V = Bᵀ d B, the tile is Aᵀ (Σ_c U ⊙ V) A: α² products per tile and (C_in, C_out) pair instead of 9·m², and the
 * sum over C_in is α² independent GEMMs (F(2×2): 16 vs 36 multiplies, 2.25× fewer; F(4×4): 36 vs 144, 4× fewer).
 *
 *   WinogradInput   X [N, C, H, W]                       attrs tile, pads [top, left, bottom, right] (each 0..2)
 *                   → V [E, C, Tp]: V[e, c, t] = (Bᵀ d B)[e / α, e % α] of tile t's α×α patch of channel c (E = α²)
 *   WinogradGemm    V [E, C, Tp], W [K, C, 3, 3] (constant)   attrs tile
 *                   → M [E, Tp, Kp]: M[e, t, k] = Σ_c U[e, c, k] V[e, c, t], U = G g Gᵀ
 *   WinogradOutput  M [E, Tp, Kp], [B] [K], [R] [N, K, OH, OW]   attrs tile, output_shape [N, K, OH, OW] + the
 *                   FusedConv epilogue attributes (src/graph/ops/fused.ts) and residual view (./residual_view.ts)
 *                   → Y [N, K, OH, OW]: each tile Aᵀ M A, then bias, residual, activation as FusedConv does
 *
 * Tiles: OH = H + top + bottom - 2, OW likewise; tile t = (n · TH + ty) · TW + tx with TH = ceil(OH / m),
 * TW = ceil(OW / m); its patch starts at input row m·ty - top, column m·tx - left (outside the image: zero).
 * T = N · TH · TW, padded to Tp = ceil(T / 16) · 16 (V is zero for the padding tiles, so kernels read whole 16-row
 * blocks without bounds checks); Kp = ceil(K / 8) · 8 (M's columns past K are zero).
 *
 * Matrices (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016; interpolation points 0, ±1, ∞
 * for m = 2 and 0, ±1, ±2, ∞ for m = 4): WINOGRAD_MATRICES below.
 */
import { attrInts, type Node } from '../ir.js';
import { fail, fmtShape, isFloat } from './common.js';
import { readEpilogue } from './fused.js';
import { checkResidualView, readResidualView } from './residual_view.js';
import type { InputInfo, ShapeRule } from './types.js';

/** Output tile edge m of F(m×m, 3×3). */
export type WinogradTile = 2 | 4;
export const WINOGRAD_TILE_SIZES: readonly WinogradTile[] = [2, 4];
/** Elements of one transformed F(2×2) tile (4×4). */
export const WINOGRAD_ELEMS = 16;
/** Elements of one transformed tile: α² with α = m + 2 (16 for m = 2, 36 for m = 4). */
export const winogradElems = (m: WinogradTile): number => (m + 2) * (m + 2);
/** Tile rows V / M are padded to (the GEMM's row block). */
export const WINOGRAD_TILE_ALIGN = 16;
/** Column block M is padded to (the GEMM's column block). */
export const WINOGRAD_CHANNEL_ALIGN = 8;
/** Largest pad per side the lowering produces (a patch of a 3×3 conv never needs more). */
export const WINOGRAD_MAX_PAD = 2;

/** Bᵀ (α×α), G (α×3), Aᵀ (m×α), row-major. G of F(4×4) holds sixths: computed in float64 here, never rounded to f32. */
export interface WinogradMatrices {
  bt: number[][];
  g: number[][];
  at: number[][];
}

export const WINOGRAD_MATRICES: Record<WinogradTile, WinogradMatrices> = {
  2: {
    bt: [
      [1, 0, -1, 0],
      [0, 1, 1, 0],
      [0, -1, 1, 0],
      [0, 1, 0, -1],
    ],
    g: [
      [1, 0, 0],
      [0.5, 0.5, 0.5],
      [0.5, -0.5, 0.5],
      [0, 0, 1],
    ],
    at: [
      [1, 1, 1, 0],
      [0, 1, -1, -1],
    ],
  },
  4: {
    bt: [
      [4, 0, -5, 0, 1, 0],
      [0, -4, -4, 1, 1, 0],
      [0, 4, -4, -1, 1, 0],
      [0, -2, -1, 2, 1, 0],
      [0, 2, -1, -2, 1, 0],
      [0, 4, 0, -5, 0, 1],
    ],
    g: [
      [1 / 4, 0, 0],
      [-1 / 6, -1 / 6, -1 / 6],
      [-1 / 6, 1 / 6, -1 / 6],
      [1 / 24, 1 / 12, 1 / 6],
      [1 / 24, -1 / 12, 1 / 6],
      [0, 0, 1],
    ],
    at: [
      [1, 1, 1, 1, 1, 0],
      [0, 1, -1, 2, -2, 0],
      [0, 1, 1, 4, 4, 0],
      [0, 1, -1, 8, -8, 1],
    ],
  },
};

/** Validated `tile` attribute (m) of a Winograd node: 2 (default) or 4. */
export function winogradTile(node: Node): WinogradTile {
  const m = node.attrs['tile'] ?? 2;
  if (m !== 2 && m !== 4) fail(node, `tile ${JSON.stringify(m)} must be 2 or 4 (F(2x2,3x3) or F(4x4,3x3))`);
  return m;
}

export interface WinogradTiles {
  /** Tile rows / columns per image. */
  th: number;
  tw: number;
  /** Tiles in all (N · th · tw) and padded to WINOGRAD_TILE_ALIGN. */
  tiles: number;
  tilesPadded: number;
}

export function winogradTiles(n: number, oh: number, ow: number, m: WinogradTile = 2): WinogradTiles {
  const th = Math.ceil(oh / m);
  const tw = Math.ceil(ow / m);
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
 * U = G g Gᵀ for every (input channel c, output channel k), computed in float64: [E, C, K] row-major
 * (U[(e · C + c) · K + k]). `w` is OIHW [K, C, 3, 3].
 */
export function winogradWeights(w: ArrayLike<number>, k: number, c: number, m: WinogradTile = 2): Float64Array {
  const g = WINOGRAD_MATRICES[m].g;
  const a = m + 2;
  const u = new Float64Array(a * a * c * k);
  const gg = new Float64Array(3 * a); // G g: α rows × 3 columns
  for (let oc = 0; oc < k; oc++)
    for (let ic = 0; ic < c; ic++) {
      const base = (oc * c + ic) * 9;
      for (let i = 0; i < a; i++) {
        const gi = g[i]!;
        for (let j = 0; j < 3; j++) gg[3 * i + j] = gi[0]! * w[base + j]! + gi[1]! * w[base + 3 + j]! + gi[2]! * w[base + 6 + j]!;
      }
      for (let i = 0; i < a; i++)
        for (let j = 0; j < a; j++) {
          const gj = g[j]!;
          u[((a * i + j) * c + ic) * k + oc] = gg[3 * i]! * gj[0]! + gg[3 * i + 1]! * gj[1]! + gg[3 * i + 2]! * gj[2]!;
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
  const m = winogradTile(node);
  const [top, left, bottom, right] = winogradPads(node);
  const x = requireFloatInput(node, inputs, 0, 'X');
  if (x.shape.length !== 4 || x.shape.some((d) => d < 1)) fail(node, `X must be a known 4-D shape [N, C, H, W], got ${fmtShape(x.shape)}`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const oh = h + top + bottom - 2;
  const ow = w + left + right - 2;
  if (oh < 1 || ow < 1) fail(node, `X ${fmtShape(x.shape)} with pads [${top}, ${left}, ${bottom}, ${right}] is smaller than the 3×3 kernel`);
  return [{ dtype: 'f32', shape: [winogradElems(m), c, winogradTiles(n, oh, ow, m).tilesPadded] }];
};

const gemmRule: ShapeRule = (node, inputs) => {
  const e = winogradElems(winogradTile(node));
  const v = requireFloatInput(node, inputs, 0, 'V');
  const w = requireFloatInput(node, inputs, 1, 'W');
  if (v.shape.length !== 3 || v.shape[0] !== e || v.shape[2]! % WINOGRAD_TILE_ALIGN !== 0)
    fail(node, `V must be [${e}, C, Tp] with Tp a multiple of ${WINOGRAD_TILE_ALIGN}, got ${fmtShape(v.shape)}`);
  if (w.shape.length !== 4 || w.shape[2] !== 3 || w.shape[3] !== 3 || w.shape[1] !== v.shape[1])
    fail(node, `W must be [K, ${v.shape[1]}, 3, 3], got ${fmtShape(w.shape)}`);
  return [{ dtype: 'f32', shape: [e, v.shape[2]!, paddedChannels(w.shape[0]!)] }];
};

const outputRule: ShapeRule = (node, inputs) => {
  readEpilogue(node);
  const tile = winogradTile(node);
  const e = winogradElems(tile);
  const [n, k, oh, ow] = winogradOutputShape(node);
  const m = requireFloatInput(node, inputs, 0, 'M');
  const t = winogradTiles(n, oh, ow, tile);
  if (m.shape.length !== 3 || m.shape[0] !== e || m.shape[1] !== t.tilesPadded || m.shape[2] !== paddedChannels(k))
    fail(node, `M must be [${e}, ${t.tilesPadded}, ${paddedChannels(k)}] for output_shape [${n}, ${k}, ${oh}, ${ow}], got ${fmtShape(m.shape)}`);
  const b = inputs[1];
  if (b && (b.shape.length !== 1 || b.shape[0] !== k)) fail(node, `bias B must be [${k}], got ${fmtShape(b.shape)}`);
  const r = inputs[2];
  const out = [n, k, oh, ow];
  const view = r && readResidualView(node, 4);
  if (r && view) checkResidualView(node, view, r.shape, out);
  else if (r && (r.shape.length !== 4 || r.shape.some((d, i) => d !== out[i]))) fail(node, `residual R must be ${fmtShape(out)}, got ${fmtShape(r.shape)}`);
  if (inputs.length > 3) fail(node, `takes at most 3 inputs (M, [B], [R]), got ${inputs.length}`);
  return [{ dtype: 'f32', shape: out }];
};

export const winogradShapeRules: Record<string, ShapeRule> = { WinogradInput: inputRule, WinogradGemm: gemmRule, WinogradOutput: outputRule };
