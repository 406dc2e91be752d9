/*
 * Gemm / FusedGemm with a constant B: Y[M, N] = A[M, K] B'[K, N] + bias[N] (+R) act (+R). alpha, beta and transB are
 * folded into the packing at load (src/backends/wasm/pack.ts): B' as [column tile of 8][k][8], zero past N; bias
 * padded to whole tiles. Microkernel: 4 rows of A broadcast x 8 columns (8 f32x4 accumulators); row tails repeat
 * the last row and store only the real ones. Work items = (row tile, column tile).
 */
#include "common.h"

enum {
  GM_A, GM_OUT, GM_RES, GM_BP, GM_BIAS, GM_M, GM_K, GM_N, GM_LDA, GM_LDO, GM_LDR,
  GM_ACT, GM_ALPHA, GM_BETA, GM_LO, GM_HI, GM_RES_AFTER, GM_COUNT
};

int gemm_items(const int32_t *p) { return ((p[GM_M] + 3) / 4) * ((p[GM_N] + 7) / 8); }

EXPORT(gemm) void gemm(const int32_t *p, int lo, int hi, int tid) {
  (void)tid;
  const int M = p[GM_M], K = p[GM_K], N = p[GM_N], lda = p[GM_LDA], ldo = p[GM_LDO], ldr = p[GM_LDR];
  const epilogue_t e = {p[GM_ACT], bits_f32(p[GM_ALPHA]), bits_f32(p[GM_BETA]), bits_f32(p[GM_LO]), bits_f32(p[GM_HI]), p[GM_RES_AFTER]};
  const int mt = (M + 3) / 4, nt = (N + 7) / 8;
  const f32 *A = PTR(const f32, p[GM_A]), *Bp = PTR(const f32, p[GM_BP]), *bias = PTR(const f32, p[GM_BIAS]);
  (void)mt;
  for (int item = lo; item < hi; item++) {
    int it = item / nt, jt = item - it * nt;
    int m0 = it * 4, rows = M - m0 < 4 ? M - m0 : 4;
    const f32 *a0 = A + (int64_t)m0 * lda;
    const f32 *a1 = A + (int64_t)(m0 + (rows > 1 ? 1 : 0)) * lda;
    const f32 *a2 = A + (int64_t)(m0 + (rows > 2 ? 2 : 0)) * lda;
    const f32 *a3 = A + (int64_t)(m0 + (rows > 3 ? 3 : 0)) * lda;
    const f32 *b = Bp + (int64_t)jt * K * 8;
    v4 c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    for (int k = 0; k < K; k++, b += 8) {
      v4 b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
      v4 x0 = wasm_v128_load32_splat(a0 + k), x1 = wasm_v128_load32_splat(a1 + k);
      v4 x2 = wasm_v128_load32_splat(a2 + k), x3 = wasm_v128_load32_splat(a3 + k);
      c00 = vmadd(x0, b0, c00); c01 = vmadd(x0, b1, c01);
      c10 = vmadd(x1, b0, c10); c11 = vmadd(x1, b1, c11);
      c20 = vmadd(x2, b0, c20); c21 = vmadd(x2, b1, c21);
      c30 = vmadd(x3, b0, c30); c31 = vmadd(x3, b1, c31);
    }
    v4 acc[8] = {c00, c01, c10, c11, c20, c21, c30, c31};
    int j0 = jt * 8, cols = N - j0 < 8 ? N - j0 : 8;
    v4 vb0 = wasm_v128_load(bias + j0), vb1 = wasm_v128_load(bias + j0 + 4);
    for (int r = 0; r < rows; r++) {
      f32 *o = PTR(f32, p[GM_OUT]) + (int64_t)(m0 + r) * ldo + j0;
      const f32 *res = p[GM_RES] ? PTR(const f32, p[GM_RES]) + (int64_t)(m0 + r) * ldr + j0 : 0;
      v4 y0 = wasm_f32x4_add(acc[2 * r], vb0), y1 = wasm_f32x4_add(acc[2 * r + 1], vb1);
      if (cols == 8) {
        if (res && !e.res_after) { y0 = wasm_f32x4_add(y0, wasm_v128_load(res)); y1 = wasm_f32x4_add(y1, wasm_v128_load(res + 4)); }
        y0 = v_act(y0, &e); y1 = v_act(y1, &e);
        if (res && e.res_after) { y0 = wasm_f32x4_add(y0, wasm_v128_load(res)); y1 = wasm_f32x4_add(y1, wasm_v128_load(res + 4)); }
        wasm_v128_store(o, y0);
        wasm_v128_store(o + 4, y1);
        continue;
      }
      for (int j = 0; j < cols; j++) {
        v4 src = j < 4 ? y0 : y1;
        int lane = j & 3;
        f32 y = lane == 0 ? wasm_f32x4_extract_lane(src, 0) : lane == 1 ? wasm_f32x4_extract_lane(src, 1) : lane == 2 ? wasm_f32x4_extract_lane(src, 2) : wasm_f32x4_extract_lane(src, 3);
        if (res && !e.res_after) y += res[j];
        y = s_act(y, &e);
        if (res && e.res_after) y += res[j];
        o[j] = y;
      }
    }
  }
}
