/**
 * WASM conv kernels vs the CPU reference (CpuExecutor on the same single-node graph): 200 seeded random shapes per
 * conv family, one per kernel path of src/backends/wasm/lower.ts, each run with 1 and 2 threads (an executor per
 * shape and thread count, released after), relative L2 <= 1e-5; FusedConv with every activation x residual
 * (none / before / after the activation) on each family is in kernels_ops.test.ts (with the other ops: Gemm, pools,
 * element-wise, Concat, BN, ChannelScale), to keep each file within ~60 s on 2 cores (a 2-thread executor spends
 * ~45 ms starting its worker). Every case must lower to WASM kernels (no CPU fallback), and the single-thread run's
 * profile() says which kernel path ran, so a family cannot silently drift onto another path.
 * Every mismatch is collected and printed with its exact shapes and attributes, not only the first.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CONV_FAMILIES, convCase } from './conv_cases.js';
import { checkAll, mulberry32 } from './helpers.js';

const SHAPES_PER_FAMILY = 200;
const TOL = 1e-5;

/**
 * The kernel calls each family lowers to (lower.ts; the first must occur, the others may): stride 1 pads the input first; depthwise has its own kernel;
 * 3x3 stride-1 convs with >= 8 channels each side run Winograd (some of the "padded" family's shapes too).
 */
const EXPECTED_PATHS: Record<string, string[]> = {
  'padded (k x k, stride 1, pads, dilation)': ['pad2d+conv2d', 'pad2d+winograd'],
  'im2col (strided / dilated)': ['conv2d'],
  '1x1 stride 1 no pad': ['conv2d'],
  'depthwise (stride 1/2/3, dilation, pads)': ['depthwise2d'],
  'Winograd (3x3 stride 1, >= 8 channels)': ['pad2d+winograd'],
};

const summary: string[] = [];
afterAll(() => console.log(['WASM conv kernels vs CPU reference (worst rel L2 over 1 and 2 threads)', ...summary].join('\n')));

describe(`WASM conv families vs CPU reference (${SHAPES_PER_FAMILY} seeded shapes each, 1 and 2 threads)`, () => {
  for (const [family, make, seed] of CONV_FAMILIES) {
    it(family, async () => {
      const r = mulberry32(seed);
      const cases = Array.from({ length: SHAPES_PER_FAMILY }, (_, i) => convCase(r, `${family} #${i}`, make(r)));
      const res = await checkAll(cases, { tol: TOL, expectNoFallback: () => true });
      summary.push(`${family.padEnd(44)} ${res.count} shapes  worst ${res.worst.toExponential(2)}  problems ${res.problems.length}  kernels ${JSON.stringify(res.kernels)}`);
      expect(res.count).toBe(SHAPES_PER_FAMILY);
      expect(res.problems, res.problems.slice(0, 20).join('\n')).toEqual([]);
      const paths = Object.keys(res.kernels).sort();
      const expected = EXPECTED_PATHS[family];
      // the family's own path (first) must run; any other must be one the family allows
      if (expected) {
        expect(paths).toContain(expected[0]);
        for (const p of paths) expect(expected).toContain(p);
      } else for (const p of paths) expect(['conv2d', 'depthwise2d', 'pad2d+conv2d', 'pad2d+winograd']).toContain(p);
    });
  }
});
