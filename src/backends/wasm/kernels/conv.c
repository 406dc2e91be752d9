/*
 * Conv (every 2-D Conv / FusedConv: k x k, 1 x 1, strided, dilated, padded, grouped) as a GEMM per group:
 *   out[co, p] = sum_k Wp[co][k] * col[k][p],  k = (ci, kh, kw), p = output pixel (NCHW: pixels are contiguous)
 * with a 4-channel x 8-pixel register-blocked microkernel (8 f32x4 accumulators). Weights are packed once at load
 * (src/backends/wasm/pack.ts) as [group][channel tile of 4][k][4] with zero rows past the group's channels; bias
 * as [group][tile][4]. Pixels run in blocks of NB: a 1x1 stride-1 unpadded conv reads its input rows in place,
 * every other conv copies the block's receptive field into a per-thread column buffer (im2col, zero padding
 * included) first. Bias, residual and activation are applied as the accumulators are stored (the fused epilogue).
 * Work items = (batch, group, pixel block, channel chunk), split statically over the threads.
 */
#include "conv_ukernel.h"

enum {
  CV_IN, CV_OUT, CV_RES, CV_WP, CV_BIAS,
  CV_N, CV_CIN, CV_H, CV_W, CV_COUT, CV_OH, CV_OW,
  CV_KH, CV_KW, CV_SH, CV_SW, CV_PH, CV_PW, CV_DH, CV_DW, CV_GROUPS,
  CV_IN_NS, CV_IN_CS, CV_OUT_NS, CV_OUT_CS, CV_RES_NS, CV_RES_CS,
  CV_ACT, CV_ALPHA, CV_BETA, CV_LO, CV_HI, CV_RES_AFTER,
  CV_SCRATCH, CV_SCRATCH_STRIDE, CV_NB, CV_COCHUNKS, CV_MODE, CV_HP, CV_WP_, CV_OFFS,
  CV_SCALE, CV_SCALE_NS, CV_SCALE_CS,
  CV_COUNT
};
/* CV_MODE: how the B operand (input columns) is read.
 *   MODE_IM2COL  copy each pixel block's receptive field into the thread's column buffer (any stride / dilation)
 *   MODE_1X1     1x1, stride 1, no padding: the input rows themselves
 *   MODE_PADDED  stride 1: CV_IN is a zero-padded copy of the input (pad2d, planes of CV_HP x CV_WP_), and tap k
 *                of output pixel (oh, ow) is at plane offset CV_OFFS[k] + oh * WP + ow: no copy per tap, 8 pixels
 *                of one output row per microkernel call (lanes past the row end are computed and not stored).
 * CV_SCALE (MODE_IM2COL only; 0: none): ChannelScaleConv's per-(n, c) input scale s, strides CV_SCALE_NS / _CS,
 * applied as the columns are copied (no scaled copy of the whole input first). */
enum { MODE_IM2COL, MODE_1X1, MODE_PADDED };

/*
 * Copies the receptive field of pixels [p0, p0 + len) of one group into col as panels of 8 pixels, [ldc / 8][K][8]
 * (zero padding, zero tail; ldc = len rounded up to 8): the microkernel then streams one contiguous panel per call
 * instead of 8 floats from rows ldc apart (SqueezeNet's 512 -> 1000 1x1 conv: 8 KB-strided rows thrashed L1). Each
 * row k is gathered into `row` (ldc floats past the panels) first, then spread over the panels.
 */
static void im2col(const int32_t *p, const f32 *in, const f32 *scale, int cin_g, int p0, int len, f32 *col, int ldc) {
  const int H = p[CV_H], W = p[CV_W], OW = p[CV_OW], KH = p[CV_KH], KW = p[CV_KW];
  const int sh = p[CV_SH], sw = p[CV_SW], ph = p[CV_PH], pw = p[CV_PW], dh = p[CV_DH], dw = p[CV_DW], cs = p[CV_IN_CS];
  const int K = cin_g * KH * KW;
  f32 *dst = col + K * ldc;
  f32 *panel = col;
  if (K == cin_g && sh == 1 && sw == 1 && ph == 0 && pw == 0 && W == OW && H == p[CV_OH]) {
    /* 1x1, stride 1, unpadded: the block is one run of each input plane, spread straight into the panels (lanes
     * past `len` read the next plane or the tensor's 64-byte tail: computed, never stored) */
    for (int ci = 0; ci < cin_g; ci++, panel += NR) {
      const f32 *src = in + (int64_t)ci * cs + p0;
      const v4 sc = wasm_f32x4_splat(scale ? scale[(int64_t)ci * p[CV_SCALE_CS]] : 1.0f);
      for (int q = 0; q < ldc; q += NR) {
        v4 a = wasm_v128_load(src + q), b = wasm_v128_load(src + q + 4);
        if (scale) { a = wasm_f32x4_mul(a, sc); b = wasm_f32x4_mul(b, sc); }
        wasm_v128_store(panel + q * K, a);
        wasm_v128_store(panel + q * K + 4, b);
      }
    }
    return;
  }
  for (int ci = 0; ci < cin_g; ci++) {
    const f32 *plane = in + (int64_t)ci * cs;
    for (int kh = 0; kh < KH; kh++) {
      for (int kw = 0; kw < KW; kw++, panel += NR) {
        int j = 0, pp = p0;
        while (j < len) {
          int oh = pp / OW, ow = pp - oh * OW;
          int cnt = OW - ow < len - j ? OW - ow : len - j;
          int ih = oh * sh - ph + kh * dh;
          f32 *d = dst + j;
          if (ih < 0 || ih >= H) {
            for (int t = 0; t < cnt; t++) d[t] = 0.0f;
          } else {
            const f32 *row = plane + ih * W;
            int iw0 = ow * sw - pw + kw * dw;
            if (sw == 1) {
              int t = 0;
              for (; t < cnt && iw0 + t < 0; t++) d[t] = 0.0f;
              int end = W - iw0 < cnt ? W - iw0 : cnt;
              for (; t + 4 <= end; t += 4) wasm_v128_store(d + t, wasm_v128_load(row + iw0 + t));
              for (; t < end; t++) d[t] = row[iw0 + t];
              for (; t < cnt; t++) d[t] = 0.0f;
            } else {
              int t = 0;
              for (; t < cnt && iw0 + t * sw < 0; t++) d[t] = 0.0f;
              /* stride 2, window inside the row: 4 columns per two loads and a shuffle (the last one reads one
               * float past the last column used, inside the tensor's 64-byte tail at worst) */
              if (sw == 2)
                for (; t + 4 <= cnt && iw0 + (t + 3) * 2 < W; t += 4) wasm_v128_store(d + t, load_strided(row + iw0 + t * 2, 2));
              for (; t < cnt; t++) {
                int iw = iw0 + t * sw;
                d[t] = (iw >= 0 && iw < W) ? row[iw] : 0.0f;
              }
            }
          }
          j += cnt;
          pp += cnt;
        }
        for (; j < ldc; j++) dst[j] = 0.0f;
        if (scale) {
          v4 sc = wasm_f32x4_splat(scale[(int64_t)ci * p[CV_SCALE_CS]]);
          for (int q = 0; q < ldc; q += NR) {
            wasm_v128_store(panel + q * K, wasm_f32x4_mul(wasm_v128_load(dst + q), sc));
            wasm_v128_store(panel + q * K + 4, wasm_f32x4_mul(wasm_v128_load(dst + q + 4), sc));
          }
        } else {
          for (int q = 0; q < ldc; q += NR) {
            wasm_v128_store(panel + q * K, wasm_v128_load(dst + q));
            wasm_v128_store(panel + q * K + 4, wasm_v128_load(dst + q + 4));
          }
        }
      }
    }
  }
}

/* Padded mode: work items = (batch, group, block of CV_NB output rows, channel chunk); a channel tile's weights
 * stay in cache over the block's rows (small late-layer planes put several rows in one item). */
static void conv2d_padded(const int32_t *p, int lo, int hi, const epilogue_t *e) {
  const int G = p[CV_GROUPS], cin_g = p[CV_CIN] / G, cout_g = p[CV_COUT] / G;
  const int OH = p[CV_OH], OW = p[CV_OW], Hp = p[CV_HP], Wp = p[CV_WP_], K = cin_g * p[CV_KH] * p[CV_KW];
  const int R = p[CV_NB], rblocks = (OH + R - 1) / R;
  const int chunks = p[CV_COCHUNKS], tiles = (cout_g + MR - 1) / MR;
  const f32 *wp = PTR(const f32, p[CV_WP]), *bias = PTR(const f32, p[CV_BIAS]);
  const int32_t *offs = PTR(const int32_t, p[CV_OFFS]);
  for (int item = lo; item < hi; item++) {
    int chunk = item % chunks, rest = item / chunks;
    int rb = rest % rblocks; rest /= rblocks;
    int g = rest % G, n = rest / G;
    int t_lo = (int)((int64_t)tiles * chunk / chunks), t_hi = (int)((int64_t)tiles * (chunk + 1) / chunks);
    int oh0 = rb * R, oh1 = oh0 + R < OH ? oh0 + R : OH;
    const f32 *plane = PTR(const f32, p[CV_IN]) + ((int64_t)n * p[CV_CIN] + (int64_t)g * cin_g) * Hp * Wp;
    for (int t = t_lo; t < t_hi; t++) {
      const f32 *a = wp + ((int64_t)g * tiles + t) * K * MR;
      const f32 *bt = bias + (g * tiles + t) * MR;
      int co0 = g * cout_g + t * MR, rows = cout_g - t * MR < MR ? cout_g - t * MR : MR;
      for (int oh = oh0; oh < oh1; oh++) {
        const f32 *in = plane + oh * Wp;
        for (int ow = 0; ow < OW; ow += NR) {
          v4 acc[8];
          for (int i = 0; i < 8; i++) acc[i] = wasm_f32x4_splat(0.0f);
          ukernel_4x8(K, a, in + ow, 0, offs, acc);
          int m = OW - ow < NR ? OW - ow : NR;
          for (int r = 0; r < rows; r++) {
            int co = co0 + r;
            int64_t at = (int64_t)oh * OW + ow;
            f32 *out = PTR(f32, p[CV_OUT]) + (int64_t)n * p[CV_OUT_NS] + (int64_t)co * p[CV_OUT_CS] + at;
            const f32 *res = p[CV_RES] ? PTR(const f32, p[CV_RES]) + (int64_t)n * p[CV_RES_NS] + (int64_t)co * p[CV_RES_CS] + at : 0;
            store_row(out, res, acc[2 * r], acc[2 * r + 1], bt[r], m, e);
          }
        }
      }
    }
  }
}

/*
 * One output pixel from a 1x1 input through a 1x1 kernel (SE blocks' squeeze and excite convs): a matrix-vector
 * product. The 4 x 8 microkernel would compute 8 pixels for the one kept; here each packed k row (the tile's 4
 * channels) meets x[k] broadcast, four k at a time into independent chains.
 */
static void conv2d_pixel(const int32_t *p, int lo, int hi, const epilogue_t *e) {
  const int G = p[CV_GROUPS], cin_g = p[CV_CIN] / G, cout_g = p[CV_COUT] / G, chunks = p[CV_COCHUNKS];
  const int tiles = (cout_g + MR - 1) / MR, K = cin_g, cs = p[CV_IN_CS];
  const f32 *wp = PTR(const f32, p[CV_WP]), *bias = PTR(const f32, p[CV_BIAS]);
  for (int item = lo; item < hi; item++) {
    int chunk = item % chunks, rest = item / chunks / ((p[CV_OH] * p[CV_OW] + p[CV_NB] - 1) / p[CV_NB]);
    int g = rest % G, n = rest / G;
    int t_lo = (int)((int64_t)tiles * chunk / chunks), t_hi = (int)((int64_t)tiles * (chunk + 1) / chunks);
    const f32 *x = PTR(const f32, p[CV_IN]) + (int64_t)n * p[CV_IN_NS] + (int64_t)g * cin_g * cs;
    const f32 *scale = p[CV_SCALE] ? PTR(const f32, p[CV_SCALE]) + (int64_t)n * p[CV_SCALE_NS] + (int64_t)g * cin_g * p[CV_SCALE_CS] : 0;
    const int scs = p[CV_SCALE_CS];
    for (int t = t_lo; t < t_hi; t++) {
      const f32 *a = wp + ((int64_t)g * tiles + t) * K * MR;
      v4 c0 = wasm_f32x4_splat(0.0f), c1 = c0, c2 = c0, c3 = c0;
      int k = 0;
#define XK(i) (scale ? x[(int64_t)(i) * cs] * scale[(int64_t)(i) * scs] : x[(int64_t)(i) * cs])
      for (; k + 4 <= K; k += 4, a += 4 * MR) {
        c0 = vmadd(wasm_v128_load(a), wasm_f32x4_splat(XK(k)), c0);
        c1 = vmadd(wasm_v128_load(a + MR), wasm_f32x4_splat(XK(k + 1)), c1);
        c2 = vmadd(wasm_v128_load(a + 2 * MR), wasm_f32x4_splat(XK(k + 2)), c2);
        c3 = vmadd(wasm_v128_load(a + 3 * MR), wasm_f32x4_splat(XK(k + 3)), c3);
      }
      for (; k < K; k++, a += MR) c0 = vmadd(wasm_v128_load(a), wasm_f32x4_splat(XK(k)), c0);
#undef XK
      v4 y = wasm_f32x4_add(wasm_f32x4_add(c0, c1), wasm_f32x4_add(c2, c3));
      y = wasm_f32x4_add(y, wasm_v128_load(bias + (g * tiles + t) * MR));
      const int co0 = g * cout_g + t * MR, rows = cout_g - t * MR < MR ? cout_g - t * MR : MR;
      f32 *out = PTR(f32, p[CV_OUT]) + (int64_t)n * p[CV_OUT_NS] + (int64_t)co0 * p[CV_OUT_CS];
      const f32 *res = p[CV_RES] ? PTR(const f32, p[CV_RES]) + (int64_t)n * p[CV_RES_NS] + (int64_t)co0 * p[CV_RES_CS] : 0;
      /* residual lanes gathered through its channel stride (a dense [N, C, 1, 1] has stride 1; any other works too) */
      v4 r = wasm_f32x4_splat(0.0f);
      if (res) r = wasm_f32x4_make(res[0], rows > 1 ? res[p[CV_RES_CS]] : 0.0f, rows > 2 ? res[2 * p[CV_RES_CS]] : 0.0f, rows > 3 ? res[3 * p[CV_RES_CS]] : 0.0f);
      if (res && !e->res_after) y = wasm_f32x4_add(y, r);
      y = v_act_inline(y, e);
      if (res && e->res_after) y = wasm_f32x4_add(y, r);
      if (p[CV_OUT_CS] == 1) {
        store_lanes(out, y, rows);
      } else {
        const int ocs = p[CV_OUT_CS];
        out[0] = wasm_f32x4_extract_lane(y, 0);
        if (rows > 1) out[ocs] = wasm_f32x4_extract_lane(y, 1);
        if (rows > 2) out[2 * ocs] = wasm_f32x4_extract_lane(y, 2);
        if (rows > 3) out[3 * ocs] = wasm_f32x4_extract_lane(y, 3);
      }
    }
  }
}

/* Work items of a conv call (the unit threads claim). */
int conv2d_items(const int32_t *p) {
  const int G = p[CV_GROUPS];
  if (p[CV_MODE] == MODE_PADDED) return p[CV_N] * G * ((p[CV_OH] + p[CV_NB] - 1) / p[CV_NB]) * p[CV_COCHUNKS];
  const int P = p[CV_OH] * p[CV_OW];
  return p[CV_N] * G * ((P + p[CV_NB] - 1) / p[CV_NB]) * p[CV_COCHUNKS];
}

EXPORT(conv2d) void conv2d(const int32_t *p, int lo, int hi, int tid) {
  const epilogue_t e = {p[CV_ACT], bits_f32(p[CV_ALPHA]), bits_f32(p[CV_BETA]), bits_f32(p[CV_LO]), bits_f32(p[CV_HI]), p[CV_RES_AFTER]};
  if (p[CV_MODE] == MODE_PADDED) {
    conv2d_padded(p, lo, hi, &e);
    return;
  }
  if (p[CV_H] == 1 && p[CV_W] == 1 && p[CV_KH] == 1 && p[CV_KW] == 1 && p[CV_PH] == 0 && p[CV_PW] == 0 && p[CV_OH] * p[CV_OW] == 1) {
    conv2d_pixel(p, lo, hi, &e);
    return;
  }
  const int G = p[CV_GROUPS], cin_g = p[CV_CIN] / G, cout_g = p[CV_COUT] / G;
  const int P = p[CV_OH] * p[CV_OW], K = cin_g * p[CV_KH] * p[CV_KW];
  const int NB = p[CV_NB], nblocks = (P + NB - 1) / NB, chunks = p[CV_COCHUNKS];
  const int tiles = (cout_g + MR - 1) / MR;
  const int direct = p[CV_MODE] == MODE_1X1;
  const f32 *wp = PTR(const f32, p[CV_WP]), *bias = PTR(const f32, p[CV_BIAS]);
  f32 *col = PTR(f32, p[CV_SCRATCH] + tid * p[CV_SCRATCH_STRIDE]);
  for (int item = lo; item < hi; item++) {
    int chunk = item % chunks, rest = item / chunks;
    int blk = rest % nblocks; rest /= nblocks;
    int g = rest % G, n = rest / G;
    int t_lo = (int)((int64_t)tiles * chunk / chunks), t_hi = (int)((int64_t)tiles * (chunk + 1) / chunks);
    if (t_lo == t_hi) continue;
    int p0 = blk * NB, len = P - p0 < NB ? P - p0 : NB;
    const f32 *in = PTR(const f32, p[CV_IN]) + (int64_t)n * p[CV_IN_NS] + (int64_t)g * cin_g * p[CV_IN_CS];
    /* B operand: the input rows themselves (1x1 direct, whole 8-pixel chunks) or the column buffer. */
    int full = direct ? (len & ~(NR - 1)) : 0;
    int ldc = (len - full + NR - 1) & ~(NR - 1);
    const f32 *scale = p[CV_SCALE] ? PTR(const f32, p[CV_SCALE]) + (int64_t)n * p[CV_SCALE_NS] + (int64_t)g * cin_g * p[CV_SCALE_CS] : 0;
    if (len > full) im2col(p, in, scale, cin_g, p0 + full, len - full, col, ldc);
    for (int t = t_lo; t < t_hi; t++) {
      const f32 *a = wp + ((int64_t)g * tiles + t) * K * MR;
      const f32 *bt = bias + (g * tiles + t) * MR;
      int co0 = g * cout_g + t * MR, rows = cout_g - t * MR < MR ? cout_g - t * MR : MR;
      for (int j = 0; j < len; j += NR) {
        v4 acc[8];
        for (int i = 0; i < 8; i++) acc[i] = wasm_f32x4_splat(0.0f);
        int m = len - j < NR ? len - j : NR;
        if (j < full) ukernel_4x8(K, a, in + p0 + j, p[CV_IN_CS], 0, acc);
        else ukernel_4x8(K, a, col + (j - full) * K, NR, 0, acc);
        for (int r = 0; r < rows; r++) {
          int co = co0 + r;
          f32 *out = PTR(f32, p[CV_OUT]) + (int64_t)n * p[CV_OUT_NS] + (int64_t)co * p[CV_OUT_CS] + p0 + j;
          const f32 *res = p[CV_RES] ? PTR(const f32, p[CV_RES]) + (int64_t)n * p[CV_RES_NS] + (int64_t)co * p[CV_RES_CS] + p0 + j : 0;
          store_row(out, res, acc[2 * r], acc[2 * r + 1], bt[r], m, &e);
        }
      }
    }
  }
}

/* Zero-padded copy of X [N, C, H, W] (strides ns, cs) into dense planes of Hp x Wp (rows ph.., cols pw..), for
 * MODE_PADDED convs. Planes split over the threads. */
enum { PD_IN, PD_OUT, PD_N, PD_C, PD_H, PD_W, PD_IN_NS, PD_IN_CS, PD_HP, PD_WP, PD_PH, PD_PW, PD_COUNT };

int pad2d_items(const int32_t *p) { return p[PD_N] * p[PD_C]; }

EXPORT(pad2d) void pad2d(const int32_t *p, int lo, int hi, int tid) {
  (void)tid;
  const int C = p[PD_C], H = p[PD_H], W = p[PD_W], Hp = p[PD_HP], Wp = p[PD_WP], ph = p[PD_PH], pw = p[PD_PW];
  for (int item = lo; item < hi; item++) {
    int n = item / C, c = item - n * C;
    const f32 *x = PTR(const f32, p[PD_IN]) + (int64_t)n * p[PD_IN_NS] + (int64_t)c * p[PD_IN_CS];
    f32 *d = PTR(f32, p[PD_OUT]) + (int64_t)item * Hp * Wp;
    for (int r = 0; r < Hp; r++, d += Wp) {
      int ih = r - ph;
      if (ih < 0 || ih >= H) {
        for (int t = 0; t < Wp; t++) d[t] = 0.0f;
        continue;
      }
      const f32 *s = x + ih * W;
      for (int t = 0; t < pw; t++) d[t] = 0.0f;
      int t = 0;
      for (; t + 4 <= W; t += 4) wasm_v128_store(d + pw + t, wasm_v128_load(s + t));
      for (; t < W; t++) d[pw + t] = s[t];
      for (t = pw + W; t < Wp; t++) d[t] = 0.0f;
    }
  }
}

/*
 * Load-time packing (src/backends/wasm/pack.ts packConvWeights): `rows` consecutive output channels of one group,
 * raw [rows][K] (staged in memory by the loader, rows a multiple of 4 except at the group's end), into the packed
 * [tile of 4][K][4] at out. Whole tiles transpose 4 x 4 blocks with shuffles; pure copies, so the same bits as the
 * JavaScript loop, ~5x faster (ResNet-50: tens of ms of its load).
 */
EXPORT(conv_pack) void conv_pack(const f32 *w, f32 *out, int K, int rows) {
  for (int t = 0; t * MR < rows; t++, out += K * MR) {
    const f32 *r0 = w + (int64_t)t * MR * K;
    const int n = rows - t * MR < MR ? rows - t * MR : MR;
    int k = 0;
    if (n == MR) {
      const f32 *r1 = r0 + K, *r2 = r1 + K, *r3 = r2 + K;
      for (; k + 4 <= K; k += 4) {
        v4 a = wasm_v128_load(r0 + k), b = wasm_v128_load(r1 + k), c = wasm_v128_load(r2 + k), d = wasm_v128_load(r3 + k);
        v4 ab0 = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), ab1 = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
        v4 cd0 = wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), cd1 = wasm_i32x4_shuffle(c, d, 2, 6, 3, 7);
        wasm_v128_store(out + k * MR, wasm_i32x4_shuffle(ab0, cd0, 0, 1, 4, 5));
        wasm_v128_store(out + k * MR + 4, wasm_i32x4_shuffle(ab0, cd0, 2, 3, 6, 7));
        wasm_v128_store(out + k * MR + 8, wasm_i32x4_shuffle(ab1, cd1, 0, 1, 4, 5));
        wasm_v128_store(out + k * MR + 12, wasm_i32x4_shuffle(ab1, cd1, 2, 3, 6, 7));
      }
    }
    for (; k < K; k++)
      for (int r = 0; r < n; r++) out[k * MR + r] = r0[(int64_t)r * K + k];
  }
}
