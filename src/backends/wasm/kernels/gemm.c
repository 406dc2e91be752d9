/*
 * Gemm / FusedGemm / MatMul: Y[b, M, N] = A[b, M, K] B'[b, K, N] + bias[N] (+R) act (+R).
 * B' is either a constant packed at load (GM_LDB == 0; src/backends/wasm/pack.ts: alpha, beta and transB folded in,
 * as [column tile of 8][k][8], zero past N; bias padded to whole tiles) or a runtime tensor read in place through
 * its strides (GM_LDB = row stride, GM_LDBN = column stride): two vector loads per k for a whole tile of a B with
 * unit column stride, else 8 lanes gathered (no packing pass for a matrix used once). Batch dims (up to 4, already
 * simplified by the lowerer; strides 0 along broadcast dims) step A and B; Y and R are dense [batch, M, N].
 * Microkernel: 4 rows of A broadcast x 8 columns (8 f32x4 accumulators); row tails repeat the last row and store
 * only the real ones. Work items = (batch, row tile, column tile).
 */
#include "common.h"

enum {
  GM_A, GM_OUT, GM_RES, GM_BP, GM_BIAS, GM_M, GM_K, GM_N, GM_LDA, GM_LDO, GM_LDR,
  GM_ACT, GM_ALPHA, GM_BETA, GM_LO, GM_HI, GM_RES_AFTER,
  GM_LDB, GM_LDBN, GM_BATCH_RANK, GM_BATCH_SHAPE, GM_A_BATCH_STRIDES = GM_BATCH_SHAPE + 4, GM_B_BATCH_STRIDES = GM_A_BATCH_STRIDES + 4,
  GM_COUNT = GM_B_BATCH_STRIDES + 4
};

static int batches(const int32_t *p) {
  int b = 1;
  for (int d = 0; d < p[GM_BATCH_RANK]; d++) b *= p[GM_BATCH_SHAPE + d];
  return b;
}

int gemm_items(const int32_t *p) { return batches(p) * ((p[GM_M] + 3) / 4) * ((p[GM_N] + 7) / 8); }

/* B' row k, columns j0..j0+7 of a runtime B (clamped to the last column: lanes past N are computed, never stored). */
INLINE void load_b_row(const f32 *b, int k, int j0, int N, int ldb, int ldbn, v4 *b0, v4 *b1) {
  const f32 *row = b + (int64_t)k * ldb;
  if (ldbn == 1 && j0 + 8 <= N) {
    *b0 = wasm_v128_load(row + j0);
    *b1 = wasm_v128_load(row + j0 + 4);
    return;
  }
  f32 v[8];
  for (int j = 0; j < 8; j++) v[j] = row[(int64_t)(j0 + j < N ? j0 + j : N - 1) * ldbn];
  *b0 = wasm_v128_load(v);
  *b1 = wasm_v128_load(v + 4);
}

/*
 * One row (a classifier on one image) against a packed B' tile: the 4-row kernel would repeat it 4 times; four k per
 * step into four chains instead, summed at the end (the packed B streams once, the loop is bound by its loads). Its
 * own function: inlined into gemm() beside the 4x8 tile loop, the tile loop ran 5-9 % slower in Chromium (roofline
 * gemm 512^3 / 1024^3 on one thread: 8.33 / 59.9 ms inlined, 7.61 / 56.3 ms as a call).
 */
__attribute__((noinline)) static void one_row(const f32 *a0, const f32 *b, int K, v4 *out0, v4 *out1) {
  v4 c00 = wasm_f32x4_splat(0.0f), c01 = c00, d0 = c00, d1 = c00, d2 = c00, d3 = c00, d4 = c00, d5 = c00;
  int k = 0;
  for (; k + 4 <= K; k += 4) {
    const f32 *bk = b + 8 * k;
    v4 x0 = wasm_v128_load32_splat(a0 + k), x1 = wasm_v128_load32_splat(a0 + k + 1);
    v4 x2 = wasm_v128_load32_splat(a0 + k + 2), x3 = wasm_v128_load32_splat(a0 + k + 3);
    c00 = vmadd(x0, wasm_v128_load(bk), c00); c01 = vmadd(x0, wasm_v128_load(bk + 4), c01);
    d0 = vmadd(x1, wasm_v128_load(bk + 8), d0); d1 = vmadd(x1, wasm_v128_load(bk + 12), d1);
    d2 = vmadd(x2, wasm_v128_load(bk + 16), d2); d3 = vmadd(x2, wasm_v128_load(bk + 20), d3);
    d4 = vmadd(x3, wasm_v128_load(bk + 24), d4); d5 = vmadd(x3, wasm_v128_load(bk + 28), d5);
  }
  for (; k < K; k++) {
    v4 x0 = wasm_v128_load32_splat(a0 + k);
    c00 = vmadd(x0, wasm_v128_load(b + 8 * k), c00); c01 = vmadd(x0, wasm_v128_load(b + 8 * k + 4), c01);
  }
  *out0 = wasm_f32x4_add(wasm_f32x4_add(c00, d0), wasm_f32x4_add(d2, d4));
  *out1 = wasm_f32x4_add(wasm_f32x4_add(c01, d1), wasm_f32x4_add(d3, d5));
}

EXPORT(gemm) void gemm(const int32_t *p, int lo, int hi, int tid) {
  (void)tid;
  const int M = p[GM_M], K = p[GM_K], N = p[GM_N], lda = p[GM_LDA], ldo = p[GM_LDO], ldr = p[GM_LDR];
  const epilogue_t e = {p[GM_ACT], bits_f32(p[GM_ALPHA]), bits_f32(p[GM_BETA]), bits_f32(p[GM_LO]), bits_f32(p[GM_HI]), p[GM_RES_AFTER]};
  const int mt = (M + 3) / 4, nt = (N + 7) / 8, ldb = p[GM_LDB], ldbn = p[GM_LDBN];
  const f32 *bias = PTR(const f32, p[GM_BIAS]);
  for (int item = lo; item < hi; item++) {
    int bt = item / (mt * nt), rest = item - bt * mt * nt;
    int it = rest / nt, jt = rest - it * nt;
    /* batch offsets: the batch index decoded over the batch shape, innermost dim last */
    int64_t aoff = 0, boff = 0;
    for (int d = p[GM_BATCH_RANK] - 1, t = bt; d >= 0; d--) {
      int dim = p[GM_BATCH_SHAPE + d], c = t % dim;
      t /= dim;
      aoff += (int64_t)c * p[GM_A_BATCH_STRIDES + d];
      boff += (int64_t)c * p[GM_B_BATCH_STRIDES + d];
    }
    const f32 *A = PTR(const f32, p[GM_A]) + aoff;
    const int64_t ooff = (int64_t)bt * M * ldo, roff = (int64_t)bt * M * ldr;
    int m0 = it * 4, rows = M - m0 < 4 ? M - m0 : 4;
    const f32 *a0 = A + (int64_t)m0 * lda;
    const f32 *a1 = A + (int64_t)(m0 + (rows > 1 ? 1 : 0)) * lda;
    const f32 *a2 = A + (int64_t)(m0 + (rows > 2 ? 2 : 0)) * lda;
    const f32 *a3 = A + (int64_t)(m0 + (rows > 3 ? 3 : 0)) * lda;
    v4 c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    const f32 *b = ldb ? PTR(const f32, p[GM_BP]) + boff : PTR(const f32, p[GM_BP]) + (int64_t)jt * K * 8;
    int k = 0;
    if (rows == 1 && !ldb) {
      one_row(a0, b, K, &c00, &c01);
      k = K;
    }
    /* one k of the 4x8 tile: B' row (b0, b1) times four broadcast A values */
#define GM_STEP_4X8(b0, b1)                                                                              \
  do {                                                                                                   \
    v4 x0 = wasm_v128_load32_splat(a0 + k), x1 = wasm_v128_load32_splat(a1 + k);                         \
    v4 x2 = wasm_v128_load32_splat(a2 + k), x3 = wasm_v128_load32_splat(a3 + k);                         \
    c00 = vmadd(x0, b0, c00); c01 = vmadd(x0, b1, c01);                                                  \
    c10 = vmadd(x1, b0, c10); c11 = vmadd(x1, b1, c11);                                                  \
    c20 = vmadd(x2, b0, c20); c21 = vmadd(x2, b1, c21);                                                  \
    c30 = vmadd(x3, b0, c30); c31 = vmadd(x3, b1, c31);                                                  \
  } while (0)
    /* Two loops, not one with the packed-or-runtime test inside: with the test in the loop (and the runtime path's
     * gather beside it) the packed loop ran at 31 % of the one-core peak (roofline gemm 512^3 in Chromium, 14.9 ms;
     * 16.5 ms in Node), split 55 % (8.3 ms; Node 6.2 ms). */
    if (!ldb) {
      for (; k < K; k++) {
        v4 b0 = wasm_v128_load(b + 8 * k), b1 = wasm_v128_load(b + 8 * k + 4);
        GM_STEP_4X8(b0, b1);
      }
    } else {
      for (; k < K; k++) {
        v4 b0, b1;
        load_b_row(b, k, jt * 8, N, ldb, ldbn, &b0, &b1);
        GM_STEP_4X8(b0, b1);
      }
    }
#undef GM_STEP_4X8
    v4 acc[8] = {c00, c01, c10, c11, c20, c21, c30, c31};
    int j0 = jt * 8, cols = N - j0 < 8 ? N - j0 : 8;
    v4 vb0 = wasm_v128_load(bias + j0), vb1 = wasm_v128_load(bias + j0 + 4);
    for (int r = 0; r < rows; r++) {
      f32 *o = PTR(f32, p[GM_OUT]) + ooff + (int64_t)(m0 + r) * ldo + j0;
      const f32 *res = p[GM_RES] ? PTR(const f32, p[GM_RES]) + roff + (int64_t)(m0 + r) * ldr + j0 : 0;
      v4 y0 = wasm_f32x4_add(acc[2 * r], vb0), y1 = wasm_f32x4_add(acc[2 * r + 1], vb1);
      if (cols == 8) {
        if (res && !e.res_after) { y0 = wasm_f32x4_add(y0, wasm_v128_load(res)); y1 = wasm_f32x4_add(y1, wasm_v128_load(res + 4)); }
        y0 = v_act_inline(y0, &e); y1 = v_act_inline(y1, &e);
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
