/**
 * Weight packing for the WASM kernels, done once at load (the layouts the microkernels read; see kernels/*.c).
 */
import type { KernelExports } from './module.js';

/**
 * A packed array written straight into the executor's linear memory once it is laid out: no second copy of the
 * weights in the JS heap (ResNet-50: 100 MB less to allocate and copy at load). `write` gets a zero-filled view.
 */
export interface PackedLater {
  readonly byteLength: number;
  write(dst: Float32Array): void;
  /** Packs with the kernel module instead, into byte address `dst` of fresh memory; false: not possible, use write. */
  writeIn?(mem: PackMemory, dst: number): boolean;
}

/** What a load-time packing kernel gets: the memory, a staging area nothing uses yet, the kernel module's exports. */
export interface PackMemory {
  memory: WebAssembly.Memory;
  /** Byte address and size of the staging area (the activation arena and scratch, unused until the first run). */
  stage: number;
  stageBytes: number;
  /** Bytes of the stage written so far (the loader zeroes them again after packing). */
  stageUsed: number;
  exports: Pick<KernelExports, 'winograd_pack' | 'conv_pack'>;
}

/** Packs into a new array now (tests, small tables) or later into memory (`later`). */
function packed(floats: number, write: (dst: Float32Array) => void, later: boolean): Float32Array | PackedLater {
  if (later) return { byteLength: floats * 4, write };
  const out = new Float32Array(floats);
  write(out);
  return out;
}

/** Conv weights W [M, C/g, ...k] -> [group][tile of 4 output channels][k = (ci, kh, kw)][4], zero rows past M/g. */
export function packConvWeights(w: Float32Array, cout: number, group: number, kSize: number): Float32Array;
export function packConvWeights(w: Float32Array, cout: number, group: number, kSize: number, later: true): PackedLater;
export function packConvWeights(w: Float32Array, cout: number, group: number, kSize: number, later = false): Float32Array | PackedLater {
  const coutG = cout / group;
  const tiles = Math.ceil(coutG / 4);
  const p = packed(group * tiles * kSize * 4, (out) => packConvInto(out, w, coutG, group, tiles, kSize), later);
  if (!later) return p;
  // In memory: each group's rows staged a few tiles at a time and transposed by kernels/conv.c conv_pack (copies:
  // the same bits as packConvInto, ~5x faster); short calls, as for packWinogradWeights.
  const writeIn = (mem: PackMemory, dst: number): boolean => {
    const rows = Math.min(16, Math.floor(mem.stageBytes / (kSize * 4)) & ~3);
    if (rows < 4) return false;
    for (let g = 0; g < group; g++)
      for (let r0 = 0; r0 < coutG; r0 += rows) {
        const n = Math.min(rows, coutG - r0);
        const from = (g * coutG + r0) * kSize;
        new Float32Array(mem.memory.buffer, mem.stage, n * kSize).set(w.subarray(from, from + n * kSize));
        mem.stageUsed = Math.max(mem.stageUsed, n * kSize * 4);
        mem.exports.conv_pack(mem.stage, dst + (g * tiles + r0 / 4) * kSize * 16, kSize, n);
      }
    return true;
  };
  return { ...(p as PackedLater), writeIn };
}

function packConvInto(out: Float32Array, w: Float32Array, coutG: number, group: number, tiles: number, kSize: number): void {
  for (let g = 0; g < group; g++) {
    for (let t = 0; t < tiles; t++) {
      const base = (g * tiles + t) * kSize * 4;
      for (let r = 0; r < 4; r++) {
        const co = t * 4 + r;
        if (co >= coutG) continue;
        const src = (g * coutG + co) * kSize;
        for (let k = 0; k < kSize; k++) out[base + k * 4 + r] = w[src + k]!;
      }
    }
  }
}

/** Conv bias [M] (or none) -> [group][tile][4], zero padded. */
export function packConvBias(bias: Float32Array | undefined, cout: number, group: number): Float32Array {
  const coutG = cout / group;
  const tiles = Math.ceil(coutG / 4);
  const out = new Float32Array(group * tiles * 4);
  if (bias) for (let g = 0; g < group; g++) for (let co = 0; co < coutG; co++) out[(g * tiles) * 4 + co] = bias[g * coutG + co]!;
  return out;
}

/**
 * Gemm B -> [column tile of 8][k][8] with alpha folded in: B'[k][j] = alpha * (transB ? B[j][k] : B[k][j]).
 * Bias = beta * C over N columns, padded to whole tiles.
 */
export function packGemm(b: Float32Array, K: number, N: number, transB: boolean, alpha: number): Float32Array;
export function packGemm(b: Float32Array, K: number, N: number, transB: boolean, alpha: number, later: true): PackedLater;
export function packGemm(b: Float32Array, K: number, N: number, transB: boolean, alpha: number, later = false): Float32Array | PackedLater {
  const write = (out: Float32Array) => {
    for (let j = 0; j < N; j++) {
      const t = j >> 3, lane = j & 7;
      for (let k = 0; k < K; k++) out[(t * K + k) * 8 + lane] = alpha * (transB ? b[j * K + k]! : b[k * N + j]!);
    }
  };
  return packed(Math.ceil(N / 8) * K * 8, write, later);
}

export function packGemmBias(c: Float32Array | undefined, N: number, beta: number): Float32Array {
  const out = new Float32Array(Math.ceil(N / 8) * 8);
  if (c) for (let j = 0; j < N; j++) out[j] = beta * c[c.length === 1 ? 0 : j]!;
  return out;
}

/**
 * Winograd F(2×2, 3×3) weights for kernels/winograd.c: U = G g Gᵀ (4×4) of every 3×3 filter g = W[co, ci], as
 * [channel tile of 4][e = 16][ci][4], zero past C_out. G's rows (1 0 0, ½ ½ ½, ½ −½ ½, 0 0 1: WINOGRAD_MATRICES[2]
 * of src/graph/ops/winograd.ts) are written out here in float64 and rounded once: the generic `winogradWeights`
 * took ~0.3 µs per filter, 20 ms of SqueezeNet's load, this loop ~20 ns.
 */
export function packWinogradWeights(w: Float32Array, cout: number, cin: number, later: true): PackedLater;
export function packWinogradWeights(w: Float32Array, cout: number, cin: number, later?: false): Float32Array;
export function packWinogradWeights(w: Float32Array, cout: number, cin: number, later = false): Float32Array | PackedLater {
  const write = (out: Float32Array) => {
    const e = cin * 4; // stride between the 16 transformed elements
    for (let co = 0; co < cout; co++) {
      const tile = (co >> 2) * 16 * e + (co & 3);
      for (let ci = 0; ci < cin; ci++) {
        const g = (co * cin + ci) * 9;
        let at = tile + ci * 4;
        // rows of G g (4 × 3), each then times Gᵀ into 4 elements
        for (let i = 0; i < 4; i++, at += 4 * e) {
          let r0: number, r1: number, r2: number;
          if (i === 0 || i === 3) {
            const o = i === 0 ? g : g + 6;
            r0 = w[o]!;
            r1 = w[o + 1]!;
            r2 = w[o + 2]!;
          } else {
            const s = i === 1 ? 0.5 : -0.5;
            r0 = 0.5 * (w[g]! + w[g + 6]!) + s * w[g + 3]!;
            r1 = 0.5 * (w[g + 1]! + w[g + 7]!) + s * w[g + 4]!;
            r2 = 0.5 * (w[g + 2]! + w[g + 8]!) + s * w[g + 5]!;
          }
          out[at] = r0;
          out[at + e] = 0.5 * (r0 + r2) + 0.5 * r1;
          out[at + 2 * e] = 0.5 * (r0 + r2) - 0.5 * r1;
          out[at + 3 * e] = r2;
        }
      }
    }
  };
  if (!later) return packed(Math.ceil(cout / 4) * 16 * cin * 4, write, false);
  // In memory: the raw filters are staged (a few output channels at a time when the stage is small) and transformed
  // by kernels/winograd.c winograd_pack, the same float64 arithmetic (the same bits) ~5x faster than `write`.
  const rowFloats = cin * 9;
  return {
    byteLength: Math.ceil(cout / 4) * 16 * cin * 4 * 4,
    write,
    writeIn(mem: PackMemory, dst: number): boolean {
      // short calls: wasm has no on-stack replacement, so a call that began in the baseline compiler (the first,
      // at load) would finish there; after a few, the engine's optimized code of the kernel takes over
      const rows = Math.min(cout, 8, Math.floor(mem.stageBytes / (rowFloats * 4)));
      if (rows < 1) return false;
      for (let co0 = 0; co0 < cout; co0 += rows) {
        const n = Math.min(rows, cout - co0);
        new Float32Array(mem.memory.buffer, mem.stage, n * rowFloats).set(w.subarray(co0 * rowFloats, (co0 + n) * rowFloats));
        mem.stageUsed = Math.max(mem.stageUsed, n * rowFloats * 4);
        mem.exports.winograd_pack(mem.stage, dst, cin, co0, n);
      }
      return true;
    },
  };
}
