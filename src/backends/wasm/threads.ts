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
  const { parentPort, workerData } = require('node:worker_threads');
  start(workerData, (m) => parentPort.postMessage(m));
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
    for (let tid = 1; tid < spec.nthreads; tid++) {
      const data = { module: spec.module, memory: spec.memory, ctl: spec.ctl, tid, nthreads: spec.nthreads, stackTop: spec.stackTop(tid) };
      if (isNode) {
        const WT = 'node:worker_threads';
        const { Worker } = (await import(/* @vite-ignore */ WT)) as typeof import('node:worker_threads');
        const w = new Worker(WORKER_SOURCE, { eval: true, workerData: data });
        w.unref();
        workers.push(w);
        ready.push(
          new Promise((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
          }),
        );
      } else {
        const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
        const w = new Worker(url);
        URL.revokeObjectURL(url);
        workers.push(w);
        ready.push(
          new Promise((resolve, reject) => {
            w.onmessage = (e: MessageEvent) => (e.data?.error ? (pool.failure = e.data.error) : resolve());
            w.onerror = (e) => reject(new Error(`WASM worker failed: ${e.message}`));
          }),
        );
        w.postMessage(data);
      }
    }
    try {
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
