/**
 * Winograd F(2x2,3x3) and F(4x4,3x3) on WebGPU (src/backends/webgpu/winograd.ts, lowered by lower.ts lowerWinograd;
 * variants 'winograd' and 'winograd4') against the CPU reference of the plain Conv / FusedConv, in headless Chromium:
 * odd channel counts, pads 0/1/2 (asymmetric too), odd H / W (partial tiles), batch 2, bias / no bias, activations,
 * residual before / after the activation, f16 weights (kept on the implicit GEMM), and a ResNet basic block in a
 * planned arena. The variant is forced; the test checks the three Winograd dispatches are what ran, and holds relative
 * L2 error to 1e-5 (F(2x2)) / 3e-5 (F(4x4), whose transforms scale values by up to 25 and 64), and, on unit-variance
 * inputs with He-scaled weights up to C_in = 512, to the bounds docs/webgpu.md "Winograd" quotes.
 */
import { describe, expect, it } from 'vitest';
import { useConvPage } from './conv_page.js';
import { failures, runCases, runGraphCases, type GraphCase, type NodeCase } from '../../harness/browser.js';
import { mulberry32, randInt } from '../../harness/rng.js';

const TOL = 1e-5;
const TOL4 = 3e-5;
type WinogradVariant = 'winograd' | 'winograd4';
const VARIANTS: [WinogradVariant, number][] = [
  ['winograd', TOL],
  ['winograd4', TOL4],
];
/** The three dispatches of a variant (the GEMM shader and pipeline are shared). */
const kernelsOf = (v: WinogradVariant) => (v === 'winograd' ? ['winograd_input', 'winograd_gemm_16x8', 'winograd_output'] : ['winograd4_input', 'winograd_gemm_16x8', 'winograd4_output']);
const page = useConvPage();

const force = page.force;

interface Spec {
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  pads: [number, number, number, number];
  bias?: boolean;
  epilogue?: Record<string, number | string>;
  residual?: boolean;
}

function toCase(s: Spec, seed: number): NodeCase {
  const oh = s.h + s.pads[0] + s.pads[2] - 2;
  const ow = s.w + s.pads[1] + s.pads[3] - 2;
  const fused = s.epilogue !== undefined || s.residual;
  const inputs: NodeCase['inputs'] = [{ shape: [s.n, s.cin, s.h, s.w] }, { shape: [s.cout, s.cin, 3, 3], kind: 'const', lo: -0.4, hi: 0.4 }];
  if (s.bias ?? true) inputs.push({ shape: [s.cout], kind: 'const' });
  else if (s.residual) inputs.push({ shape: [0], absent: true });
  if (s.residual) inputs.push({ shape: [s.n, s.cout, oh, ow] });
  return {
    label: `#${seed} x[${s.n},${s.cin},${s.h},${s.w}] -> ${s.cout} pads ${s.pads} bias=${s.bias ?? true} ${JSON.stringify(s.epilogue ?? {})} res=${!!s.residual}`,
    op: fused ? 'FusedConv' : 'Conv',
    attrs: { kernel_shape: [3, 3], pads: s.pads, ...(s.epilogue ?? {}) },
    inputs,
    seed,
  };
}

async function runWinograd(cases: NodeCase[], variant: WinogradVariant) {
  await force(variant);
  try {
    return await runCases(page.session(), cases);
  } finally {
    await force(null);
  }
}

describe.each(VARIANTS)('Winograd %s vs the CPU reference conv', (variant, tol) => {
  it('random shapes: odd channels, pads 0..2, odd sizes, batch 2', async () => {
    const r = mulberry32(variant === 'winograd' ? 701 : 702);
    const specs: Spec[] = [];
    for (let i = 0; i < 14; i++) {
      const pads: [number, number, number, number] = i < 4 ? [i % 3, i % 3, i % 3, i % 3] : [randInt(r, 0, 2), randInt(r, 0, 2), randInt(r, 0, 2), randInt(r, 0, 2)];
      const h = Math.max(1, 3 - pads[0] - pads[2]) + randInt(r, 0, 11);
      const w = Math.max(1, 3 - pads[1] - pads[3]) + randInt(r, 0, 13);
      specs.push({ n: i % 3 === 0 ? 2 : 1, cin: [1, 3, 7, 37][i % 4]!, cout: [5, 7, 37, 16, 9][i % 5]!, h, w, pads, epilogue: { activation: 'relu' } });
    }
    specs.push({ n: 2, cin: 64, cout: 24, h: 14, w: 14, pads: [1, 1, 1, 1], epilogue: { activation: 'relu' } }); // several row blocks
    const results = await runWinograd(specs.map((s, i) => toCase(s, 100 + i)), variant);
    expect(failures(results, tol)).toEqual([]);
    for (const res of results) expect(res.kernels, res.label).toEqual(kernelsOf(variant));
  });

  it('epilogues: no bias, activations, residual before / after the activation', async () => {
    const base: Spec = { n: 2, cin: 5, cout: 11, h: 7, w: 9, pads: [1, 1, 1, 1] };
    const specs: Spec[] = [
      { ...base, bias: false },
      { ...base, epilogue: { activation: 'clip', act_min: -0.2, act_max: 0.3 } },
      { ...base, epilogue: { activation: 'leaky_relu', act_alpha: 0.2 } },
      { ...base, epilogue: { activation: 'sigmoid' } },
      { ...base, epilogue: { activation: 'relu' }, residual: true },
      { ...base, epilogue: { activation: 'relu', residual_after_activation: 1 }, residual: true },
      { ...base, bias: false, epilogue: { activation: 'none' }, residual: true, pads: [0, 2, 2, 0] },
    ];
    const results = await runWinograd(specs.map((s, i) => toCase(s, 200 + i)), variant);
    expect(failures(results, tol)).toEqual([]);
    const out = kernelsOf(variant)[2]!;
    for (const res of results) expect(res.kernels[2], res.label).toBe(res.label.includes('res=true') ? `${out}_res` : out);
  });

  it('a ResNet basic block (two convs, residual) in planned arenas; f16 weights stay on the implicit GEMM', async () => {
    const c = 12;
    const block: GraphCase = {
      label: 'basic block',
      seed: 9,
      nodes: [
        { name: 'c1', op: 'FusedConv', inputs: ['x', 'w1', 'b1'], outputs: ['h'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], activation: 'relu' } },
        { name: 'c2', op: 'FusedConv', inputs: ['h', 'w2', 'b2', 'x'], outputs: ['y0'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], activation: 'relu' } },
        { name: 'post', op: 'Relu', inputs: ['y0'], outputs: ['y'], attrs: {} },
      ],
      inputs: [
        { name: 'x', shape: [2, c, 9, 11] },
        { name: 'w1', shape: [c, c, 3, 3], kind: 'const', lo: -0.3, hi: 0.3 },
        { name: 'b1', shape: [c], kind: 'const' },
        { name: 'w2', shape: [c, c, 3, 3], kind: 'const', lo: -0.3, hi: 0.3, dtype: 'f16' },
        { name: 'b2', shape: [c], kind: 'const' },
      ],
      outputs: ['y'],
    };
    await force(variant);
    let results;
    try {
      // An f16 weight keeps the implicit GEMM (lower.ts keepHalfWeights), with f16 storage or decoded to f32.
      results = await runGraphCases(page.session(), [{ ...block, f16Weights: false }, { ...block, label: 'f16 storage' }]);
    } finally {
      await force(null);
    }
    expect(failures(results, tol)).toEqual([]);
    for (const r of results) expect(r.ops).toEqual({ WinogradInput: 1, WinogradGemm: 1, WinogradOutput: 1, FusedConv: 1, Relu: 1 });
    expect(results[0]!.memory.f16WeightBytes).toBe(0);
    expect(results[1]!.memory.f16WeightBytes).toBeGreaterThan(0);
  });

  it('accuracy on unit-variance inputs and He-scaled weights, C_in 16..512', async () => {
    // Uniform values with the variance of N(0, 1) inputs and He-initialised weights (std sqrt(2 / (9 C_in))), as in a
    // trained net's feature maps; the bound is the worst measured figure with some headroom (docs/webgpu.md).
    const shapes: [number, number, number][] = [
      [16, 16, 32],
      [64, 32, 16],
      [128, 32, 14],
      [256, 32, 12],
      [512, 32, 8],
    ];
    const cases = shapes.map(([cin, cout, hw], i): NodeCase => {
      const wb = Math.sqrt(3) * Math.sqrt(2 / (9 * cin));
      return {
        label: `he ${cin}->${cout}@${hw}`,
        op: 'Conv',
        attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        inputs: [{ shape: [1, cin, hw, hw], lo: -Math.sqrt(3), hi: Math.sqrt(3) }, { shape: [cout, cin, 3, 3], kind: 'const', lo: -wb, hi: wb }],
        seed: 300 + i,
      };
    });
    const results = await runWinograd(cases, variant);
    console.log(`${variant} rel L2 vs CPU conv: ${results.map((r) => `${r.label} ${r.relL2.toExponential(2)}`).join(', ')}`);
    expect(failures(results, variant === 'winograd' ? 2e-6 : 1e-5)).toEqual([]);
  });
});
