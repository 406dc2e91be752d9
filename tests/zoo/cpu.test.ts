/**
 * Model zoo on the CPU reference: the small CIFAR-scale member of every family (tests/fixtures/zoo/<name>/, written
 * by `tools/zoo/export_all.py --fixtures`; the ResNet family uses the pretrained ResNet-20 in tests/fixtures/resnet20)
 * is imported from ONNX and run by CpuExecutor, as imported and after `optimize`; both must match PyTorch's output to
 * a relative L2 error of 1e-4. The full paper configurations are checked by `npm run zoo` (tools/zoo/check_cpu.ts).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../src/graph/ir.js';
import { optimize } from '../../src/graph/passes/index.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { caseDirs, loadCase, relativeL2, runOnCpu, type ZooCase } from '../../tools/zoo/zoo_lib.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const TOLERANCE = 1e-4;

/** Every family of the model-zoo issue except XNOR/BWN (covered by the binary-network fixtures). */
const FAMILIES = [
  'ResNet', 'PreAct-ResNet', 'Stochastic depth', 'Wide ResNet', 'ResNeXt', 'DenseNet', 'SENet', 'GhostNet',
  'G-GhostNet', 'HarDNet', 'ThresholdNet', 'Network slimming', 'MGIC', '3D ResNet', 'All-CNN', 'NIN', 'Min-Net',
  'RKCNN', 'Relay backprop',
];

/** What each family's export must contain, so a fixture cannot silently lose the structure it is there to test. */
const REQUIRED_OPS: Record<string, string[]> = {
  'ghostnet-0.2x-cifar': ['Concat', 'Slice', 'HardSigmoid', 'Mul'],
  'g-ghost-regnet-cifar': ['Slice', 'Concat'],
  'se-resnet8-cifar': ['Sigmoid', 'Mul', 'Gemm'],
  'minnet-resnet8-cifar': ['Min'],
  'densenet-bc-40-k12-cifar': ['Concat', 'AveragePool'],
  'hardnet-mini-cifar': ['Concat'],
  'threshnet-mini-cifar': ['Concat'],
  'stochastic-depth-resnet8-cifar': ['Mul'],
  'rkcnn-mini-cifar': ['Mul', 'Add'],
  'resnet3d-small': ['MaxPool'],
  'nin-quarter-cifar': ['MaxPool', 'AveragePool'],
};
/** Nets without BatchNormalization in the paper. */
const NO_BATCHNORM = new Set(['allcnn-c-sixth-cifar', 'nin-quarter-cifar']);

const cases: ZooCase[] = [
  ...caseDirs(join(FIXTURES, 'zoo')).map((d) => loadCase(d)),
  { ...loadCase(join(FIXTURES, 'resnet20'), 'resnet20-pretrained'), meta: { name: 'resnet20-pretrained', family: 'ResNet' } },
];

const table = new Map<string, { raw?: string; optimized?: string }>();
afterAll(() => {
  const rows = [...table].sort(([a], [b]) => a.localeCompare(b));
  const lines = rows.map(([n, r]) => `${n.padEnd(32)} ${(r.raw ?? '-').padEnd(12)} ${r.optimized ?? '-'}`);
  console.log(['zoo fixture (rel L2 vs PyTorch)  imported     optimized', ...lines].join('\n'));
});

function check(c: ZooCase, graph: Graph, column: 'raw' | 'optimized'): void {
  let err: number;
  try {
    err = relativeL2(runOnCpu(graph, c.input), c.expected);
  } catch (e) {
    table.set(c.name, { ...table.get(c.name), [column]: `FAIL ${(e as Error).name}` });
    throw e;
  }
  table.set(c.name, { ...table.get(c.name), [column]: err.toExponential(2) });
  expect(err, `${c.name} (${column})`).toBeLessThanOrEqual(TOLERANCE);
}

describe('zoo fixtures', () => {
  it('cover every family of the issue', () => {
    const families = new Set(cases.map((c) => c.meta.family));
    expect(FAMILIES.filter((f) => !families.has(f))).toEqual([]);
    for (const name of Object.keys(REQUIRED_OPS)) expect(cases.map((c) => c.name)).toContain(name);
  });
});

describe('zoo: importOnnx + CpuExecutor match PyTorch', () => {
  for (const c of cases) {
    it(c.name, () => {
      const graph = importOnnx(c.modelBytes);
      const ops = new Set(graph.nodes.map((n) => n.op));
      for (const op of REQUIRED_OPS[c.name] ?? []) expect(ops.has(op), `${c.name} lacks ${op}`).toBe(true);
      // Exported with BN unfused, so Tessera's own folding is what the optimized run exercises.
      expect(ops.has('BatchNormalization'), c.name).toBe(!NO_BATCHNORM.has(c.name) && c.name !== 'resnet20-pretrained');
      check(c, graph, 'raw');
    });
  }
});

describe('zoo: importOnnx + optimize + CpuExecutor match PyTorch', () => {
  for (const c of cases) {
    it(c.name, () => {
      const imported = importOnnx(c.modelBytes);
      const graph = optimize(imported);
      const count = (g: Graph, op: string): number => g.nodes.filter((n) => n.op === op).length;
      expect(count(graph, 'Dropout')).toBe(0);
      if (count(imported, 'BatchNormalization') > 0)
        expect(count(graph, 'BatchNormalization'), `${c.name}: no BatchNormalization folded`).toBeLessThan(count(imported, 'BatchNormalization'));
      check(c, graph, 'optimized');
    });
  }
});
