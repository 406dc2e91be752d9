/**
 * The worker pool of the threaded WASM backend: `nthreads - 1` workers (worker_threads in Node, Workers made from a
 * Blob in browsers, so bundlers need no extra file), each with its own instance of the kernel module on the ONE
 * shared WebAssembly.Memory. Between runs a worker sleeps in Atomics.wait on the epoch word; `wake()` bumps the epoch
 * and the calling thread then runs the program too. Inside a run the threads claim each node's work items
 * (kernels/program.c), so JS is involved once per segment, not once per node, and the caller never waits for a
 * worker that holds no work (a descheduled worker just finds the run over when it wakes).
 *
 * Control block (Int32 words at `ctl`): [0] epoch, [1] program, [2] instruction count, [4] quit, [7] abort (a
 * worker failed: every thread leaves the program; the run throws WasmThreadError with the worker's message); then
 * one 64-byte word per thread that its wait loop writes (kernels/program.c).
 */
export const CTL_WORDS = 8;
const CTL_ABORT = 7;
/** Bytes of the control block for `nthreads` threads. */
export const ctlBytes = (nthreads: number) => 64 * (nthreads + 1);

export class WasmThreadError extends Error {
  override name = 'WasmThreadError';
}

const WORKER_SOURCE = `
const start = async (d, post) => {
  const inst = await WebAssembly.instantiate(d.module, { env: { memory: d.memory } });
  const ex = inst.exports;
  ex.__stack_pointer.value = d.stackTop;
  const ctl = new Int32Array(d.memory.buffer, d.ctl, ${CTL_WORDS});
  post('ready');
  let epoch = 0;
  for (;;) {
    Atomics.wait(ctl, 0, epoch);
    if (Atomics.load(ctl, 4)) return;
    epoch = Atomics.load(ctl, 0);
    try {
      ex.run(ctl[1], ctl[2], d.tid, d.nthreads, d.ctl, epoch, 1);
    } catch (e) {
      Atomics.store(ctl, ${CTL_ABORT}, 1);
      post({ error: String(e && e.stack || e) });
    }
  }
};
if (typeof self !== 'undefined' && typeof self.postMessage === 'function' && typeof require === 'undefined') {
  self.onmessage = (e) => start(e.data, (m) => self.postMessage(m));
} else {
  const { parentPort } = require('node:worker_threads');
  parentPort.once('message', (d) => start(d, (m) => parentPort.postMessage(m)));
}
`;

interface AnyWorker {
  terminate(): unknown;
}

export interface PoolSpec {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctl: number;
  nthreads: number;
  /** Stack top (byte address) of worker `tid` (1-based thread ids). */
  stackTop(tid: number): number;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/**
 * A worker started but not yet told its module and memory (it waits for that one message). Spawned ahead by
 * `prespawnWorkers` so that the thread start-up (Chromium: a thread, an isolate, the script; tens of ms on a
 * loaded 2-core machine) overlaps the model's import and graph passes instead of following the weight packing.
 */
interface SpareWorker {
  worker: AnyWorker;
  /** Sends the init message; resolves when the worker has instantiated the module and waits on the epoch word. */
  init(data: object, onFailure: (message: string) => void): Promise<void>;
}

const spares: SpareWorker[] = [];
/** Spawns under way (counted against the cap before they arrive). */
let spawning = 0;
const MAX_SPARES = 16;

async function spawnWorker(): Promise<SpareWorker> {
  if (isNode) {
    const WT = 'node:worker_threads';
    const { Worker } = (await import(/* @vite-ignore */ WT)) as typeof import('node:worker_threads');
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    const failed = new Promise<never>((_, reject) => w.once('error', reject));
    failed.catch(() => undefined); // observed by init's race
    return {
      worker: w,
      init: (data) => {
        const ready = new Promise<void>((resolve) => w.once('message', () => resolve()));
        w.postMessage(data);
        return Promise.race([ready, failed]);
      },
    };
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const w = new Worker(url);
  URL.revokeObjectURL(url);
  let fail: (e: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);
  w.onerror = (e) => fail(new Error(`WASM worker failed: ${e.message}`));
  return {
    worker: w,
    init: (data, onFailure) => {
      const ready = new Promise<void>((resolve) => {
        w.onmessage = (e: MessageEvent) => (e.data?.error ? onFailure(String(e.data.error)) : resolve());
      });
      w.postMessage(data);
      return Promise.race([ready, failed]);
    },
  };
}

/**
 * Starts workers for a coming threaded executor (`count`: how many it will take, nthreads - 1) so that they are up
 * by the time its memory exists. Best effort: a failure here only means ThreadPool.start spawns (and reports) anew.
 */
export function prespawnWorkers(count: number): void {
  const missing = Math.min(count, MAX_SPARES) - spares.length - spawning;
  for (let i = 0; i < missing; i++) {
    spawning++;
    void spawnWorker()
      .then(
        (w) => spares.push(w),
        () => undefined,
      )
      .finally(() => spawning--);
  }
}

/** How many prespawned workers are up and unclaimed (tests). */
export function spareWorkers(): number {
  return spares.length;
}

/** A prespawned worker if one is up, else a new one. */
async function takeWorker(): Promise<SpareWorker> {
  return spares.shift() ?? spawnWorker();
}

export class ThreadPool {
  /** The first failure a worker reported (its message, for WasmThreadError). */
  failure?: string;

  private constructor(
    private readonly workers: AnyWorker[],
    private readonly ctl: Int32Array,
    readonly nthreads: number,
  ) {}

  static async start(spec: PoolSpec): Promise<ThreadPool> {
    const ctl = new Int32Array(spec.memory.buffer, spec.ctl, CTL_WORDS);
    const workers: AnyWorker[] = [];
    const ready: Promise<void>[] = [];
    const pool = new ThreadPool(workers, ctl, spec.nthreads);
    try {
      for (let tid = 1; tid < spec.nthreads; tid++) {
        const spare = await takeWorker();
        workers.push(spare.worker);
        const data = { module: spec.module, memory: spec.memory, ctl: spec.ctl, tid, nthreads: spec.nthreads, stackTop: spec.stackTop(tid) };
        ready.push(spare.init(data, (message) => (pool.failure = message)));
      }
      await Promise.all(ready);
    } catch (e) {
      pool.terminate();
      throw new WasmThreadError(`a WASM worker failed to start: ${(e as Error).message}`);
    }
    return pool;
  }

  /** The epoch the next `wake` starts (the program's counters must carry it as their tag). */
  nextEpoch(): number {
    return (Atomics.load(this.ctl, 0) + 1) | 0;
  }

  /** Wakes the workers on program `prog` (count instructions) for epoch `nextEpoch()`; the caller runs it too. */
  wake(prog: number, count: number): void {
    const c = this.ctl;
    c[1] = prog;
    c[2] = count;
    Atomics.add(c, 0, 1);
    Atomics.notify(c, 0);
  }

  /** Throws WasmThreadError when a worker failed during the last run (the run stopped early). */
  check(): void {
    if (Atomics.load(this.ctl, CTL_ABORT)) throw new WasmThreadError(`a WASM worker thread failed: ${this.failure ?? 'trap (details arrive asynchronously)'}`);
  }

  terminate(): void {
    Atomics.store(this.ctl, 4, 1);
    Atomics.add(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
    for (const w of this.workers) void w.terminate();
  }
}
