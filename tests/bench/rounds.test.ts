import { describe, expect, it } from 'vitest';
import { mergeRounds } from '../../bench/rounds.js';
import type { JobResult } from '../../bench/page_types.js';

const job = (runsMs: number[], coldMs: number, output: number[], extra: Partial<JobResult> = {}): JobResult => ({
  runtime: 'tessera-wasm',
  ok: true,
  runsMs,
  warmupRunsMs: [runsMs[0]! * 2],
  medianMs: [...runsMs].sort((a, b) => a - b)[runsMs.length >> 1],
  coldMs,
  createMs: coldMs - 10,
  firstRunMs: 10,
  output,
  outputShape: [output.length],
  notes: ['threads: 2'],
  ...extra,
});
const err = (o: number[]) => Math.abs(o[0]! - 1);

describe('mergeRounds', () => {
  it('pools the timed runs: one slow round does not set the median', () => {
    const m = mergeRounds([job([10, 11, 10], 300, [1]), job([17, 18, 17], 500, [1]), job([10, 10, 11], 280, [1])], err);
    expect(m.runsMs).toEqual([10, 11, 10, 17, 18, 17, 10, 10, 11]);
    expect(m.medianMs).toBe(11);
    expect(m.warmupRunsMs).toEqual([20, 34, 20]);
    expect(m.coldMs).toBe(300);
    expect(m.createMs).toBe(290);
    expect(m.rounds?.map((r) => r.medianMs)).toEqual([10, 17, 10]);
    expect(m.rounds?.map((r) => r.warmupRuns)).toEqual([1, 1, 1]);
    expect(m.notes).toEqual(['threads: 2']);
  });

  it('keeps the output furthest from the reference, and fails when any round failed', () => {
    expect(mergeRounds([job([1], 1, [1]), job([1], 1, [1.5]), job([1], 1, [1.1])], err).output).toEqual([1.5]);
    const bad = mergeRounds([job([1], 1, [1]), { runtime: 'tessera-wasm', ok: false, error: 'boom' }], err);
    expect(bad.ok).toBe(false);
    expect(bad.error).toBe('round 2 of 2: boom');
    expect(bad.rounds).toHaveLength(2);
  });

  it('one round is the job itself; none is an error', () => {
    const one = job([3, 4], 9, [1]);
    expect(mergeRounds([one], err)).toBe(one);
    expect(() => mergeRounds([], err)).toThrow(RangeError);
  });
});
