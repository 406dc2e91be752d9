/*
 * The transformer kernels: LayerNormalization / ChannelLayerNorm (layer_norm), Softmax over the last axis (softmax)
 * and fused scaled dot-product Attention (attention; src/graph/ops/attention.ts). All in f32 with f32x4 where the
 * stride allows; the CPU reference computes in float64 and rounds, so results agree to ~1e-7 relative L2.
 */
#include "common.h"

/* ---- layer_norm: rows of LEN elements at element stride ES, OUTER x INNER rows.
 * INNER == 1: one row per outer index (LayerNormalization over the trailing dims), vector along the row when ES = 1.
 * INNER > 1: rows start at outer * OS + position (ChannelLayerNorm: positions of an NCHW image are contiguous, the
 * channels ES = H*W apart); a work item is 16 positions, 4 of them per f32x4 lane group, so every load of a channel
 * is a whole vector. Scale / bias have LEN elements (stride 1) or one (stride 0); BIAS 0 = none. */
enum {
  LN_X, LN_Y, LN_SCALE, LN_BIAS, LN_SCALE_STRIDE, LN_BIAS_STRIDE, LN_OUTER, LN_INNER, LN_LEN,
  LN_X_OS, LN_X_ES, LN_Y_OS, LN_Y_ES, LN_EPS, LN_COUNT
};
#define LN_BLOCK 16

int layer_norm_items(const int32_t *p) { return p[LN_OUTER] * ((p[LN_INNER] + LN_BLOCK - 1) / LN_BLOCK); }

INLINE f32 hsum(v4 v) {
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

INLINE f32 hmax(v4 v) {
  v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

/* One row along its elements (stride es; vector when es = 1). */
static void ln_row(const f32 *x, f32 *y, int n, int xes, int yes, const f32 *sc, int ss, const f32 *bi, int bs, f32 eps) {
  const int vec = xes == 1 && yes == 1;
  v4 acc = wasm_f32x4_splat(0.0f);
  f32 sum = 0.0f;
  int i = 0;
  if (vec)
    for (; i + 4 <= n; i += 4) acc = wasm_f32x4_add(acc, wasm_v128_load(x + i));
  for (; i < n; i++) sum += x[(int64_t)i * xes];
  const f32 mean = (hsum(acc) + sum) / (f32)n;
  const v4 vm = wasm_f32x4_splat(mean);
  acc = wasm_f32x4_splat(0.0f);
  sum = 0.0f;
  i = 0;
  if (vec)
    for (; i + 4 <= n; i += 4) {
      v4 d = wasm_f32x4_sub(wasm_v128_load(x + i), vm);
      acc = vmadd(d, d, acc);
    }
  for (; i < n; i++) {
    f32 d = x[(int64_t)i * xes] - mean;
    sum += d * d;
  }
  const f32 inv = 1.0f / wasm_f32x4_extract_lane(wasm_f32x4_sqrt(wasm_f32x4_splat((hsum(acc) + sum) / (f32)n + eps)), 0);
  const v4 vi = wasm_f32x4_splat(inv);
  i = 0;
  if (vec && ss == 1 && (bs == 1 || !bi))
    for (; i + 4 <= n; i += 4) {
      v4 t = wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + i), vm), vi), wasm_v128_load(sc + i));
      if (bi) t = wasm_f32x4_add(t, wasm_v128_load(bi + i));
      wasm_v128_store(y + i, t);
    }
  for (; i < n; i++) {
    f32 t = (x[(int64_t)i * xes] - mean) * inv * sc[i * ss];
    y[(int64_t)i * yes] = bi ? t + bi[i * bs] : t;
  }
}

/* Four rows at once, one per lane (positions p..p+3, contiguous): LEN elements ES apart. */
static void ln_lanes4(const f32 *x, f32 *y, int n, int xes, int yes, const f32 *sc, int ss, const f32 *bi, int bs, f32 eps) {
  v4 acc = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < n; i++) acc = wasm_f32x4_add(acc, wasm_v128_load(x + (int64_t)i * xes));
  const v4 vn = wasm_f32x4_splat((f32)n);
  const v4 mean = wasm_f32x4_div(acc, vn);
  acc = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < n; i++) {
    v4 d = wasm_f32x4_sub(wasm_v128_load(x + (int64_t)i * xes), mean);
    acc = vmadd(d, d, acc);
  }
  const v4 inv = wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_sqrt(wasm_f32x4_add(wasm_f32x4_div(acc, vn), wasm_f32x4_splat(eps))));
  for (int i = 0; i < n; i++) {
    v4 t = wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + (int64_t)i * xes), mean), inv), wasm_f32x4_splat(sc[i * ss]));
    if (bi) t = wasm_f32x4_add(t, wasm_f32x4_splat(bi[i * bs]));
    wasm_v128_store(y + (int64_t)i * yes, t);
  }
}

EXPORT(layer_norm) void layer_norm(const int32_t *p, int lo, int hi, int tid) {
  (void)tid;
  const int inner = p[LN_INNER], n = p[LN_LEN], xes = p[LN_X_ES], yes = p[LN_Y_ES], ss = p[LN_SCALE_STRIDE], bs = p[LN_BIAS_STRIDE];
  const f32 *sc = PTR(const f32, p[LN_SCALE]);
  const f32 *bi = p[LN_BIAS] ? PTR(const f32, p[LN_BIAS]) : 0;
  const f32 eps = bits_f32(p[LN_EPS]);
  const int blocks = (inner + LN_BLOCK - 1) / LN_BLOCK;
  for (int item = lo; item < hi; item++) {
    const int o = item / blocks, p0 = (item - o * blocks) * LN_BLOCK;
    const int p1 = p0 + LN_BLOCK < inner ? p0 + LN_BLOCK : inner;
    const f32 *x = PTR(const f32, p[LN_X]) + (int64_t)o * p[LN_X_OS];
    f32 *y = PTR(f32, p[LN_Y]) + (int64_t)o * p[LN_Y_OS];
    int q = p0;
    if (inner > 1)
      for (; q + 4 <= p1; q += 4) ln_lanes4(x + q, y + q, n, xes, yes, sc, ss, bi, bs, eps);
    for (; q < p1; q++) ln_row(x + q, y + q, n, xes, yes, sc, ss, bi, bs, eps);
  }
}

/* ---- softmax over contiguous rows of LEN: max, exp(x - max) into y with the sum, scale by 1/sum. */
enum { SM_X, SM_Y, SM_ROWS, SM_LEN, SM_X_RS, SM_Y_RS, SM_COUNT };

int softmax_items(const int32_t *p) { return p[SM_ROWS]; }

INLINE f32 s_exp(f32 x) { return wasm_f32x4_extract_lane(v_exp(wasm_f32x4_splat(x)), 0); }

/* y[i] = exp(x[i] - max x) for i < n (x may equal y); returns the sum. */
static f32 exp_shifted(const f32 *x, f32 *y, int n) {
  v4 vmax = wasm_f32x4_splat(-__builtin_inff());
  f32 mx = -__builtin_inff();
  int i = 0;
  for (; i + 4 <= n; i += 4) vmax = wasm_f32x4_max(vmax, wasm_v128_load(x + i));
  for (; i < n; i++) mx = x[i] > mx ? x[i] : mx;
  mx = hmax(vmax) > mx ? hmax(vmax) : mx;
  const v4 vm = wasm_f32x4_splat(mx);
  v4 acc = wasm_f32x4_splat(0.0f);
  f32 sum = 0.0f;
  for (i = 0; i + 4 <= n; i += 4) {
    v4 e = v_exp(wasm_f32x4_sub(wasm_v128_load(x + i), vm));
    acc = wasm_f32x4_add(acc, e);
    wasm_v128_store(y + i, e);
  }
  for (; i < n; i++) sum += (y[i] = s_exp(x[i] - mx));
  return hsum(acc) + sum;
}

EXPORT(softmax) void softmax(const int32_t *p, int lo, int hi, int tid) {
  (void)tid;
  const int n = p[SM_LEN];
  for (int r = lo; r < hi; r++) {
    const f32 *x = PTR(const f32, p[SM_X]) + (int64_t)r * p[SM_X_RS];
    f32 *y = PTR(f32, p[SM_Y]) + (int64_t)r * p[SM_Y_RS];
    const v4 inv = wasm_f32x4_splat(1.0f / exp_shifted(x, y, n));
    int i = 0;
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_mul(wasm_v128_load(y + i), inv));
    for (; i < n; i++) y[i] *= wasm_f32x4_extract_lane(inv, 0);
  }
}

/* ---- attention: one query row per work item. S[m] = (q . k_m) * scale + bias[m] into per-thread scratch (M floats),
 * e = exp(S - max S) there (vector over the keys), then y = (sum_m e[m] v_m) / sum e, 16 output columns per pass
 * over the keys (4 accumulators). Two passes over a row's scores instead of an online softmax: the exp runs 4 keys
 * per f32x4 instead of one rescale per key. Batch dims (<= 4, simplified by the lowerer) step every operand through
 * its own strides (0 where it broadcasts). */
enum {
  AT_Q, AT_K, AT_V, AT_BIAS, AT_Y, AT_N, AT_M, AT_D, AT_DV, AT_SCALE,
  AT_Q_NS, AT_Q_DS, AT_K_MS, AT_K_DS, AT_V_MS, AT_V_JS, AT_B_NS, AT_B_MS, AT_Y_NS, AT_Y_JS,
  AT_SCRATCH, AT_SCRATCH_STRIDE, AT_BATCH_SHAPE,
  AT_Q_BS = AT_BATCH_SHAPE + 4, AT_K_BS = AT_Q_BS + 4, AT_V_BS = AT_K_BS + 4, AT_B_BS = AT_V_BS + 4, AT_Y_BS = AT_B_BS + 4,
  AT_COUNT = AT_Y_BS + 4
};

int attention_items(const int32_t *p) {
  return p[AT_BATCH_SHAPE] * p[AT_BATCH_SHAPE + 1] * p[AT_BATCH_SHAPE + 2] * p[AT_BATCH_SHAPE + 3] * p[AT_N];
}

/* s[m] = q . k_m for m < M. */
static void scores(const f32 *q, const f32 *k, f32 *s, int M, int D, int qds, int kms, int kds) {
  int m = 0;
  if (qds == 1 && kds == 1) {
    /* K rows contiguous along d (k_layout 'k'): 4 keys per pass, the q vector loaded once for all four */
    for (; m + 4 <= M; m += 4) {
      const f32 *k0 = k + (int64_t)m * kms, *k1 = k0 + kms, *k2 = k1 + kms, *k3 = k2 + kms;
      v4 a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
      int d = 0;
      for (; d + 4 <= D; d += 4) {
        v4 vq = wasm_v128_load(q + d);
        a0 = vmadd(vq, wasm_v128_load(k0 + d), a0);
        a1 = vmadd(vq, wasm_v128_load(k1 + d), a1);
        a2 = vmadd(vq, wasm_v128_load(k2 + d), a2);
        a3 = vmadd(vq, wasm_v128_load(k3 + d), a3);
      }
      /* transpose-add: lane i = sum of a_i */
      v4 t0 = wasm_f32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 4, 2, 6), wasm_i32x4_shuffle(a0, a1, 1, 5, 3, 7));
      v4 t1 = wasm_f32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 4, 2, 6), wasm_i32x4_shuffle(a2, a3, 1, 5, 3, 7));
      v4 r = wasm_f32x4_add(wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5), wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
      for (; d < D; d++) r = vmadd(wasm_f32x4_splat(q[d]), wasm_f32x4_make(k0[d], k1[d], k2[d], k3[d]), r);
      wasm_v128_store(s + m, r);
    }
  } else if (kms == 1) {
    /* K' rows contiguous along m (k_layout 'kt'): 8 keys per pass over d */
    for (; m + 8 <= M; m += 8) {
      v4 a0 = wasm_f32x4_splat(0.0f), a1 = a0;
      for (int d = 0; d < D; d++) {
        const f32 *row = k + (int64_t)d * kds + m;
        v4 vq = wasm_f32x4_splat(q[(int64_t)d * qds]);
        a0 = vmadd(vq, wasm_v128_load(row), a0);
        a1 = vmadd(vq, wasm_v128_load(row + 4), a1);
      }
      wasm_v128_store(s + m, a0);
      wasm_v128_store(s + m + 4, a1);
    }
  }
  for (; m < M; m++) {
    f32 acc = 0.0f;
    for (int d = 0; d < D; d++) acc += q[(int64_t)d * qds] * k[(int64_t)m * kms + (int64_t)d * kds];
    s[m] = acc;
  }
}

EXPORT(attention) void attention(const int32_t *p, int lo, int hi, int tid) {
  const int N = p[AT_N], M = p[AT_M], D = p[AT_D], DV = p[AT_DV];
  const int qds = p[AT_Q_DS], kms = p[AT_K_MS], kds = p[AT_K_DS], vms = p[AT_V_MS], vjs = p[AT_V_JS], bms = p[AT_B_MS], yjs = p[AT_Y_JS];
  const f32 scale = bits_f32(p[AT_SCALE]);
  const int32_t *bsh = p + AT_BATCH_SHAPE;
  f32 *s = PTR(f32, p[AT_SCRATCH] + tid * p[AT_SCRATCH_STRIDE]);
  for (int item = lo; item < hi; item++) {
    int n = item % N, b = item / N;
    int64_t qo = (int64_t)n * p[AT_Q_NS], ko = 0, vo = 0, bo = (int64_t)n * p[AT_B_NS], yo = (int64_t)n * p[AT_Y_NS];
    for (int d = 3; d >= 0; d--) {
      int i = b % bsh[d];
      b /= bsh[d];
      qo += (int64_t)i * p[AT_Q_BS + d];
      ko += (int64_t)i * p[AT_K_BS + d];
      vo += (int64_t)i * p[AT_V_BS + d];
      bo += (int64_t)i * p[AT_B_BS + d];
      yo += (int64_t)i * p[AT_Y_BS + d];
    }
    const f32 *q = PTR(const f32, p[AT_Q]) + qo, *k = PTR(const f32, p[AT_K]) + ko, *v = PTR(const f32, p[AT_V]) + vo;
    f32 *y = PTR(f32, p[AT_Y]) + yo;
    scores(q, k, s, M, D, qds, kms, kds);
    /* scale, then the bias (the reference's order: MatMul, Mul, Add) */
    const v4 vs = wasm_f32x4_splat(scale);
    const f32 *bias = p[AT_BIAS] ? PTR(const f32, p[AT_BIAS]) + bo : 0;
    int m = 0;
    for (; m + 4 <= M; m += 4) {
      v4 t = wasm_f32x4_mul(wasm_v128_load(s + m), vs);
      if (bias) t = wasm_f32x4_add(t, bms == 1 ? wasm_v128_load(bias + m) : bms == 0 ? wasm_v128_load32_splat(bias) : wasm_f32x4_make(bias[(int64_t)m * bms], bias[(int64_t)(m + 1) * bms], bias[(int64_t)(m + 2) * bms], bias[(int64_t)(m + 3) * bms]));
      wasm_v128_store(s + m, t);
    }
    for (; m < M; m++) s[m] = s[m] * scale + (bias ? bias[(int64_t)m * bms] : 0.0f);
    const f32 inv = 1.0f / exp_shifted(s, s, M);
    const v4 vinv = wasm_f32x4_splat(inv);
    int j = 0;
    if (vjs == 1 && yjs == 1) {
      for (; j + 16 <= DV; j += 16) {
        v4 a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
        for (m = 0; m < M; m++) {
          const f32 *row = v + (int64_t)m * vms + j;
          v4 e = wasm_v128_load32_splat(s + m);
          a0 = vmadd(e, wasm_v128_load(row), a0);
          a1 = vmadd(e, wasm_v128_load(row + 4), a1);
          a2 = vmadd(e, wasm_v128_load(row + 8), a2);
          a3 = vmadd(e, wasm_v128_load(row + 12), a3);
        }
        wasm_v128_store(y + j, wasm_f32x4_mul(a0, vinv));
        wasm_v128_store(y + j + 4, wasm_f32x4_mul(a1, vinv));
        wasm_v128_store(y + j + 8, wasm_f32x4_mul(a2, vinv));
        wasm_v128_store(y + j + 12, wasm_f32x4_mul(a3, vinv));
      }
      for (; j + 4 <= DV; j += 4) {
        v4 a0 = wasm_f32x4_splat(0.0f);
        for (m = 0; m < M; m++) a0 = vmadd(wasm_v128_load32_splat(s + m), wasm_v128_load(v + (int64_t)m * vms + j), a0);
        wasm_v128_store(y + j, wasm_f32x4_mul(a0, vinv));
      }
    }
    for (; j < DV; j++) {
      f32 acc = 0.0f;
      for (m = 0; m < M; m++) acc += s[m] * v[(int64_t)m * vms + (int64_t)j * vjs];
      y[(int64_t)j * yjs] = acc * inv;
    }
  }
}
