/**
 * Concurrency (Chromium, SwiftShader): overlapping run() calls on one session, new input shapes hit by many runs at
 * once (with LRU eviction of executors that still have runs in flight), and two sessions on one device with their
 * runs interleaved all return exactly (bit for bit) what the same runs return one at a time.
 */
import { describe, expect, it } from 'vitest';
import { useReliabilityPage } from './reliability_page.js';

const rel = useReliabilityPage();

describe('concurrent runs', () => {
  it('16 overlapping run() calls with different inputs match sequential runs exactly', async () => {
    const r = await rel('overlapping', 16);
    expect(r.sameAll).toEqual(new Array(16).fill(true));
    expect(r.distinct).toBe(16);
  });

  it('two sessions on one device, runs interleaved and in flight together, match sequential runs exactly', async () => {
    const r = await rel('twoSessionsInterleaved', 8);
    expect(r.differ).toBe(true);
    expect(r.same).toBe(true);
  });

  it('concurrent runs of new batch sizes (maxShapeVariants 1: evictions mid-flight) are correct and leak nothing', async () => {
    const r = await rel('concurrentShapes');
    expect(r.worst).toBeLessThan(1e-4);
    expect(r.leaked).toBe(0);
  });
});
