/**
 * Erf / Gelu on WebGPU in Chromium (SwiftShader) vs the CPU reference: the f32 erf of program.ts (WGSL has none)
 * over a dense grid of [-6, 6] plus ±0, tiny, huge and ±Inf (exactly ±1 from |x| = 4 on, never NaN); both GELU
 * forms over [-10, 10] and at values whose cube overflows f32; the fused epilogues 'gelu' / 'gelu_tanh' on the conv
 * / gemm kernel families; and a Linear + exported GELU idiom after optimize: one FusedGemm dispatch.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optimize } from '../../../src/graph/passes/index.js';
import { startBrowserSession, type BrowserSession } from '../../../src/node/browser_harness.js';
import { failures, runCases, runGraphCases, type CaseInput, type NodeCase } from '../../harness/browser.js';
import { GraphBuilder, tensorF32, uniform } from '../../graph/passes/helpers.js';

let session: BrowserSession;
beforeAll(async () => {
  session = await startBrowserSession({ entry: join(dirname(fileURLToPath(import.meta.url)), 'gelu_page.ts') });
});
afterAll(async () => {
  await session?.close();
});

interface UnaryRun {
  x: Float32Array;
  cpu: Float32Array;
  gpu: Float32Array;
  kernels: string[];
}

async function runUnary(op: string, attrs: Record<string, string>, values: number[]): Promise<UnaryRun> {
  const x = Float32Array.from(values);
  const bits = Array.from(new Uint32Array(x.buffer));
  const r = await session.page.evaluate(
    ([o, a, b]) => (globalThis as unknown as { tesseraGeluTest: { unary(...args: unknown[]): Promise<{ cpu: number[]; gpu: number[]; kernels: string[] }> } }).tesseraGeluTest.unary(o, a, b),
    [op, attrs, bits] as const,
  );
  const f = (b: number[]) => new Float32Array(Uint32Array.from(b).buffer);
  return { x, cpu: f(r.cpu), gpu: f(r.gpu), kernels: r.kernels };
}

const grid = (lo: number, hi: number, step: number): number[] => Array.from({ length: Math.round((hi - lo) / step) + 1 }, (_, i) => lo + i * step);
const SPECIAL = [0, -0, 1e-30, -1e-30, 1e-20, 3e-8, -3e-8, 1e-3, 0.99999994, 1, -1, 1.0000001, 3.9999998, 4, -4, 4.0000005, 5, 10, -10, 1e4, 1e20, -1e20, 3.4e38, -3.4e38, Infinity, -Infinity];

describe('WebGPU Erf / Gelu vs CPU reference', () => {
  it('Erf: |error| <= 2e-7 on [-6, 6] step 1/1024, relative 1e-6 near 0, exactly ±1 from |x| = 4 and at ±Inf', async () => {
    const r = await runUnary('Erf', {}, [...grid(-6, 6, 1 / 1024), ...SPECIAL]);
    expect(r.kernels).toEqual(['unary_erf']);
    let worst = 0;
    r.x.forEach((x, i) => {
      const [cpu, gpu] = [r.cpu[i]!, r.gpu[i]!];
      expect(Number.isNaN(gpu), `erf(${x}) is NaN`).toBe(false);
      if (Math.abs(x) >= 4) expect(gpu, `erf(${x})`).toBe(Math.sign(x));
      else if (x !== 0 && Math.abs(x) < 1e-3) expect(Math.abs(gpu - cpu) / Math.abs(cpu), `erf(${x})`).toBeLessThanOrEqual(1e-6);
      worst = Math.max(worst, Math.abs(gpu - cpu));
    });
    expect(r.gpu[r.x.indexOf(0)]).toBe(0);
    console.log(`WebGPU erf: worst |gpu - cpu| = ${worst.toExponential(2)} over ${r.x.length} values`);
    expect(worst).toBeLessThanOrEqual(2e-7);
  });

  for (const approximate of ['none', 'tanh']) {
    it(`Gelu approximate=${approximate}: |error| <= 2e-7 · max(1, |x|) on [-10, 10] and at overflowing cubes`, async () => {
      const r = await runUnary('Gelu', { approximate }, [...grid(-10, 10, 1 / 256), ...SPECIAL.filter(Number.isFinite)]);
      expect(r.kernels).toEqual([approximate === 'tanh' ? 'unary_gelutanh' : 'unary_gelu']);
      let worst = 0;
      r.x.forEach((x, i) => {
        const err = Math.abs(r.gpu[i]! - r.cpu[i]!) / Math.max(1, Math.abs(x));
        expect(err, `gelu(${x}): gpu ${r.gpu[i]} cpu ${r.cpu[i]}`).toBeLessThanOrEqual(2e-7);
        worst = Math.max(worst, err);
      });
      console.log(`WebGPU gelu ${approximate}: worst |gpu - cpu| / max(1, |x|) = ${worst.toExponential(2)}`);
    });
  }
});

const wide = (shape: number[]): CaseInput => ({ shape, lo: -3, hi: 3 });
const weights = (shape: number[]): CaseInput => ({ shape, kind: 'const', lo: -1, hi: 1 });
const FAMILIES: { name: string; op: 'FusedConv' | 'FusedGemm'; attrs: Record<string, number | number[]>; inputs: CaseInput[] }[] = [
  { name: 'stem 3x3/2', op: 'FusedConv', attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, inputs: [wide([1, 3, 18, 18]), weights([16, 3, 3, 3]), weights([16])] },
  { name: '1x1', op: 'FusedConv', attrs: { kernel_shape: [1, 1] }, inputs: [wide([1, 16, 7, 9]), weights([20, 16, 1, 1]), weights([20])] },
  { name: 'depthwise 7x7', op: 'FusedConv', attrs: { kernel_shape: [7, 7], pads: [3, 3, 3, 3], group: 12 }, inputs: [wide([1, 12, 9, 11]), weights([12, 1, 7, 7]), weights([12])] },
  { name: 'gemm [37, 24] x [24, 40]', op: 'FusedGemm', attrs: {}, inputs: [wide([37, 24]), weights([24, 40]), weights([40])] },
  { name: 'gemm transB [3, 40]', op: 'FusedGemm', attrs: { transB: 1 }, inputs: [wide([3, 40]), weights([24, 40]), weights([24])] },
];

describe('WebGPU fused gelu / gelu_tanh vs CPU reference', () => {
  it('conv and gemm kernel families, with a residual before / after', async () => {
    const cases: NodeCase[] = [];
    FAMILIES.forEach((f, i) =>
      ['gelu', 'gelu_tanh'].forEach((activation, j) => cases.push({ label: `${f.name} ${activation}`, op: f.op, attrs: { ...f.attrs, activation }, inputs: f.inputs, seed: 500 + 10 * i + j })),
    );
    for (const after of [0, 1])
      cases.push({
        label: `gemm gelu residual after=${after}`,
        op: 'FusedGemm',
        attrs: { activation: 'gelu', residual_after_activation: after },
        inputs: [wide([37, 24]), weights([24, 40]), weights([40]), wide([37, 40])],
        seed: 600 + after,
      });
    const results = await runCases(session, cases);
    expect(results).toHaveLength(cases.length);
    expect(failures(results, 1e-5)).toEqual([]);
    for (const r of results) expect(r.kernels, r.label).toHaveLength(1);
  });

  it('Linear over the last axis + exported erf GELU, after optimize: one FusedGemm dispatch', async () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 7, 9, 24]);
    b.init('w', tensorF32([24, 40], uniform(24 * 40, 3, -0.4, 0.4)));
    b.init('bias', tensorF32([40], uniform(40, 4, -0.5, 0.5)));
    b.init('sqrt2', tensorF32([], [Math.SQRT2]));
    b.init('one', tensorF32([], [1]));
    b.init('half', tensorF32([], [0.5]));
    const y = b.node('Add', ['bias', b.node('MatMul', ['x', 'w'])]);
    const g = b.node('Add', [b.node('Erf', [b.node('Div', [y, 'sqrt2'])]), 'one']);
    b.output(b.node('Mul', [b.node('Mul', [y, g]), 'half']));
    const graph = optimize(b.build());
    expect(graph.nodes.map((n) => n.op)).toEqual(['Reshape', 'FusedGemm', 'Reshape']);
    const [res] = await runGraphCases(session, [
      {
        label: 'linear gelu',
        nodes: graph.nodes,
        inputs: [
          { name: 'x', shape: [1, 7, 9, 24], lo: -2, hi: 2 },
          { name: graph.nodes[1]!.inputs[1]!, shape: [24, 40], kind: 'const', lo: -0.4, hi: 0.4 },
          { name: graph.nodes[1]!.inputs[2]!, shape: [40], kind: 'const' },
        ],
        outputs: [graph.outputs[0]!.name],
        seed: 700,
      },
    ]);
    expect(res!.error).toBeUndefined();
    expect(res!.relL2).toBeLessThanOrEqual(1e-5);
    expect(res!.ops).toEqual({ FusedGemm: 1 });
  });
});
