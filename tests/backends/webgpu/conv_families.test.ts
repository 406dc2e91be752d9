/**
 * Conv kernels vs the CPU reference in Chromium: 200 seeded random cases per family (regular 2-D, 1×1, grouped,
 * depthwise, 3-D), small shapes, all cases of a family in one page.evaluate. Each case runs whatever kernel the
 * executor selects (the test stays valid as kernel variants are added); the variants seen are printed per family.
 * Odd channel counts (3, 7, 37...), asymmetric pads, strides, dilations, fused epilogues (bias, activation,
 * residual) and runtime (non-constant) weights are drawn at random.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { failures, runCases, startTestBrowser, type CaseResult } from '../../harness/browser.js';
import { perFile } from '../../harness/per_file.js';
import { mulberry32 } from '../../harness/rng.js';
import { FAMILIES } from '../../harness/conv_cases.js';

const CASES_PER_FAMILY = 200;

const session = perFile(startTestBrowser);

const seen: string[] = [];
afterAll(() => console.log(seen.join('\n')));

function variantCounts(results: CaseResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const res of results) for (const k of res.kernels) counts[k] = (counts[k] ?? 0) + 1;
  return counts;
}

describe(`conv families vs CPU reference (${CASES_PER_FAMILY} seeded cases each, Chromium)`, () => {
  for (const [family, make, seed] of FAMILIES) {
    it(family, async () => {
      const r = mulberry32(seed);
      const cases = Array.from({ length: CASES_PER_FAMILY }, (_, i) => make(r, i));
      const results = await runCases(session(), cases);
      expect(results).toHaveLength(CASES_PER_FAMILY);
      expect(failures(results)).toEqual([]);
      // One conv dispatch per case, whatever variant the executor chose.
      for (const res of results) expect(res.kernels.length, res.label).toBeGreaterThanOrEqual(1);
      const counts = variantCounts(results);
      seen.push(`${family.padEnd(10)} ${JSON.stringify(counts)}`);
      if (family === 'conv3d') expect(Object.keys(counts).every((k) => k.startsWith('conv3d'))).toBe(true);
      else expect(Object.keys(counts).some((k) => k.startsWith('conv3d'))).toBe(false);
    });
  }
});
