/*
 * Winograd F(2x2, 3x3) convolution for 3x3 / stride 1 / dilation 1 / group 1 convs (Lavin & Gray 2016; the matrices
 * of src/graph/ops/winograd.ts): each 2x2 output tile is A^T [sum_ci U[ci] (.) (B^T d_ci B)] A, 16 multiplies per
 * (tile, C_in, C_out) instead of 36 (2.25x fewer). The input is a zero-padded copy (pad2d, planes of WG_HP x WG_WP,
 * every tile's 4x4 patch inside), U = G g G^T is computed once at load (src/backends/wasm/pack.ts
 * packWinogradWeights: [channel tile of 4][e = 16][C_in][4]).
 *
 * Work item = (batch, block of NB tiles in row-major tile order, output channel chunk), all in the thread's scratch:
 *   1. input transform of the block: V[e][ci][NB], 4 tiles per f32x4 (4 tiles of one tile row: stride-2 loads;
 *      4 tiles across a row end: gathered lane by lane; lanes past the last tile repeat it and are never stored);
 *   2. per channel tile of 4: the 16 GEMMs M[e] = U[e] V[e] (the conv microkernel, K = C_in), into Mb[e][4][NB];
 *   3. output transform of those 4 channels, then bias, residual and activation as the pixels are stored.
 * V stays in L2 across the channel tiles (NB is chosen at load so that V is <= ~96 KB).
 */
#include "conv_ukernel.h"

enum {
  WG_IN, WG_OUT, WG_RES, WG_U, WG_BIAS,
  WG_N, WG_CIN, WG_COUT, WG_OH, WG_OW, WG_HP, WG_WP, WG_TH, WG_TW,
  WG_OUT_NS, WG_OUT_CS, WG_RES_NS, WG_RES_CS,
  WG_ACT, WG_ALPHA, WG_BETA, WG_LO, WG_HI, WG_RES_AFTER,
  WG_SCRATCH, WG_SCRATCH_STRIDE, WG_NB, WG_CHUNKS,
  WG_COUNT
};

#define SHUF(a, b, i, j, k, l) wasm_i32x4_shuffle(a, b, i, j, k, l)

/* V = B^T d B of 4 tiles at once (d[i * 4 + j]: patch row i, column j, one tile per lane); V[e] stored at v + e * es. */
INLINE void input_transform(const v4 *d, f32 *v, int es) {
  for (int i = 0; i < 4; i++) {
    v4 r[4]; /* row i of B^T d */
    for (int j = 0; j < 4; j++) {
      v4 d0 = d[j], d1 = d[4 + j], d2 = d[8 + j], d3 = d[12 + j];
      r[j] = i == 0 ? wasm_f32x4_sub(d0, d2) : i == 1 ? wasm_f32x4_add(d1, d2) : i == 2 ? wasm_f32x4_sub(d2, d1) : wasm_f32x4_sub(d1, d3);
    }
    wasm_v128_store(v + (4 * i + 0) * es, wasm_f32x4_sub(r[0], r[2]));
    wasm_v128_store(v + (4 * i + 1) * es, wasm_f32x4_add(r[1], r[2]));
    wasm_v128_store(v + (4 * i + 2) * es, wasm_f32x4_sub(r[2], r[1]));
    wasm_v128_store(v + (4 * i + 3) * es, wasm_f32x4_sub(r[1], r[3]));
  }
}

/*
 * Input transform of tiles [t0, t0 + 4) of one image (T tiles, TW per tile row) for every input channel, into
 * V[e][ci][NB] at column `col`. The tile at (ty, tx) reads padded rows 2ty..2ty+3, columns 2tx..2tx+3.
 */
static void transform_tiles(const f32 *plane, int cin, int Hp, int Wp, int T, int TW, int t0, f32 *v, int NB, int col) {
  const int es = cin * NB, ty0 = t0 / TW, tx0 = t0 - ty0 * TW;
  v4 d[16];
  if (tx0 + 4 <= TW && t0 + 4 <= T) {
    /* one tile row: columns 2tx + j of the 4 tiles are 2 apart (three loads and four shuffles per patch row) */
    const f32 *base = plane + 2 * ty0 * Wp + 2 * tx0;
    for (int ci = 0; ci < cin; ci++, base += Hp * Wp) {
      for (int i = 0; i < 4; i++) {
        const f32 *row = base + i * Wp;
        v4 a = wasm_v128_load(row), b = wasm_v128_load(row + 4), c = wasm_v128_load(row + 8);
        v4 e0 = SHUF(a, b, 0, 2, 4, 6), e1 = SHUF(a, b, 1, 3, 5, 7);
        d[4 * i + 0] = e0;
        d[4 * i + 1] = e1;
        d[4 * i + 2] = SHUF(e0, c, 1, 2, 3, 4);
        d[4 * i + 3] = SHUF(e1, c, 1, 2, 3, 5);
      }
      input_transform(d, v + ci * NB + col, es);
    }
    return;
  }
  /* across a tile row's end (or past the last tile: repeat it) */
  int o[4];
  for (int l = 0; l < 4; l++) {
    int t = t0 + l < T ? t0 + l : T - 1, ty = t / TW, tx = t - ty * TW;
    o[l] = 2 * ty * Wp + 2 * tx;
  }
  const f32 *base = plane;
  for (int ci = 0; ci < cin; ci++, base += Hp * Wp) {
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) {
        const int k = i * Wp + j;
        d[4 * i + j] = wasm_f32x4_make(base[o[0] + k], base[o[1] + k], base[o[2] + k], base[o[3] + k]);
      }
    input_transform(d, v + ci * NB + col, es);
  }
}

/* Stores lanes of one 4-tile group of channel co (y[0..3]: the 2x2 outputs y00, y01, y10, y11 per lane). */
static void store_tiles(const int32_t *p, int n, int co, int T, int t0, const v4 *y, f32 bias, const epilogue_t *e) {
  const int OH = p[WG_OH], OW = p[WG_OW], TW = p[WG_TW];
  f32 *out = PTR(f32, p[WG_OUT]) + (int64_t)n * p[WG_OUT_NS] + (int64_t)co * p[WG_OUT_CS];
  const f32 *res = p[WG_RES] ? PTR(const f32, p[WG_RES]) + (int64_t)n * p[WG_RES_NS] + (int64_t)co * p[WG_RES_CS] : 0;
  const int ty0 = t0 / TW, tx0 = t0 - ty0 * TW;
  if (tx0 + 4 <= TW) {
    /* one tile row: two output rows of 8 pixels (fewer at the right edge when OW is odd or short) */
    const int ow = 2 * tx0, m = OW - ow < 8 ? OW - ow : 8;
    for (int r = 0; r < 2 && 2 * ty0 + r < OH; r++) {
      v4 a = y[2 * r], b = y[2 * r + 1];
      int64_t at = (int64_t)(2 * ty0 + r) * OW + ow;
      store_row(out + at, res ? res + at : 0, SHUF(a, b, 0, 4, 1, 5), SHUF(a, b, 2, 6, 3, 7), bias, m, e);
    }
    return;
  }
  for (int l = 0; l < 4 && t0 + l < T; l++) {
    const int t = t0 + l, ty = t / TW, tx = t - ty * TW, ow = 2 * tx, m = OW - ow < 2 ? OW - ow : 2;
    for (int r = 0; r < 2 && 2 * ty + r < OH; r++) {
      v4 a = y[2 * r], b = y[2 * r + 1];
      v4 pair = l == 0 ? SHUF(a, b, 0, 4, 0, 4) : l == 1 ? SHUF(a, b, 1, 5, 1, 5) : l == 2 ? SHUF(a, b, 2, 6, 2, 6) : SHUF(a, b, 3, 7, 3, 7);
      int64_t at = (int64_t)(2 * ty + r) * OW + ow;
      store_row(out + at, res ? res + at : 0, pair, pair, bias, m, e);
    }
  }
}

int winograd_items(const int32_t *p) {
  const int T = p[WG_TH] * p[WG_TW];
  return p[WG_N] * ((T + p[WG_NB] - 1) / p[WG_NB]) * p[WG_CHUNKS];
}

EXPORT(winograd) void winograd(const int32_t *p, int lo, int hi, int tid) {
  const epilogue_t e = {p[WG_ACT], bits_f32(p[WG_ALPHA]), bits_f32(p[WG_BETA]), bits_f32(p[WG_LO]), bits_f32(p[WG_HI]), p[WG_RES_AFTER]};
  const int cin = p[WG_CIN], cout = p[WG_COUT], Hp = p[WG_HP], Wp = p[WG_WP], TW = p[WG_TW], T = p[WG_TH] * TW;
  const int NB = p[WG_NB], nblocks = (T + NB - 1) / NB, chunks = p[WG_CHUNKS], tiles = (cout + MR - 1) / MR;
  const f32 *U = PTR(const f32, p[WG_U]), *bias = PTR(const f32, p[WG_BIAS]);
  f32 *V = PTR(f32, p[WG_SCRATCH] + tid * p[WG_SCRATCH_STRIDE]);
  f32 *Mb = V + 16 * cin * NB; /* [e][4][NB] */
  for (int item = lo; item < hi; item++) {
    int chunk = item % chunks, rest = item / chunks;
    int blk = rest % nblocks, n = rest / nblocks;
    int c_lo = (int)((int64_t)tiles * chunk / chunks), c_hi = (int)((int64_t)tiles * (chunk + 1) / chunks);
    if (c_lo == c_hi) continue;
    const int tb = blk * NB, len = T - tb < NB ? T - tb : NB;
    const f32 *plane = PTR(const f32, p[WG_IN]) + (int64_t)n * cin * Hp * Wp;
    /* whole 8-tile groups: the GEMM reads 8 columns at a time (tiles past T repeat the last one) */
    for (int j = 0; j < ((len + 7) & ~7); j += 4) transform_tiles(plane, cin, Hp, Wp, T, TW, tb + j, V, NB, j);
    for (int ct = c_lo; ct < c_hi; ct++) {
      const f32 *u = U + (int64_t)ct * 16 * cin * MR;
      for (int k = 0; k < 16; k++, u += cin * MR) {
        for (int j = 0; j < len; j += NR) {
          v4 acc[8];
          for (int i = 0; i < 8; i++) acc[i] = wasm_f32x4_splat(0.0f);
          ukernel_4x8(cin, u, V + k * cin * NB + j, NB, 0, acc);
          for (int r = 0; r < MR; r++) {
            wasm_v128_store(Mb + (k * MR + r) * NB + j, acc[2 * r]);
            wasm_v128_store(Mb + (k * MR + r) * NB + j + 4, acc[2 * r + 1]);
          }
        }
      }
      const int rows = cout - ct * MR < MR ? cout - ct * MR : MR;
      for (int r = 0; r < rows; r++) {
        const f32 *mr = Mb + r * NB;
        const f32 b = bias[ct * MR + r];
        for (int j = 0; j < len; j += 4) {
          /* A^T m A: s_j = m0j + m1j + m2j, u_j = m1j - m2j - m3j, then the same over the columns */
          v4 s[4], w[4];
          for (int c = 0; c < 4; c++) {
            v4 m0 = wasm_v128_load(mr + (c) * MR * NB + j), m1 = wasm_v128_load(mr + (4 + c) * MR * NB + j);
            v4 m2 = wasm_v128_load(mr + (8 + c) * MR * NB + j), m3 = wasm_v128_load(mr + (12 + c) * MR * NB + j);
            s[c] = wasm_f32x4_add(wasm_f32x4_add(m0, m1), m2);
            w[c] = wasm_f32x4_sub(wasm_f32x4_sub(m1, m2), m3);
          }
          v4 y[4] = {
            wasm_f32x4_add(wasm_f32x4_add(s[0], s[1]), s[2]), wasm_f32x4_sub(wasm_f32x4_sub(s[1], s[2]), s[3]),
            wasm_f32x4_add(wasm_f32x4_add(w[0], w[1]), w[2]), wasm_f32x4_sub(wasm_f32x4_sub(w[1], w[2]), w[3]),
          };
          store_tiles(p, n, ct * MR + r, T, tb + j, y, b, &e);
        }
      }
    }
  }
}

/*
 * Load-time weight transform (src/backends/wasm/pack.ts packWinogradWeights): U = G g G^T of output channels
 * [co0, co0 + n) from their raw 3x3 filters w ([n][cin][9], staged in memory by the loader) into the packed U at u,
 * [channel tile of 4][e][cin][4]. float64 arithmetic rounded once, as the JavaScript fallback: the same bits. About
 * 5x faster than that loop (ResNet-50: ~100 ms of its load).
 */
EXPORT(winograd_pack) void winograd_pack(const f32 *w, f32 *u, int cin, int co0, int n) {
#pragma clang fp contract(off) /* no fused multiply-add: the same roundings as the JavaScript loop */
  const int es = cin * 4;
  for (int i = 0; i < n; i++) {
    const int co = co0 + i;
    f32 *dst = u + (int64_t)(co >> 2) * 16 * es + (co & 3);
    for (int ci = 0; ci < cin; ci++, dst += 4) {
      const f32 *g = w + ((int64_t)i * cin + ci) * 9;
      for (int r = 0; r < 4; r++) {
        /* row r of G g */
        double r0, r1, r2;
        if (r == 0 || r == 3) {
          const f32 *o = r == 0 ? g : g + 6;
          r0 = o[0]; r1 = o[1]; r2 = o[2];
        } else {
          const double s = r == 1 ? 0.5 : -0.5;
          r0 = 0.5 * ((double)g[0] + g[6]) + s * g[3];
          r1 = 0.5 * ((double)g[1] + g[7]) + s * g[4];
          r2 = 0.5 * ((double)g[2] + g[8]) + s * g[5];
        }
        f32 *d = dst + 4 * r * es;
        d[0] = (f32)r0;
        d[es] = (f32)(0.5 * (r0 + r2) + 0.5 * r1);
        d[2 * es] = (f32)(0.5 * (r0 + r2) - 0.5 * r1);
        d[3 * es] = (f32)r2;
      }
    }
  }
}
