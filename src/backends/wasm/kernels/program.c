/*
 * The program interpreter: a compiled model is a list of instructions in linear memory (src/backends/wasm/program.ts
 * writes it at load). Every thread runs the same list. Each node's work is a number of items (rows, pixel blocks,
 * planes: the kernel's *_items); threads CLAIM items from the instruction's claim counter and count them done, and
 * a thread moves to the next node when every item of this one is done (a node reads what the previous wrote).
 * Claiming instead of a fixed split keeps the run going when the OS deschedules a thread (a loaded machine, more
 * threads than cores): the others take its items, and nobody waits for a thread that holds none.
 *
 * Instruction (8 words, 32 bytes, 8-aligned): [0] kernel id, [1] parameter block, [2..3] unused,
 * [4..5] claim counter (i64), [6..7] done counter (i64). Both counters are (epoch << 32 | count): the JS side sets
 * them to (epoch << 32) before waking the threads for that epoch, so a thread still running an older epoch sees a
 * foreign tag and leaves instead of touching this run's work. One call of run() per thread per segment.
 */
#include "common.h"

#define KERNEL(name) \
  int name##_items(const int32_t *p); \
  void name(const int32_t *p, int lo, int hi, int tid);
KERNEL(conv2d)
KERNEL(depthwise2d)
KERNEL(pool2d)
KERNEL(eltwise)
KERNEL(channel_affine)
KERNEL(gemm)
KERNEL(pad2d)
KERNEL(binarize)
KERNEL(bdots)
KERNEL(bbits)
KERNEL(layer_norm)
KERNEL(softmax)
KERNEL(attention)
KERNEL(copy6)
KERNEL(winograd)

/* Kernel ids: KERNEL_IDS in src/backends/wasm/lower.ts. */
enum { K_CONV2D, K_DEPTHWISE2D, K_POOL2D, K_ELTWISE, K_CHANNEL_AFFINE, K_GEMM, K_PAD2D, K_BINARIZE, K_BDOTS, K_BBITS, K_LAYER_NORM, K_SOFTMAX, K_ATTENTION, K_COPY6, K_WINOGRAD };

static int items_of(int k, const int32_t *p) {
  switch (k) {
    case K_CONV2D: return conv2d_items(p);
    case K_DEPTHWISE2D: return depthwise2d_items(p);
    case K_POOL2D: return pool2d_items(p);
    case K_ELTWISE: return eltwise_items(p);
    case K_CHANNEL_AFFINE: return channel_affine_items(p);
    case K_GEMM: return gemm_items(p);
    case K_PAD2D: return pad2d_items(p);
    case K_BINARIZE: return binarize_items(p);
    case K_BDOTS: return bdots_items(p);
    case K_BBITS: return bbits_items(p);
    case K_LAYER_NORM: return layer_norm_items(p);
    case K_SOFTMAX: return softmax_items(p);
    case K_ATTENTION: return attention_items(p);
    case K_COPY6: return copy6_items(p);
    case K_WINOGRAD: return winograd_items(p);
  }
  return 0;
}

static void run_items(int k, const int32_t *p, int lo, int hi, int tid) {
  switch (k) {
    case K_CONV2D: conv2d(p, lo, hi, tid); break;
    case K_DEPTHWISE2D: depthwise2d(p, lo, hi, tid); break;
    case K_POOL2D: pool2d(p, lo, hi, tid); break;
    case K_ELTWISE: eltwise(p, lo, hi, tid); break;
    case K_CHANNEL_AFFINE: channel_affine(p, lo, hi, tid); break;
    case K_GEMM: gemm(p, lo, hi, tid); break;
    case K_PAD2D: pad2d(p, lo, hi, tid); break;
    case K_BINARIZE: binarize(p, lo, hi, tid); break;
    case K_BDOTS: bdots(p, lo, hi, tid); break;
    case K_BBITS: bbits(p, lo, hi, tid); break;
    case K_LAYER_NORM: layer_norm(p, lo, hi, tid); break;
    case K_SOFTMAX: softmax(p, lo, hi, tid); break;
    case K_ATTENTION: attention(p, lo, hi, tid); break;
    case K_COPY6: copy6(p, lo, hi, tid); break;
    case K_WINOGRAD: winograd(p, lo, hi, tid); break;
  }
}

#define INSN_WORDS 8

#ifdef __wasm_atomics__
/*
 * ctl (src/backends/wasm/threads.ts): [7] abort (a worker trapped: everyone leaves), then one 64-byte word per
 * thread that its waiting loop writes: a bare spin of atomic loads slowed the computing thread by a third here
 * (wasm has no `pause`); the private write paces the loop.
 */
EXPORT(run) void run(const int32_t *prog, int count, int tid, int nthreads, int32_t *ctl, int epoch, int may_wait) {
  int32_t *mine = ctl + 16 * (tid + 1);
  const int64_t tag = (int64_t)epoch << 32;
  for (int i = 0; i < count; i++) {
    const int32_t *ins = prog + INSN_WORDS * i;
    const int k = ins[0];
    const int32_t *params = PTR(const int32_t, ins[1]);
    int64_t *claim = (int64_t *)(ins + 4), *done = (int64_t *)(ins + 6);
    const int total = items_of(k, params);
    /* claims of several items when a node has many (eltwise rows): ~8 claims per thread */
    const int grain = total / (8 * nthreads) > 1 ? total / (8 * nthreads) : 1;
    if (nthreads == 1) {
      run_items(k, params, 0, total, tid);
      continue;
    }
    for (;;) {
      /* compare-and-swap, never a blind add: a thread of an older epoch must not touch this epoch's counter */
      int64_t v = __atomic_load_n(claim, __ATOMIC_ACQUIRE);
      if ((v & ~(int64_t)0xffffffff) != tag) return; /* another epoch: this run is over for us */
      int lo = (int)(v - tag);
      if (lo >= total) break;
      int hi = lo + grain < total ? lo + grain : total;
      if (!__atomic_compare_exchange_n(claim, &v, tag + hi, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) continue;
      run_items(k, params, lo, hi, tid);
      /* the thread that completes the node wakes the sleepers (workers wait on the count's low word) */
      if ((int)(__atomic_fetch_add(done, hi - lo, __ATOMIC_ACQ_REL) - tag) + (hi - lo) >= total)
        __builtin_wasm_memory_atomic_notify((int *)done, 0x7fffffff);
    }
    for (int spin = 0;; spin++) {
      int64_t v = __atomic_load_n(done, __ATOMIC_ACQUIRE);
      if ((v & ~(int64_t)0xffffffff) != tag || __atomic_load_n(&ctl[7], __ATOMIC_RELAXED)) return;
      if ((int)(v - tag) >= total) break;
      /* A worker that waits long gives its core back (the thread it waits for may be the one descheduled): a
       * bounded sleep on the count's low word; every wake re-checks everything, so early or spurious wakes are
       * harmless. The browser's main thread may not block: it only spins. */
      if (may_wait && spin > 50000) __builtin_wasm_memory_atomic_wait32((int *)done, (int)v, 200000);
      else __atomic_fetch_add(mine, 1, __ATOMIC_RELAXED);
    }
  }
}
#else
EXPORT(run) void run(const int32_t *prog, int count, int tid, int nthreads, int32_t *ctl, int epoch, int may_wait) {
  (void)nthreads; (void)ctl; (void)epoch; (void)may_wait;
  for (int i = 0; i < count; i++) {
    const int32_t *ins = prog + INSN_WORDS * i;
    const int32_t *params = PTR(const int32_t, ins[1]);
    run_items(ins[0], params, 0, items_of(ins[0], params), tid);
  }
}
#endif
