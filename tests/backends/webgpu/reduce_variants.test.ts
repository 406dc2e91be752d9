/**
 * The reduction variants of reduce_select.ts (one workgroup per line: reduce_wg through workgroup memory,
 * reduce_subgroup through subgroupAdd / subgroupMax) against the CPU reference in headless Chromium (SwiftShader,
 * whose adapter has `subgroups`, subgroup size 4), forced on 200 seeded cases per family — GlobalAveragePool /
 * GlobalMaxPool (the SE block's pooling too), Softmax (any axis), LayerNormalization (1-3 normalised dims, offsets),
 * ChannelLayerNorm (NCHW / NCL / NCDHW) — lines shorter and longer than the 64-invocation workgroup and odd lengths,
 * within 1e-5 relative L2, checking the forced kernel ran. The subgroup form never assumes a subgroup size or layout
 * (reduce_wgsl.ts), so one adapter exercising it checks the code path any size takes; the list and rule checks close.
 */
import { describe, expect, it } from 'vitest';
import { useConvPage } from './conv_page.js';
import { failures, runCases, type NodeCase } from '../../harness/browser.js';
import { mulberry32, randInt } from '../../harness/rng.js';
import { channelLayerNormCase, layerNormCase } from '../../harness/norm_cases.js';
import { REAL_GPU_REDUCTION_VARIANTS, defaultReductionVariant, reductionVariantsFor, selectReductionVariant } from '../../../src/backends/webgpu/reduce_select.js';

const CASES_PER_FAMILY = 200;
const TOL = 1e-5;
const page = useConvPage('variants_page.ts');

type Rng = () => number;
const pick = <T,>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
/** Line lengths around the workgroup size (64) and the subgroup-slot width, plus long ones. */
const length = (r: Rng) => pick(r, [1, 2, 3, 5, 7, 49, 63, 64, 65, 129, 196, 1000]) + (r() < 0.3 ? randInt(r, 0, 3) : 0);

function globalPool(r: Rng, i: number): NodeCase {
  const hw = length(r);
  const h = r() < 0.5 ? 1 : Math.floor(Math.sqrt(hw)); // a [1, L] row or a near-square map of about L values
  const shape = [randInt(r, 1, 2), randInt(r, 1, 37), h, Math.max(1, Math.round(hw / h))];
  const op = r() < 0.6 ? 'GlobalAveragePool' : 'GlobalMaxPool';
  return { label: `${op}#${i} [${shape}]`, op, inputs: [{ shape, lo: -3, hi: 3 }], seed: 30_000 + i };
}

function softmax(r: Rng, i: number): NodeCase {
  const rank = randInt(r, 1, 4);
  const shape = Array.from({ length: rank }, () => randInt(r, 1, 5));
  const axis = randInt(r, -rank, rank - 1);
  shape[(axis + rank) % rank] = length(r);
  return { label: `Softmax#${i} [${shape}] axis ${axis}`, op: 'Softmax', attrs: { axis }, inputs: [{ shape, lo: -8, hi: 8 }], seed: 31_000 + i };
}

const layerNorm = (r: Rng, i: number) => layerNormCase(r, i, length, 32_000 + i);
const channelLayerNorm = (r: Rng, i: number) => channelLayerNormCase(r, i, length, 7, 33_000 + i);

const FAMILIES: [string, (r: Rng, i: number) => NodeCase, number, RegExp][] = [
  ['global pooling', globalPool, 501, /^global_(avg|max)pool/],
  ['Softmax', softmax, 502, /^softmax/],
  ['LayerNormalization', layerNorm, 503, /^layer_norm/],
  ['ChannelLayerNorm', channelLayerNorm, 504, /^channel_layer_norm/],
];
const SUFFIX = { reduce_wg: '_wg', reduce_subgroup: '_sg' } as const;

describe(`reduction variants vs CPU reference (${CASES_PER_FAMILY} seeded cases per family, rel L2 <= ${TOL})`, () => {
  it('the page adapter has subgroups (both forms are tested here)', async () => {
    const f = await page.session().page.evaluate(() => (globalThis as unknown as { tesseraConvTest: { features(): Promise<{ subgroups: boolean }> } }).tesseraConvTest.features());
    expect(f.subgroups).toBe(true);
  });
  for (const variant of REAL_GPU_REDUCTION_VARIANTS) {
    for (const [family, make, seed, kernel] of FAMILIES) {
      it(`${variant} on ${family}`, async () => {
        const r = mulberry32(seed);
        const cases = Array.from({ length: CASES_PER_FAMILY }, (_, i) => make(r, i));
        await page.force(variant);
        const results = await runCases(page.session(), cases).finally(() => page.force(null));
        expect(results).toHaveLength(CASES_PER_FAMILY);
        expect(failures(results, TOL)).toEqual([]);
        // LayerNormalization's workgroup-memory program keeps its historical name (layer_norm[_bias]).
        const ran = (k: string) => kernel.test(k) && (k.includes(SUFFIX[variant]) || (variant === 'reduce_wg' && /^layer_norm(_bias)?$/.test(k)));
        for (const res of results) expect(res.kernels.some(ran), `${res.label}: ${res.kernels}`).toBe(true);
      });
    }
  }
});

describe('reduction variants: listed per device, never the rule (except long LayerNorm rows)', () => {
  it('subgroup variants only where the device has subgroups', () => {
    const s = { op: 'Softmax' as const, lines: 1, length: 1000 };
    expect(reductionVariantsFor(s, { subgroups: false })).toEqual(['reduce_thread', 'reduce_wg']);
    expect(reductionVariantsFor(s, { subgroups: true })).toContain('reduce_subgroup');
    expect(selectReductionVariant(s, { subgroups: false }, () => 'reduce_subgroup')).toBe('reduce_thread');
    expect(selectReductionVariant(s, { subgroups: true }, () => 'reduce_subgroup')).toBe('reduce_subgroup');
  });
  it('the rule: one invocation per line, a workgroup per long or scarce LayerNorm row', () => {
    expect(defaultReductionVariant({ op: 'GlobalPool', lines: 2048, length: 49 })).toBe('reduce_thread');
    expect(defaultReductionVariant({ op: 'Softmax', lines: 1, length: 1000 })).toBe('reduce_thread');
    expect(defaultReductionVariant({ op: 'ChannelLayerNorm', lines: 49, length: 768 })).toBe('reduce_thread');
    expect(defaultReductionVariant({ op: 'LayerNorm', lines: 197, length: 192 })).toBe('reduce_thread');
    expect(defaultReductionVariant({ op: 'LayerNorm', lines: 4, length: 192 })).toBe('reduce_wg');
    expect(defaultReductionVariant({ op: 'LayerNorm', lines: 197, length: 2048 })).toBe('reduce_wg');
  });
});
