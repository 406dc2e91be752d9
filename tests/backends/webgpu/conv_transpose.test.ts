/**
 * ConvTranspose's WebGPU kernel (conv_transpose.ts: the sub-pixel decomposition on the implicit-GEMM conv shader) vs
 * the CPU reference in Chromium: 200 seeded random cases in one page.evaluate — odd channel counts, strides 1-3,
 * asymmetric pads, output_padding, dilations, groups (depthwise too), 1-D and 2-D, bias or not, auto_pad and
 * output_shape now and then, and the fused form (FusedConvTranspose: activation, residual) for a fifth. Kernel
 * sizes and epilogues come from short lists so that the distinct pipelines (one per tap-count pair, tile, bias and
 * epilogue) stay few: SwiftShader compiles each on the CPU.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../../src/node/browser_harness.js';
import { failures, runCases, startTestBrowser, type NodeCase } from '../../harness/browser.js';
import { mulberry32, randInt } from '../../harness/rng.js';
import { convTransposeParams } from '../../../src/graph/ops/index.js';

type Rng = () => number;
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const CASES = 200;
/** Fused epilogues drawn for FusedConvTranspose cases (each is a pipeline of its own: a short list). */
const EPILOGUES: { attrs: Record<string, number | string>; residual?: 0 | 1 }[] = [
  { attrs: { activation: 'relu' } },
  { attrs: { activation: 'clip', act_min: 0, act_max: 6 }, residual: 0 },
  { attrs: { activation: 'sigmoid' }, residual: 1 },
];

/** One random ConvTranspose node case. */
function randomCase(r: Rng, i: number): NodeCase {
  const spatial = r() < 0.2 ? 1 : 2;
  const group = pick(r, [1, 1, 1, 2, 3, 'dw'] as const);
  const perGroupIn = pick(r, [1, 2, 3, 5]);
  const perGroupOut = pick(r, [1, 3, 4, 5, 8, 9]);
  const g = group === 'dw' ? pick(r, [3, 7, 8]) : group;
  const cin = group === 'dw' ? g : g * perGroupIn;
  const coutPerGroup = group === 'dw' ? 1 : perGroupOut;
  const k = pick(r, [1, 2, 3, 4]);
  const s = pick(r, [1, 2, 2, 3]);
  const d = r() < 0.25 ? 2 : 1;
  const dims = (f: () => number) => Array.from({ length: spatial }, f);
  const kernel = dims(() => (r() < 0.15 ? pick(r, [1, 2, 3]) : k));
  const strides = dims(() => (r() < 0.15 ? pick(r, [1, 2, 3]) : s));
  const dilations = dims(() => d);
  const size = dims(() => randInt(r, 1, 9));
  const attrs: NodeCase['attrs'] = { kernel_shape: kernel, strides, dilations, group: g };
  const mode = r();
  if (mode < 0.1) attrs['auto_pad'] = pick(r, ['SAME_UPPER', 'SAME_LOWER', 'VALID']);
  else if (mode < 0.2) attrs['output_shape'] = size.map((n, a) => Math.max(1, n * strides[a]! + randInt(r, -2, 1)));
  else {
    const full = size.map((n, a) => strides[a]! * (n - 1) + (kernel[a]! - 1) * dilations[a]! + 1);
    // Pads that leave at least one output: at most full - 1 in total per axis.
    const pads = [...dims(() => 0), ...dims(() => 0)];
    for (let a = 0; a < spatial; a++) {
      pads[a] = randInt(r, 0, Math.min(3, full[a]! - 1));
      pads[a + spatial] = randInt(r, 0, Math.min(3, full[a]! - 1 - pads[a]!));
    }
    attrs['pads'] = pads;
    attrs['output_padding'] = dims(() => 0).map((_, a) => (r() < 0.3 ? randInt(r, 0, Math.max(strides[a]!, dilations[a]!) - 1) : 0));
  }
  const bias = r() < 0.5;
  const n = r() < 0.15 ? 2 : 1;
  const inputs: NodeCase['inputs'] = [
    { shape: [n, cin, ...size] },
    { shape: [cin, coutPerGroup, ...kernel], kind: 'const' },
    ...(bias ? [{ shape: [coutPerGroup * g], kind: 'const' as const }] : []),
  ];
  // Now and then the fused form (fuse_epilogue.ts): an activation, and a residual R of the output's shape.
  const epilogue = r() < 0.2 ? pick(r, EPILOGUES) : undefined;
  if (epilogue) {
    Object.assign(attrs, epilogue.attrs);
    if (epilogue.residual !== undefined) {
      const p = convTransposeParams({ name: 'n', op: 'ConvTranspose', inputs: [], outputs: [], attrs }, [n, cin, ...size], [cin, coutPerGroup, ...kernel]);
      attrs['residual_after_activation'] = epilogue.residual;
      if (!bias) inputs.push({ shape: [coutPerGroup * g], absent: true });
      inputs.push({ shape: [n, coutPerGroup * g, ...p.outSpatial] });
    }
  }
  const label = `convT#${i} x[${n},${cin},${size}] w[${cin},${coutPerGroup},${kernel}] ${JSON.stringify(attrs)}${bias ? ' +b' : ''}`;
  return { label, op: epilogue ? 'FusedConvTranspose' : 'ConvTranspose', attrs, inputs, seed: 77_000 + i };
}

let session: BrowserSession;
beforeAll(async () => {
  session = await startTestBrowser();
});
afterAll(async () => {
  await session?.close();
});

describe(`ConvTranspose on WebGPU vs the CPU reference (${CASES} seeded cases, Chromium)`, () => {
  it('random cases', async () => {
    const r = mulberry32(18_002);
    const cases = Array.from({ length: CASES }, (_, i) => randomCase(r, i));
    const results = await runCases(session, cases);
    expect(results).toHaveLength(CASES);
    expect(failures(results)).toEqual([]);
    const kernels = new Set(results.flatMap((res) => res.kernels));
    const worst = Math.max(...results.map((res) => res.relL2));
    console.log(`ConvTranspose: ${CASES} cases, worst rel L2 ${worst.toExponential(2)}, max |diff| ${Math.max(...results.map((res) => res.maxAbs)).toExponential(2)}, kernels ${[...kernels].join(', ')}`);
    for (const res of results) expect(res.kernels.every((k) => k.startsWith('conv_transpose_gemm')), res.label).toBe(true);
    expect(cases.filter((c) => c.op === 'FusedConvTranspose').length).toBeGreaterThan(20);
  }, 300_000);

  it('decoder-sized layers (k4 s2 p1, k2 s2, 64 channels) and the rejected forms', async () => {
    const cases: NodeCase[] = [
      { label: 'k4 s2 p1 64->32 @16', op: 'ConvTranspose', attrs: { strides: [2, 2], pads: [1, 1, 1, 1] }, inputs: [{ shape: [1, 64, 16, 16] }, { shape: [64, 32, 4, 4], kind: 'const' }, { shape: [32], kind: 'const' }], seed: 1 },
      { label: 'k2 s2 64->64 @12', op: 'ConvTranspose', attrs: { strides: [2, 2] }, inputs: [{ shape: [1, 64, 12, 12] }, { shape: [64, 64, 2, 2], kind: 'const' }], seed: 2 },
      { label: 'stride > output (phases 2x3 of 5x4)', op: 'ConvTranspose', attrs: { strides: [5, 4] }, inputs: [{ shape: [2, 3, 1, 1] }, { shape: [3, 5, 2, 3], kind: 'const' }, { shape: [5], kind: 'const' }], seed: 5 },
      { label: '3-D', op: 'ConvTranspose', attrs: { strides: [2, 2, 2] }, inputs: [{ shape: [1, 2, 3, 3, 3] }, { shape: [2, 2, 2, 2, 2], kind: 'const' }], seed: 3 },
      { label: 'runtime W', op: 'ConvTranspose', attrs: { strides: [2, 2] }, inputs: [{ shape: [1, 2, 3, 3] }, { shape: [2, 2, 2, 2] }], seed: 4 },
    ];
    const [a, b, small, threeD, dynamicW] = await runCases(session, cases);
    expect(failures([a!, b!, small!])).toEqual([]);
    expect(small!.gpuShape).toEqual([2, 5, 2, 3]);
    console.log(`decoder layers: rel L2 ${a!.relL2.toExponential(2)} (${a!.kernels}), ${b!.relL2.toExponential(2)} (${b!.kernels})`);
    expect(threeD!.error).toMatch(/WebGPUKernelError.*3-D ConvTranspose is not supported on WebGPU/);
    expect(dynamicW!.error).toMatch(/WebGPUKernelError.*needs constant weights/);
  }, 120_000);
});
