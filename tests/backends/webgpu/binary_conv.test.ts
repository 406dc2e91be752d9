/**
 * WebGPU binary kernels vs the CPU reference (headless Chromium, SwiftShader when there is no GPU).
 * With alpha = 1 and no bias the outputs are the integer dot products: GPU and CPU must be identical.
 * With float alpha / bias / activation the only difference allowed is the final float rounding.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserSession, type BrowserSession } from '../../../src/node/browser_harness.js';
import type { BinaryCase, BinaryCaseResult } from '../../harness/binary_entry.js';
import { mulberry32, randInt } from '../../harness/rng.js';

const ENTRY = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'harness', 'binary_entry.ts');

let session: BrowserSession;
beforeAll(async () => {
  session = await startBrowserSession({ entry: ENTRY });
});
afterAll(async () => {
  await session?.close();
});

function runCases(cases: BinaryCase[]): Promise<BinaryCaseResult[]> {
  return session.page.evaluate(
    (cs) => (globalThis as unknown as { tesseraBinaryTest: { runCases(c: BinaryCase[]): Promise<BinaryCaseResult[]> } }).tesseraBinaryTest.runCases(cs),
    cases,
  );
}

/** Channel counts giving 1-3 words, mostly not multiples of 32. */
const CHANNELS = [1, 3, 20, 31, 32, 33, 40, 64, 70, 96];

function randomConv(r: () => number, i: number, unitScale: boolean): BinaryCase {
  const kh = [1, 3, 3, 2][randInt(r, 0, 3)]!;
  const kw = kh === 2 ? 3 : kh;
  const strides = [randInt(r, 1, 2), randInt(r, 1, 2)];
  const dilations = r() < 0.2 ? [2, 2] : [1, 1];
  const pads = [randInt(r, 0, 1), randInt(r, 0, 2), randInt(r, 0, 1), randInt(r, 0, 2)];
  const c = CHANNELS[randInt(r, 0, CHANNELS.length - 1)]!;
  const h = (kh - 1) * dilations[0]! + 1 + randInt(r, 0, 7);
  const w = (kw - 1) * dilations[1]! + 1 + randInt(r, 0, 7);
  const attrs = { strides, dilations, pads, pad_value: r() < 0.5 ? -1 : 0, zero_sign: r() < 0.7 ? -1 : 0 };
  const m = randInt(r, 1, 9);
  const n = randInt(r, 1, 2);
  const thresholds = r() < 0.6;
  return {
    label: `conv#${i} x[${n},${c},${h},${w}] m${m} k${kh}x${kw} s${strides} d${dilations} p${pads} pv${attrs.pad_value} zs${attrs.zero_sign} T=${thresholds}`,
    op: 'BinaryConv',
    x: [n, c, h, w],
    m,
    kernel: [kh, kw],
    attrs,
    thresholds,
    bias: !unitScale,
    unitScale,
    seed: 100 + i,
  };
}

function fails(results: BinaryCaseResult[], exact: boolean, tol = 1e-5): string[] {
  return results
    .filter((x) => !x.ok || (exact ? x.mismatches !== 0 : !(x.maxRel <= tol)))
    .map((x) => `${x.label}: ${x.error ?? `mismatches=${x.mismatches}/${x.count} maxAbs=${x.maxAbs} maxRel=${x.maxRel}`}`);
}

describe('WebGPU BinaryConv vs CPU reference', () => {
  it('integer dot products are identical on 220 seeded random shapes (pads, stride 2, dilation, C % 32 != 0, both pad conventions, ternary)', async () => {
    const r = mulberry32(31);
    const cases = Array.from({ length: 220 }, (_, i) => randomConv(r, i, true));
    expect(cases.filter((c) => c.x[1]! % 32 !== 0).length).toBeGreaterThan(100);
    expect(cases.filter((c) => c.attrs!['pad_value'] === -1 && (c.attrs!['pads'] as number[]).some((p) => p > 0)).length).toBeGreaterThan(50);
    const results = await runCases(cases);
    expect(fails(results, true)).toEqual([]);
    expect(new Set(results.flatMap((x) => x.kernels))).toEqual(
      new Set(['binary_pack', 'binary_pack_ternary', 'binary_conv', 'binary_conv_pad_m1', 'binary_conv_ternary', 'binary_conv_pad_m1_ternary']),
    );
  });

  it('alpha, bias, fused activations (relu, clip, leaky_relu) and residuals match to float rounding', async () => {
    const r = mulberry32(32);
    const acts: Record<string, string | number>[] = [{}, { activation: 'relu' }, { activation: 'clip', act_min: -0.5, act_max: 3 }, { activation: 'leaky_relu', act_alpha: 0.1 }];
    const cases = Array.from({ length: 30 }, (_, i): BinaryCase => {
      const c = randomConv(r, 1000 + i, false);
      const residual: BinaryCase['residual'] = i >= 24 ? (i % 2 ? 'after' : 'before') : undefined;
      return { ...c, residual, label: `${c.label} ${JSON.stringify(acts[i % 4])} res=${residual}`, attrs: { ...c.attrs, ...acts[i % 4] } };
    });
    expect(fails(await runCases(cases), false)).toEqual([]);
  });
});

describe('WebGPU BinaryGemm and BinaryWeightConv vs CPU reference', () => {
  it('BinaryGemm: identical integer dots; scaled outputs to float rounding', async () => {
    const r = mulberry32(33);
    const cases: BinaryCase[] = [];
    for (let i = 0; i < 30; i++) {
      const k = randInt(r, 1, 130);
      const unit = i % 2 === 0;
      cases.push({ label: `gemm#${i} [${i % 3 + 1},${k}] m${i % 11 + 1} unit=${unit}`, op: 'BinaryGemm', x: [(i % 3) + 1, k], m: (i % 11) + 1, thresholds: i % 3 !== 0, bias: !unit, unitScale: unit, attrs: { zero_sign: i % 4 === 1 ? 0 : -1 }, seed: 3000 + i });
    }
    const results = await runCases(cases);
    expect(fails(results.filter((_, i) => i % 2 === 0), true)).toEqual([]);
    expect(fails(results.filter((_, i) => i % 2 === 1), false)).toEqual([]);
  });

  it('BinaryWeightConv: 30 random shapes to float rounding', async () => {
    const r = mulberry32(34);
    const cases = Array.from({ length: 30 }, (_, i) => {
      const c = randomConv(r, 4000 + i, false);
      const { pad_value: _pv, zero_sign: _zs, ...attrs } = c.attrs as Record<string, unknown>;
      const residual: BinaryCase['residual'] = i % 3 === 0 ? (i % 2 ? 'after' : 'before') : undefined;
      return { ...c, op: 'BinaryWeightConv' as const, thresholds: false, residual, label: `${c.label.replace('conv', 'bwn')} res=${residual}`, attrs: { ...(attrs as BinaryCase['attrs']), activation: i % 2 ? 'relu' : 'none' } };
    });
    const results = await runCases(cases);
    expect(fails(results, false, 1e-4)).toEqual([]);
    expect(new Set(results.flatMap((x) => x.kernels))).toEqual(new Set(['binary_weight_conv']));
  });
});

describe('WebGPU packed binary chains (packBinaryChains) vs the CPU reference of the unpacked graph', () => {
  type ChainResult = BinaryCaseResult & { packed: number };
  const runChains = (cases: { seed: number; options: { unitLast: boolean; exotic?: boolean }; split?: 1 | 2 | 4 | 8 }[]): Promise<ChainResult[]> =>
    session.page.evaluate(
      (cs) => (globalThis as unknown as { tesseraBinaryTest: { runChains(c: unknown): Promise<ChainResult[]> } }).tesseraBinaryTest.runChains(cs),
      cases,
    );

  it('identical outputs on 48 seeded chains (last layer integer dots, 1-8 threads per word): packed bits, fused pools, no pack between layers', async () => {
    const splits = [undefined, 1, 2, 4, 8] as const;
    const results = await runChains(Array.from({ length: 48 }, (_, i) => ({ seed: 500 + i, options: { unitLast: true, exotic: i % 4 === 3 }, split: splits[i % 5] })));
    expect(fails(results, true)).toEqual([]);
    const kernels = [...new Set(results.flatMap((x) => x.kernels))];
    for (const split of ['', '_split2', '_split4', '_split8']) {
      expect(kernels.some((k) => k.startsWith('binary_conv_bits_pool') && k.endsWith(split === '' ? 'm1' : split))).toBe(true);
      expect(kernels.some((k) => /^binary_conv_bits(_pad_m1)?(_ternary)?(_split\d)?$/.test(k) && (split === '' ? !k.includes('split') : k.endsWith(split)))).toBe(true);
    }
    expect(results.reduce((s, x) => s + x.packed, 0)).toBeGreaterThan(60);
    // One binary_pack per chain at most (the first layer's f32 input); packed consumers bind the bits directly.
    for (const x of results) expect(x.kernels.filter((k) => k.startsWith('binary_pack')).length, x.label).toBeLessThanOrEqual(1);
  });

  it('float last layer (alpha, bias, activation) matches to float rounding', async () => {
    const results = await runChains(Array.from({ length: 12 }, (_, i) => ({ seed: 900 + i, options: { unitLast: false } })));
    expect(fails(results, false)).toEqual([]);
  });
});
