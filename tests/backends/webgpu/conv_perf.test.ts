/**
 * Every conv kernel variant (src/backends/webgpu/conv_select.ts) against the CPU reference on seeded random shapes in
 * headless Chromium: strides, dilations, asymmetric pads, groups (vectorized and odd), odd channel counts (3, 7, 37),
 * batch > 1, and FusedConv epilogues (bias, every activation, residual before / after the activation). Each variant
 * is forced in turn and the test checks that it is the kernel that actually ran.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserSession, type BrowserSession } from '../../../src/node/browser_harness.js';
import { failures, runCases, type NodeCase } from '../../harness/browser.js';
import { mulberry32, randInt } from '../../harness/rng.js';
import { defaultConvVariant, type ConvShape, type ConvVariant } from '../../../src/backends/webgpu/conv_select.js';

let session: BrowserSession;
beforeAll(async () => {
  session = await startBrowserSession({ entry: join(dirname(fileURLToPath(import.meta.url)), 'conv_perf_page.ts') });
});
afterAll(async () => {
  await session?.close();
});

type Rng = () => number;
const pick = <T,>(r: Rng, xs: readonly T[]): T => xs[randInt(r, 0, xs.length - 1)]!;
const ODD = [3, 7, 37];

const EPILOGUES: Record<string, number | string>[] = [
  { activation: 'none' },
  { activation: 'relu' },
  { activation: 'clip', act_min: -0.2, act_max: 0.3 },
  { activation: 'leaky_relu', act_alpha: 0.2 },
  { activation: 'hard_sigmoid', act_alpha: 0.3, act_beta: 0.4 },
  { activation: 'hard_swish' },
  { activation: 'sigmoid' },
  { activation: 'silu' },
  { activation: 'tanh' },
];

interface ConvSpec {
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  k: [number, number];
  s: [number, number];
  d: [number, number];
  pads: [number, number, number, number];
  group: number;
  bias: boolean;
  /** FusedConv epilogue (undefined: plain Conv). */
  epilogue?: Record<string, number | string>;
  residual?: boolean;
  dynamicWeights?: boolean;
}

function outSize(i: number, k: number, s: number, d: number, p0: number, p1: number): number {
  return Math.floor((i + p0 + p1 - (k - 1) * d - 1) / s) + 1;
}

function toCase(c: ConvSpec, label: string, seed: number): NodeCase {
  const oh = outSize(c.h, c.k[0], c.s[0], c.d[0], c.pads[0], c.pads[2]);
  const ow = outSize(c.w, c.k[1], c.s[1], c.d[1], c.pads[1], c.pads[3]);
  const attrs = { kernel_shape: c.k, strides: c.s, dilations: c.d, pads: c.pads, group: c.group, ...(c.epilogue ?? {}), ...(c.residual ? { residual_after_activation: seed % 2 } : {}) };
  const inputs: NodeCase['inputs'] = [
    { shape: [c.n, c.cin, c.h, c.w] },
    { shape: [c.cout, c.cin / c.group, c.k[0], c.k[1]], kind: c.dynamicWeights ? 'input' : 'const' },
    c.bias ? { shape: [c.cout], kind: 'const' } : { shape: [0], absent: true },
  ];
  if (c.residual) inputs.push({ shape: [c.n, c.cout, oh, ow] });
  else if (!c.bias) inputs.pop();
  const fused = c.epilogue !== undefined || c.residual;
  return { label: `${label} x[${c.n},${c.cin},${c.h},${c.w}] w[${c.cout},${c.cin / c.group},${c.k}] g${c.group} s${c.s} d${c.d} p${c.pads} bias=${c.bias} ${JSON.stringify(c.epilogue ?? {})} res=${!!c.residual}`, op: fused ? 'FusedConv' : 'Conv', attrs, inputs, seed };
}

function shapeOf(c: ConvSpec): ConvShape {
  return {
    n: c.n, cin: c.cin, ih: c.h, iw: c.w, cout: c.cout,
    oh: outSize(c.h, c.k[0], c.s[0], c.d[0], c.pads[0], c.pads[2]), ow: outSize(c.w, c.k[1], c.s[1], c.d[1], c.pads[1], c.pads[3]),
    kh: c.k[0], kw: c.k[1], sh: c.s[0], sw: c.s[1], dh: c.d[0], dw: c.d[1], pads: c.pads, group: c.group, constWeights: !c.dynamicWeights,
  };
}

/**
 * A random valid conv; spatial size chosen so the output is at least 1x1. Shapes, strides, dilations, pads, groups
 * and channel counts travel in uniforms (free); kernel sizes and epilogues select code (one pipeline each, slow to
 * compile on SwiftShader), so random cases draw from a few of them and `epilogueSweep` covers every epilogue.
 */
function randomConv(r: Rng, opts: { group?: number; cpgIn?: number; cpgOut?: number; k?: [number, number]; s?: [number, number]; d?: [number, number]; pads?: [number, number, number, number] }): ConvSpec {
  const group = opts.group ?? 1;
  const cin = group * (opts.cpgIn ?? randInt(r, 1, 6));
  const cout = group * (opts.cpgOut ?? randInt(r, 1, 20));
  const k = opts.k ?? pick(r, KERNELS);
  const s = opts.s ?? [randInt(r, 1, 3), randInt(r, 1, 3)];
  const d = opts.d ?? [r() < 0.25 ? 2 : 1, r() < 0.25 ? 2 : 1];
  const pads = opts.pads ?? [randInt(r, 0, 2), randInt(r, 0, 2), randInt(r, 0, 2), randInt(r, 0, 2)];
  const h = Math.max(1, (k[0] - 1) * d[0] + 1 - pads[0] - pads[2]) + randInt(r, 0, 12);
  const w = Math.max(1, (k[1] - 1) * d[1] + 1 - pads[1] - pads[3]) + randInt(r, 0, 20);
  return { n: r() < 0.2 ? 2 : 1, cin, cout, h, w, k, s, d, pads, group, bias: true, epilogue: { activation: 'relu' } };
}
const KERNELS: [number, number][] = [[1, 1], [3, 3], [3, 3], [2, 5]];

/** Every activation once, residual before and after the activation, and no bias, on variations of `base`. */
function epilogueSweep(base: ConvSpec, all: boolean): ConvSpec[] {
  const acts = all ? EPILOGUES : [EPILOGUES[2]!, EPILOGUES[6]!];
  return [
    ...acts.map((e) => ({ ...base, epilogue: e })),
    { ...base, epilogue: { activation: 'relu' }, residual: true }, // seed parity picks before / after
    { ...base, epilogue: { activation: 'relu' }, residual: true },
    { ...base, bias: false, epilogue: undefined },
  ];
}

async function runForced(variant: ConvVariant, specs: ConvSpec[], seed0: number) {
  await session.page.evaluate((v) => (globalThis as unknown as { tesseraConvTest: { force(v: string | null): void } }).tesseraConvTest.force(v), variant);
  try {
    const cases = specs.map((c, i) => toCase(c, `${variant}#${i}`, seed0 + i));
    const results = await runCases(session, cases);
    return { results, cases };
  } finally {
    await session.page.evaluate(() => (globalThis as unknown as { tesseraConvTest: { force(v: string | null): void } }).tesseraConvTest.force(null));
  }
}

/** The base variant name of a dispatch (program names carry tile sizes and a `_res` suffix). */
function variantOf(kernel: string): string {
  if (kernel.startsWith('conv2d_gemm4')) return 'conv2d_gemm4';
  if (kernel.startsWith('conv2d_gemm_') && kernel.includes('_win3')) return 'conv2d_gemm';
  if (kernel.startsWith('depthwise')) return 'depthwise';
  if (kernel.startsWith('conv2d_1x1')) return 'conv2d_1x1';
  if (kernel.startsWith('conv2d_gemm_') && !kernel.includes('_win3')) return 'conv2d_gemm_generic';
  return kernel.replace(/_res$/, '');
}

async function expectVariant(variant: ConvVariant, specs: ConvSpec[], seed0: number): Promise<number> {
  const { results } = await runForced(variant, specs, seed0);
  expect(failures(results)).toEqual([]);
  // conv2d_gemm runs its window shader for 3-wide stride-1 kernels and the generic one otherwise.
  const ran = (r: (typeof results)[number]) => r.kernels.map(variantOf).map((v) => (variant === 'conv2d_gemm' && v === 'conv2d_gemm_generic' ? 'conv2d_gemm' : v));
  for (const r of results) expect(ran(r), r.label).toEqual([variant]);
  return results.length;
}

describe('conv kernel variants vs the CPU reference', () => {
  it('conv2d_gemm (8 channels x 8/4 columns): kernel sizes, strides, dilations, pads, groups, odd channels', async () => {
    const r = mulberry32(301);
    const specs: ConvSpec[] = [];
    for (let i = 0; i < 45; i++) specs.push(randomConv(r, {}));
    // 3-wide stride-1 window shader with vertical strides / dilations and narrow outputs (4-column tiles).
    for (let i = 0; i < 10; i++) specs.push(randomConv(r, { k: [randInt(r, 1, 4), 3], s: [randInt(r, 1, 3), 1], d: [randInt(r, 1, 2), 1], group: pick(r, [1, 3]) }));
    for (let i = 0; i < 12; i++) specs.push(randomConv(r, { group: randInt(r, 2, 4), cpgOut: pick(r, [1, 2, 3, 5, 8, 12]) }));
    for (const c of ODD) specs.push(randomConv(r, { cpgIn: c, cpgOut: pick(r, ODD) }));
    specs.push(...epilogueSweep(randomConv(r, { cpgOut: 11, k: [3, 3], s: [1, 1], pads: [1, 1, 1, 1] }), true));
    expect(await expectVariant('conv2d_gemm', specs, 3000)).toBeGreaterThanOrEqual(80);
  });

  it('conv2d_gemm4 (4 channels per thread): grouped convs vectorized over output channels (ResNeXt-like), odd groups', async () => {
    const r = mulberry32(302);
    const specs: ConvSpec[] = [];
    for (let i = 0; i < 20; i++) specs.push(randomConv(r, { group: pick(r, [2, 4, 8, 32]), cpgIn: randInt(r, 1, 4), cpgOut: 4, k: [3, 3], s: [randInt(r, 1, 2), randInt(r, 1, 2)], pads: [1, 1, 1, 1] }));
    for (let i = 0; i < 15; i++) specs.push(randomConv(r, { group: randInt(r, 2, 6), cpgOut: randInt(r, 1, 7) }));
    for (let i = 0; i < 10; i++) specs.push(randomConv(r, {}));
    for (const c of ODD) specs.push(randomConv(r, { cpgIn: c, cpgOut: c }));
    specs.push(...epilogueSweep(randomConv(r, { group: 2, cpgOut: 6, k: [3, 3] }), false));
    expect(await expectVariant('conv2d_gemm4', specs, 4000)).toBeGreaterThanOrEqual(50);
  });

  it('conv2d_1x1 (pointwise GEMM, vec4 pixels): channel counts incl. 3, 7, 37, batch 2, epilogues', async () => {
    const r = mulberry32(303);
    const specs: ConvSpec[] = [];
    for (let i = 0; i < 40; i++) {
      const c = randomConv(r, { cpgIn: i < 6 ? ODD[i % 3]! : randInt(r, 1, 40), cpgOut: i >= 6 && i < 12 ? ODD[i % 3]! : randInt(r, 1, 40), k: [1, 1], s: [1, 1], d: [1, 1], pads: [0, 0, 0, 0] });
      // H*W % 4 == 0 (the variant reads pixels 4 at a time).
      c.h = randInt(r, 1, 9);
      c.w = 4 * randInt(r, 1, 5);
      specs.push(c);
    }
    specs.push(...epilogueSweep({ ...specs[0]!, cin: 9, cout: 13, h: 3, w: 12 }, false));
    expect(await expectVariant('conv2d_1x1', specs, 5000)).toBe(45);
  });

  it('depthwise (8 columns per thread, 3-wide window reuse): kernel sizes, strides, dilations, runtime weights', async () => {
    const r = mulberry32(304);
    const specs: ConvSpec[] = [];
    for (let i = 0; i < 40; i++) {
      const ch = i < 6 ? ODD[i % 3]! : randInt(r, 2, 24);
      const k: [number, number] = i % 2 ? [3, 3] : pick(r, [[5, 5], [1, 3], [3, 3]] as [number, number][]);
      const s: [number, number] = i % 4 === 1 ? [1, 1] : [randInt(r, 1, 2), randInt(r, 1, 2)];
      const c = randomConv(r, { group: ch, cpgIn: 1, cpgOut: 1, k, s, d: i % 4 === 1 ? [1, 1] : undefined });
      c.dynamicWeights = i % 5 === 4;
      specs.push(c);
    }
    specs.push(...epilogueSweep({ ...specs[1]!, dynamicWeights: false }, false));
    expect(await expectVariant('depthwise', specs, 6000)).toBe(45);
  });

  it('conv2d_gemm_generic (the generic loop forced on 3-wide stride-1 kernels)', async () => {
    const r = mulberry32(307);
    const specs: ConvSpec[] = [];
    for (let i = 0; i < 15; i++) specs.push(randomConv(r, { k: [pick(r, [1, 3]), 3], s: [randInt(r, 1, 2), 1], d: [randInt(r, 1, 2), 1], group: pick(r, [1, 2]) }));
    expect(await expectVariant('conv2d_gemm_generic', specs, 9000)).toBe(15);
  });

  it('conv2d_direct (runtime weights, anything else)', async () => {
    const r = mulberry32(305);
    const specs: ConvSpec[] = [];
    for (let i = 0; i < 20; i++) specs.push({ ...randomConv(r, { group: pick(r, [1, 1, 2, 3]) }), dynamicWeights: i % 2 === 0 });
    expect(await expectVariant('conv2d_direct', specs, 7000)).toBe(20);
  });

  it('the selection rule: each case runs the variant defaultConvVariant names, and matches the CPU', async () => {
    const r = mulberry32(306);
    const specs: ConvSpec[] = [
      randomConv(r, { cpgIn: 3, cpgOut: 16, k: [3, 3], s: [2, 2], pads: [1, 1, 1, 1] }), // RGB stem
      randomConv(r, { cpgIn: 37, cpgOut: 7, k: [3, 3], s: [1, 1], pads: [1, 1, 1, 1] }), // pruned
      randomConv(r, { cpgIn: 7, cpgOut: 37, k: [1, 1], s: [1, 1], d: [1, 1], pads: [0, 0, 0, 0] }),
      randomConv(r, { group: 32, cpgIn: 4, cpgOut: 4, k: [3, 3], s: [1, 1], pads: [1, 1, 1, 1] }), // ResNeXt
      randomConv(r, { group: 12, cpgIn: 1, cpgOut: 1, k: [3, 3], s: [1, 1], d: [1, 1], pads: [1, 1, 1, 1] }), // depthwise
      randomConv(r, { group: 4, cpgIn: 3, cpgOut: 6, k: [3, 3] }), // MGIC-like odd groups
      randomConv(r, { group: 8, cpgIn: 1, cpgOut: 2, k: [3, 3] }), // depth multiplier 2
    ];
    for (let i = 0; i < 13; i++) specs.push(randomConv(r, { group: pick(r, [1, 1, 2, 4]), cpgOut: pick(r, [1, 3, 4, 8, 16]) }));
    const cases = specs.map((c, i) => toCase(c, `auto#${i}`, 8000 + i));
    const results = await runCases(session, cases);
    expect(failures(results)).toEqual([]);
    const family = (k: string) => (variantOf(k) === 'conv2d_gemm_generic' ? 'conv2d_gemm' : variantOf(k));
    results.forEach((res, i) => expect(res.kernels.map(family), res.label).toEqual([defaultConvVariant(shapeOf(specs[i]!))]));
    expect(new Set(results.flatMap((x) => x.kernels.map(variantOf))).size).toBeGreaterThanOrEqual(3);
  });
});

describe('matmul_tiled (register-tiled GEMM) vs the CPU reference', () => {
  it('Gemm / FusedGemm / MatMul: transposes, alpha / beta, C broadcasts, constant and runtime B, edge tiles', async () => {
    const r = mulberry32(308);
    const cases: NodeCase[] = [];
    for (let i = 0; i < 24; i++) {
      const m = pick(r, [1, 3, 4, 9, 16, 21]);
      const k = randInt(r, 1, 40);
      const n = pick(r, [4, 8, 12, 20, 37, 64]);
      const transA = randInt(r, 0, 1);
      const transB = randInt(r, 0, 1);
      const constB = i % 3 !== 0;
      const cShape = pick(r, [[m, n], [n], [1, n], [m, 1], [1]]);
      const fused = i % 4 === 1;
      cases.push({
        label: `Gemm#${i} m${m} k${k} n${n} tA${transA} tB${transB} constB=${constB} C[${cShape}] fused=${fused}`,
        op: fused ? 'FusedGemm' : 'Gemm',
        attrs: { transA, transB, alpha: 0.5 + r(), beta: r(), ...(fused ? { activation: 'leaky_relu', act_alpha: 0.1 } : {}) },
        inputs: [{ shape: transA ? [k, m] : [m, k] }, { shape: transB ? [n, k] : [k, n], kind: constB ? 'const' : 'input' }, { shape: cShape, kind: 'const' }],
        seed: 10000 + i,
      });
    }
    for (const [a, b] of [[[5, 7], [7, 12]], [[1, 33], [33, 16]], [[17, 9], [9, 8]], [[1, 3, 8], [8, 4]], [[6], [6, 20]]] as const) {
      cases.push({ label: `MatMul [${a}] x [${b}]`, op: 'MatMul', inputs: [{ shape: [...a] }, { shape: [...b], kind: 'const' }], seed: 10100 + cases.length });
      cases.push({ label: `MatMul [${a}] x [${b}] runtime B`, op: 'MatMul', inputs: [{ shape: [...a] }, { shape: [...b] }], seed: 10200 + cases.length });
    }
    const results = await runCases(session, cases);
    expect(failures(results)).toEqual([]);
    // Runtime B with N % 4 != 0 or transposed falls back to the strided shader; everything else is tiled.
    const tiled = results.filter((x) => x.kernels.every((k) => k.includes('_tiled_')));
    expect(tiled.length).toBeGreaterThanOrEqual(25);
  });
});
