/*
 * MaxPool / AveragePool (2-D; 1-D as H = 1) and the global pools, on NCHW planes split over the threads. Windows are
 * clipped to the input; the average divides by the real taps (kind 1) or the taps inside input + pads (kind 2), as
 * the CPU reference (src/backends/cpu/pool.ts). Global pools sum a plane with f32x4 lanes. MaxPool computes the
 * windows that lie wholly in the plane 4 at a time (f32x4.max propagates NaN like the reference).
 */
#include "common.h"

enum {
  PL_IN, PL_OUT, PL_N, PL_C, PL_H, PL_W, PL_OH, PL_OW, PL_KH, PL_KW, PL_SH, PL_SW, PL_PH, PL_PW, PL_PEH, PL_PEW,
  PL_DH, PL_DW, PL_IN_NS, PL_IN_CS, PL_OUT_NS, PL_OUT_CS, PL_KIND, PL_COUNT
};
enum { POOL_MAX, POOL_AVG, POOL_AVG_PAD, POOL_GLOBAL_AVG, POOL_GLOBAL_MAX };

INLINE f32 vmax_nan(f32 acc, f32 v) { return (v > acc || v != v) ? v : acc; }

int pool2d_items(const int32_t *p) { return p[PL_N] * p[PL_C]; }

EXPORT(pool2d) void pool2d(const int32_t *p, int lo, int hi, int tid) {
  (void)tid;
  const int C = p[PL_C], H = p[PL_H], W = p[PL_W], OH = p[PL_OH], OW = p[PL_OW];
  const int KH = p[PL_KH], KW = p[PL_KW], sh = p[PL_SH], sw = p[PL_SW], ph = p[PL_PH], pw = p[PL_PW];
  const int peh = p[PL_PEH], pew = p[PL_PEW], dh = p[PL_DH], dw = p[PL_DW], kind = p[PL_KIND];
  for (int item = lo; item < hi; item++) {
    int n = item / C, c = item - n * C;
    const f32 *x = PTR(const f32, p[PL_IN]) + (int64_t)n * p[PL_IN_NS] + (int64_t)c * p[PL_IN_CS];
    f32 *y = PTR(f32, p[PL_OUT]) + (int64_t)n * p[PL_OUT_NS] + (int64_t)c * p[PL_OUT_CS];
    if (kind == POOL_GLOBAL_AVG || kind == POOL_GLOBAL_MAX) {
      int size = H * W, i = 0;
      if (kind == POOL_GLOBAL_AVG) {
        v4 s = wasm_f32x4_splat(0.0f);
        for (; i + 4 <= size; i += 4) s = wasm_f32x4_add(s, wasm_v128_load(x + i));
        f32 t = (wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1)) + (wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3));
        for (; i < size; i++) t += x[i];
        y[0] = t / (f32)size;
      } else {
        f32 m = -__builtin_inff();
        for (; i < size; i++) m = vmax_nan(m, x[i]);
        y[0] = m;
      }
      continue;
    }
    if (kind == POOL_MAX) {
      /* windows wholly inside the plane: 4 outputs per f32x4 straight from the input rows (no padded copy: a
       * max pool moves more bytes than it computes); the clipped border windows go through the scalar loop below.
       * A row's last, short vector (strides 1 and 2) reads at most 9 floats past the row's last window: the next row,
       * or the tensor's 64-byte tail; its lanes past the row's inner windows are not stored. */
      int ow_lo = (pw + sw - 1) / sw, ow_hi = OW; /* vector for ow in [ow_lo, ow_hi) in steps of 4 */
      while (ow_hi > ow_lo && (ow_hi - 1) * sw - pw + (KW - 1) * dw >= W) ow_hi--;
      for (int oh = 0; oh < OH; oh++) {
        int h0 = oh * sh - ph;
        if (h0 < 0 || h0 + (KH - 1) * dh >= H) continue;
        f32 *o = y + oh * OW;
        if (KW == 3 && sw == 2 && dw == 1) {
          /* 3 wide, stride 2 (SqueezeNet, GoogLeNet, ResNet stems): the column max over the window's rows once per
           * input column (3 loads per row for 4 outputs), then columns 2o, 2o+1, 2o+2 by shuffles */
          for (int ow = ow_lo; ow < ow_hi; ow += 4) {
            const f32 *base = x + h0 * W + ow * 2 - pw;
            v4 a = wasm_v128_load(base), b = wasm_v128_load(base + 4), c = wasm_v128_load(base + 8);
            for (int kh = 1; kh < KH; kh++) {
              const f32 *r = base + kh * dh * W;
              a = wasm_f32x4_max(a, wasm_v128_load(r));
              b = wasm_f32x4_max(b, wasm_v128_load(r + 4));
              c = wasm_f32x4_max(c, wasm_v128_load(r + 8));
            }
            v4 even = wasm_i32x4_shuffle(a, b, 0, 2, 4, 6), odd = wasm_i32x4_shuffle(a, b, 1, 3, 5, 7);
            v4 next = wasm_i32x4_shuffle(even, c, 1, 2, 3, 4);
            store_lanes(o + ow, wasm_f32x4_max(wasm_f32x4_max(even, odd), next), ow_hi - ow < 4 ? ow_hi - ow : 4);
          }
          continue;
        }
        for (int ow = ow_lo; ow + 4 <= ow_hi || (sw <= 2 && ow < ow_hi); ow += 4) {
          const f32 *base = x + h0 * W + ow * sw - pw;
          v4 m = wasm_f32x4_splat(-__builtin_inff());
          for (int kh = 0; kh < KH; kh++)
            for (int kw = 0; kw < KW; kw++) m = wasm_f32x4_max(m, load_strided(base + kh * dh * W + kw * dw, sw));
          store_lanes(o + ow, m, ow_hi - ow < 4 ? ow_hi - ow : 4);
        }
      }
    }
    for (int oh = 0; oh < OH; oh++) {
      int h0 = oh * sh - ph;
      /* rows done by the vector loop above: only their columns outside [ow_lo, last vector) remain */
      int vec_row = kind == POOL_MAX && h0 >= 0 && h0 + (KH - 1) * dh < H;
      int skip_lo = 0, skip_hi = 0;
      if (vec_row) {
        skip_lo = (pw + sw - 1) / sw;
        int hi_ = OW;
        while (hi_ > skip_lo && (hi_ - 1) * sw - pw + (KW - 1) * dw >= W) hi_--;
        /* the vector loops stop at whole vectors only where the row's short tail is not vectorised (stride > 2) */
        skip_hi = sw <= 2 ? hi_ : skip_lo + ((hi_ - skip_lo) / 4) * 4;
        if (skip_hi < skip_lo) skip_hi = skip_lo;
      }
      for (int ow = 0; ow < OW; ow++) {
        if (ow >= skip_lo && ow < skip_hi) continue;
        int w0 = ow * sw - pw;
        f32 acc = kind == POOL_MAX ? -__builtin_inff() : 0.0f;
        int real_h = 0, real_w = 0, pad_h = 0, pad_w = 0;
        for (int kh = 0; kh < KH; kh++) {
          int ih = h0 + kh * dh;
          if (ih >= -ph && ih < H + peh) pad_h++;
          if (ih < 0 || ih >= H) continue;
          real_h++;
          const f32 *row = x + ih * W;
          for (int kw = 0; kw < KW; kw++) {
            int iw = w0 + kw * dw;
            if (iw < 0 || iw >= W) continue;
            acc = kind == POOL_MAX ? vmax_nan(acc, row[iw]) : acc + row[iw];
          }
        }
        for (int kw = 0; kw < KW; kw++) {
          int iw = w0 + kw * dw;
          if (iw >= -pw && iw < W + pew) pad_w++;
          if (iw >= 0 && iw < W) real_w++;
        }
        if (kind != POOL_MAX) {
          int count = kind == POOL_AVG_PAD ? pad_h * pad_w : real_h * real_w;
          acc = count > 0 ? acc / (f32)count : __builtin_nanf("");
        }
        y[oh * OW + ow] = acc;
      }
    }
  }
}
