/**
 * The real-GPU conv variants (conv_select.ts REAL_GPU_CONV_VARIANTS: conv2d_rt4x4, conv2d_rt8x4, conv2d_wgm) against
 * the CPU reference in headless Chromium (SwiftShader), forced on 200 seeded cases of every 2-D conv family of
 * tests/harness/conv_cases.ts (regular, 1x1, grouped, depthwise: odd channel counts, asymmetric pads, strides,
 * dilations, batch 2, fused epilogues and residuals), within 1e-5 relative L2. Each case checks the variant is the
 * kernel that ran. Runtime-weight cases are drawn past (the variants need constant weights). The last block checks
 * that the variants are listed for the autotuner and never the fixed rule's choice (SwiftShader keeps its kernels).
 */
import { describe, expect, it } from 'vitest';
import { useConvPage } from './conv_page.js';
import { failures, runCases, type NodeCase } from '../../harness/browser.js';
import { mulberry32 } from '../../harness/rng.js';
import { FAMILIES } from '../../harness/conv_cases.js';
import { REAL_GPU_CONV_VARIANTS, convVariantsFor, defaultConvVariant, selectConvVariant, type ConvShape } from '../../../src/backends/webgpu/conv_select.js';
import { tunedCandidates } from '../../../src/backends/webgpu/autotune_plan.js';

const CASES_PER_FAMILY = 200;
const TOL = 1e-5;
const page = useConvPage();

/** The kernel name prefix each variant's program carries (conv_gemm.ts). */
const KERNEL_OF: Record<(typeof REAL_GPU_CONV_VARIANTS)[number], RegExp> = {
  conv2d_rt4x4: /^conv2d_rt_4x4/,
  conv2d_rt8x4: /^conv2d_rt_8x4/,
  conv2d_wgm: /^conv2d_wgm_32x32/,
};

/** `count` constant-weight cases of a family (the same seeded stream as conv_families.test.ts, dynamic ones skipped). */
function constantCases(make: (r: () => number, i: number) => NodeCase, seed: number, count: number): NodeCase[] {
  const r = mulberry32(seed);
  const out: NodeCase[] = [];
  for (let i = 0; out.length < count; i++) {
    const c = make(r, i);
    if (c.inputs[1]?.kind === 'const') out.push(c);
  }
  return out;
}

const FAMILIES_2D = FAMILIES.filter(([family]) => family !== 'conv3d');

describe(`real-GPU conv variants vs CPU reference (${CASES_PER_FAMILY} seeded cases per family, rel L2 <= ${TOL})`, () => {
  for (const variant of REAL_GPU_CONV_VARIANTS) {
    for (const [family, make, seed] of FAMILIES_2D) {
      it(`${variant} on ${family}`, async () => {
        const cases = constantCases(make, seed, CASES_PER_FAMILY);
        await page.force(variant);
        const results = await runCases(page.session(), cases).finally(() => page.force(null));
        expect(results).toHaveLength(CASES_PER_FAMILY);
        expect(failures(results, TOL)).toEqual([]);
        for (const res of results) expect(res.kernels.some((k) => KERNEL_OF[variant].test(k)), `${res.label}: ${res.kernels}`).toBe(true);
      });
    }
  }
});

describe('real-GPU conv variants are listed, never the rule', () => {
  const shape = (cin: number, cout: number, hw: number, k: number, stride: number, group = 1): ConvShape => {
    const oh = Math.floor((hw + 2 * (k >> 1) - k) / stride) + 1;
    const p = k >> 1;
    return { n: 1, cin, ih: hw, iw: hw, cout, oh, ow: oh, kh: k, kw: k, sh: stride, sw: stride, dh: 1, dw: 1, pads: [p, p, p, p], group, constWeights: true };
  };
  it.each([
    ['3x3 64@56', shape(64, 64, 56, 3, 1)],
    ['3x3/2 64>128@56', shape(64, 128, 56, 3, 2)],
    ['1x1 256>64@56', shape(256, 64, 56, 1, 1)],
    ['7x7/2 3>64@224', shape(3, 64, 224, 7, 2)],
    ['grouped 3x3 128@28 g32', shape(128, 128, 28, 3, 1, 32)],
    ['depthwise 3x3 32@112', shape(32, 32, 112, 3, 1, 32)],
  ])('%s', (_, s) => {
    for (const v of REAL_GPU_CONV_VARIANTS) {
      expect(convVariantsFor(s)).toContain(v);
      expect(tunedCandidates(s)).toContain(v); // the autotuner times them...
      expect(selectConvVariant(s, () => v)).toBe(v); // ...and a tuned table's choice is honoured
    }
    expect(REAL_GPU_CONV_VARIANTS).not.toContain(defaultConvVariant(s));
    // Runtime weights: only the variants that read OIHW as it is.
    expect(convVariantsFor({ ...s, constWeights: false }).some((v) => (REAL_GPU_CONV_VARIANTS as readonly string[]).includes(v))).toBe(false);
  });
});
