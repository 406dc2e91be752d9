/**
 * Issue 8, item 1 in CI: 5,000 seeded mutations of real models (.tessera and ONNX) through the whole load path
 * (read / import -> validateGraph -> checkGraphLimits -> write + re-read -> CPU run when cheap), each under a
 * watchdog. Every case must end in a correct load or a typed error: no untyped error, no hang, no crash.
 * The full 100,000-case run is `npm run fuzz`.
 */
import { describe, expect, it } from 'vitest';
import { formatTally, runFuzz } from './driver.js';
import type { RunCaps } from './pipeline.js';

const CI_CAPS: RunCaps = { maxElements: 1_000_000, maxMacs: 5_000_000, roundTrip: 'onnx' };
const SEED = 20_250_808;

describe('load-path fuzzer (CI profile)', () => {
  it('5,000 mutated model files: only correct loads or typed errors, no hangs, no crashes', async () => {
    const tally = await runFuzz({ cases: 5000, seed: SEED, profile: 'ci', timeoutMs: 20_000, caps: CI_CAPS });
    console.log(formatTally(tally, SEED));
    expect(tally.cases).toBe(5000);
    expect(tally.examples.untyped).toEqual([]);
    expect(tally.untyped).toBe(0);
    expect(tally.hangs).toBe(0);
    expect(tally.crashes).toBe(0);
    expect(tally.generatorErrors).toBe(0);
    // The mutations must reach every layer: some models still load and run, and each checker rejects some.
    expect(tally.ok).toBeGreaterThan(250);
    expect(tally.ran).toBeGreaterThan(100);
    for (const name of ['FormatError', 'OnnxImportError', 'GraphError', 'LimitError']) expect(tally.typed[name] ?? 0).toBeGreaterThan(10);
  }, 400_000);
});
