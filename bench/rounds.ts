/**
 * `--rounds N`: every runtime runs N jobs per model, in round-robin order (all runtimes once, then again), and its
 * figures are merged here. On a shared machine a slow stretch lasts seconds (docs/performance.md, WASM runs 27+): with
 * one job per runtime it can fall on one runtime's job and not on the other's, and the ratio between them then
 * measures the machine, not the runtimes. Interleaved rounds spread such stretches over every runtime.
 */
import type { JobResult } from './page_types.js';
import { median } from './page_util.js';

/** One round's figures, kept in the merged result (the bench's JSON). */
export interface RoundFigures {
  ok: boolean;
  error?: string;
  coldMs?: number;
  medianMs?: number;
  reps?: number;
  /** Warm-up runs of the round (the pooled warmupRunsMs holds them in round order). */
  warmupRuns?: number;
  threadMode?: string;
}

export type MergedJobResult = JobResult & { rounds?: RoundFigures[] };

const medianOf = (xs: (number | undefined)[]): number | undefined => {
  const v = xs.filter((x): x is number => x !== undefined);
  return v.length ? median(v) : undefined;
};

/**
 * Merges one runtime's jobs of the rounds (in order): timed runs and warm-up runs concatenated, the median over all
 * timed runs, cold start and its parts as the median over the rounds, the output of the round that is furthest from
 * the reference (`error`: e.g. rel L2 vs PyTorch), so a round that went wrong is not hidden. Any failed round fails the
 * merge (with its error). Everything else comes from the last round.
 */
export function mergeRounds(jobs: JobResult[], error: (output: number[]) => number): MergedJobResult {
  if (!jobs.length) throw new RangeError('mergeRounds needs at least one job');
  if (jobs.length === 1) return jobs[0]!;
  const rounds: RoundFigures[] = jobs.map((j) => ({
    ok: j.ok,
    ...(j.error ? { error: j.error } : {}),
    coldMs: j.coldMs,
    medianMs: j.medianMs,
    reps: j.runsMs?.length,
    warmupRuns: j.warmupRunsMs?.length ?? 0,
    ...(j.wasm?.threadChoice ? { threadMode: j.wasm.threadChoice.mode } : {}),
  }));
  const failed = jobs.find((j) => !j.ok);
  if (failed) return { ...failed, error: `round ${jobs.indexOf(failed) + 1} of ${jobs.length}: ${failed.error}`, rounds };
  const last = jobs[jobs.length - 1]!;
  const runsMs = jobs.flatMap((j) => j.runsMs ?? []);
  const warmupRunsMs = jobs.flatMap((j) => j.warmupRunsMs ?? []);
  const withOutput = jobs.filter((j) => j.output);
  const worst = withOutput.length ? withOutput.reduce((a, b) => (error(b.output!) > error(a.output!) ? b : a)) : last;
  return {
    ...last,
    runsMs,
    warmupRunsMs,
    medianMs: runsMs.length ? median(runsMs) : undefined,
    coldMs: medianOf(jobs.map((j) => j.coldMs)),
    createMs: medianOf(jobs.map((j) => j.createMs)),
    firstRunMs: medianOf(jobs.map((j) => j.firstRunMs)),
    output: worst.output,
    outputShape: worst.outputShape,
    notes: [...new Set(jobs.flatMap((j) => j.notes ?? []))],
    rounds,
  };
}
