/**
 * The two real ONNX Model Zoo MNIST files (opset 8 with initializers; opset 1 with Constant nodes and legacy
 * broadcast attributes) import and classify the three official sample inputs as their one-hot labels say.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import { tensorToNumbers, type Graph, type Tensor } from '../../../src/graph/ir.js';
import { validateGraph } from '../../../src/graph/validate.js';
import { importOnnx } from '../../../src/import/onnx/index.js';
import { readNpz } from '../../../src/io/npz.js';
import { argmax, maxAbsDiff, MNIST_DIR, readBytes } from './helpers.js';

const MODELS = ['mnist-8.onnx', 'mnist-opset1-onnxmodels-2018.onnx'];

function sample(i: number): { input: Tensor; label: number } {
  const npz = readNpz(readBytes(join(MNIST_DIR, `test_data_${i}.npz`)), `test_data_${i}.npz`);
  const raw = npz.get('inputs')!;
  const onehot = npz.get('outputs')!;
  expect(raw.shape).toEqual([1, 784]);
  // The samples feed raw 0..255 integers as float (README of the data set).
  const input: Tensor = { dtype: 'f32', shape: [1, 1, 28, 28], data: Float32Array.from(tensorToNumbers(raw)) };
  return { input, label: argmax(tensorToNumbers(onehot)) };
}

function run(graph: Graph, input: Tensor): Tensor {
  const out = new CpuExecutor(graph).run({ [graph.inputs[0]!.name]: input });
  return out[graph.outputs[0]!.name]!;
}

describe('ONNX Model Zoo MNIST', () => {
  const graphs = MODELS.map((m) => importOnnx(readBytes(join(MNIST_DIR, m))));

  it('imports both files to the same canonical graph shape', () => {
    for (const g of graphs) {
      expect(() => validateGraph(g)).not.toThrow();
      expect(g.inputs).toEqual([{ name: 'Input3', dtype: 'f32', shape: [1, 1, 28, 28] }]);
      expect(g.outputs.map((o) => [o.name, o.shape])).toEqual([['Plus214_Output_0', [1, 10]]]);
      expect(g.nodes.map((n) => n.op)).toEqual(['Conv', 'Add', 'Relu', 'MaxPool', 'Conv', 'Add', 'Relu', 'MaxPool', 'Reshape', 'MatMul', 'Add']);
      // The weight Reshape (Parameter193 -> [256, 10]) was folded into an initializer.
      expect(g.initializers.get('Parameter193_reshape1')?.shape).toEqual([256, 10]);
      // Every Reshape carries its target as an attribute and has a single input.
      for (const n of g.nodes.filter((x) => x.op === 'Reshape')) expect(n.inputs).toHaveLength(1);
      expect(g.metadata.provenance?.['producer']).toMatch(/^CNTK 2\./);
    }
    expect(graphs[0]!.metadata.provenance?.['opset']).toBe('8');
    expect(graphs[1]!.metadata.provenance?.['opset']).toBe('1');
  });

  it('aligns the opset-1 legacy broadcast (axis=1) bias to [C, 1, 1]', () => {
    const g = graphs[1]!;
    const add = g.nodes.find((n) => n.name === 'Plus30')!;
    const bias = g.initializers.get(add.inputs[1]!)!;
    expect(bias.shape).toEqual([8, 1, 1]);
    expect(add.attrs['broadcast']).toBeUndefined();
    expect(add.attrs['axis']).toBeUndefined();
  });

  for (let i = 0; i < 3; i++) {
    it(`classifies test_data_${i}.npz as its label with both files`, () => {
      const { input, label } = sample(i);
      expect(label).toBe([5, 0, 4][i]);
      const logits = graphs.map((g) => run(g, input));
      for (const l of logits) {
        expect(l.shape).toEqual([1, 10]);
        expect(argmax(tensorToNumbers(l))).toBe(label);
      }
      // Same weights in both files: the two imports must compute the same logits.
      expect(maxAbsDiff(logits[0]!, logits[1]!)).toBeLessThan(1e-3 * Math.max(...tensorToNumbers(logits[0]!).map(Math.abs)));
    });
  }
});
