/**
 * 3-D conv variants (src/backends/webgpu/conv3d_gemm.ts, volume.ts) vs the CPU reference in headless Chromium on
 * seeded random shapes: odd channel counts (3, 5, 7, 37), strides 1/2 per axis, symmetric and asymmetric pads,
 * kernels 1x1x1, 3x3x3, 1x7x7, 3x7x7 (and 1x3x3, 3x1x1, 2x3x2), dilations, groups, batch 2 and the FusedConv
 * epilogue (bias, activation, residual before / after it). Each variant is forced in turn and the test checks that it
 * is the kernel that actually ran; the rule's own choice runs once more on the same cases.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserSession, type BrowserSession } from '../../../src/node/browser_harness.js';
import { failures, runCases, type NodeCase } from '../../harness/browser.js';
import { mulberry32, randInt } from '../../harness/rng.js';
import { conv3dVariantsFor, defaultConv3dVariant, type Conv3dShape, type Conv3dVariant } from '../../../src/backends/webgpu/conv3d_gemm.js';

type Rng = () => number;
type Triple = [number, number, number];
const pick = <T,>(r: Rng, xs: readonly T[]): T => xs[randInt(r, 0, xs.length - 1)]!;
const ODD = [3, 5, 7, 37];
/** Kernel sizes bake into the WGSL (one pipeline compile each, slow on SwiftShader): a short list. */
const KERNELS: Triple[] = [[1, 1, 1], [3, 3, 3], [3, 3, 3], [1, 7, 7], [3, 7, 7], [1, 3, 3], [3, 1, 1], [2, 3, 2]];
const EPILOGUES: { bias: boolean; attrs?: Record<string, number | string>; residual?: 0 | 1 }[] = [
  { bias: false },
  { bias: true },
  { bias: true, attrs: { activation: 'relu' } },
  { bias: true, attrs: { activation: 'clip', act_min: -0.1, act_max: 0.4 }, residual: 0 },
  { bias: false, attrs: { activation: 'relu' }, residual: 1 },
];

interface Spec {
  n: number;
  cin: number;
  cout: number;
  size: Triple;
  k: Triple;
  s: Triple;
  d: Triple;
  /** front, top, left, back, bottom, right */
  pads: [number, number, number, number, number, number];
  group: number;
  epilogue: (typeof EPILOGUES)[number];
  dynamicWeights?: boolean;
}

const outDim = (c: Spec, a: number) => Math.floor((c.size[a] + c.pads[a] + c.pads[a + 3] - (c.k[a] - 1) * c.d[a] - 1) / c.s[a]) + 1;
const outSize = (c: Spec): Triple => [outDim(c, 0), outDim(c, 1), outDim(c, 2)];

function shapeOf(c: Spec): Conv3dShape {
  return { n: c.n, cin: c.cin, cout: c.cout, in: c.size, out: outSize(c), k: c.k, stride: c.s, dil: c.d, pads: c.pads, group: c.group, constWeights: !c.dynamicWeights };
}

function toCase(c: Spec, label: string, seed: number): NodeCase {
  const e = c.epilogue;
  const fused = e.attrs !== undefined;
  const attrs: NodeCase['attrs'] = { kernel_shape: c.k, strides: c.s, dilations: c.d, pads: c.pads, group: c.group, ...(e.attrs ?? {}) };
  if (e.residual !== undefined) attrs['residual_after_activation'] = e.residual;
  const inputs: NodeCase['inputs'] = [
    { shape: [c.n, c.cin, ...c.size] },
    { shape: [c.cout, c.cin / c.group, ...c.k], kind: c.dynamicWeights ? 'input' : 'const' },
  ];
  if (e.bias || e.residual !== undefined) inputs.push(e.bias ? { shape: [c.cout], kind: 'const' } : { shape: [c.cout], absent: true });
  if (e.residual !== undefined) inputs.push({ shape: [c.n, c.cout, ...outSize(c)] });
  const tag = `${fused ? ` ${String(e.attrs!['activation'])}` : ''}${e.bias ? ' bias' : ''}${e.residual !== undefined ? ` res${e.residual}` : ''}`;
  return {
    label: `${label} x[${c.n},${c.cin},${c.size}] w[${c.cout},${c.cin / c.group},${c.k}] g${c.group} s${c.s} d${c.d} p${c.pads}${tag}`,
    op: fused ? 'FusedConv' : 'Conv',
    attrs,
    inputs,
    seed,
  };
}

/** A random valid 3-D conv (output at least 1 per axis); `opts` pins parts of it. */
function randomSpec(r: Rng, opts: Partial<Spec> = {}): Spec {
  const group = opts.group ?? (r() < 0.2 ? pick(r, [2, 3]) : 1);
  const cin = opts.cin ?? group * (r() < 0.35 ? pick(r, ODD.slice(0, 3)) : randInt(r, 1, 6));
  const cout = opts.cout ?? group * (r() < 0.35 ? pick(r, ODD) : randInt(r, 1, 20));
  const k = opts.k ?? pick(r, KERNELS);
  const s = opts.s ?? ([0, 1, 2].map(() => randInt(r, 1, 2)) as Triple);
  const d = opts.d ?? ((r() < 0.15 ? [randInt(r, 1, 2), randInt(r, 1, 2), randInt(r, 1, 2)] : [1, 1, 1]) as Triple);
  const symmetric = r() < 0.6;
  const half = k.map((v) => v >> 1);
  const pads = opts.pads ?? ((symmetric ? [...half, ...half] : [0, 1, 2, 3, 4, 5].map((a) => randInt(r, 0, Math.min(3, k[a % 3]! - 1)))) as Spec['pads']);
  const size = opts.size ?? ([0, 1, 2].map((a) => Math.max(1, (k[a]! - 1) * d[a]! + 1 - pads[a]! - pads[a + 3]!) + randInt(r, 0, a === 0 ? 4 : 11)) as Triple);
  return { n: opts.n ?? (r() < 0.3 ? 2 : 1), cin, cout, size, k, s, d, pads, group, epilogue: opts.epilogue ?? pick(r, EPILOGUES), dynamicWeights: opts.dynamicWeights };
}

let session: BrowserSession;
beforeAll(async () => {
  session = await startBrowserSession({ entry: join(dirname(fileURLToPath(import.meta.url)), 'conv3d_page.ts') });
});
afterAll(async () => {
  await session?.close();
});

const force = (v: Conv3dVariant | null) =>
  session.page.evaluate((x) => (globalThis as unknown as { tesseraConv3dTest: { force(v: string | null): void } }).tesseraConv3dTest.force(x), v);

/** The variant a dispatch name belongs to (names carry tile sizes, `_win3` and `_res`). */
function variantOf(kernel: string): string {
  if (kernel.startsWith('conv3d_gemm4_')) return 'conv3d_gemm4';
  if (kernel.startsWith('conv3d_gemm_')) return kernel.includes('_win3') ? 'conv3d_gemm' : 'conv3d_gemm_generic';
  if (kernel.startsWith('conv3d_1x1')) return 'conv3d_1x1';
  return kernel.replace(/_res$/, '');
}

/** Runs `specs` with `variant` forced (null: the rule) and checks accuracy and which kernel ran. */
async function expectVariant(variant: Conv3dVariant | null, specs: Spec[], seed0: number): Promise<Record<string, number>> {
  await force(variant);
  let results;
  try {
    results = await runCases(session, specs.map((c, i) => toCase(c, `${variant ?? 'auto'}#${i}`, seed0 + i)));
  } finally {
    await force(null);
  }
  expect(failures(results)).toEqual([]);
  const counts: Record<string, number> = {};
  results.forEach((res, i) => {
    const shape = shapeOf(specs[i]!);
    const want = variant ?? defaultConv3dVariant(shape);
    // conv3d_gemm takes the window shader only for 3-wide stride-1 rows; elsewhere its generic shader runs.
    const ok = (v: string) => v === want || (want === 'conv3d_gemm' && v === 'conv3d_gemm_generic' && !conv3dVariantsFor(shape).includes('conv3d_gemm_generic'));
    expect(res.kernels.map(variantOf).every(ok) && res.kernels.length === 1, `${res.label}: ran ${res.kernels}`).toBe(true);
    counts[res.kernels[0]!] = (counts[res.kernels[0]!] ?? 0) + 1;
  });
  return counts;
}

describe('3-D conv variant rule', () => {
  const base: Conv3dShape = { n: 1, cin: 64, cout: 64, in: [16, 56, 56], out: [16, 56, 56], k: [3, 3, 3], stride: [1, 1, 1], dil: [1, 1, 1], pads: [1, 1, 1, 1, 1, 1], group: 1, constWeights: true };
  it('picks the tiled GEMM for constant weights, the 1x1 GEMM for pointwise convs, direct for runtime weights', () => {
    expect(defaultConv3dVariant(base)).toBe('conv3d_gemm');
    expect(defaultConv3dVariant({ ...base, cout: 12 })).toBe('conv3d_gemm4');
    expect(defaultConv3dVariant({ ...base, cout: 7 })).toBe('conv3d_gemm4');
    expect(defaultConv3dVariant({ ...base, k: [1, 1, 1], pads: [0, 0, 0, 0, 0, 0] })).toBe('conv3d_1x1');
    expect(defaultConv3dVariant({ ...base, k: [1, 1, 1], pads: [0, 0, 0, 0, 0, 0], stride: [2, 2, 2] })).toBe('conv3d_gemm');
    expect(defaultConv3dVariant({ ...base, constWeights: false })).toBe('conv3d_direct');
    expect(conv3dVariantsFor({ ...base, constWeights: false })).toEqual(['conv3d_direct']);
    expect(conv3dVariantsFor({ ...base, stride: [1, 1, 2] })).not.toContain('conv3d_gemm_generic');
  });
});

describe('3-D conv variants vs the CPU reference (Chromium)', () => {
  it('conv3d_gemm: random kernels, strides, pads, dilations, groups, odd channels, batch 2', async () => {
    const r = mulberry32(3301);
    const specs = Array.from({ length: 40 }, () => randomSpec(r));
    // r3d_18-like layers at small sizes: 3x7x7 stem stride (1,2,2), 3x3x3 stride 1 and 2, strided 1x1x1 projection.
    specs.push(randomSpec(r, { cin: 3, cout: 16, k: [3, 7, 7], s: [1, 2, 2], d: [1, 1, 1], pads: [1, 3, 3, 1, 3, 3], size: [4, 19, 21], n: 2 }));
    specs.push(randomSpec(r, { cin: 16, cout: 16, k: [3, 3, 3], s: [1, 1, 1], d: [1, 1, 1], pads: [1, 1, 1, 1, 1, 1], size: [5, 9, 17] }));
    specs.push(randomSpec(r, { cin: 16, cout: 24, k: [3, 3, 3], s: [2, 2, 2], d: [1, 1, 1], pads: [1, 1, 1, 1, 1, 1], size: [5, 9, 13] }));
    specs.push(randomSpec(r, { cin: 8, cout: 16, k: [1, 1, 1], s: [2, 2, 2], d: [1, 1, 1], pads: [0, 0, 0, 0, 0, 0], size: [5, 7, 9] }));
    // Window shader borders: widths around the 8- and 4-column tiles, left / right pads 0-2 along W.
    for (const w of [8, 16, 9, 5, 4, 3, 12, 17]) {
      const k = pick(r, [[3, 3, 3], [1, 3, 3], [2, 1, 3]] as Triple[]);
      const pads = [randInt(r, 0, k[0] - 1), randInt(r, 0, k[1] - 1), randInt(r, 0, 2), randInt(r, 0, k[0] - 1), randInt(r, 0, k[1] - 1), randInt(r, 0, 2)] as Spec['pads'];
      const size: Triple = [k[0] + randInt(r, 0, 2), k[1] + randInt(r, 0, 3), w + 2 - pads[2] - pads[5]];
      specs.push(randomSpec(r, { group: 1, k, s: [randInt(r, 1, 2), randInt(r, 1, 2), 1], d: [1, 1, 1], pads, size, cout: pick(r, [8, 16, 13]) }));
    }
    const counts = await expectVariant('conv3d_gemm', specs, 3000);
    console.log('conv3d_gemm', JSON.stringify(counts));
    // Both shaders ran: the window one (3-wide stride-1 rows) and the generic one.
    expect(Object.keys(counts).some((k) => k.includes('_win3'))).toBe(true);
    expect(Object.keys(counts).some((k) => !k.includes('_win3'))).toBe(true);
  });

  it('conv3d_gemm4 and conv3d_gemm_generic', async () => {
    const r = mulberry32(3302);
    const specs4 = Array.from({ length: 20 }, () => {
      const group = pick(r, [1, 1, 2, 3]);
      return randomSpec(r, { group, cout: group * pick(r, [1, 3, 4, 5, 7, 12, 37]) });
    });
    console.log('conv3d_gemm4', JSON.stringify(await expectVariant('conv3d_gemm4', specs4, 3100)));
    const specsG = Array.from({ length: 12 }, () => randomSpec(r, { k: pick(r, [[3, 3, 3], [1, 3, 3]] as Triple[]), s: [randInt(r, 1, 2), randInt(r, 1, 2), 1], d: [1, randInt(r, 1, 2), 1] }));
    console.log('conv3d_gemm_generic', JSON.stringify(await expectVariant('conv3d_gemm_generic', specsG, 3200)));
  });

  it('conv3d_1x1 (pointwise GEMM over D*H*W) and conv3d_direct (runtime weights)', async () => {
    const r = mulberry32(3303);
    const pw = Array.from({ length: 12 }, () => randomSpec(r, { group: 1, k: [1, 1, 1], s: [1, 1, 1], d: [1, 1, 1], pads: [0, 0, 0, 0, 0, 0], cin: pick(r, [1, 3, 8, 37]) }));
    console.log('conv3d_1x1', JSON.stringify(await expectVariant('conv3d_1x1', pw, 3300)));
    const dyn = Array.from({ length: 10 }, () => randomSpec(r, { dynamicWeights: true }));
    console.log('conv3d_direct', JSON.stringify(await expectVariant(null, dyn, 3400)));
  });

  it("the rule's choice on mixed shapes", async () => {
    const r = mulberry32(3304);
    const specs = Array.from({ length: 24 }, () => randomSpec(r, { dynamicWeights: r() < 0.1 }));
    console.log('auto', JSON.stringify(await expectVariant(null, specs, 3500)));
  });
});
