/**
 * Browser bundle for the reliability tests (device loss, leaks, concurrency, bad inputs): the package API plus
 * `globalThis.rel`, whose functions run whole scenarios inside the page and return plain JSON (no tensors cross
 * page.evaluate, only digests and counters).
 */
import '../../src/node/browser_entry.js';
import { GraphBuilder, randomValues, tensorF32 } from '../../src/graph/builder.js';
import type { Graph, Tensor } from '../../src/graph/ir.js';
import { Session, type SessionOptions } from '../../src/runtime/session.js';
import { sharedGpu } from '../../src/backends/webgpu/device.js';
import { randomF32 } from '../harness/rng.js';

/**
 * A tiny classifier (conv 3x3 + ReLU, max pool, 1x1 conv, global average pool, flatten, gemm, softmax) on
 * [N, 3, 9, 9] inputs with a free batch dim. Odd sizes on purpose; `seed` changes the weights.
 */
export function tinyGraph(seed = 1): Graph {
  const b = new GraphBuilder();
  b.input('x', 'f32', [-1, 3, 9, 9]);
  b.init('w1', tensorF32([6, 3, 3, 3], randomValues(6 * 27, seed)));
  b.init('b1', tensorF32([6], randomValues(6, seed + 1)));
  b.init('w2', tensorF32([5, 6, 1, 1], randomValues(30, seed + 2)));
  b.init('wf', tensorF32([5, 7], randomValues(35, seed + 3)));
  b.init('bf', tensorF32([7], randomValues(7, seed + 4)));
  const c1 = b.node('Conv', ['x', 'w1', 'b1'], { pads: [1, 1, 1, 1] }, 'conv1');
  const r1 = b.node('Relu', [c1], {}, 'relu1');
  const p1 = b.node('MaxPool', [r1], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool1');
  const c2 = b.node('Conv', [p1, 'w2'], {}, 'conv2');
  const g = b.node('GlobalAveragePool', [c2], {}, 'gap');
  const f = b.node('Flatten', [g], { axis: 1 }, 'flat');
  const fc = b.node('Gemm', [f, 'wf', 'bf'], {}, 'fc');
  const y = b.node('Softmax', [fc], { axis: 1 }, 'prob');
  b.output(y);
  return b.build();
}

const ITEM = 3 * 9 * 9;

function input(seed: number, batch = 1): Float32Array {
  return randomF32(ITEM * batch, seed, -1, 1);
}

function only(out: Record<string, Tensor>): Float32Array {
  return Object.values(out)[0]!.data as Float32Array;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function describe(e: unknown): string {
  const err = e as Error & { kind?: string };
  return `${err?.name}${err?.kind ? `|${err.kind}` : ''}: ${err?.message}`;
}

type Outcome = { state: 'fulfilled'; same: boolean } | { state: 'rejected'; error: string } | { state: 'pending' };

/** Settles every promise or reports 'pending' after `ms` (the property under test: nothing hangs). */
async function settleAll(ps: Promise<Float32Array>[], expected: Float32Array[], ms: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = ps.map(() => ({ state: 'pending' }));
  const all = Promise.all(
    ps.map((p, i) =>
      p.then(
        (v) => void (outcomes[i] = { state: 'fulfilled', same: sameBits(v, expected[i]!) }),
        (e) => void (outcomes[i] = { state: 'rejected', error: describe(e) }),
      ),
    ),
  );
  await Promise.race([all, new Promise((r) => setTimeout(r, ms))]);
  return outcomes;
}

const rel = {
  /**
   * Device loss on Tessera's own (shared) device: a run before, N runs in flight when `device.destroy()` is called,
   * a run after. Returns what each settled to and the session's recovery count.
   */
  async deviceLoss(mode: 'recover' | 'reject', inFlight: number) {
    const options: SessionOptions = { backend: 'webgpu', onDeviceLost: mode };
    const s = await Session.create(tinyGraph(1), options);
    const cpu = await Session.create(tinyGraph(1), { backend: 'cpu' });
    const xs = Array.from({ length: inFlight + 2 }, (_, i) => input(100 + i));
    const expected: Float32Array[] = [];
    for (const x of xs) expected.push(only(await s.run({ x })));
    let cpuClose = true;
    for (const [i, x] of xs.entries()) {
      const c = only(await cpu.run({ x }));
      cpuClose &&= c.length === expected[i]!.length && expected[i]!.every((v, k) => Math.abs(v - c[k]!) < 1e-4);
    }
    const ctx = await sharedGpu();
    const before = s.gpuStats()!;
    const flying = xs.slice(0, inFlight).map((x) => s.run({ x }).then(only));
    ctx.device.destroy(); // simulated loss, while runs are queued or executing
    const inFlightOutcomes = await settleAll(flying, expected.slice(0, inFlight), 20_000);
    const after = await settleAll([s.run({ x: xs[inFlight]! }).then(only)], [expected[inFlight]!], 20_000);
    const afterTwice = await settleAll([s.run({ x: xs[inFlight + 1]! }).then(only)], [expected[inFlight + 1]!], 20_000);
    const newCtx = await sharedGpu();
    const oldTracker = ctx.tracker.snapshot();
    const statsAfter = s.gpuStats()!;
    s.release();
    return {
      cpuClose,
      inFlight: inFlightOutcomes,
      after: after[0]!,
      afterTwice: afterTwice[0]!,
      recoveries: s.deviceRecoveries,
      oldLost: ctx.lost,
      newDevice: newCtx !== ctx && !newCtx.lost,
      liveBefore: before.liveBuffers,
      // The old device's buffers are all destroyed (released by recovery or by release()).
      oldLiveAfterRelease: oldTracker.liveBuffers,
      oldLiveNow: ctx.tracker.snapshot().liveBuffers,
      newLiveWhileOpen: statsAfter.liveBuffers,
      newLiveAfterRelease: newCtx.tracker.snapshot().liveBuffers,
    };
  },

  /** Caller-owned device: loss is always a typed error (Tessera cannot replace the caller's device). */
  async callerDeviceLoss() {
    const adapter = await navigator.gpu.requestAdapter();
    const device = await adapter!.requestDevice();
    const s = await Session.create(tinyGraph(2), { backend: 'webgpu', device, onDeviceLost: 'recover' });
    const x = input(7);
    const ok = only(await s.run({ x }));
    const flying = [s.run({ x }).then(only), s.run({ x }).then(only)];
    device.destroy();
    const inFlight = await settleAll(flying, [ok, ok], 20_000);
    const after = await settleAll([s.run({ x }).then(only)], [ok], 20_000);
    s.release();
    return { inFlight, after: after[0]!, recoveries: s.deviceRecoveries };
  },

  /** Two sessions on the shared device both recover from one loss, onto ONE new device. */
  async twoSessionsRecover() {
    const a = await Session.create(tinyGraph(3), { backend: 'webgpu' });
    const b = await Session.create(tinyGraph(4), { backend: 'webgpu' });
    const x = input(9);
    const ea = only(await a.run({ x }));
    const eb = only(await b.run({ x }));
    (await sharedGpu()).device.destroy();
    const [ra, rb] = await Promise.all([a.run({ x }).then(only), b.run({ x }).then(only)]);
    const same = sameBits(ra, ea) && sameBits(rb, eb);
    const shared = JSON.stringify(a.gpuStats()) === JSON.stringify(b.gpuStats()) && JSON.stringify(a.gpuStats()) === JSON.stringify((await sharedGpu()).tracker.snapshot());
    a.release();
    b.release();
    return { same, shared, recoveries: [a.deviceRecoveries, b.deviceRecoveries], liveAfter: (await sharedGpu()).tracker.snapshot().liveBuffers };
  },

  /** `cycles` create/run/release cycles: live buffers and bytes of the shared device before and after. */
  async createReleaseCycles(cycles: number) {
    const graph = tinyGraph(5);
    const ctx = await sharedGpu();
    const x = input(11);
    const t0 = performance.now();
    // Warm-up cycle: pipelines compile once per device and stay cached (they are not buffers).
    const warm = await Session.create(graph, { backend: 'webgpu' });
    const expected = only(await warm.run({ x }));
    warm.release();
    const before = ctx.tracker.snapshot();
    let same = true;
    let peakLive = 0;
    for (let i = 0; i < cycles; i++) {
      const s = await Session.create(graph, { backend: 'webgpu' });
      same &&= sameBits(only(await s.run({ x })), expected);
      peakLive = Math.max(peakLive, ctx.tracker.liveBuffers);
      s.release();
    }
    const after = ctx.tracker.snapshot();
    return { before, after, same, peakLive, ms: performance.now() - t0, lost: ctx.lost };
  },

  /** `runs` runs on one session (alternating inputs): live buffers/bytes and objects created, before and after. */
  async manyRuns(runs: number) {
    const s = await Session.create(tinyGraph(6), { backend: 'webgpu' });
    const xs = [input(21), input(22), input(23)];
    const expected = [];
    for (const x of xs) expected.push(only(await s.run({ x })));
    const before = s.gpuStats()!;
    const t0 = performance.now();
    let same = true;
    for (let i = 0; i < runs; i++) same &&= sameBits(only(await s.run({ x: xs[i % 3]! })), expected[i % 3]!);
    const ms = performance.now() - t0;
    const after = s.gpuStats()!;
    s.release();
    const ctx = await sharedGpu();
    return { before, after, same, ms, liveAfterRelease: ctx.tracker.liveBuffers };
  },

  /** `n` overlapping runs with different inputs vs the same inputs run one at a time. */
  async overlapping(n: number) {
    const s = await Session.create(tinyGraph(7), { backend: 'webgpu' });
    const xs = Array.from({ length: n }, (_, i) => input(300 + i));
    const sequential: Float32Array[] = [];
    for (const x of xs) sequential.push(only(await s.run({ x })));
    const concurrent = await Promise.all(xs.map((x) => s.run({ x }).then(only)));
    const sameAll = concurrent.map((c, i) => sameBits(c, sequential[i]!));
    // Inputs differ, so outputs must too (a run returning another run's result would be caught above).
    const distinct = new Set(sequential.map((v) => Array.from(v).join(','))).size;
    s.release();
    return { sameAll, distinct };
  },

  /**
   * A new batch size hit by many runs at once builds ONE executor (no orphaned buffers), and LRU eviction
   * (maxShapeVariants 1) with runs in flight on the evicted executor completes them correctly.
   */
  async concurrentShapes() {
    const ctx = await sharedGpu();
    const base = ctx.tracker.liveBuffers;
    const s = await Session.create(tinyGraph(8), { backend: 'webgpu', maxShapeVariants: 1 });
    const cpu = await Session.create(tinyGraph(8), { backend: 'cpu' });
    const feeds = Array.from({ length: 12 }, (_, i) => {
      const batch = 1 + (i % 3);
      return { x: { dtype: 'f32' as const, shape: [batch, 3, 9, 9], data: input(400 + i, batch) } };
    });
    const gpu = await Promise.all(feeds.map((f) => s.run(f).then(only)));
    let worst = 0;
    for (let i = 0; i < feeds.length; i++) {
      const c = only(await cpu.run(feeds[i]!));
      for (let k = 0; k < c.length; k++) worst = Math.max(worst, Math.abs(c[k]! - gpu[i]![k]!));
      if (c.length !== gpu[i]!.length) worst = Infinity;
    }
    s.release();
    return { worst, leaked: ctx.tracker.liveBuffers - base };
  },

  /** Two sessions on one caller-provided device, runs interleaved and all in flight together, vs sequential runs. */
  async twoSessionsInterleaved(rounds: number) {
    const adapter = await navigator.gpu.requestAdapter();
    const device = await adapter!.requestDevice();
    const a = await Session.create(tinyGraph(9), { backend: 'webgpu', device });
    const b = await Session.create(tinyGraph(10), { backend: 'webgpu', device });
    const xa = Array.from({ length: rounds }, (_, i) => input(500 + i));
    const xb = Array.from({ length: rounds }, (_, i) => input(600 + i));
    const seqA: Float32Array[] = [];
    const seqB: Float32Array[] = [];
    for (const x of xa) seqA.push(only(await a.run({ x })));
    for (const x of xb) seqB.push(only(await b.run({ x })));
    const pending: Promise<Float32Array>[] = [];
    for (let i = 0; i < rounds; i++) pending.push(a.run({ x: xa[i]! }).then(only), b.run({ x: xb[i]! }).then(only));
    const got = await Promise.all(pending);
    let same = true;
    for (let i = 0; i < rounds; i++) same &&= sameBits(got[2 * i]!, seqA[i]!) && sameBits(got[2 * i + 1]!, seqB[i]!);
    const differ = !sameBits(seqA[0]!, seqB[0]!);
    a.release();
    b.release();
    device.destroy();
    return { same, differ };
  },

  /** Bad feeds: each attempt's error (name: message) or 'ok'. */
  async badInputs() {
    const s = await Session.create(tinyGraph(11), { backend: 'webgpu' });
    const attempt = async (feeds: unknown): Promise<string> => {
      try {
        await s.run(feeds as Record<string, Float32Array>);
        return 'ok';
      } catch (e) {
        return describe(e);
      }
    };
    const detached = new Float32Array(ITEM);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    const detachedTensor = new Float32Array(ITEM);
    structuredClone(detachedTensor.buffer, { transfer: [detachedTensor.buffer] });
    const r: Record<string, string> = {
      wrongLength: await attempt({ x: new Float32Array(ITEM + 1) }),
      wrongShape: await attempt({ x: { dtype: 'f32', shape: [1, 3, 9, 8], data: new Float32Array(216) } }),
      wrongRank: await attempt({ x: { dtype: 'f32', shape: [3, 9, 9], data: new Float32Array(ITEM) } }),
      wrongDtype: await attempt({ x: { dtype: 'i32', shape: [1, 3, 9, 9], data: new Int32Array(ITEM) } }),
      f64Array: await attempt({ x: new Float64Array(ITEM) }),
      zeroBatch: await attempt({ x: { dtype: 'f32', shape: [0, 3, 9, 9], data: new Float32Array(0) } }),
      shapeNotArray: await attempt({ x: { dtype: 'f32', shape: '1,3,9,9', data: new Float32Array(ITEM) } }),
      detachedArray: await attempt({ x: detached }),
      detachedTensor: await attempt({ x: { dtype: 'f32', shape: [1, 3, 9, 9], data: detachedTensor } }),
      nullFeeds: await attempt(null),
    };
    // Detached after run() was called (the caller transfers the buffer while the run is queued): the feed was
    // checked and copied to the GPU queue synchronously or the run fails with a typed error; never a crash or hang.
    const late = new Float32Array(ITEM).fill(0.25);
    const reference = only(await s.run({ x: new Float32Array(ITEM).fill(0.25) }));
    const p = s.run({ x: late }).then(only);
    structuredClone(late.buffer, { transfer: [late.buffer] });
    const lateOutcome = await settleAll([p], [reference], 20_000);
    // Reused: the caller overwrites its array right after run() (e.g. the next video frame) while runs are queued.
    const frame = new Float32Array(ITEM).fill(0.25);
    const queued = [s.run({ x: frame }).then(only), s.run({ x: frame }).then(only)];
    frame.fill(-3);
    const reusedOutcome = await settleAll(queued, [reference, reference], 20_000);
    // The session still works after all of that.
    const still = only(await s.run({ x: new Float32Array(ITEM).fill(0.25) }));
    s.release();
    return { errors: r, late: lateOutcome[0]!, reused: reusedOutcome, stillWorks: sameBits(still, reference) };
  },

  /**
   * NaN / ±Inf inputs on an elementwise + matmul graph, WebGPU vs the CPU reference: every output element is NaN
   * where the reference is NaN, the same infinity where it is infinite, and close elsewhere.
   */
  async nonFinite() {
    const b = new GraphBuilder();
    b.input('x', 'f32', [4, 6]);
    b.init('w', tensorF32([6, 5], randomValues(30, 3)));
    b.init('k', tensorF32([1, 6], [2, -1, 0.5, 3, -2, 1]));
    const m = b.node('Mul', ['x', 'k'], {}, 'scale');
    const a = b.node('Add', [m, 'x'], {}, 'add');
    const mm = b.node('MatMul', [a, 'w'], {}, 'mm');
    b.output(a);
    b.output(mm);
    const graph = b.build();
    const x = randomF32(24, 5, -1, 1);
    x[1] = NaN;
    x[8] = Infinity;
    x[15] = -Infinity;
    x[20] = NaN;
    x[21] = Infinity; // row 3 has NaN and +Inf
    const gpu = await Session.create(graph, { backend: 'webgpu' });
    const cpu = await Session.create(graph, { backend: 'cpu' });
    const g = await gpu.run({ x });
    const c = await cpu.run({ x });
    const report: Record<string, { mismatches: number; nonFinite: number; n: number }> = {};
    for (const name of Object.keys(c)) {
      const gv = g[name]!.data as Float32Array;
      const cv = c[name]!.data as Float32Array;
      let mismatches = 0;
      let nonFinite = 0;
      for (let i = 0; i < cv.length; i++) {
        const want = cv[i]!;
        const got = gv[i]!;
        if (!Number.isFinite(want)) nonFinite++;
        const ok = Number.isNaN(want) ? Number.isNaN(got) : !Number.isFinite(want) ? got === want : Math.abs(got - want) <= 1e-4 * (1 + Math.abs(want));
        if (!ok) mismatches++;
      }
      report[name] = { mismatches, nonFinite, n: cv.length };
    }
    gpu.release();
    return report;
  },
};

(globalThis as unknown as { rel: typeof rel }).rel = rel;
export type Rel = typeof rel;
