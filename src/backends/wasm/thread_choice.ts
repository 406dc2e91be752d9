/**
 * Whether a run of a threaded WASM executor uses its worker pool or the calling thread alone, chosen by measurement.
 *
 * Why: on a small model (ResNet-20: ~20 nodes of a few hundred microseconds) the threads meet at every node, and a
 * worker that the OS deschedules while it holds a work item stalls the caller for a time slice. On a machine whose
 * cores are shared (2 cores here, with the browser's own threads), two threads then run ResNet-20 slower than one
 * (bench: median 2.5 ms on 2 threads vs 1.95 ms on 1), while on a quiet or larger machine they are faster (1.3 ms).
 * Neither a fixed rule nor the model size decides it, so the executor measures: after the first (cold) run and a few
 * warm-up runs it alternates the two modes a few times, then runs the faster one and re-measures the other now and
 * then, so a change of load is noticed (exploring stops early when one mode is clearly slower). "Faster" is the median
 * of each mode's last few runs: on this shared 2-core VM the second core is sometimes taken for seconds at a time
 * (invisible to the guest: no steal time), and the pool then runs fast one run and 2x slower the next; deciding on
 * each mode's fastest run kept such a pool (MobileNetV3-small in a page: a median of 7.3 ms on the pool, whose fastest
 * run was 3.6 ms, against 5.6 ms on one thread). Runs slower than
 * `POOL_ALWAYS_MS` on the pool never try the single thread: there the per-node meeting costs are noise and the pool
 * wins by the thread count.
 *
 * Why the warm-up runs are not measured: the engine compiles the kernels' optimised code in the background during the
 * first runs (V8: Liftoff first, TurboFan for hot functions), and on a 2-core machine that compile thread takes a
 * core from the pool, not from the single thread. Chromium, bench run 13: MobileNetV3-small's first pool run took
 * 14.3 ms against 6.7 ms single, SqueezeNet's 29.7 against 17.6, so both kept the single thread, while warm they run
 * 3.8 vs 5.9 ms and 9.0 vs 15.9 ms on the pool.
 */
export type ThreadMode = 'pool' | 'single';

/** Runs after the cold run that use the pool and are not measured (the engine is still tiering up its code). */
const WARMUP_RUNS = 3;
/** Runs per mode while exploring, right after the warm-up. */
const EXPLORE_PER_MODE = 3;
/** Samples kept per mode (their median decides). */
const WINDOW = 5;
/** After exploring, one run of the other mode every this many runs. */
const PROBE_EVERY = 24;
/** How many times slower every run of one mode must be to end exploring early. */
const CLEAR_WIN = 1.5;
/** A pool run this slow (median) means threads pay whatever the node count: stop measuring the single thread. */
const POOL_ALWAYS_MS = 15;

export interface ThreadChoiceReport {
  /** The mode the next runs use. */
  mode: ThreadMode;
  /** The median of each mode's recent runs, ms (undefined: not measured yet): what the choice compares. */
  poolMs?: number;
  singleMs?: number;
  runs: number;
}

/**
 * The pool must beat the single thread by this factor to be chosen: where the two are close (ResNet-20: ~2.0 vs
 * ~1.7–2.6 ms in a page) the single thread has no worker to wait for, so none of the pool's multi-ms stalls when a
 * worker is descheduled (bench run 16: 4.5, 7.4, 5.0 ms runs among 2.1 ms ones moved the median to 0.85x ORT-web).
 */
const POOL_MARGIN = 1.1;

const median = (xs: readonly number[]): number | undefined => {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export class ThreadChoice {
  private runs = 0;
  private readonly samples: Record<ThreadMode, number[]> = { pool: [], single: [] };
  private best: ThreadMode = 'pool';

  /** `adaptive` false: always the pool (the caller asked for exactly its thread count). */
  constructor(private readonly adaptive: boolean) {}

  /** The mode of the next run. */
  next(): ThreadMode {
    if (!this.adaptive || this.runs <= WARMUP_RUNS) return 'pool';
    const poolMs = median(this.samples.pool);
    if (poolMs !== undefined && poolMs > POOL_ALWAYS_MS && this.samples.pool.length >= EXPLORE_PER_MODE) return 'pool';
    const k = this.runs - 1 - WARMUP_RUNS;
    if (k < 2 * EXPLORE_PER_MODE && !this.clearWinner()) return k % 2 === 0 ? 'single' : 'pool';
    const other: ThreadMode = this.best === 'pool' ? 'single' : 'pool';
    return k % PROBE_EVERY === 0 ? other : this.best;
  }

  /**
   * Exploring ends early once one mode's every run (two at least) is CLEAR_WIN times slower than the other's slowest:
   * SqueezeNet's single-thread runs took 2× its pool runs, and three of them in the first twenty runs moved the
   * bench's median. One run each is not enough: a single slow run (a page fault storm, a late compile) decided it.
   */
  private clearWinner(): boolean {
    const { pool, single } = this.samples;
    if (pool.length < 2 || single.length < 2) return false;
    return Math.min(...single) > CLEAR_WIN * Math.max(...pool) || Math.min(...pool) > CLEAR_WIN * Math.max(...single);
  }

  /** Records how long a run of `mode` took (ms, the program only); the cold run and the warm-up runs are ignored. */
  record(mode: ThreadMode, ms: number): void {
    this.runs++;
    if (!this.adaptive || this.runs <= 1 + WARMUP_RUNS) return;
    const w = this.samples[mode];
    w.push(ms);
    if (w.length > WINDOW) w.shift();
    // The median of each mode's recent runs: what a caller's typical run costs. The fastest run (used before) is what
    // a mode can do, not what it does: a pool whose second core comes and goes has fast runs among 2x slower ones.
    // Explored runs that still carry the engine's warm-up (ResNet-20's single runs 2.9, 4.5, 2.5 ms while exploring,
    // 1.7 ms once warm) leave the window as re-measurements come in.
    const p = median(this.samples.pool);
    const s = median(this.samples.single);
    if (p !== undefined && s !== undefined) this.best = p * POOL_MARGIN < s ? 'pool' : 'single';
  }

  report(): ThreadChoiceReport {
    const poolMs = median(this.samples.pool);
    const singleMs = median(this.samples.single);
    return { mode: this.next(), runs: this.runs, ...(poolMs !== undefined ? { poolMs } : {}), ...(singleMs !== undefined ? { singleMs } : {}) };
  }
}
