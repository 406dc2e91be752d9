/**
 * Small models from tools/make_import_fixtures.py: every numeric case must import and reproduce numpy's output on
 * the CPU reference executor; the structural tests check the canonical form the importer promises (docs/ir.md).
 */
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import { tensorToNumbers, type Graph, type Node, type Tensor } from '../../../src/graph/ir.js';
import { validateGraph } from '../../../src/graph/validate.js';
import { importOnnx, type ImportOnnxOptions } from '../../../src/import/onnx/index.js';
import { loadFixture, maxAbsDiff, numericFixtureNames } from './helpers.js';

const TOLERANCE = 1e-5;

function runFixture(name: string, options?: ImportOnnxOptions): { graph: Graph; results: Record<string, Tensor>; expected: Record<string, Tensor> } {
  const f = loadFixture(name);
  const graph = importOnnx(f.model, options);
  const results = new CpuExecutor(graph).run(f.inputs);
  return { graph, results, expected: f.outputs };
}

function byOp(graph: Graph, op: string): Node[] {
  return graph.nodes.filter((n) => n.op === op);
}

describe('numeric fixtures match numpy', () => {
  const names = numericFixtureNames();
  it('finds the generated cases', () => {
    expect(names.length).toBeGreaterThanOrEqual(14);
  });
  for (const name of names) {
    it(name, () => {
      const { graph, results, expected } = runFixture(name);
      expect(() => validateGraph(graph)).not.toThrow();
      expect(Object.keys(expected).length).toBeGreaterThan(0);
      for (const [out, want] of Object.entries(expected)) {
        const got = results[out];
        expect(got, `output ${out}`).toBeDefined();
        expect([...got!.shape], `shape of ${out}`).toEqual([...want.shape]);
        expect(maxAbsDiff(got!, want), `values of ${out}`).toBeLessThan(TOLERANCE);
        const declared = graph.outputs.find((o) => o.name === out)!;
        expect(declared.shape.every((d, i) => d === -1 || d === want.shape[i]), `declared shape of ${out}`).toBe(true);
      }
    });
  }
});

describe('canonical form', () => {
  it('moves opset-9 Slice attributes and fills axes/steps', () => {
    const [s] = byOp(runFixture('slice_opset9').graph, 'Slice');
    expect(s!.inputs).toEqual(['x']);
    expect(s!.attrs).toEqual({ starts: [1, -4], ends: [5, 1000], axes: [2, 3], steps: [1, 1] });
  });

  it('turns opset-13 constant inputs into attributes', () => {
    const g = runFixture('inputs_opset13').graph;
    for (const n of g.nodes) expect(n.inputs.filter((i) => i !== ''), `${n.op} ${n.name}`).toHaveLength(1);
    expect(byOp(g, 'Clip')[0]!.attrs).toMatchObject({ min: expect.closeTo(-0.3, 6), max: expect.closeTo(0.6, 6) });
    expect(byOp(g, 'Pad')[0]!.attrs).toMatchObject({ pads: [0, 0, 1, 0, 0, 0, 0, 2], mode: 'constant', value: -1 });
    expect(byOp(g, 'Slice')[0]!.attrs).toMatchObject({ starts: [-1], axes: [3], steps: [-2] });
    expect(byOp(g, 'Split')[0]!.attrs).toMatchObject({ axis: 1, split: [1, 1] });
    expect(byOp(g, 'Squeeze')[0]!.attrs).toEqual({ axes: [1] });
    expect(byOp(g, 'ReduceSum')[0]!.attrs).toEqual({ axes: [2, 3], keepdims: 0 });
    expect(g.initializers.size).toBe(0);
  });

  it('computes equal Split sizes from the input shape (opset 11) and num_outputs chunks (opset 18)', () => {
    const g11 = runFixture('split_squeeze_opset11').graph;
    expect(byOp(g11, 'Split').map((n) => n.attrs['split'])).toEqual([[1, 2], [2, 2]]);
    const g18 = runFixture('opset18').graph;
    expect(byOp(g18, 'Split')[0]!.attrs['split']).toEqual([2, 2, 1]);
    expect(byOp(g18, 'Pad')[0]!.attrs['pads']).toEqual([0, 0, 0, 1, 0, 0, 0, 2]);
  });

  it('rewrites opset-11 Softmax(axis=1) on rank 4 as Flatten/Softmax/Reshape and keeps the last-axis one', () => {
    const g = runFixture('softmax_opset11').graph;
    const softmaxes = byOp(g, 'Softmax');
    expect(softmaxes.map((n) => n.attrs['axis']).sort()).toEqual([-1, 1]);
    const flatten = byOp(g, 'Flatten');
    expect(flatten).toHaveLength(1);
    expect(flatten[0]!.attrs['axis']).toBe(1);
    const back = byOp(g, 'Reshape');
    expect(back).toHaveLength(1);
    expect(back[0]!.outputs).toEqual(['y']);
    expect(back[0]!.attrs['shape']).toEqual([2, 3, 2, 2]);
  });

  it('drops legacy attributes and unused extra outputs (BatchNormalization, Dropout, MaxPool)', () => {
    const g = runFixture('bn_dropout_pool_opset8').graph;
    const bn = byOp(g, 'BatchNormalization')[0]!;
    expect(bn.attrs).toEqual({ epsilon: expect.closeTo(1e-3, 8) });
    expect(byOp(g, 'Dropout')[0]!.outputs).toEqual(['dr']);
    expect(byOp(g, 'MaxPool')[0]!.outputs).toEqual(['y']);
  });

  it('turns every Constant node variant into initializers and folds what depends only on them', () => {
    const g = runFixture('constant_variants').graph;
    expect(byOp(g, 'Constant')).toHaveLength(0);
    // Unsqueeze(value_int) is folded; Reshape gets value_ints as its target.
    expect(byOp(g, 'Unsqueeze')).toHaveLength(0);
    expect(byOp(g, 'Reshape')[0]!.attrs['shape']).toEqual([3, 4]);
    expect(tensorToNumbers(g.initializers.get('k_float')!)).toEqual([2.5]);
  });

  it('folds the f16 initializer through Cast into an f32 constant with the f16 values', () => {
    const f = loadFixture('f16_initializer');
    const g = importOnnx(f.model);
    expect(g.nodes.map((n) => n.op)).toEqual(['Mul']);
    const w = g.initializers.get(g.nodes[0]!.inputs[1]!)!;
    expect(w.dtype).toBe('f32');
    const x = tensorToNumbers(f.inputs['x']!);
    const y = tensorToNumbers(f.outputs['y']!);
    // y = x * w exactly, with w the f16-rounded weights: recover w from the numpy outputs.
    tensorToNumbers(w).forEach((wi, i) => expect(wi).toBeCloseTo(y[i]! / x[i]!, 4));
  });
});

describe('shape subgraphs (torch x.view(x.size(0), -1))', () => {
  it('symbolic batch: Shape->Gather->Unsqueeze->Concat->Reshape becomes Reshape [0, -1]', () => {
    const { graph } = runFixture('shape_chain_symbolic');
    expect(graph.inputs[0]!.shape).toEqual([-1, 2, 2, 2]);
    expect(graph.nodes.map((n) => n.op)).toEqual(['Relu', 'Reshape', 'MatMul']);
    expect(graph.nodes[1]!.attrs['shape']).toEqual([0, -1]);
    expect(graph.outputs[0]!.shape).toEqual([-1, 5]);
    expect(graph.metadata.provenance?.['importNotes']).toMatch(/dynamic/);
  });

  it('symbolic batch fixed by options.inputShapes: the whole chain folds to a constant target', () => {
    const { graph, results, expected } = runFixture('shape_chain_symbolic', { inputShapes: { x: [3, 2, 2, 2] } });
    expect(graph.inputs[0]!.shape).toEqual([3, 2, 2, 2]);
    expect(graph.nodes.map((n) => n.op)).toEqual(['Relu', 'Reshape', 'MatMul']);
    expect(graph.nodes[1]!.attrs['shape']).toEqual([3, -1]);
    expect(graph.outputs[0]!.shape).toEqual([3, 5]);
    expect(maxAbsDiff(results['y']!, expected['y']!)).toBeLessThan(TOLERANCE);
  });

  it('torch export with a dynamic batch runs at other batch sizes', () => {
    const f = loadFixture('torch_flatten_dynamic_opset13');
    const graph = importOnnx(f.model);
    expect(graph.nodes.map((n) => n.op)).toEqual(['Conv', 'Relu', 'MaxPool', 'Reshape', 'Gemm', 'Softmax']);
    expect(graph.nodes.find((n) => n.op === 'Reshape')!.attrs['shape']).toEqual([0, -1]);
    // Batch of 1: the first sample alone must give the first row of the batch-2 result.
    const x = f.inputs['x']!;
    const one: Tensor = { dtype: 'f32', shape: [1, 1, 6, 6], data: (x.data as Float32Array).slice(0, 36) };
    const y = new CpuExecutor(graph).run({ x: one })['y']!;
    expect(y.shape).toEqual([1, 4]);
    const want = tensorToNumbers(f.outputs['y']!).slice(0, 4);
    tensorToNumbers(y).forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(TOLERANCE));
  });

  it('torch export with a fixed batch folds its Constant/Unsqueeze/Concat chain', () => {
    const graph = importOnnx(loadFixture('torch_flatten_fixed_opset11').model);
    expect(graph.nodes.map((n) => n.op)).toEqual(['Conv', 'Relu', 'MaxPool', 'Reshape', 'Gemm', 'Softmax']);
    expect(graph.nodes.find((n) => n.op === 'Reshape')!.attrs['shape']).toEqual([2, -1]);
  });
});
