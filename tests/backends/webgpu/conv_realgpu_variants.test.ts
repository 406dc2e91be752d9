/**
 * The real-GPU conv variants (conv_select.ts REAL_GPU_CONV_VARIANTS: conv2d_rt4x4, conv2d_rt8x4, conv2d_wgm,
 * conv2d_wgm_8x16, depthwise_4x4 on the depthwise family, conv2d_splitk) against
 * the CPU reference in headless Chromium (SwiftShader), forced on 200 seeded cases of every 2-D conv family of
 * tests/harness/conv_cases.ts (regular, 1x1, grouped, depthwise: odd channel counts, asymmetric pads, strides,
 * dilations, batch 2, fused epilogues and residuals), within 1e-5 relative L2. Each case checks the variant is the
 * kernel that ran. Cases a variant does not run are drawn past (runtime weights; for depthwise_4x4 more than one input
 * channel per group; for conv2d_splitk more than SPLITK_MAX_POSITIONS outputs). The last block checks
 * that the variants are listed for the autotuner and never the fixed rule's choice (SwiftShader keeps its kernels).
 */
import { describe, expect, it } from 'vitest';
import { useConvPage } from './conv_page.js';
import { failures, runCases, type NodeCase } from '../../harness/browser.js';
import { mulberry32 } from '../../harness/rng.js';
import { FAMILIES } from '../../harness/conv_cases.js';
import { REAL_GPU_CONV_VARIANTS, SPLITK_MAX_POSITIONS, convVariantsFor, defaultConvVariant, selectConvVariant, type ConvShape, type ConvVariant } from '../../../src/backends/webgpu/conv_select.js';
import { tunedCandidates } from '../../../src/backends/webgpu/autotune_plan.js';

const CASES_PER_FAMILY = 200;
const TOL = 1e-5;
const page = useConvPage('variants_page.ts');

/** The kernel name prefix each variant's program carries (conv_gemm.ts). */
const KERNEL_OF: Record<(typeof REAL_GPU_CONV_VARIANTS)[number], RegExp> = {
  conv2d_rt4x4: /^conv2d_rt_4x4/,
  conv2d_rt8x4: /^conv2d_rt_8x4/,
  conv2d_wgm: /^conv2d_wgm_32x32/,
  conv2d_wgm_8x16: /^conv2d_wgm_32x64/,
  depthwise_4x4: /^depthwise_4x4/,
  conv2d_splitk: /^conv2d_splitk/,
};

/** The ConvShape of a 2-D conv case (tests/harness/conv_cases.ts: explicit pads, NCHW). */
function shapeOfCase(c: NodeCase): ConvShape {
  const [n, cin, ih, iw] = c.inputs[0]!.shape as [number, number, number, number];
  const [kh, kw] = c.attrs!['kernel_shape'] as number[];
  const [sh, sw] = c.attrs!['strides'] as number[];
  const [dh, dw] = c.attrs!['dilations'] as number[];
  const pads = c.attrs!['pads'] as [number, number, number, number];
  const out = (d: number, k: number, s: number, dil: number, p0: number, p1: number) => Math.floor((d + p0 + p1 - ((k - 1) * dil + 1)) / s) + 1;
  const cout = c.inputs[1]!.shape[0]!;
  const oh = out(ih, kh!, sh!, dh!, pads[0], pads[2]);
  const ow = out(iw, kw!, sw!, dw!, pads[1], pads[3]);
  return { n, cin, ih, iw, cout, oh, ow, kh: kh!, kw: kw!, sh: sh!, sw: sw!, dh: dh!, dw: dw!, pads, group: c.attrs!['group'] as number, constWeights: c.inputs[1]!.kind === 'const' };
}

/** `count` cases of a family that `variant` runs (the same seeded stream as conv_families.test.ts, others skipped). */
function validCases(make: (r: () => number, i: number) => NodeCase, seed: number, count: number, variant: ConvVariant): NodeCase[] {
  const r = mulberry32(seed);
  const out: NodeCase[] = [];
  for (let i = 0; out.length < count; i++) {
    const c = make(r, i);
    if (convVariantsFor(shapeOfCase(c)).includes(variant)) out.push(c);
  }
  return out;
}

const FAMILIES_2D = FAMILIES.filter(([family]) => family !== 'conv3d');
/** depthwise_4x4 runs one input channel per group: the depthwise family (multipliers 1 and 2). */
const familiesOf = (v: ConvVariant) => FAMILIES_2D.filter(([family]) => v !== 'depthwise_4x4' || family === 'depthwise');

describe(`real-GPU conv variants vs CPU reference (${CASES_PER_FAMILY} seeded cases per family, rel L2 <= ${TOL})`, () => {
  for (const variant of REAL_GPU_CONV_VARIANTS) {
    for (const [family, make, seed] of familiesOf(variant)) {
      it(`${variant} on ${family}`, async () => {
        const cases = validCases(make, seed, CASES_PER_FAMILY, variant);
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
    ['depthwise 5x5/2 672@14 (EfficientNet)', shape(672, 672, 14, 5, 2, 672)],
    ['3x3 512@7 (ResNet-50 last stage)', shape(512, 512, 7, 3, 1)],
    ['1x1 2048>1000@1 (classifier as a conv)', shape(2048, 1000, 1, 1, 1)],
  ])('%s', (_, s) => {
    const listed = REAL_GPU_CONV_VARIANTS.filter(
      (v) => (v !== 'depthwise_4x4' || s.cin === s.group) && (v !== 'conv2d_splitk' || s.n * s.oh * s.ow <= SPLITK_MAX_POSITIONS),
    );
    expect(listed.length).toBeGreaterThanOrEqual(3);
    for (const v of listed) {
      expect(convVariantsFor(s)).toContain(v);
      expect(tunedCandidates(s)).toContain(v); // the autotuner times them...
      expect(selectConvVariant(s, () => v)).toBe(v); // ...and a tuned table's choice is honoured
    }
    expect(REAL_GPU_CONV_VARIANTS).not.toContain(defaultConvVariant(s));
    // Runtime weights: only the variants that read OIHW as it is.
    expect(convVariantsFor({ ...s, constWeights: false }).some((v) => (REAL_GPU_CONV_VARIANTS as readonly string[]).includes(v))).toBe(false);
  });
});

/**
 * The opt-in f16 arithmetic (ExecutorOptions.f16Compute) runs only where the device has `shader-f16`: skipped on
 * SwiftShader (its WGSL is validated in wgsl_validate.test.ts instead); on such a device, 50 cases per variant within
 * 1e-2 (f16 products and accumulators over K up to a few hundred).
 */
describe('f16 arithmetic where the device has shader-f16', () => {
  const F16_TOL = 1e-2;
  for (const variant of ['conv2d_gemm', 'conv2d_rt4x4', 'depthwise_4x4', 'conv2d_splitk'] as const) {
    it(`${variant} in f16`, async (ctx) => {
      const f = await page.session().page.evaluate(() => (globalThis as unknown as { tesseraConvTest: { features(): Promise<{ f16: boolean }> } }).tesseraConvTest.features());
      if (!f.f16) ctx.skip();
      const [, make, seed] = FAMILIES_2D.find(([family]) => family === (variant === 'depthwise_4x4' ? 'depthwise' : 'conv2d'))!;
      const cases = validCases(make, seed, 50, variant).map((c) => ({ ...c, executor: { f16Compute: true } }));
      await page.force(variant);
      const results = await runCases(page.session(), cases).finally(() => page.force(null));
      expect(failures(results, F16_TOL)).toEqual([]);
      for (const res of results) expect(res.kernels.some((k) => k.includes('_f16')), `${res.label}: ${res.kernels}`).toBe(true);
    });
  }
});
