/*
 * Depthwise conv (groups == C_in == C_out, multiplier 1): each (batch, channel) plane is copied once into a
 * per-thread zero-padded plane, then every output row is computed 4 pixels at a time with one f32x4 per tap
 * (stride 1: unaligned loads; stride 2: two loads deinterleaved by a shuffle; other strides: lane gathers).
 * Weights are packed [C][KH*KW]; bias [C]. The fused epilogue is applied at the store.
 */
#include "common.h"

enum {
  DW_IN, DW_OUT, DW_RES, DW_WP, DW_BIAS,
  DW_N, DW_C, DW_H, DW_W, DW_OH, DW_OW,
  DW_KH, DW_KW, DW_SH, DW_SW, DW_PH, DW_PW, DW_DH, DW_DW,
  DW_IN_NS, DW_IN_CS, DW_OUT_NS, DW_OUT_CS, DW_RES_NS, DW_RES_CS,
  DW_ACT, DW_ALPHA, DW_BETA, DW_LO, DW_HI, DW_RES_AFTER,
  DW_SCRATCH, DW_SCRATCH_STRIDE, DW_HP, DW_WP_, /* padded plane rows, row length (floats) */
  DW_COUNT
};

/* Four output vectors (four accumulator chains, bias first) over every tap of the window; src[q] is vector q's first
 * input float in the padded plane. Inlined with constant KW / sw / dw at the call sites that have them. */
INLINE void dw_taps(const f32 *const *src, const f32 *w, f32 b, int KH, int KW, int sw, int dh, int dw, int Wp, v4 *acc) {
  v4 a0 = wasm_f32x4_splat(b), a1 = a0, a2 = a0, a3 = a0;
  const f32 *s0 = src[0], *s1 = src[1], *s2 = src[2], *s3 = src[3];
  for (int kh = 0; kh < KH; kh++, w += KW) {
    const int r = kh * dh * Wp;
    for (int kw = 0; kw < KW; kw++) {
      const v4 wv = wasm_v128_load32_splat(w + kw);
      const int t = r + kw * dw;
      a0 = vmadd(wv, load_strided(s0 + t, sw), a0);
      a1 = vmadd(wv, load_strided(s1 + t, sw), a1);
      a2 = vmadd(wv, load_strided(s2 + t, sw), a2);
      a3 = vmadd(wv, load_strided(s3 + t, sw), a3);
    }
  }
  acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
}

int depthwise2d_items(const int32_t *p) { return p[DW_N] * p[DW_C]; }

EXPORT(depthwise2d) void depthwise2d(const int32_t *p, int lo, int hi, int tid) {
  const int C = p[DW_C], H = p[DW_H], W = p[DW_W], OH = p[DW_OH], OW = p[DW_OW];
  const int KH = p[DW_KH], KW = p[DW_KW], sh = p[DW_SH], sw = p[DW_SW], ph = p[DW_PH], pw = p[DW_PW];
  const int dh = p[DW_DH], dw = p[DW_DW], Hp = p[DW_HP], Wp = p[DW_WP_];
  const epilogue_t e = {p[DW_ACT], bits_f32(p[DW_ALPHA]), bits_f32(p[DW_BETA]), bits_f32(p[DW_LO]), bits_f32(p[DW_HI]), p[DW_RES_AFTER]};
  f32 *pad = PTR(f32, p[DW_SCRATCH] + tid * p[DW_SCRATCH_STRIDE]);
  for (int item = lo; item < hi; item++) {
    int n = item / C, c = item - n * C;
    const f32 *x = PTR(const f32, p[DW_IN]) + (int64_t)n * p[DW_IN_NS] + (int64_t)c * p[DW_IN_CS];
    /* zero-padded copy of the plane: rows [0, Hp), input row ih at ih + ph, column iw at iw + pw */
    pad_plane(x, H, W, pad, Hp, Wp, ph, pw, 0.0f);
    const f32 *w = PTR(const f32, p[DW_WP]) + c * KH * KW;
    const f32 b = PTR(const f32, p[DW_BIAS])[c];
    f32 *out = PTR(f32, p[DW_OUT]) + (int64_t)n * p[DW_OUT_NS] + (int64_t)c * p[DW_OUT_CS];
    const f32 *res = p[DW_RES] ? PTR(const f32, p[DW_RES]) + (int64_t)n * p[DW_RES_NS] + (int64_t)c * p[DW_RES_CS] : 0;
    /* The plane's output vectors (V per row, the last one short when 4 does not divide OW) in groups of four: four
     * independent accumulator chains hide the multiply-add latency, and a 7- or 14-wide row costs two or four vector
     * jobs instead of scalar tails. The padded plane is wide enough for every lane of every vector (lower.ts
     * paddedPlane); lanes past the row end are computed and not stored. */
    const int V = (OW + 3) >> 2, jobs = OH * V;
    for (int j0 = 0; j0 < jobs; j0 += 4) {
      const f32 *src[4];
      int at[4], m[4];
      for (int q = 0; q < 4; q++) {
        int j = j0 + q < jobs ? j0 + q : j0; /* a short last group repeats its first job and stores nothing for it */
        int oh = j / V, ow = (j - oh * V) * 4;
        src[q] = pad + oh * sh * Wp + ow * sw;
        at[q] = oh * OW + ow;
        m[q] = j0 + q < jobs ? (OW - ow < 4 ? OW - ow : 4) : 0;
      }
      v4 acc[4];
      /* the common windows get constant taps (unrolled, load offsets as immediates); any other runs the generic loop */
      if (dw == 1 && KW == 3 && sw == 1) dw_taps(src, w, b, KH, 3, 1, dh, 1, Wp, acc);
      else if (dw == 1 && KW == 3 && sw == 2) dw_taps(src, w, b, KH, 3, 2, dh, 1, Wp, acc);
      else if (dw == 1 && KW == 5 && sw == 1) dw_taps(src, w, b, KH, 5, 1, dh, 1, Wp, acc);
      else if (dw == 1 && KW == 5 && sw == 2) dw_taps(src, w, b, KH, 5, 2, dh, 1, Wp, acc);
      else dw_taps(src, w, b, KH, KW, sw, dh, dw, Wp, acc);
      for (int q = 0; q < 4; q++) {
        if (!m[q]) continue;
        v4 v = acc[q];
        if (res && !e.res_after) v = wasm_f32x4_add(v, wasm_v128_load(res + at[q]));
        v = v_act_inline(v, &e);
        if (res && e.res_after) v = wasm_f32x4_add(v, wasm_v128_load(res + at[q]));
        store_lanes(out + at[q], v, m[q]);
      }
    }
  }
}
