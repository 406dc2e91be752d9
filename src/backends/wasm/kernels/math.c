/* Activations of the fused epilogues, vector and scalar, an exp accurate to ~2 ulp and an erf (no libc here). */
#include "common.h"

/* e^x: x = n ln2 + r, |r| <= ln2/2, degree-6 Taylor/minimax polynomial, 2^n by exponent bits. */
v4 v_exp(v4 x) {
  x = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(-87.33654f)), wasm_f32x4_splat(88.72283f));
  v4 n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504f)));
  /* r = x - n*ln2 in two parts (Cody-Waite) */
  v4 r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v4 p = wasm_f32x4_splat(1.0f / 5040.0f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 720.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 120.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 24.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 6.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  /* 2^n for n in [-126, 128]: split in two halves so n = 128 and denormal results stay finite / graded */
  v4 ni = wasm_i32x4_trunc_sat_f32x4(n);
  v4 h = wasm_i32x4_shr(ni, 1);
  v4 s1 = wasm_i32x4_shl(wasm_i32x4_add(h, wasm_i32x4_splat(127)), 23);
  v4 s2 = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_sub(ni, h), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(wasm_f32x4_mul(p, s1), s2);
}

static v4 v_sigmoid(v4 y) {
  /* overflow-free: e = exp(-|y|); y >= 0 ? 1/(1+e) : e/(1+e) */
  v4 e = v_exp(wasm_f32x4_neg(wasm_f32x4_abs(y)));
  v4 d = wasm_f32x4_add(wasm_f32x4_splat(1.0f), e);
  v4 pos = wasm_f32x4_div(wasm_f32x4_splat(1.0f), d);
  v4 neg = wasm_f32x4_div(e, d);
  return wasm_v128_bitselect(pos, neg, wasm_f32x4_ge(y, wasm_f32x4_splat(0.0f)));
}

static v4 v_tanh(v4 y) {
  /* tanh = sign(y) (1 - e) / (1 + e), e = exp(-2|y|); small |y| by its odd series to keep relative accuracy */
  v4 a = wasm_f32x4_abs(y);
  v4 e = v_exp(wasm_f32x4_mul(a, wasm_f32x4_splat(-2.0f)));
  v4 t = wasm_f32x4_div(wasm_f32x4_sub(wasm_f32x4_splat(1.0f), e), wasm_f32x4_add(wasm_f32x4_splat(1.0f), e));
  v4 y2 = wasm_f32x4_mul(y, y);
  /* y - y^3/3 + 2y^5/15 - 17y^7/315 for |y| < 0.0625 */
  v4 s = wasm_f32x4_splat(-17.0f / 315.0f);
  s = wasm_f32x4_add(wasm_f32x4_mul(s, y2), wasm_f32x4_splat(2.0f / 15.0f));
  s = wasm_f32x4_add(wasm_f32x4_mul(s, y2), wasm_f32x4_splat(-1.0f / 3.0f));
  s = wasm_f32x4_mul(wasm_f32x4_mul(s, y2), a);
  s = wasm_f32x4_add(s, a);
  t = wasm_v128_bitselect(s, t, wasm_f32x4_lt(a, wasm_f32x4_splat(0.0625f)));
  /* copy y's sign */
  v4 sign = wasm_v128_and(y, wasm_i32x4_splat((int32_t)0x80000000));
  return wasm_v128_or(t, sign);
}

/* erf in f32, absolute error <= 1.5e-7: the WGSL act_erf of src/backends/webgpu/program.ts (same fits, same pieces):
   |x| < 1: x P(x^2); 1 <= |x| < 4: +-(1 - e^(-x^2) Q(|x| - 2.5)); |x| >= 4 (Inf too): exactly +-1. */
static v4 v_erf(v4 x) {
  v4 a = wasm_f32x4_min(wasm_f32x4_abs(x), wasm_f32x4_splat(4.0f));
  v4 s = wasm_f32x4_mul(a, a);
  static const f32 P[] = {8.00694979e-05f, -0.000805377087f, 0.00519295968f, -0.0268560704f, 0.112836346f, -0.376126289f, 1.12837923f};
  static const f32 Q[] = {-4.19278166e-07f, 1.64031132e-06f, -3.78842628e-06f, 1.45168533e-05f, -5.94383782e-05f, 0.00021267921f,
                          -0.000733228459f, 0.0024661941f, -0.00800166652f, 0.0249381512f, -0.0743473396f, 0.210806355f};
  v4 p = wasm_f32x4_splat(P[0]);
  for (int i = 1; i < 7; i++) p = wasm_f32x4_add(wasm_f32x4_mul(p, s), wasm_f32x4_splat(P[i]));
  p = wasm_f32x4_mul(p, x);
  v4 t = wasm_f32x4_sub(a, wasm_f32x4_splat(2.5f));
  v4 q = wasm_f32x4_splat(Q[0]);
  for (int i = 1; i < 12; i++) q = wasm_f32x4_add(wasm_f32x4_mul(q, t), wasm_f32x4_splat(Q[i]));
  v4 tail = wasm_f32x4_sub(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(v_exp(wasm_f32x4_neg(s)), q));
  tail = wasm_v128_bitselect(wasm_f32x4_splat(1.0f), tail, wasm_f32x4_ge(a, wasm_f32x4_splat(4.0f)));
  tail = wasm_v128_or(tail, wasm_v128_and(x, wasm_i32x4_splat((int32_t)0x80000000))); /* x's sign */
  return wasm_v128_bitselect(p, tail, wasm_f32x4_lt(a, wasm_f32x4_splat(1.0f)));
}

/* tanh through exp(-2|u|) without the small-argument series: GELU adds 1 to it, so absolute accuracy is enough. */
static v4 v_tanh_abs_accurate(v4 u) {
  v4 e = v_exp(wasm_f32x4_mul(wasm_f32x4_abs(u), wasm_f32x4_splat(-2.0f)));
  v4 t = wasm_f32x4_div(wasm_f32x4_sub(wasm_f32x4_splat(1.0f), e), wasm_f32x4_add(wasm_f32x4_splat(1.0f), e));
  return wasm_v128_or(t, wasm_v128_and(u, wasm_i32x4_splat((int32_t)0x80000000)));
}

/* 0.5 y (1 + g): both GELU forms. */
static v4 v_half_y_one_plus(v4 y, v4 g) {
  return wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_splat(0.5f), y), wasm_f32x4_add(wasm_f32x4_splat(1.0f), g));
}

v4 v_act(v4 y, const epilogue_t *e) {
  switch (e->act) {
    case ACT_RELU:
      return v_relu(y);
    case ACT_CLIP: {
      v4 r = wasm_v128_bitselect(wasm_f32x4_splat(e->lo), y, wasm_f32x4_lt(y, wasm_f32x4_splat(e->lo)));
      return wasm_v128_bitselect(wasm_f32x4_splat(e->hi), r, wasm_f32x4_gt(y, wasm_f32x4_splat(e->hi)));
    }
    case ACT_LEAKY:
      return wasm_v128_bitselect(y, wasm_f32x4_mul(y, wasm_f32x4_splat(e->alpha)), wasm_f32x4_ge(y, wasm_f32x4_splat(0.0f)));
    case ACT_HSIG: {
      v4 t = wasm_f32x4_add(wasm_f32x4_mul(y, wasm_f32x4_splat(e->alpha)), wasm_f32x4_splat(e->beta));
      return wasm_f32x4_min(wasm_f32x4_max(t, wasm_f32x4_splat(0.0f)), wasm_f32x4_splat(1.0f));
    }
    case ACT_HSWISH: {
      v4 t = wasm_f32x4_add(wasm_f32x4_div(y, wasm_f32x4_splat(6.0f)), wasm_f32x4_splat(0.5f));
      t = wasm_f32x4_min(wasm_f32x4_max(t, wasm_f32x4_splat(0.0f)), wasm_f32x4_splat(1.0f));
      return wasm_f32x4_mul(y, t);
    }
    case ACT_SIGMOID:
      return v_sigmoid(y);
    case ACT_SILU:
      return wasm_f32x4_mul(y, v_sigmoid(y));
    case ACT_TANH:
      return v_tanh(y);
    case ACT_GELU:
      return v_half_y_one_plus(y, v_erf(wasm_f32x4_mul(y, wasm_f32x4_splat(0.70710678f))));
    case ACT_GELU_TANH: {
      v4 y3 = wasm_f32x4_mul(wasm_f32x4_mul(y, y), y);
      v4 u = wasm_f32x4_mul(wasm_f32x4_splat(0.7978846f), wasm_f32x4_add(y, wasm_f32x4_mul(wasm_f32x4_splat(0.044715f), y3)));
      return v_half_y_one_plus(y, v_tanh_abs_accurate(u));
    }
    case ACT_ERF:
      return v_erf(y);
    default:
      return y;
  }
}

f32 s_act(f32 y, const epilogue_t *e) {
  if (e->act == ACT_NONE) return y;
  return wasm_f32x4_extract_lane(v_act(wasm_f32x4_splat(y), e), 0);
}

/* In-place activation of n floats. */
void act_span(f32 *y, int n, const epilogue_t *e) {
  if (e->act == ACT_NONE) return;
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, v_act(wasm_v128_load(y + i), e));
  for (; i < n; i++) y[i] = s_act(y[i], e);
}
