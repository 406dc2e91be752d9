/**
 * FusedBatchNorm (BatchNormalization + the activation that reads it, one dispatch) on WebGPU in Chromium vs the CPU
 * reference: every activation the pass produces, and a DenseNet-like graph where the fused node writes straight into
 * its slice of a concat (memory-plan view), as BatchNormalization does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node } from '../../../src/graph/ir.js';
import type { BrowserSession } from '../../../src/node/browser_harness.js';
import { failures, runCases, runGraphCases, startTestBrowser, type CaseInput, type GraphCase, type NodeCase } from '../../harness/browser.js';

let session: BrowserSession;
beforeAll(async () => {
  session = await startTestBrowser();
});
afterAll(async () => {
  await session?.close();
});

/** X then scale, B, mean, var (positive) for C channels; X spans [-4, 4] so every activation branch is hit. */
function bnInputs(shape: number[]): CaseInput[] {
  const c = shape[1]!;
  return [
    { shape, lo: -4, hi: 4 },
    { shape: [c], kind: 'const', lo: 0.5, hi: 2 },
    { shape: [c], kind: 'const', lo: -1, hi: 1 },
    { shape: [c], kind: 'const', lo: -0.5, hi: 0.5 },
    { shape: [c], kind: 'const', lo: 0.1, hi: 2 },
  ];
}

describe('WebGPU FusedBatchNorm vs CPU reference', () => {
  it('every epilogue activation, ranks 3-5, batch > 1, f16 parameters', async () => {
    const acts: [string, NodeCase['attrs']][] = [
      ['relu', {}],
      ['clip', { act_min: 0, act_max: 6 }],
      ['leaky_relu', { act_alpha: 0.1 }],
      ['hard_sigmoid', { act_alpha: 0.3, act_beta: 0.4 }],
      ['hard_swish', {}],
      ['sigmoid', {}],
      ['tanh', {}],
      ['silu', {}],
      ['none', {}],
    ];
    const shapes = [[2, 6, 5, 4], [3, 5, 7], [1, 4, 3, 2, 3]];
    const cases: NodeCase[] = acts.map(([activation, attrs], i) => ({
      label: `${activation} [${shapes[i % shapes.length]!.join(',')}]`,
      op: 'FusedBatchNorm',
      attrs: { epsilon: 1e-3, activation, ...attrs },
      inputs: bnInputs(shapes[i % shapes.length]!),
      seed: 70 + i,
    }));
    // Parameters stored as f16 (a .tessera converted with --fp16 keeps FusedBatchNorm's weights in halves).
    cases.push({
      label: 'relu, f16 parameters',
      op: 'FusedBatchNorm',
      attrs: { activation: 'relu' },
      inputs: bnInputs([2, 6, 5, 4]).map((inp, i) => (i === 0 ? inp : { ...inp, dtype: 'f16' as const })),
      seed: 99,
    });
    const results = await runCases(session, cases);
    expect(results).toHaveLength(cases.length);
    expect(failures(results)).toEqual([]);
    // Per-element agreement, not just relative L2 (outputs are O(1..10)).
    for (const r of results) expect(r.maxAbs, r.label).toBeLessThan(1e-5);
    // Channel planes of 20 elements run 4 per thread (vec4 accessors); 7 and 18 one per thread.
    results.forEach((r, i) => {
      const shape = cases[i]!.inputs[0]!.shape;
      const plane = shape.slice(2).reduce((a, b) => a * b, 1);
      expect(r.kernels, r.label).toEqual([plane % 4 === 0 ? 'batchnorm_act_v4' : 'batchnorm_act']);
    });
    expect(new Set(results.flatMap((r) => r.kernels))).toEqual(new Set(['batchnorm_act', 'batchnorm_act_v4']));
  });

  it('DenseNet-like block: FusedBatchNorm outputs land in their concat slices (no Concat dispatch at batch 1)', async () => {
    const nodes: Node[] = [];
    const inputs: GraphCase['inputs'] = [{ name: 'x', shape: [1, 4, 6, 6] }];
    const constIn = (name: string, shape: number[], lo = -1, hi = 1) => (inputs.push({ name, shape, kind: 'const', lo, hi }), name);
    const bn = (x: string, c: number, k: number, act: Node['attrs']) => {
      const params = [constIn(`s${k}`, [c], 0.5, 2), constIn(`b${k}`, [c]), constIn(`m${k}`, [c], -0.5, 0.5), constIn(`v${k}`, [c], 0.1, 2)];
      nodes.push({ name: `fbn${k}`, op: 'FusedBatchNorm', inputs: [x, ...params], outputs: [`a${k}`], attrs: { epsilon: 1e-5, ...act } });
      return `a${k}`;
    };
    const conv = (x: string, cin: number, cout: number, k: number) => {
      nodes.push({ name: `conv${k}`, op: 'Conv', inputs: [x, constIn(`w${k}`, [cout, cin, 3, 3], -0.3, 0.3)], outputs: [`f${k}`], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } });
      return `f${k}`;
    };
    // Two layers; each new feature map is a FusedBatchNorm output (pre-activation of the next block) in the concat.
    // (The stem conv's output, not the graph input x, opens the block: a graph input is never a view.)
    const stem = conv('x', 4, 4, 9);
    const f1 = bn(conv(bn(stem, 4, 0, { activation: 'relu' }), 4, 4, 1), 4, 1, { activation: 'clip', act_min: 0, act_max: 6 });
    nodes.push({ name: 'cat1', op: 'Concat', inputs: [stem, f1], outputs: ['c1'], attrs: { axis: 1 } });
    const f2 = bn(conv(bn('c1', 8, 2, { activation: 'relu' }), 8, 4, 3), 4, 3, { activation: 'leaky_relu', act_alpha: 0.2 });
    nodes.push({ name: 'cat2', op: 'Concat', inputs: ['c1', f2], outputs: ['c2'], attrs: { axis: 1 } });
    const base: GraphCase = { label: 'dense block', nodes, inputs, outputs: ['c2'], seed: 90 };
    const [on, off] = await runGraphCases(session, [base, { ...base, label: 'dense block (views off)', views: false }]);
    expect(failures([on!, off!])).toEqual([]);
    expect(on!.ops['FusedBatchNorm']).toBe(4);
    expect(on!.ops['Concat'] ?? 0).toBe(0);
    expect(on!.views['concat'] ?? 0).toBeGreaterThanOrEqual(3); // stem, f1 and f2 written in place
    expect(off!.ops['Concat'] ?? 0).toBeGreaterThan(0);
  });
});
