/*
 * Elementwise kernels on up-to-4-D strided operands (broadcast dims have stride 0): binary arithmetic with the fused
 * epilogue activation, ChannelScale (x * s[n, c], residual, activation), per-channel affine (inference
 * BatchNormalization / FusedBatchNorm as y = act(x * a[c] + b[c])) and the strided copy behind Concat. The inner
 * dim runs as f32x4 when every operand is contiguous or broadcast there.
 */
#include "common.h"

enum {
  EW_A, EW_B, EW_OUT, EW_OP, EW_D0, EW_D1, EW_D2, EW_D3,
  EW_AS0, EW_AS1, EW_AS2, EW_AS3, EW_BS0, EW_BS1, EW_BS2, EW_BS3, EW_OS0, EW_OS1, EW_OS2, EW_OS3,
  EW_ACT, EW_ALPHA, EW_BETA, EW_LO, EW_HI, EW_COUNT
};
enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MAX, OP_MIN, OP_COPY };

INLINE v4 vop(int op, v4 a, v4 b) {
  switch (op) {
    case OP_ADD: return wasm_f32x4_add(a, b);
    case OP_SUB: return wasm_f32x4_sub(a, b);
    case OP_MUL: return wasm_f32x4_mul(a, b);
    case OP_DIV: return wasm_f32x4_div(a, b);
    case OP_MAX: return wasm_v128_bitselect(b, wasm_f32x4_max(a, b), wasm_f32x4_ne(b, b)); /* NaN-propagating */
    case OP_MIN: return wasm_v128_bitselect(b, wasm_f32x4_min(a, b), wasm_f32x4_ne(b, b));
    default: return a;
  }
}

INLINE f32 sop(int op, f32 a, f32 b) {
  return wasm_f32x4_extract_lane(vop(op, wasm_f32x4_splat(a), wasm_f32x4_splat(b)), 0);
}

int eltwise_items(const int32_t *p) { return p[EW_D0] * p[EW_D1] * p[EW_D2]; }

EXPORT(eltwise) void eltwise(const int32_t *p, int lo, int hi, int tid) {
  (void)tid;
  const int d0 = p[EW_D0], d1 = p[EW_D1], d2 = p[EW_D2], d3 = p[EW_D3], op = p[EW_OP];
  const epilogue_t e = {p[EW_ACT], bits_f32(p[EW_ALPHA]), bits_f32(p[EW_BETA]), bits_f32(p[EW_LO]), bits_f32(p[EW_HI]), 0};
  const int as3 = p[EW_AS3], bs3 = p[EW_BS3], os3 = p[EW_OS3];
  const int vec = os3 == 1 && (as3 == 1 || as3 == 0) && (op == OP_COPY || bs3 == 1 || bs3 == 0);
  (void)d0;
  for (int row = lo; row < hi; row++) {
    int i2 = row % d2, r = row / d2, i1 = r % d1, i0 = r / d1;
    const f32 *a = PTR(const f32, p[EW_A]) + (int64_t)i0 * p[EW_AS0] + (int64_t)i1 * p[EW_AS1] + (int64_t)i2 * p[EW_AS2];
    const f32 *b = op == OP_COPY ? 0 : PTR(const f32, p[EW_B]) + (int64_t)i0 * p[EW_BS0] + (int64_t)i1 * p[EW_BS1] + (int64_t)i2 * p[EW_BS2];
    f32 *o = PTR(f32, p[EW_OUT]) + (int64_t)i0 * p[EW_OS0] + (int64_t)i1 * p[EW_OS1] + (int64_t)i2 * p[EW_OS2];
    int j = 0;
    if (vec) {
      for (; j + 4 <= d3; j += 4) {
        v4 va = as3 ? wasm_v128_load(a + j) : wasm_v128_load32_splat(a);
        v4 y = va;
        if (op != OP_COPY) y = vop(op, va, bs3 ? wasm_v128_load(b + j) : wasm_v128_load32_splat(b));
        wasm_v128_store(o + j, v_act_inline(y, &e));
      }
    }
    for (; j < d3; j++) {
      f32 y = a[j * as3];
      if (op != OP_COPY) y = sop(op, y, b[j * bs3]);
      o[j * os3] = s_act(y, &e);
    }
  }
}

/* ChannelScale: y = x * s[n, c] (+R) act (+R) over [N, C, HW] planes (x, R, y with HW contiguous). */
enum {
  CS_X, CS_S, CS_RES, CS_OUT, CS_N, CS_C, CS_HW, CS_X_NS, CS_X_CS, CS_S_NS, CS_S_CS, CS_RES_NS, CS_RES_CS,
  CS_OUT_NS, CS_OUT_CS, CS_ACT, CS_ALPHA, CS_BETA, CS_LO, CS_HI, CS_RES_AFTER, CS_MODE, CS_B, CS_B_CS, CS_COUNT
};
/* CS_MODE 0: y = x * s (ChannelScale); 1: y = x * s[c] + b[c] (per-channel affine: BatchNormalization) */

int channel_affine_items(const int32_t *p) { return p[CS_N] * p[CS_C]; }

EXPORT(channel_affine) void channel_affine(const int32_t *p, int lo, int hi, int tid) {
  (void)tid;
  const int C = p[CS_C], HW = p[CS_HW], mode = p[CS_MODE];
  const epilogue_t e = {p[CS_ACT], bits_f32(p[CS_ALPHA]), bits_f32(p[CS_BETA]), bits_f32(p[CS_LO]), bits_f32(p[CS_HI]), p[CS_RES_AFTER]};
  for (int item = lo; item < hi; item++) {
    int n = item / C, c = item - n * C;
    const f32 *x = PTR(const f32, p[CS_X]) + (int64_t)n * p[CS_X_NS] + (int64_t)c * p[CS_X_CS];
    f32 *o = PTR(f32, p[CS_OUT]) + (int64_t)n * p[CS_OUT_NS] + (int64_t)c * p[CS_OUT_CS];
    const f32 *r = p[CS_RES] ? PTR(const f32, p[CS_RES]) + (int64_t)n * p[CS_RES_NS] + (int64_t)c * p[CS_RES_CS] : 0;
    f32 s = PTR(const f32, p[CS_S])[n * p[CS_S_NS] + c * p[CS_S_CS]];
    f32 bb = mode == 1 ? PTR(const f32, p[CS_B])[c * p[CS_B_CS]] : 0.0f;
    v4 vs = wasm_f32x4_splat(s), vb = wasm_f32x4_splat(bb);
    int j = 0;
    for (; j + 4 <= HW; j += 4) {
      /* affine: x * a + b fused where relaxed SIMD has it (PyTorch's CPU BatchNorm is an fma) */
      v4 y = mode == 1 ? vmadd(wasm_v128_load(x + j), vs, vb) : wasm_f32x4_mul(wasm_v128_load(x + j), vs);
      if (r && !e.res_after) y = wasm_f32x4_add(y, wasm_v128_load(r + j));
      y = v_act_inline(y, &e);
      if (r && e.res_after) y = wasm_f32x4_add(y, wasm_v128_load(r + j));
      wasm_v128_store(o + j, y);
    }
    for (; j < HW; j++) {
      f32 y = mode == 1 ? wasm_f32x4_extract_lane(vmadd(wasm_f32x4_splat(x[j]), vs, vb), 0) : x[j] * s;
      if (r && !e.res_after) y += r[j];
      y = s_act(y, &e);
      if (r && e.res_after) y += r[j];
      o[j] = y;
    }
  }
}

/* A strided copy of up to 6 dims (the Transposes of window partitions, Reshapes of strided views, Gather at constant
 * indices): dst[i] = src[i]; a work item is one inner row, f32x4 when both are contiguous along it. */
enum { CP_SRC, CP_DST, CP_DIMS, CP_SS = CP_DIMS + 6, CP_DS = CP_SS + 6, CP_COUNT = CP_DS + 6 };

int copy6_items(const int32_t *p) { return p[CP_DIMS] * p[CP_DIMS + 1] * p[CP_DIMS + 2] * p[CP_DIMS + 3] * p[CP_DIMS + 4]; }

EXPORT(copy6) void copy6(const int32_t *p, int lo, int hi, int tid) {
  (void)tid;
  const int n = p[CP_DIMS + 5], ss = p[CP_SS + 5], ds = p[CP_DS + 5];
  for (int row = lo; row < hi; row++) {
    int64_t so = 0, dof = 0;
    int r = row;
    for (int d = 4; d >= 0; d--) {
      int i = r % p[CP_DIMS + d];
      r /= p[CP_DIMS + d];
      so += (int64_t)i * p[CP_SS + d];
      dof += (int64_t)i * p[CP_DS + d];
    }
    const f32 *s = PTR(const f32, p[CP_SRC]) + so;
    f32 *o = PTR(f32, p[CP_DST]) + dof;
    int j = 0;
    if (ss == 1 && ds == 1)
      for (; j + 4 <= n; j += 4) wasm_v128_store(o + j, wasm_v128_load(s + j));
    for (; j < n; j++) o[(int64_t)j * ds] = s[(int64_t)j * ss];
  }
}
