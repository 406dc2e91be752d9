/**
 * BatchNormConv (src/graph/ops/batchnorm_conv.ts: DenseNet's BN → ReLU folded into the next 1x1 conv as its input
 * prologue) on WebGPU in Chromium vs the CPU reference. Seeded random graphs: odd channels, batch 1-3, random BN
 * statistics, prologue activations ReLU / none (conv2d_1x1's IN_BN / IN_RELU switches, one dispatch) and others
 * (expanded back: FusedBatchNorm + the conv, two dispatches), the rule's variant and every conv variant forced (those
 * without the prologue — all but conv2d_1x1, conv2d_wgm(_8x16) and conv2d_splitk — take the expanded form:
 * lowerBatchNormConvs). `pointwisePrologue: true` (the default of hardware adapters) except in the software-default case.
 */
import { describe, expect, it } from 'vitest';
import type { Node } from '../../../src/graph/ir.js';
import { CONV_VARIANTS } from '../../../src/backends/webgpu/conv_select.js';
import { runGraphCases, startTestBrowser, type GraphCase } from '../../harness/browser.js';
import { perFile } from '../../harness/per_file.js';
import { mulberry32, randInt } from '../../harness/rng.js';

const REL_L2 = 1e-5;
const session = perFile(startTestBrowser);

const PROLOGUES: Node['attrs'][] = [
  { in_activation: 'relu' },
  { in_activation: 'none' },
  { in_activation: 'relu' },
  { in_activation: 'leaky_relu', in_act_alpha: 0.1 },
  { in_activation: 'clip', in_act_min: 0, in_act_max: 6 },
];

function randomCase(r: () => number, i: number, convVariant?: string, f16 = false): GraphCase {
  const n = randInt(r, 1, 3);
  const c = [1, 3, 5, 7, 9, 13, 17][randInt(r, 0, 6)]!;
  const cout = randInt(r, 1, 19);
  const h = randInt(r, 1, 11);
  const w = randInt(r, 1, 11);
  const bias = r() < 0.6;
  const residual = r() < 0.3;
  const prologue = PROLOGUES[i % PROLOGUES.length]!;
  const inputs: GraphCase['inputs'] = [
    { name: 'x', shape: [n, c, h, w], lo: -2, hi: 2 },
    { name: 'w', shape: [cout, c, 1, 1], kind: 'const' },
    { name: 'scale', shape: [c], kind: 'const', lo: 0.5, hi: 2 },
    { name: 'bn_b', shape: [c], kind: 'const', lo: -1, hi: 1 },
    { name: 'mean', shape: [c], kind: 'const', lo: -0.5, hi: 0.5 },
    { name: 'var', shape: [c], kind: 'const', lo: 0.1, hi: 2 },
  ];
  if (bias) inputs.push({ name: 'b', shape: [cout], kind: 'const' });
  // A .tessera converted with --fp16 stores BatchNormConv's W, B and BN parameters as halves.
  if (f16) for (const inp of inputs) if (inp.kind === 'const') inp.dtype = 'f16';
  if (residual) inputs.push({ name: 'r', shape: [n, cout, h, w] });
  const node: Node = {
    name: 'bnconv',
    op: 'BatchNormConv',
    inputs: ['x', 'w', bias ? 'b' : '', residual ? 'r' : '', 'scale', 'bn_b', 'mean', 'var'],
    outputs: ['y'],
    attrs: { kernel_shape: [1, 1], activation: r() < 0.5 ? 'relu' : 'none', epsilon: r() < 0.5 ? 1e-5 : 1e-3, ...prologue },
  };
  return { label: `#${i} ${convVariant ?? 'rule'}${f16 ? ' f16' : ''} x [${n},${c},${h},${w}] -> ${cout}${bias ? ' +B' : ''}${residual ? ' +R' : ''} ${JSON.stringify(prologue)}`, nodes: [node], inputs, outputs: ['y'], seed: 1600 + i, convVariant, pointwisePrologue: true };
}

const oneDispatch = (label: string) => /"in_activation":"(relu|none)"/.test(label);

describe('WebGPU BatchNormConv vs CPU reference', () => {
  it('rule: 30 seeded graphs, ReLU / none in one conv2d_1x1 dispatch, others expanded', async () => {
    const r = mulberry32(16161);
    const cases = Array.from({ length: 30 }, (_, i) => randomCase(r, i));
    const results = await runGraphCases(session(), cases);
    expect(results.filter((x) => !x.ok || !(x.relL2 <= REL_L2)).map((x) => `${x.label}: ${x.error ?? `rel L2 ${x.relL2}`}`)).toEqual([]);
    console.log(`rule: worst rel L2 ${Math.max(...results.map((x) => x.relL2)).toExponential(2)}`);
    for (const x of results) {
      if (oneDispatch(x.label)) expect(x.kernels, x.label).toHaveLength(1);
      if (oneDispatch(x.label)) expect(x.kernels[0], x.label).toMatch(/^conv2d_1x1_bn/);
      else expect(x.kernels.map((k) => k.replace(/_v4$/, '')), x.label).toContain('batchnorm_act');
    }
  }, 600_000);

  it('default on a software adapter: conv2d_1x1 keeps the separate BN dispatch, conv2d_wgm takes the prologue', async () => {
    const r = mulberry32(16164);
    const cases = Array.from({ length: 4 }, (_, i) => ({ ...randomCase(r, 300 + 5 * i, i % 2 ? 'conv2d_wgm' : undefined), pointwisePrologue: undefined }));
    const results = await runGraphCases(session(), cases);
    expect(results.filter((x) => !x.ok || !(x.relL2 <= REL_L2)).map((x) => `${x.label}: ${x.error ?? `rel L2 ${x.relL2}`}`)).toEqual([]);
    for (const x of results) {
      const kernels = x.kernels.map((k) => k.replace(/(_v4)?(_res)?$/, '').replace(/_32x\d+$/, ''));
      expect(kernels, x.label).toEqual(x.label.includes(' conv2d_wgm ') ? ['conv2d_wgm_bnrelu'] : ['batchnorm_act', 'conv2d_1x1']);
    }
  }, 600_000);

  it('f16 weights and BN parameters: 10 seeded graphs on the rule and on conv2d_wgm', async () => {
    const r = mulberry32(16163);
    const cases = Array.from({ length: 10 }, (_, i) => randomCase(r, 200 + i, i % 2 ? 'conv2d_wgm' : undefined, true));
    const results = await runGraphCases(session(), cases);
    expect(results.filter((x) => !x.ok || !(x.relL2 <= REL_L2)).map((x) => `${x.label}: ${x.error ?? `rel L2 ${x.relL2}`}`)).toEqual([]);
    for (const x of results) if (oneDispatch(x.label)) expect(x.kernels, x.label).toHaveLength(1);
  }, 600_000);

  it('every conv variant forced: 4 seeded graphs each, the prologue on conv2d_1x1, conv2d_wgm(_8x16), conv2d_splitk', async () => {
    const r = mulberry32(16162);
    const cases = CONV_VARIANTS.flatMap((v, j) => Array.from({ length: 4 }, (_, i) => randomCase(r, 100 + j * 4 + i, v)));
    const results = await runGraphCases(session(), cases);
    expect(results.filter((x) => !x.ok || !(x.relL2 <= REL_L2)).map((x) => `${x.label}: ${x.error ?? `rel L2 ${x.relL2}`} ${x.kernels.join(',')}`)).toEqual([]);
    console.log(`forced: worst rel L2 ${Math.max(...results.map((x) => x.relL2)).toExponential(2)}; kernels ${[...new Set(results.flatMap((x) => x.kernels))].sort().join(' ')}`);
    // A forced variant that cannot run the shape falls back to the rule (conv2d_1x1 here), so only these hold:
    for (const x of results) {
      const fused = x.kernels.some((k) => /_bn(relu)?(_|$)/.test(k));
      if (fused) expect(x.kernels, x.label).toHaveLength(1);
      if (!oneDispatch(x.label)) expect(fused, x.label).toBe(false);
      if (/ (conv2d_1x1|conv2d_wgm|conv2d_wgm_8x16|conv2d_splitk) x/.test(x.label)) expect(fused, x.label).toBe(oneDispatch(x.label));
    }
    // The variants with the prologue ran it: the 1x1 GEMM, both workgroup-memory tiles, split-K.
    const fusedKernels = results.flatMap((x) => x.kernels).filter((k) => /_bn(relu)?(_|$)/.test(k));
    for (const family of [/^conv2d_1x1_bn/, /^conv2d_wgm_bn.*_32x32/, /^conv2d_wgm_bn.*_32x64/, /^conv2d_splitk_bn/])
      expect(fusedKernels.some((k) => family.test(k)), String(family)).toBe(true);
    // The expanded form ran on the other families (the BN as its own batchnorm_act dispatch before them).
    const expanded = new Set(results.filter((x) => x.kernels.some((k) => k.startsWith('batchnorm_act'))).flatMap((x) => x.kernels));
    for (const family of [/^conv2d_gemm/, /^conv2d_direct/, /^conv2d_wgm/, /^conv2d_rt/, /splitk/])
      expect([...expanded].some((k) => family.test(k)), String(family)).toBe(true);
  }, 600_000);
});
