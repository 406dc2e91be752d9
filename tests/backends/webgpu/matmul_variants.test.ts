/**
 * The Gemm / MatMul variants of matmul_select.ts against the CPU reference in headless Chromium (SwiftShader):
 * matmul_splitk (the small-output / split-K real-GPU candidate) forced on 200 seeded cases per family — Gemm (transA /
 * transB, alpha / beta, every C broadcast, constant B in panels, runtime B with dense rows or strided), FusedGemm
 * (activations, residual before / after), MatMul (2-D, 1-D A, a batch of A folded into M, runtime B) — with M from 1
 * to SPLITK_MAX_ROWS, odd K and N, within 1e-5 relative L2, checking the forced kernel ran. Then the choice list:
 * listed where it applies, never the rule.
 */
import { describe, expect, it } from 'vitest';
import { useConvPage } from './conv_page.js';
import { failures, runCases, type NodeCase } from '../../harness/browser.js';
import { mulberry32, randInt } from '../../harness/rng.js';
import { SPLITK_MAX_ROWS, defaultMatmulVariant, matmulVariantsFor, selectMatmulVariant, type MatmulShape } from '../../../src/backends/webgpu/matmul_select.js';

const CASES_PER_FAMILY = 200;
const TOL = 1e-5;
const page = useConvPage('variants_page.ts');

type Rng = () => number;
const pick = <T,>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
/** M: 1 (classifiers) a third of the time, else up to SPLITK_MAX_ROWS; K long or short, N odd or not. */
const dims = (r: Rng) => ({ m: r() < 0.33 ? 1 : randInt(r, 2, SPLITK_MAX_ROWS), k: pick(r, [1, 3, 17, 64, 129, 300]) + randInt(r, 0, 2), n: randInt(r, 1, 45) });

const FUSED_EPILOGUES: { residual?: 0 | 1; activation: string; act_alpha?: number; act_min?: number; act_max?: number }[] = [
  { activation: 'relu' },
  { activation: 'leaky_relu', act_alpha: 0.1, residual: 0 },
  { activation: 'clip', act_min: -0.5, act_max: 0.5, residual: 1 },
];

function gemm(r: Rng, i: number, fused: boolean): NodeCase {
  const { m, k, n } = dims(r);
  const transA = randInt(r, 0, 1);
  const transB = randInt(r, 0, 1);
  const constB = r() < 0.6;
  const cShape = pick(r, [[m, n], [n], [1, n], [m, 1], [1], []]);
  // A short fixed list of epilogues: each combination is baked into the WGSL (a pipeline compile on SwiftShader).
  const { residual, ...epilogue } = fused ? pick(r, FUSED_EPILOGUES) : { residual: undefined };
  const inputs: NodeCase['inputs'] = [
    { shape: transA ? [k, m] : [m, k] },
    { shape: transB ? [n, k] : [k, n], kind: constB ? 'const' : 'input' },
    cShape.length ? { shape: cShape, kind: 'const' } : { shape: [], absent: true },
  ];
  if (residual !== undefined) inputs.push({ shape: [m, n] });
  return {
    label: `${fused ? 'FusedGemm' : 'Gemm'}#${i} m${m} k${k} n${n} tA${transA} tB${transB} ${constB ? 'constB' : 'runtimeB'} C[${cShape}]${residual !== undefined ? ` res${residual}` : ''}`,
    op: fused ? 'FusedGemm' : 'Gemm',
    attrs: { transA, transB, alpha: 0.5 + r(), beta: r(), ...epilogue, ...(residual !== undefined ? { residual_after_activation: residual } : {}) },
    inputs,
    seed: 20_000 + (fused ? 1000 : 0) + i,
  };
}

function matmul(r: Rng, i: number): NodeCase {
  const { m, k, n } = dims(r);
  const form = pick(r, ['2d', '2d', '1d', 'batchA'] as const);
  const batch = form === 'batchA' ? randInt(r, 2, Math.max(2, Math.floor(SPLITK_MAX_ROWS / m))) : 1;
  const rows = form === 'batchA' ? Math.max(1, Math.floor(m / batch)) : m;
  const a = form === '1d' ? [k] : form === 'batchA' ? [batch, rows, k] : [m, k];
  const constB = r() < 0.5;
  return { label: `MatMul#${i} [${a}] x [${k},${n}] ${constB ? 'constB' : 'runtimeB'}`, op: 'MatMul', inputs: [{ shape: a }, { shape: [k, n], kind: constB ? 'const' : 'input' }], seed: 22_000 + i };
}

const FAMILIES: [string, (r: Rng, i: number) => NodeCase, number][] = [
  ['Gemm', (r, i) => gemm(r, i, false), 401],
  ['FusedGemm', (r, i) => gemm(r, i, true), 402],
  ['MatMul', matmul, 403],
];

describe(`matmul_splitk vs CPU reference (${CASES_PER_FAMILY} seeded cases per family, rel L2 <= ${TOL})`, () => {
  for (const [family, make, seed] of FAMILIES) {
    it(`matmul_splitk on ${family}`, async () => {
      const r = mulberry32(seed);
      const cases = Array.from({ length: CASES_PER_FAMILY }, (_, i) => make(r, i));
      await page.force('matmul_splitk');
      const results = await runCases(page.session(), cases).finally(() => page.force(null));
      expect(results).toHaveLength(CASES_PER_FAMILY);
      expect(failures(results, TOL)).toEqual([]);
      for (const res of results) expect(res.kernels.some((k) => /^(gemm|matmul)_splitk_[14]x4$/.test(k)), `${res.label}: ${res.kernels}`).toBe(true);
    });
  }
});

describe('matmul_splitk is listed where it applies, never the rule', () => {
  const s = (m: number, n: number, k: number, batchRank = 0, constBatchedB = false): MatmulShape => ({ m, n, k, batchRank, constBatchedB });
  it.each([
    ['classifier 1x2048 x 2048x1000', s(1, 1000, 2048), true],
    ['ViT head 1x192 x 192x1000', s(1, 1000, 192), true],
    ['64 rows', s(SPLITK_MAX_ROWS, 64, 512), true],
    ['65 rows', s(SPLITK_MAX_ROWS + 1, 64, 512), false],
    ['batched attention', s(49, 49, 32, 1), false],
  ] as const)('%s', (_, shape, listed) => {
    expect(matmulVariantsFor(shape).includes('matmul_splitk')).toBe(listed);
    expect(defaultMatmulVariant(shape)).toBe('matmul_tiled');
    expect(selectMatmulVariant(shape, () => 'matmul_splitk')).toBe(listed ? 'matmul_splitk' : 'matmul_tiled');
  });
  it('a constant B with batch dims of its own runs only the strided kernel', () => {
    expect(matmulVariantsFor(s(4, 4, 4, 1, true))).toEqual(['matmul_naive']);
  });
});

describe('f16 arithmetic where the device has shader-f16 (skipped on SwiftShader; WGSL validated in wgsl_validate.test.ts)', () => {
  for (const variant of ['matmul_tiled', 'matmul_splitk']) {
    it(`${variant}: 50 Gemm cases within 1e-2`, async (ctx) => {
      const f = await page.session().page.evaluate(() => (globalThis as unknown as { tesseraConvTest: { features(): Promise<{ f16: boolean }> } }).tesseraConvTest.features());
      if (!f.f16) ctx.skip();
      const r = mulberry32(404);
      const cases = Array.from({ length: 50 }, (_, i) => ({ ...gemm(r, i, false), executor: { f16Compute: true } }));
      await page.force(variant);
      const results = await runCases(page.session(), cases).finally(() => page.force(null));
      expect(failures(results, 1e-2)).toEqual([]);
      for (const res of results) expect(res.kernels.some((k) => k.endsWith('_f16')), `${res.label}: ${res.kernels}`).toBe(true);
    });
  }
});
