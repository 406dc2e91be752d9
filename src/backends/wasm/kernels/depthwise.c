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
    for (int oh = 0; oh < OH; oh++) {
      const f32 *rows = pad + oh * sh * Wp;
      f32 *o = out + oh * OW;
      const f32 *rr = res ? res + oh * OW : 0;
      int ow = 0;
      /* 16 outputs at a time: four independent accumulator chains hide the multiply-add latency */
      for (; ow + 16 <= OW; ow += 16) {
        v4 a0 = wasm_f32x4_splat(b), a1 = a0, a2 = a0, a3 = a0;
        for (int kh = 0; kh < KH; kh++) {
          const f32 *row = rows + kh * dh * Wp + ow * sw;
          for (int kw = 0; kw < KW; kw++) {
            v4 wv = wasm_v128_load32_splat(w + kh * KW + kw);
            const f32 *x0 = row + kw * dw;
            a0 = vmadd(wv, load_strided(x0, sw), a0);
            a1 = vmadd(wv, load_strided(x0 + 4 * sw, sw), a1);
            a2 = vmadd(wv, load_strided(x0 + 8 * sw, sw), a2);
            a3 = vmadd(wv, load_strided(x0 + 12 * sw, sw), a3);
          }
        }
        v4 acc[4] = {a0, a1, a2, a3};
        for (int q = 0; q < 4; q++) {
          v4 v = acc[q];
          if (rr && !e.res_after) v = wasm_f32x4_add(v, wasm_v128_load(rr + ow + 4 * q));
          v = v_act(v, &e);
          if (rr && e.res_after) v = wasm_f32x4_add(v, wasm_v128_load(rr + ow + 4 * q));
          wasm_v128_store(o + ow + 4 * q, v);
        }
      }
      for (; ow + 4 <= OW; ow += 4) {
        v4 acc = wasm_f32x4_splat(b);
        for (int kh = 0; kh < KH; kh++) {
          const f32 *row = rows + kh * dh * Wp + ow * sw;
          for (int kw = 0; kw < KW; kw++) acc = vmadd(wasm_v128_load32_splat(w + kh * KW + kw), load_strided(row + kw * dw, sw), acc);
        }
        if (rr && !e.res_after) acc = wasm_f32x4_add(acc, wasm_v128_load(rr + ow));
        acc = v_act(acc, &e);
        if (rr && e.res_after) acc = wasm_f32x4_add(acc, wasm_v128_load(rr + ow));
        wasm_v128_store(o + ow, acc);
      }
      for (; ow < OW; ow++) {
        f32 acc = b;
        for (int kh = 0; kh < KH; kh++) {
          const f32 *row = rows + kh * dh * Wp + ow * sw;
          for (int kw = 0; kw < KW; kw++) acc += w[kh * KW + kw] * row[kw * dw];
        }
        if (rr && !e.res_after) acc += rr[ow];
        acc = s_act(acc, &e);
        if (rr && e.res_after) acc += rr[ow];
        o[ow] = acc;
      }
    }
  }
}
