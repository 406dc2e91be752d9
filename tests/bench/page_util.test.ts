import { describe, expect, it } from 'vitest';
import { mergeProfileRuns, timedRuns } from '../../bench/page_util.js';

const run = (wallMs: number, times: (number | null)[], nodes = ['stem', 'dw', 'pw']) => ({
  wallMs,
  rows: times.map((gpuMs, i) => ({ node: nodes[i]!, kernel: `k${i}`, gpuMs })),
});

describe('mergeProfileRuns', () => {
  it('takes each dispatch time as the median over the runs, so one inflated sample does not top the profile', () => {
    const merged = mergeProfileRuns([run(40, [150, 5, 2]), run(30, [16, 6, 9]), run(35, [17, 4, 3])]);
    expect(merged.rows.map((r) => r.gpuMs)).toEqual([17, 5, 3]);
    expect(merged.rows.map((r) => r.kernel)).toEqual(['k0', 'k1', 'k2']);
    expect(merged.wallMs).toBe(35);
  });

  it('keeps null times null and falls back to the first run when the dispatch lists differ', () => {
    expect(mergeProfileRuns([run(1, [1, null, 3]), run(2, [2, 2, 2])]).rows.map((r) => r.gpuMs)).toEqual([1.5, null, 2.5]);
    const first = run(1, [1, 2, 3]);
    expect(mergeProfileRuns([first, run(2, [5, 5, 5], ['stem', 'other', 'pw'])])).toBe(first);
    expect(() => mergeProfileRuns([])).toThrow(/at least one/);
  });
});

describe('timedRuns', () => {
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

  it('warms up for warmupSeconds (times kept apart), then takes the median of the timed runs only', async () => {
    let calls = 0;
    // The first runs are slow, as an engine's baseline code is: the warm-up must absorb them.
    const once = async () => sleep(calls++ < 3 ? 40 : 2);
    const t = await timedRuns({ reps: 5, minReps: 3, maxSeconds: 10, warmupSeconds: 0.15 }, once);
    expect(t.warmupRunsMs.length).toBeGreaterThanOrEqual(4);
    expect(t.warmupRunsMs.slice(0, 3).every((ms) => ms >= 35)).toBe(true);
    expect(t.runsMs).toHaveLength(5);
    expect(t.runsMs.every((ms) => ms < 35)).toBe(true);
    expect(t.medianMs).toBeLessThan(35);
    expect(calls).toBe(t.warmupRunsMs.length + 5);
  });

  it('without a warm-up the first runs are timed; a warm-up longer than one run still does one run', async () => {
    let calls = 0;
    const none = await timedRuns({ reps: 3, minReps: 3, maxSeconds: 10, warmupSeconds: 0 }, async () => sleep(calls++ === 0 ? 30 : 1));
    expect(none.warmupRunsMs).toEqual([]);
    expect(none.runsMs[0]).toBeGreaterThanOrEqual(25);
    const one = await timedRuns({ reps: 1, minReps: 1, maxSeconds: 10, warmupSeconds: 0.001 }, async () => sleep(5));
    expect(one.warmupRunsMs).toHaveLength(1);
    expect(one.runsMs).toHaveLength(1);
  });
});
