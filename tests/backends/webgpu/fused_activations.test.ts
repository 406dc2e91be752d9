/**
 * FusedConv / FusedGemm with MobileNetV3's activations (hard_swish; hard_sigmoid with PyTorch's alpha = f32(1/6))
 * on WebGPU in Chromium vs the CPU reference, on every kernel family a fused MobileNetV3 / GhostNet runs them on
 * (stride-2 stem GEMM, 1x1 vec4 / scalar, depthwise 3x3 / 5x5, gemm), with inputs wide enough for conv outputs to
 * cross both clamps (|y| > 3). Then a graph written the way PyTorch exports Hardswish (Conv, HardSigmoid, Mul) after
 * fuseEpilogues(): one dispatch, still matching the CPU run of the unfused graph's fused form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuseEpilogues } from '../../../src/graph/passes/index.js';
import type { BrowserSession } from '../../../src/node/browser_harness.js';
import { failures, runCases, runGraphCases, startTestBrowser, type CaseInput, type NodeCase } from '../../harness/browser.js';
import { GraphBuilder, addConv } from '../../graph/passes/helpers.js';

let session: BrowserSession;
beforeAll(async () => {
  session = await startTestBrowser();
});
afterAll(async () => {
  await session?.close();
});

const SIXTH = Math.fround(1 / 6);
const ACTS: Record<string, number | string>[] = [
  { activation: 'hard_swish' },
  { activation: 'hard_sigmoid', act_alpha: SIXTH, act_beta: 0.5 },
];
const wide = (shape: number[]): CaseInput => ({ shape, lo: -3, hi: 3 });
const weights = (shape: number[]): CaseInput => ({ shape, kind: 'const', lo: -1, hi: 1 });

interface Family {
  name: string;
  kernel: RegExp;
  op: 'FusedConv' | 'FusedGemm';
  attrs: Record<string, number | number[]>;
  inputs: CaseInput[];
}

const FAMILIES: Family[] = [
  { name: 'stem 3x3/2 3>16', kernel: /^conv2d_gemm/, op: 'FusedConv', attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, inputs: [wide([1, 3, 18, 18]), weights([16, 3, 3, 3]), weights([16])] },
  { name: '1x1 vec4', kernel: /^conv2d_1x1_v4/, op: 'FusedConv', attrs: { kernel_shape: [1, 1] }, inputs: [wide([1, 16, 8, 8]), weights([24, 16, 1, 1]), weights([24])] },
  { name: '1x1 scalar', kernel: /^conv2d_1x1$/, op: 'FusedConv', attrs: { kernel_shape: [1, 1] }, inputs: [wide([1, 16, 7, 7]), weights([20, 16, 1, 1]), weights([20])] },
  { name: 'depthwise 3x3/2', kernel: /^depthwise/, op: 'FusedConv', attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], group: 16 }, inputs: [wide([1, 16, 14, 14]), weights([16, 1, 3, 3]), weights([16])] },
  { name: 'depthwise 3x3/1', kernel: /^depthwise/, op: 'FusedConv', attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 12 }, inputs: [wide([1, 12, 9, 9]), weights([12, 1, 3, 3]), weights([12])] },
  { name: 'depthwise 5x5/1', kernel: /^depthwise/, op: 'FusedConv', attrs: { kernel_shape: [5, 5], pads: [2, 2, 2, 2], group: 24 }, inputs: [wide([1, 24, 9, 9]), weights([24, 1, 5, 5]), weights([24])] },
  { name: 'gemm (classifier)', kernel: /gemm|matmul/, op: 'FusedGemm', attrs: { transB: 1 }, inputs: [wide([2, 40]), weights([24, 40]), weights([24])] },
];

describe('WebGPU fused hard_swish / hard_sigmoid vs CPU reference', () => {
  it('every kernel family MobileNetV3 runs them on', async () => {
    const cases: NodeCase[] = [];
    const expectKernel: RegExp[] = [];
    FAMILIES.forEach((f, i) =>
      ACTS.forEach((a, j) => {
        cases.push({ label: `${f.name} ${a['activation']}`, op: f.op, attrs: { ...f.attrs, ...a }, inputs: f.inputs, seed: 100 + 10 * i + j });
        expectKernel.push(f.kernel);
      }),
    );
    // Residual before / after the activation (hard_swish(y + r), hard_swish(y) + r).
    for (const after of [0, 1]) {
      cases.push({
        label: `1x1 hard_swish residual after=${after}`,
        op: 'FusedConv',
        attrs: { kernel_shape: [1, 1], activation: 'hard_swish', residual_after_activation: after },
        inputs: [wide([1, 16, 8, 8]), weights([16, 16, 1, 1]), weights([16]), wide([1, 16, 8, 8])],
        seed: 200 + after,
      });
      expectKernel.push(/_res$/);
    }
    const results = await runCases(session, cases);
    expect(results).toHaveLength(cases.length);
    expect(failures(results, 1e-5)).toEqual([]);
    results.forEach((r, i) => {
      expect(r.kernels, r.label).toHaveLength(1);
      expect(r.kernels[0], r.label).toMatch(expectKernel[i]!);
    });
  });

  it('Conv + HardSigmoid + Mul (PyTorch Hardswish) fused by the pass runs as one dispatch', async () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 3, 16, 16]);
    const y = addConv(b, 'x', 3, 16, 7, { strides: 2 });
    b.output(b.node('Mul', [y, b.node('HardSigmoid', [y], { alpha: SIXTH })]));
    const fused = fuseEpilogues(b.build());
    expect(fused.nodes.map((n) => n.op)).toEqual(['FusedConv']);
    const [res] = await runGraphCases(session, [
      {
        label: 'pytorch hardswish',
        nodes: fused.nodes,
        // The page draws its own seeded weights for the initializers: the comparison is GPU vs CPU on this graph.
        inputs: [
          { name: 'x', shape: [1, 3, 16, 16], lo: -3, hi: 3 },
          { name: 'conv7_w', shape: [16, 3, 3, 3], kind: 'const' },
          { name: 'conv7_b', shape: [16], kind: 'const' },
        ],
        outputs: [fused.nodes[0]!.outputs[0]!],
        seed: 300,
      },
    ]);
    expect(res!.error).toBeUndefined();
    expect(res!.relL2).toBeLessThanOrEqual(1e-5);
    expect(res!.ops).toEqual({ FusedConv: 1 });
  });
});
