/*
 * Binary layers (XNOR-Net, src/graph/ops/binary.ts; CPU reference src/backends/cpu/binary.ts), exact integers:
 *   binarize  f32 X [N, C, H, W] (with thresholds T [3, C]: x' = s x, +1 if x' > hi, -1 if x' < lo, else zero_sign)
 *             or bit-packed X [N, H, W, C32] -> per-pixel channel words: sign (1 = +1) and nonzero (the input counts)
 *   bdots     dot = counted - 2 popcount((sign ^ w) & nonzero) over the taps, per output pixel and channel: the
 *             taps' words are gathered once per pixel (padding: nonzero 0 for pad_value 0; every real channel -1 for
 *             pad_value -1) and every output channel reuses them (i64.popcnt over u64 pairs of words). Then either
 *             the float epilogue (BinaryConv, BinaryGemm: fround(alpha dot + B) in f64 as the reference, activation,
 *             residual) or the raw dots into scratch (BinaryConvBits).
 *   bbits     BinaryConvBits: bit = Q0 <= dot <= Q1, pooling windows combined by OR / AND, packed NHWC words.
 * Weights are repacked at load as [M][taps * words rounded up to even] (zero padding).
 */
#include "common.h"

enum {
  BZ_X, BZ_SIGN, BZ_NZ, BZ_N, BZ_C, BZ_H, BZ_W, BZ_NS, BZ_CS, BZ_T, BZ_ZERO_SIGN, BZ_PACKED, BZ_COUNT
};

static inline uint32_t channel_mask(int c, int j) {
  int rest = c - 32 * j;
  return rest >= 32 ? 0xffffffffu : rest <= 0 ? 0u : (1u << rest) - 1u;
}

int binarize_items(const int32_t *p) { return p[BZ_N] * p[BZ_H]; }

/* One item = one image row: its W pixels' words. */
EXPORT(binarize) void binarize(const int32_t *p, int lo, int hi, int tid) {
  (void)tid;
  const int C = p[BZ_C], H = p[BZ_H], W = p[BZ_W], words = (C + 31) / 32;
  const f32 *T = p[BZ_T] ? PTR(const f32, p[BZ_T]) : 0;
  for (int item = lo; item < hi; item++) {
    int n = item / H, h = item - n * H;
    uint32_t *sign = PTR(uint32_t, p[BZ_SIGN]) + ((int64_t)n * H + h) * W * words;
    uint32_t *nz = PTR(uint32_t, p[BZ_NZ]) + ((int64_t)n * H + h) * W * words;
    if (p[BZ_PACKED]) {
      const uint32_t *x = PTR(const uint32_t, p[BZ_X]) + ((int64_t)n * H + h) * W * words;
      for (int q = 0; q < W; q++)
        for (int j = 0; j < words; j++) {
          uint32_t m = channel_mask(C, j);
          nz[q * words + j] = m;
          sign[q * words + j] = x[q * words + j] & m;
        }
      continue;
    }
    const f32 *x = PTR(const f32, p[BZ_X]) + (int64_t)n * p[BZ_NS] + h * W;
    const int all_nz = p[BZ_ZERO_SIGN] == -1;
    int q0 = 0;
    /* four pixels at a time: each channel's four values compared in f64 (two f64x2 halves narrowed to i32 lanes),
     * its bit OR-ed into the four pixels' words; a word's 32 channels accumulate in registers before one store */
    for (; q0 + 4 <= W; q0 += 4)
      for (int j = 0; j < words; j++) {
        v4 as = wasm_i32x4_splat(0), an = wasm_i32x4_splat(0);
        const int c1 = C < 32 * j + 32 ? C : 32 * j + 32;
        for (int c = 32 * j; c < c1; c++) {
          const v4 xv = wasm_v128_load(x + (int64_t)c * p[BZ_CS] + q0);
          const v4 s = wasm_f64x2_splat(T ? T[c] : 1.0), l = wasm_f64x2_splat(T ? T[C + c] : 0.0), u = wasm_f64x2_splat(T ? T[2 * C + c] : 0.0);
          const v4 v0 = wasm_f64x2_mul(s, wasm_f64x2_promote_low_f32x4(xv));
          const v4 v1 = wasm_f64x2_mul(s, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(xv, xv, 2, 3, 0, 1)));
          const v4 gt = wasm_i32x4_shuffle(wasm_f64x2_gt(v0, u), wasm_f64x2_gt(v1, u), 0, 2, 4, 6);
          const v4 lt = wasm_i32x4_shuffle(wasm_f64x2_lt(v0, l), wasm_f64x2_lt(v1, l), 0, 2, 4, 6);
          const v4 bit = wasm_i32x4_splat((int32_t)(1u << (c & 31)));
          as = wasm_v128_or(as, wasm_v128_and(gt, bit));
          an = wasm_v128_or(an, all_nz ? bit : wasm_v128_and(wasm_v128_or(gt, lt), bit));
        }
        sign[(q0 + 0) * words + j] = (uint32_t)wasm_i32x4_extract_lane(as, 0);
        sign[(q0 + 1) * words + j] = (uint32_t)wasm_i32x4_extract_lane(as, 1);
        sign[(q0 + 2) * words + j] = (uint32_t)wasm_i32x4_extract_lane(as, 2);
        sign[(q0 + 3) * words + j] = (uint32_t)wasm_i32x4_extract_lane(as, 3);
        nz[(q0 + 0) * words + j] = (uint32_t)wasm_i32x4_extract_lane(an, 0);
        nz[(q0 + 1) * words + j] = (uint32_t)wasm_i32x4_extract_lane(an, 1);
        nz[(q0 + 2) * words + j] = (uint32_t)wasm_i32x4_extract_lane(an, 2);
        nz[(q0 + 3) * words + j] = (uint32_t)wasm_i32x4_extract_lane(an, 3);
      }
    /* the last W % 4 pixels one by one */
    for (int i = q0 * words; i < W * words; i++) sign[i] = nz[i] = 0;
    for (int c = 0; c < C && q0 < W; c++) {
      const f32 *row = x + (int64_t)c * p[BZ_CS];
      /* f64 as the reference: s * x is exact there, and the comparison must flip exactly where it does */
      double s = T ? T[c] : 1.0, l = T ? T[C + c] : 0.0, u = T ? T[2 * C + c] : 0.0;
      uint32_t bit = 1u << (c & 31);
      int j = c >> 5;
      for (int q = q0; q < W; q++) {
        double v = s * (double)row[q];
        if (v > u) {
          sign[q * words + j] |= bit;
          nz[q * words + j] |= bit;
        } else if (v < l || p[BZ_ZERO_SIGN] == -1) {
          nz[q * words + j] |= bit;
        }
      }
    }
  }
}

enum {
  BD_SIGN, BD_NZ, BD_WP, BD_N, BD_C, BD_H, BD_W, BD_M, BD_OH, BD_OW, BD_KH, BD_KW, BD_SH, BD_SW, BD_PH, BD_PW,
  BD_DH, BD_DW, BD_PAD_VALUE, BD_K64, BD_MODE, BD_OUT, BD_OUT_NS, BD_OUT_CS, BD_ALPHA, BD_BIAS, BD_RES, BD_RES_NS,
  BD_RES_CS, BD_ACT, BD_ACT_ALPHA, BD_ACT_BETA, BD_LO, BD_HI, BD_RES_AFTER, BD_SCRATCH, BD_SCRATCH_STRIDE, BD_COUNT
};
/* BD_MODE: 0 float output (BinaryConv), 1 float output with Gemm rounding (BinaryGemm), 2 raw dots (Bits) */

int bdots_items(const int32_t *p) { return p[BD_N] * p[BD_OH]; }

EXPORT(bdots) void bdots(const int32_t *p, int lo, int hi, int tid) {
  const int C = p[BD_C], H = p[BD_H], W = p[BD_W], M = p[BD_M], OH = p[BD_OH], OW = p[BD_OW];
  const int KH = p[BD_KH], KW = p[BD_KW], sh = p[BD_SH], sw = p[BD_SW], ph = p[BD_PH], pw = p[BD_PW];
  const int dh = p[BD_DH], dw = p[BD_DW], k64 = p[BD_K64], mode = p[BD_MODE], words = (C + 31) / 32;
  const epilogue_t e = {p[BD_ACT], bits_f32(p[BD_ACT_ALPHA]), bits_f32(p[BD_ACT_BETA]), bits_f32(p[BD_LO]), bits_f32(p[BD_HI]), p[BD_RES_AFTER]};
  const uint64_t *wp = PTR(const uint64_t, p[BD_WP]);
  /* gathered taps of one output pixel: sign and nonzero, k64 u64 each */
  uint64_t *gs = PTR(uint64_t, p[BD_SCRATCH] + tid * p[BD_SCRATCH_STRIDE]);
  uint64_t *gn = gs + k64;
  uint32_t *gs32 = (uint32_t *)gs, *gn32 = (uint32_t *)gn;
  const f32 *alpha = PTR(const f32, p[BD_ALPHA]), *bias = p[BD_BIAS] ? PTR(const f32, p[BD_BIAS]) : 0;
  for (int item = lo; item < hi; item++) {
    int n = item / OH, oy = item - n * OH;
    for (int ox = 0; ox < OW; ox++) {
      int counted = 0;
      for (int i = 0; i < 2 * k64; i++) gs32[i] = gn32[i] = 0;
      for (int ky = 0; ky < KH; ky++) {
        int iy = oy * sh - ph + ky * dh;
        for (int kx = 0; kx < KW; kx++) {
          int ix = ox * sw - pw + kx * dw;
          int at = (ky * KW + kx) * words;
          if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
            if (p[BD_PAD_VALUE] == -1)
              for (int j = 0; j < words; j++) gn32[at + j] = channel_mask(C, j); /* sign 0: every channel -1 */
            continue;
          }
          const uint32_t *xs = PTR(const uint32_t, p[BD_SIGN]) + (((int64_t)n * H + iy) * W + ix) * words;
          const uint32_t *xn = PTR(const uint32_t, p[BD_NZ]) + (((int64_t)n * H + iy) * W + ix) * words;
          for (int j = 0; j < words; j++) {
            gs32[at + j] = xs[j];
            gn32[at + j] = xn[j];
          }
        }
      }
      for (int i = 0; i < k64; i++) counted += __builtin_popcountll(gn[i]);
      for (int o0 = 0; o0 < M; ) {
        /* eight output channels per pass over the gathered words: each word is loaded once for all eight (the
         * last M % 8 channels one by one) */
        int pcs[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int nout = M - o0 >= 8 ? 8 : M - o0;
        const uint64_t *w0 = wp + (int64_t)o0 * k64;
        if (nout == 8) {
          const uint64_t *w1 = w0 + k64, *w2 = w1 + k64, *w3 = w2 + k64, *w4 = w3 + k64, *w5 = w4 + k64, *w6 = w5 + k64, *w7 = w6 + k64;
          int p0 = 0, p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0, p6 = 0, p7 = 0;
          for (int i = 0; i < k64; i++) {
            uint64_t s = gs[i], m = gn[i];
            p0 += __builtin_popcountll((s ^ w0[i]) & m);
            p1 += __builtin_popcountll((s ^ w1[i]) & m);
            p2 += __builtin_popcountll((s ^ w2[i]) & m);
            p3 += __builtin_popcountll((s ^ w3[i]) & m);
            p4 += __builtin_popcountll((s ^ w4[i]) & m);
            p5 += __builtin_popcountll((s ^ w5[i]) & m);
            p6 += __builtin_popcountll((s ^ w6[i]) & m);
            p7 += __builtin_popcountll((s ^ w7[i]) & m);
          }
          pcs[0] = p0; pcs[1] = p1; pcs[2] = p2; pcs[3] = p3; pcs[4] = p4; pcs[5] = p5; pcs[6] = p6; pcs[7] = p7;
        } else {
          for (int q = 0; q < nout; q++) {
            const uint64_t *w = w0 + (int64_t)q * k64;
            for (int i = 0; i < k64; i++) pcs[q] += __builtin_popcountll((gs[i] ^ w[i]) & gn[i]);
          }
        }
        for (int q = 0; q < nout; q++) {
        const int o = o0 + q, pc = pcs[q];
        int dot = counted - 2 * pc;
        int64_t at = (int64_t)oy * OW + ox;
        if (mode == 2) {
          PTR(int32_t, p[BD_OUT])[((int64_t)n * OH * OW + at) * M + o] = dot; /* pixel-major: bbits reads o in a row */
          continue;
        }
        double b = bias ? bias[o] : 0.0;
        f32 y = mode == 1 ? (f32)((double)(f32)((double)alpha[o] * dot) + b) : (f32)((double)alpha[o] * dot + b);
        f32 *out = PTR(f32, p[BD_OUT]) + (int64_t)n * p[BD_OUT_NS] + (int64_t)o * p[BD_OUT_CS] + at;
        if (p[BD_RES]) {
          f32 r = PTR(const f32, p[BD_RES])[(int64_t)n * p[BD_RES_NS] + (int64_t)o * p[BD_RES_CS] + at];
          y = e.res_after ? s_act(y, &e) + r : s_act(y + r, &e);
        } else {
          y = s_act(y, &e);
        }
        *out = y;
        }
        o0 += nout;
      }
    }
  }
}

enum {
  BB_DOTS, BB_OUT, BB_Q, BB_N, BB_M, BB_OH, BB_OW, BB_PH_OUT, BB_PW_OUT, BB_KH, BB_KW, BB_SH, BB_SW, BB_PH, BB_PW,
  BB_DH, BB_DW, BB_POOL, BB_COUNT
};

int bbits_items(const int32_t *p) { return p[BB_N] * p[BB_PH_OUT]; }

/* One item = one output row of packed bits. Pool windows are clipped to the conv output (poolAxisTaps). */
EXPORT(bbits) void bbits(const int32_t *p, int lo, int hi, int tid) {
  (void)tid;
  const int M = p[BB_M], OH = p[BB_OH], OW = p[BB_OW], PH = p[BB_PH_OUT], PW = p[BB_PW_OUT], words = (M + 31) / 32;
  const int pool = p[BB_POOL], KH = pool ? p[BB_KH] : 1, KW = pool ? p[BB_KW] : 1;
  const int sh = pool ? p[BB_SH] : 1, sw = pool ? p[BB_SW] : 1, ph = pool ? p[BB_PH] : 0, pw = pool ? p[BB_PW] : 0;
  const int dh = pool ? p[BB_DH] : 1, dw = pool ? p[BB_DW] : 1;
  const int32_t *q = PTR(const int32_t, p[BB_Q]);
  for (int item = lo; item < hi; item++) {
    int n = item / PH, py = item - n * PH;
    uint32_t *out = PTR(uint32_t, p[BB_OUT]) + ((int64_t)n * PH + py) * PW * words;
    for (int i = 0; i < PW * words; i++) out[i] = 0;
    const int32_t *plane = PTR(const int32_t, p[BB_DOTS]) + (int64_t)n * OH * OW * M;
    for (int px = 0; px < PW; px++) {
      uint32_t *word = out + px * words;
      int o = 0;
      /* four channels at a time: the dots are pixel-major, so a tap's four channels are one vector load; each lane
       * keeps its own OR / AND rule (bitselect), and i32x4.bitmask turns the four results into four bits */
      for (; o + 4 <= M; o += 4) {
        const v4 qlo = wasm_v128_load(q + o), qhi = wasm_v128_load(q + M + o);
        const v4 is_or = wasm_i32x4_ne(wasm_v128_load(q + 2 * M + o), wasm_i32x4_splat(0));
        v4 acc = wasm_v128_not(is_or); /* AND channels start all ones, OR channels all zeros */
        for (int ky = 0; ky < KH; ky++) {
          int iy = py * sh - ph + ky * dh;
          if (iy < 0 || iy >= OH) continue;
          for (int kx = 0; kx < KW; kx++) {
            int ix = px * sw - pw + kx * dw;
            if (ix < 0 || ix >= OW) continue;
            const v4 v = wasm_v128_load(plane + ((int64_t)iy * OW + ix) * M + o);
            const v4 b = wasm_v128_and(wasm_i32x4_ge(v, qlo), wasm_i32x4_le(v, qhi));
            acc = wasm_v128_bitselect(wasm_v128_or(acc, b), wasm_v128_and(acc, b), is_or);
          }
        }
        word[o >> 5] |= (uint32_t)wasm_i32x4_bitmask(acc) << (o & 31);
      }
      for (; o < M; o++) {
        int qlo = q[o], qhi = q[M + o], is_or = q[2 * M + o] != 0, bit = !is_or;
        for (int ky = 0; ky < KH; ky++) {
          int iy = py * sh - ph + ky * dh;
          if (iy < 0 || iy >= OH) continue;
          for (int kx = 0; kx < KW; kx++) {
            int ix = px * sw - pw + kx * dw;
            if (ix < 0 || ix >= OW) continue;
            int v = plane[((int64_t)iy * OW + ix) * M + o]; /* dots are pixel-major: o runs along memory */
            int b = qlo <= v && v <= qhi;
            bit = is_or ? (bit | b) : (bit & b);
          }
        }
        if (bit) word[o >> 5] |= 1u << (o & 31);
      }
    }
  }
}
