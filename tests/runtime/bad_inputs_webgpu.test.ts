/**
 * Bad inputs to Session.run on WebGPU (Chromium): wrong length / shape / rank / dtype, zero batch, detached
 * ArrayBuffers end in InputError naming the input, never a crash or a hang,
 * and the session keeps working. Arrays detached or overwritten after run() was called do not affect that run. NaN / ±Inf inputs are not errors: they propagate like the CPU reference (IEEE).
 */
import { describe, expect, it } from 'vitest';
import { useReliabilityPage } from './reliability_page.js';

const rel = useReliabilityPage();

describe('bad inputs (WebGPU session)', () => {
  it('wrong length, shape, rank, dtype, zero batch and detached buffers: InputError naming the input', async () => {
    const r = await rel('badInputs');
    console.log(JSON.stringify(r, null, 1));
    const { nullFeeds, ...named } = r.errors;
    expect(nullFeeds).toMatch(/^InputError: run\(\) takes an object/);
    for (const [what, e] of Object.entries(named)) expect(e, what).toMatch(/^InputError: input 'x': /);
    expect(r.errors.wrongLength).toContain('244 values');
    expect(r.errors.wrongShape).toContain('[1, 3, 9, 8]');
    expect(r.errors.wrongRank).toContain('[3, 9, 9]');
    expect(r.errors.wrongDtype).toContain('dtype i32');
    expect(r.errors.detachedArray).toContain('detached');
    expect(r.errors.detachedTensor).toContain('detached');
    // Detached or overwritten after run() was called: run() snapshots its inputs, so queued runs see the values
    // passed at call time.
    expect(r.late).toEqual({ state: 'fulfilled', same: true });
    expect(r.reused).toEqual([
      { state: 'fulfilled', same: true },
      { state: 'fulfilled', same: true },
    ]);
    expect(r.stillWorks).toBe(true);
  });

  it('NaN and ±Inf inputs propagate like the CPU reference (no error)', async () => {
    const r = await rel('nonFinite');
    console.log(JSON.stringify(r));
    expect(Object.keys(r).sort()).toEqual(['add_out', 'mm_out']);
    for (const [name, v] of Object.entries(r)) {
      expect(v.mismatches, name).toBe(0);
      expect(v.nonFinite, name).toBeGreaterThan(0);
    }
    // Rows holding NaN or Inf poison whole MatMul rows: 4 rows x 5 columns, all non-finite.
    expect(r['mm_out']!.nonFinite).toBe(20);
  });
});
