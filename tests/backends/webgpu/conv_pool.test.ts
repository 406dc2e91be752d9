import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../../src/node/browser_harness.js';
import { failures, runCases, startTestBrowser, type NodeCase } from '../../harness/browser.js';
import { mulberry32, randInt } from '../../harness/rng.js';

let session: BrowserSession;
beforeAll(async () => {
  session = await startTestBrowser();
});
afterAll(async () => {
  await session?.close();
});

/** A random valid 2-D conv (output spatial ≥ 1). */
function randomConv(r: () => number, i: number): NodeCase {
  const group = [1, 1, 2, 3, 4][randInt(r, 0, 4)]!;
  const depthwise = r() < 0.2;
  const cinPerGroup = depthwise ? 1 : randInt(r, 1, 4);
  const g = depthwise ? randInt(r, 2, 8) : group;
  const cin = cinPerGroup * g;
  const cout = g * randInt(r, 1, 3);
  const kh = randInt(r, 1, 4);
  const kw = randInt(r, 1, 4);
  const sh = randInt(r, 1, 3);
  const sw = randInt(r, 1, 3);
  const dh = randInt(r, 1, 2);
  const dw = randInt(r, 1, 2);
  const pads = [randInt(r, 0, 2), randInt(r, 0, 2), randInt(r, 0, 2), randInt(r, 0, 2)];
  const h = (kh - 1) * dh + 1 + randInt(r, 0, 9);
  const w = (kw - 1) * dw + 1 + randInt(r, 0, 9);
  const n = randInt(r, 1, 2);
  const bias = r() < 0.7;
  return {
    label: `conv#${i} x[${n},${cin},${h},${w}] w[${cout},${cinPerGroup},${kh},${kw}] g${g} s${sh},${sw} d${dh},${dw} p${pads} bias=${bias}`,
    op: 'Conv',
    attrs: { kernel_shape: [kh, kw], strides: [sh, sw], dilations: [dh, dw], pads, group: g },
    inputs: [{ shape: [n, cin, h, w] }, { shape: [cout, cinPerGroup, kh, kw], kind: 'const' }, ...(bias ? [{ shape: [cout], kind: 'const' as const }] : [])],
    seed: 1000 + i,
  };
}

describe('WebGPU Conv vs CPU reference', () => {
  it('random 2-D convolutions (groups, depthwise, strides, dilations, asymmetric pads)', async () => {
    const r = mulberry32(11);
    const cases = Array.from({ length: 48 }, (_, i) => randomConv(r, i));
    // Wider convs (8-channel blocks, C_out not a multiple of 8 pads the packed weights; grouped with 8 per group).
    for (let i = 0; i < 12; i++) {
      const c = randomConv(r, 100 + i);
      const g = i % 4 === 3 ? 2 : 1;
      const cout = g === 2 ? 16 : randInt(r, 8, 21);
      const cinPerGroup = randInt(r, 1, 6);
      const w = c.inputs[1]!.shape;
      const x = c.inputs[0]!.shape;
      cases.push({
        ...c,
        label: `wide conv#${i} cout ${cout} g${g} ${JSON.stringify(c.attrs)}`,
        attrs: { ...c.attrs, group: g },
        inputs: [{ shape: [x[0]!, cinPerGroup * g, x[2]!, x[3]!] }, { shape: [cout, cinPerGroup, w[2]!, w[3]!], kind: 'const' }, { shape: [cout], kind: 'const' }],
      });
    }
    // Weights as a runtime input (not a constant) force the direct kernel.
    for (const c of cases.slice(0, 8)) cases.push({ ...c, label: `${c.label} (dynamic weights)`, inputs: c.inputs.map((x, k) => (k === 1 ? { ...x, kind: 'input' as const } : x)) });
    const results = await runCases(session, cases);
    expect(failures(results)).toEqual([]);
    // Whatever variants the selection rule picks (conv_select.ts): several here; runtime weights always go direct.
    const kernels = new Set(results.flatMap((x) => x.kernels));
    expect(kernels.size).toBeGreaterThanOrEqual(3);
    for (const res of results.filter((x) => x.label.endsWith('(dynamic weights)'))) expect(res.kernels, res.label).toEqual(['conv2d_direct']);
  });

  it('1-D conv, auto_pad SAME_UPPER / SAME_LOWER / VALID', async () => {
    const cases: NodeCase[] = [
      { label: 'conv1d', op: 'Conv', attrs: { kernel_shape: [3], strides: [2], pads: [1, 0] }, inputs: [{ shape: [1, 3, 11] }, { shape: [4, 3, 3], kind: 'const' }], seed: 1 },
      ...(['SAME_UPPER', 'SAME_LOWER', 'VALID'] as const).map((auto_pad, i) => ({
        label: `auto_pad ${auto_pad}`,
        op: 'Conv',
        attrs: { kernel_shape: [4, 3], strides: [2, 1], auto_pad },
        inputs: [{ shape: [1, 2, 9, 7] }, { shape: [3, 2, 4, 3], kind: 'const' as const }, { shape: [3], kind: 'const' as const }],
        seed: 20 + i,
      })),
    ];
    const results = await runCases(session, cases);
    expect(failures(results)).toEqual([]);
  });

  it('FusedConv epilogues: activation, residual before / after activation', async () => {
    const base = { kernel_shape: [3, 3], pads: [1, 1, 1, 1] };
    const acts: Record<string, number | string>[] = [
      { activation: 'relu' },
      { activation: 'clip', act_min: -0.2, act_max: 0.3 },
      { activation: 'leaky_relu', act_alpha: 0.2 },
      { activation: 'hard_sigmoid', act_alpha: 0.3, act_beta: 0.4 },
      { activation: 'hard_swish' },
      { activation: 'sigmoid' },
      { activation: 'silu' },
      { activation: 'tanh' },
    ];
    const cases: NodeCase[] = acts.map((a, i) => ({
      label: `FusedConv ${a['activation']}`,
      op: 'FusedConv',
      attrs: { ...base, ...a },
      inputs: [{ shape: [1, 4, 6, 5] }, { shape: [6, 4, 3, 3], kind: 'const' }, { shape: [6], kind: 'const' }],
      seed: 40 + i,
    }));
    for (const after of [0, 1]) {
      cases.push({
        label: `FusedConv residual after=${after}`,
        op: 'FusedConv',
        attrs: { ...base, activation: 'relu', residual_after_activation: after },
        inputs: [{ shape: [2, 4, 6, 5] }, { shape: [4, 4, 3, 3], kind: 'const' }, { shape: [4], kind: 'const' }, { shape: [2, 4, 6, 5] }],
        seed: 60 + after,
      });
    }
    const results = await runCases(session, cases);
    expect(failures(results)).toEqual([]);
    // One dispatch each; the residual variants are the `_res` ones.
    for (const res of results) expect(res.kernels, res.label).toHaveLength(1);
    expect(results.at(-1)!.kernels[0]).toMatch(/_res$/);
    expect(results[0]!.kernels[0]).not.toMatch(/_res$/);
  });
});

describe('WebGPU pooling vs CPU reference', () => {
  it('random MaxPool / AveragePool (pads, strides, dilations, ceil_mode, count_include_pad)', async () => {
    const r = mulberry32(12);
    const cases: NodeCase[] = [];
    for (let i = 0; i < 36; i++) {
      const op = i % 2 ? 'MaxPool' : 'AveragePool';
      const kh = randInt(r, 1, 3);
      const kw = randInt(r, 1, 3);
      const pads = [randInt(r, 0, kh - 1), randInt(r, 0, kw - 1), randInt(r, 0, kh - 1), randInt(r, 0, kw - 1)];
      const dil = op === 'MaxPool' && r() < 0.3 ? [2, randInt(r, 1, 2)] : [1, 1];
      const h = (kh - 1) * dil[0]! + 1 + randInt(r, 0, 7);
      const w = (kw - 1) * dil[1]! + 1 + randInt(r, 0, 7);
      const attrs = {
        kernel_shape: [kh, kw],
        strides: [randInt(r, 1, 3), randInt(r, 1, 3)],
        pads,
        ceil_mode: randInt(r, 0, 1),
        ...(op === 'AveragePool' ? { count_include_pad: randInt(r, 0, 1) } : { dilations: dil }),
      };
      cases.push({ label: `${op}#${i} [${h},${w}] ${JSON.stringify(attrs)}`, op, attrs, inputs: [{ shape: [randInt(r, 1, 2), randInt(r, 1, 5), h, w] }], seed: 500 + i });
    }
    cases.push({ label: 'MaxPool 1-D', op: 'MaxPool', attrs: { kernel_shape: [3], strides: [2], pads: [1, 1] }, inputs: [{ shape: [2, 3, 10] }], seed: 600 });
    cases.push({ label: 'GlobalAveragePool', op: 'GlobalAveragePool', inputs: [{ shape: [2, 64, 8, 8] }], seed: 601 });
    cases.push({ label: 'GlobalMaxPool', op: 'GlobalMaxPool', inputs: [{ shape: [3, 5, 7, 2] }], seed: 602 });
    const results = await runCases(session, cases);
    expect(failures(results)).toEqual([]);
  });
});
