/**
 * The 'im2col' conv variant on WebGPU (Im2col + conv2d_1x1, lowered by lower.ts lowerIm2col) against the CPU
 * reference of the plain Conv / FusedConv, in headless Chromium: seeded random strided shapes (odd channels, 3×3 and
 * 7×7 kernels, pads 0/1/3, asymmetric pads, odd sizes so OH·OW is odd or even: scalar and vec4 Im2col), batch 2,
 * bias / no bias, activations, residual before / after the activation. The variant is forced; the test checks that
 * the Im2col dispatch and conv2d_1x1 are what ran.
 */
import { describe, expect, it } from 'vitest';
import { useConvPage } from './conv_page.js';
import { failures, runCases, type NodeCase } from '../../harness/browser.js';
import { mulberry32, randInt } from '../../harness/rng.js';

const TOL = 1e-5;
const page = useConvPage();

const force = page.force;

interface Spec {
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  k: number;
  stride: [number, number];
  pads: [number, number, number, number];
  bias?: boolean;
  epilogue?: Record<string, number | string>;
  residual?: boolean;
}

const outSize = (s: Spec): [number, number] => [
  Math.floor((s.h + s.pads[0] + s.pads[2] - s.k) / s.stride[0]) + 1,
  Math.floor((s.w + s.pads[1] + s.pads[3] - s.k) / s.stride[1]) + 1,
];

function toCase(s: Spec, seed: number): NodeCase {
  const [oh, ow] = outSize(s);
  const fused = s.epilogue !== undefined || s.residual;
  const inputs: NodeCase['inputs'] = [{ shape: [s.n, s.cin, s.h, s.w] }, { shape: [s.cout, s.cin, s.k, s.k], kind: 'const', lo: -0.3, hi: 0.3 }];
  if (s.bias ?? true) inputs.push({ shape: [s.cout], kind: 'const' });
  else if (s.residual) inputs.push({ shape: [0], absent: true });
  if (s.residual) inputs.push({ shape: [s.n, s.cout, oh, ow] });
  return {
    label: `#${seed} x[${s.n},${s.cin},${s.h},${s.w}] k${s.k}/${s.stride} -> ${s.cout} pads ${s.pads} bias=${s.bias ?? true} ${JSON.stringify(s.epilogue ?? {})} res=${!!s.residual} out ${oh}x${ow}`,
    op: fused ? 'FusedConv' : 'Conv',
    attrs: { kernel_shape: [s.k, s.k], pads: s.pads, strides: s.stride, ...(s.epilogue ?? {}) },
    inputs,
    seed,
  };
}

async function runIm2col(cases: NodeCase[]) {
  await force('im2col');
  try {
    return await runCases(page.session(), cases);
  } finally {
    await force(null);
  }
}

const expectIm2col = (kernels: string[], label: string, res = false) => {
  expect(kernels.length, label).toBe(2);
  expect(kernels[0], label).toMatch(/^im2col(_v4)?$/);
  expect(kernels[1], label).toMatch(res ? /^conv2d_1x1.*_res$/ : /^conv2d_1x1/);
};

describe('im2col variant vs the CPU reference conv', () => {
  it('random strided shapes: odd channels, 3x3 / 7x7, pads 0/1/3, odd sizes, batch 2', async () => {
    const r = mulberry32(811);
    const specs: Spec[] = [];
    for (let i = 0; i < 12; i++) {
      const k = i % 4 === 3 ? 7 : 3;
      const p = k === 7 ? [0, 3][i % 2]! : [0, 1][i % 2]!;
      const pads: [number, number, number, number] = i < 6 ? [p, p, p, p] : [randInt(r, 0, p), randInt(r, 0, p), randInt(r, 0, p), randInt(r, 0, p)];
      const stride: [number, number] = i % 5 === 4 ? [2, 3] : [2, 2];
      const h = Math.max(1, k - pads[0] - pads[2]) + randInt(r, 0, 12);
      const w = Math.max(1, k - pads[1] - pads[3]) + randInt(r, 0, 14);
      specs.push({ n: i % 3 === 0 ? 2 : 1, cin: [1, 3, 7, 19][i % 4]!, cout: [5, 7, 33, 16, 9][i % 5]!, h, w, k, stride, pads, epilogue: { activation: 'relu' } });
    }
    specs.push({ n: 2, cin: 32, cout: 24, h: 14, w: 14, k: 3, stride: [2, 2], pads: [1, 1, 1, 1], epilogue: { activation: 'relu' } }); // 7x7 output (odd: scalar Im2col), several row blocks
    specs.push({ n: 1, cin: 16, cout: 40, h: 16, w: 16, k: 3, stride: [2, 2], pads: [1, 1, 1, 1] }); // 8x8 output: vec4 Im2col
    const results = await runIm2col(specs.map((s, i) => toCase(s, 100 + i)));
    expect(failures(results, TOL)).toEqual([]);
    for (const res of results) expectIm2col(res.kernels, res.label);
    expect(results.some((res) => res.kernels[0] === 'im2col_v4')).toBe(true);
    expect(results.some((res) => res.kernels[0] === 'im2col')).toBe(true);
  });

  it('epilogues: no bias, activations, residual before / after the activation', async () => {
    const base: Spec = { n: 2, cin: 5, cout: 11, h: 9, w: 11, k: 3, stride: [2, 2], pads: [1, 1, 1, 1] };
    const specs: Spec[] = [
      { ...base, bias: false },
      { ...base, epilogue: { activation: 'clip', act_min: -0.2, act_max: 0.3 } },
      { ...base, epilogue: { activation: 'leaky_relu', act_alpha: 0.2 } },
      { ...base, epilogue: { activation: 'relu' }, residual: true },
      { ...base, epilogue: { activation: 'relu', residual_after_activation: 1 }, residual: true },
      { ...base, k: 7, h: 15, w: 13, pads: [3, 3, 3, 3], bias: false, epilogue: { activation: 'none' }, residual: true },
    ];
    const results = await runIm2col(specs.map((s, i) => toCase(s, 200 + i)));
    expect(failures(results, TOL)).toEqual([]);
    for (const res of results) expectIm2col(res.kernels, res.label, res.label.includes('res=true'));
  });
});
