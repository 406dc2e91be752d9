/**
 * Weight packing for the WASM kernels, done once at load (the layouts the microkernels read; see kernels/*.c).
 */

/**
 * A packed array written straight into the executor's linear memory once it is laid out: no second copy of the
 * weights in the JS heap (ResNet-50: 100 MB less to allocate and copy at load). `write` gets a zero-filled view.
 */
export interface PackedLater {
  readonly byteLength: number;
  write(dst: Float32Array): void;
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
  return packed(group * tiles * kSize * 4, (out) => packConvInto(out, w, coutG, group, tiles, kSize), later);
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
