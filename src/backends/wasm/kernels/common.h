/*
 * Shared definitions of Tessera's WebAssembly kernels (freestanding C: no libc, no malloc, no stack arrays, so
 * every thread can run the same instance code on one shared memory without a per-thread stack).
 *
 * Every kernel has the signature  void k(const int32_t *p, int tid, int nthreads)  where p is the node's parameter
 * block (written once at load by src/backends/wasm/program.ts; field order = the P_* enums in each kernel file and
 * the matching TS encoder) and the thread runs its share of the node's work items. Pointers are byte offsets
 * into the one linear memory.
 */
#pragma once
#include <stdint.h>
#include <wasm_simd128.h>

typedef float f32;
typedef v128_t v4;

#define INLINE static inline __attribute__((always_inline))
#define EXPORT(name) __attribute__((export_name(#name)))

#define PTR(T, x) ((T *)(uintptr_t)(uint32_t)(x))
INLINE f32 bits_f32(int32_t b) { return __builtin_bit_cast(f32, b); }

/* a*b + c: fused (one rounding) where relaxed SIMD is compiled in, else mul then add. */
INLINE v4 vmadd(v4 a, v4 b, v4 c) {
#ifdef __wasm_relaxed_simd__
  return wasm_f32x4_relaxed_madd(a, b, c);
#else
  return wasm_f32x4_add(wasm_f32x4_mul(a, b), c);
#endif
}

/* Four lanes of x at element stride sw (1: one load; 2: two loads deinterleaved; else lane by lane). */
INLINE v4 load_strided(const f32 *x, int sw) {
  if (sw == 1) return wasm_v128_load(x);
  if (sw == 2) return wasm_i32x4_shuffle(wasm_v128_load(x), wasm_v128_load(x + 4), 0, 2, 4, 6);
  return wasm_f32x4_make(x[0], x[sw], x[2 * sw], x[3 * sw]);
}

/* Copies plane x (H x W, rows W apart) into pad (Hp x Wp) at row ph, column pw, filling the rest with `fill`. */
INLINE void pad_plane(const f32 *x, int H, int W, f32 *pad, int Hp, int Wp, int ph, int pw, f32 fill) {
  v4 vf = wasm_f32x4_splat(fill);
  for (int r = 0; r < Hp; r++) {
    f32 *d = pad + r * Wp;
    int ih = r - ph, t = 0;
    if (ih < 0 || ih >= H) {
      for (; t + 4 <= Wp; t += 4) wasm_v128_store(d + t, vf);
      for (; t < Wp; t++) d[t] = fill;
      continue;
    }
    for (t = 0; t < pw; t++) d[t] = fill;
    const f32 *s = x + ih * W;
    for (t = 0; t + 4 <= W; t += 4) wasm_v128_store(d + pw + t, wasm_v128_load(s + t));
    for (; t < W; t++) d[pw + t] = s[t];
    for (t = pw + W; t < Wp; t++) d[t] = fill;
  }
}

/* Stores lanes [0, m) of v at out (m <= 4): a row's short last vector without touching what follows it. */
INLINE void store_lanes(f32 *out, v4 v, int m) {
  if (m == 4) { wasm_v128_store(out, v); return; }
  if (m & 2) { wasm_v128_store64_lane(out, v, 0); out += 2; v = wasm_i32x4_shuffle(v, v, 2, 3, 2, 3); }
  if (m & 1) wasm_v128_store32_lane(out, v, 0);
}

/* Static split of `n` items: [*lo, *hi) for thread `tid`. */
INLINE void split_range(int n, int tid, int nthreads, int *lo, int *hi) {
  int per = n / nthreads, extra = n % nthreads;
  *lo = tid * per + (tid < extra ? tid : extra);
  *hi = *lo + per + (tid < extra ? 1 : 0);
}

/* Epilogue (src/graph/ops/fused.ts): act codes = ACT_CODES in src/backends/wasm/program.ts. */
enum { ACT_NONE, ACT_RELU, ACT_CLIP, ACT_LEAKY, ACT_HSIG, ACT_HSWISH, ACT_SIGMOID, ACT_SILU, ACT_TANH, ACT_GELU, ACT_GELU_TANH,
       /* not an epilogue activation: the Erf op on the eltwise kernel */
       ACT_ERF };

typedef struct {
  int act;
  f32 alpha, beta, lo, hi;
  int res_after;
} epilogue_t;

v4 v_exp(v4 x);
v4 v_act(v4 y, const epilogue_t *e);

/* max(y, 0) keeping NaN (the reference propagates NaN) */
INLINE v4 v_relu(v4 y) { return wasm_v128_bitselect(y, wasm_f32x4_pmax(wasm_f32x4_splat(0.0f), y), wasm_f32x4_ne(y, y)); }

/* v_act with no call for the two commonest epilogues (none, ReLU): the conv stores run it on every output vector. */
INLINE v4 v_act_inline(v4 y, const epilogue_t *e) {
  if (e->act == ACT_NONE) return y;
  if (e->act == ACT_RELU) return v_relu(y);
  return v_act(y, e);
}
f32 s_act(f32 y, const epilogue_t *e);
void act_span(f32 *y, int n, const epilogue_t *e);
