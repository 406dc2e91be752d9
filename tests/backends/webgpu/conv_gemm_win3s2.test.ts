/**
 * The stride-2 window shader of conv2d_gemm / conv2d_gemm4 (shaders/conv2d_gemm_win3s2.wgsl: 3-wide rows at
 * horizontal stride 2, dilation 1) against the CPU reference in headless Chromium, on seeded random shapes: odd
 * channel counts, pads 0/1/2 (asymmetric), odd and tiny widths (4- and 8-column tiles, partial last tiles), any
 * vertical kernel size / stride / dilation, groups, batch 2, fused epilogues. Each case checks the window shader
 * is what ran.
 */
import { describe, expect, it } from 'vitest';
import { useConvPage } from './conv_page.js';
import { failures, runCases, type NodeCase } from '../../harness/browser.js';
import { mulberry32, randInt } from '../../harness/rng.js';

const page = useConvPage();

type Rng = () => number;
const pick = <T,>(r: Rng, xs: readonly T[]): T => xs[randInt(r, 0, xs.length - 1)]!;
const out = (i: number, k: number, s: number, d: number, p0: number, p1: number) => Math.floor((i + p0 + p1 - (k - 1) * d - 1) / s) + 1;

/** A random conv with a 3-wide kernel at horizontal stride 2, dilation 1 along the width. */
function stride2Case(r: Rng, i: number, prefix: string): NodeCase {
  const group = r() < 0.25 ? randInt(r, 2, 3) : 1;
  const cin = group * (r() < 0.4 ? pick(r, [1, 3, 7, 37]) : randInt(r, 1, 9));
  const cout = group * (r() < 0.4 ? pick(r, [1, 3, 5, 7, 13]) : randInt(r, 1, 20));
  const kh = pick(r, [3, 3, 3, 1, 5]);
  const sh = pick(r, [2, 2, 1, 3]);
  const dh = r() < 0.2 ? 2 : 1;
  const pads = [randInt(r, 0, 1), randInt(r, 0, 1), randInt(r, 0, 1), randInt(r, 0, 2)];
  const h = Math.max(1, (kh - 1) * dh + 1 - pads[0]! - pads[2]!) + randInt(r, 0, 9);
  // Widths from 1-3 (one output column) to 41 (20 output columns: two 8-column tiles and a partial one).
  const w = Math.max(1, 3 - pads[1]! - pads[3]!) + randInt(r, 0, 38);
  const n = r() < 0.3 ? 2 : 1;
  const [oh, ow] = [out(h, kh, sh, dh, pads[0]!, pads[2]!), out(w, 3, 2, 1, pads[1]!, pads[3]!)];
  const epilogues: Record<string, number | string>[] = [{}, { activation: 'relu' }, { activation: 'clip', act_min: -0.2, act_max: 0.3 }];
  const epilogue = pick(r, epilogues);
  const residual = r() < 0.2;
  const fused = Object.keys(epilogue).length > 0 || residual;
  const inputs: NodeCase['inputs'] = [{ shape: [n, cin, h, w] }, { shape: [cout, cin / group, kh, 3], kind: 'const' }, { shape: [cout], kind: 'const' }];
  if (residual) inputs.push({ shape: [n, cout, oh, ow] });
  const attrs: NodeCase['attrs'] = { kernel_shape: [kh, 3], strides: [sh, 2], dilations: [dh, 1], pads, group, ...epilogue, ...(residual ? { residual_after_activation: i % 2 } : {}) };
  return { label: `${prefix}#${i} x[${n},${cin},${h},${w}] w[${cout},${cin / group},${kh},3] g${group} s${sh},2 d${dh},1 p${pads} ${JSON.stringify(epilogue)} res=${residual}`, op: fused ? 'FusedConv' : 'Conv', attrs, inputs, seed: 12_000 + i };
}

async function runForced(variant: 'conv2d_gemm' | 'conv2d_gemm4', cases: NodeCase[]) {
  const force = page.force;
  await force(variant);
  try {
    return await runCases(page.session(), cases);
  } finally {
    await force(null);
  }
}

describe('conv2d_gemm stride-2 window shader (win3s2) vs the CPU reference', () => {
  it('8 channels per thread (conv2d_gemm): 60 seeded random shapes', async () => {
    const r = mulberry32(411);
    const cases = Array.from({ length: 60 }, (_, i) => stride2Case(r, i, 'gemm8'));
    const results = await runForced('conv2d_gemm', cases);
    expect(failures(results)).toEqual([]);
    for (const res of results) expect(res.kernels, res.label).toEqual([expect.stringMatching(/^conv2d_gemm_[48]x8_win3s2/)]);
    // Both column tiles ran (8 columns when the output is wider than 4).
    expect(results.some((x) => x.kernels[0]!.startsWith('conv2d_gemm_8x8'))).toBe(true);
    expect(results.some((x) => x.kernels[0]!.startsWith('conv2d_gemm_4x8'))).toBe(true);
  });

  it('4 channels per thread (conv2d_gemm4): 25 seeded random shapes', async () => {
    const r = mulberry32(412);
    const cases = Array.from({ length: 25 }, (_, i) => stride2Case(r, 100 + i, 'gemm4'));
    const results = await runForced('conv2d_gemm4', cases);
    expect(failures(results)).toEqual([]);
    for (const res of results) expect(res.kernels, res.label).toEqual([expect.stringMatching(/^conv2d_gemm4_[48]x4_win3s2/)]);
  });
});
