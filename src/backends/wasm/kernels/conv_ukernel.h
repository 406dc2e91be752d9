/*
 * The conv GEMM microkernel (4 output channels x 8 pixels, 8 f32x4 accumulators) and its fused epilogue store,
 * shared by the direct conv (conv.c) and the Winograd conv (winograd.c).
 */
#pragma once
#include "common.h"

#define MR 4
#define NR 8

/*
 * acc[r][0..1] += A[k][r] * B[k][0..7] over k < K. A: packed [k][4]. B row k at b + k * ldb, or at b + offs[k] when
 * offs is given (the padded-input mode's tap table). Always inlined, so each call site gets its own loop.
 */
INLINE void ukernel_4x8(int K, const f32 *a, const f32 *b, int ldb, const int32_t *offs, v4 *acc) {
  v4 c00 = acc[0], c01 = acc[1], c10 = acc[2], c11 = acc[3], c20 = acc[4], c21 = acc[5], c30 = acc[6], c31 = acc[7];
  for (int k = 0; k < K; k++) {
    const f32 *bk = offs ? b + offs[k] : b + k * ldb;
    v4 b0 = wasm_v128_load(bk), b1 = wasm_v128_load(bk + 4);
    v4 a0 = wasm_v128_load32_splat(a), a1 = wasm_v128_load32_splat(a + 1);
    v4 a2 = wasm_v128_load32_splat(a + 2), a3 = wasm_v128_load32_splat(a + 3);
    c00 = vmadd(a0, b0, c00); c01 = vmadd(a0, b1, c01);
    c10 = vmadd(a1, b0, c10); c11 = vmadd(a1, b1, c11);
    c20 = vmadd(a2, b0, c20); c21 = vmadd(a2, b1, c21);
    c30 = vmadd(a3, b0, c30); c31 = vmadd(a3, b1, c31);
    a += 4;
  }
  acc[0] = c00; acc[1] = c01; acc[2] = c10; acc[3] = c11; acc[4] = c20; acc[5] = c21; acc[6] = c30; acc[7] = c31;
}

/*
 * y = acc + bias; (+R); act; (+R) and store `m` <= 8 pixels of one channel row. The epilogue runs on whole vectors
 * even when m < 8 (a 7- or 14-wide output row ends in a short block on every row): R is read 8 wide (lanes past m
 * fall inside the tensor or its 64-byte tail and are never stored), and only lanes < m are written.
 */
INLINE void store_row(f32 *out, const f32 *res, v4 y0, v4 y1, f32 bias, int m, const epilogue_t *e) {
  v4 vb = wasm_f32x4_splat(bias);
  y0 = wasm_f32x4_add(y0, vb);
  y1 = wasm_f32x4_add(y1, vb);
  if (res && !e->res_after) { y0 = wasm_f32x4_add(y0, wasm_v128_load(res)); y1 = wasm_f32x4_add(y1, wasm_v128_load(res + 4)); }
  y0 = v_act_inline(y0, e);
  y1 = v_act_inline(y1, e);
  if (res && e->res_after) { y0 = wasm_f32x4_add(y0, wasm_v128_load(res)); y1 = wasm_f32x4_add(y1, wasm_v128_load(res + 4)); }
  if (m >= 4) {
    wasm_v128_store(out, y0);
    out += 4;
    m -= 4;
    y0 = y1;
  }
  store_lanes(out, y0, m);
}
