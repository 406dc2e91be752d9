import { describe, expect, it } from 'vitest';
import { mergeProfileRuns } from '../../bench/page_util.js';

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
