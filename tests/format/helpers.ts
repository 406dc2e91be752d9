/** Shared fixtures for the .tessera format tests. */
import { expect } from 'vitest';
import type { Graph, Node, Tensor, TypedArray } from '../../src/graph/ir.js';
import { FormatError } from '../../src/format/index.js';

/** Small seeded PRNG (mulberry32), so every "random" case is reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomF32(rand: () => number, shape: number[], scale = 0.1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (rand() * 2 - 1) * scale;
  return { dtype: 'f32', shape, data };
}

/**
 * A hand-built classifier of realistic size (about the MNIST CNN's: conv 8x1x5x5, conv 16x8x5x5, gemm 256x10 plus a
 * 784x16 projection), used where a real imported model is not needed.
 */
export function syntheticCnn(seed = 1): Graph {
  const rand = seededRandom(seed);
  const initializers = new Map<string, Tensor>([
    ['conv1.W', randomF32(rand, [8, 1, 5, 5])],
    ['conv1.B', randomF32(rand, [8])],
    ['conv2.W', randomF32(rand, [16, 8, 5, 5])],
    ['conv2.B', randomF32(rand, [16])],
    ['fc1.W', randomF32(rand, [784, 16])],
    ['fc2.W', randomF32(rand, [16, 10])],
    ['fc2.B', randomF32(rand, [10])],
  ]);
  const node = (name: string, op: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node => ({
    name,
    op,
    inputs,
    outputs,
    attrs,
  });
  return {
    inputs: [{ name: 'image', dtype: 'f32', shape: [-1, 1, 28, 28] }],
    outputs: [{ name: 'logits', dtype: 'f32', shape: [-1, 10] }],
    nodes: [
      node('conv1', 'Conv', ['image', 'conv1.W', 'conv1.B'], ['c1'], { kernel_shape: [5, 5], pads: [2, 2, 2, 2], strides: [1, 1], dilations: [1, 1], group: 1, auto_pad: 'NOTSET' }),
      node('relu1', 'Relu', ['c1'], ['r1']),
      node('pool1', 'MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }),
      node('conv2', 'Conv', ['p1', 'conv2.W', 'conv2.B'], ['c2'], { kernel_shape: [5, 5], pads: [2, 2, 2, 2], strides: [1, 1], group: 1 }),
      node('clip', 'Clip', ['c2'], ['r2'], { min: 0, max: Infinity }),
      node('flatten', 'Reshape', ['r2'], ['f'], { shape: [-1, 784], allowzero: 0 }),
      node('fc1', 'Gemm', ['f', 'fc1.W', ''], ['h'], { alpha: 1, beta: 1, transA: 0, transB: 0 }),
      node('fc2', 'Gemm', ['h', 'fc2.W', 'fc2.B'], ['logits'], { alpha: 1, beta: 1, transA: 0, transB: 0 }),
    ],
    initializers,
    metadata: {
      name: 'synthetic-cnn',
      labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      inputSize: [1, 28, 28],
      layout: 'NCHW',
      mean: [0],
      std: [1],
      colorOrder: 'GRAY',
      pixelScale: 1 / 255,
      provenance: { source: 'tests/format/helpers.ts', note: 'random weights' },
    },
  };
}

/** Run fn and return the FormatError it throws; fail the test for any other outcome. */
export function expectFormatError(fn: () => unknown): FormatError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) throw new Error('expected a FormatError, but nothing was thrown');
  expect(thrown).toBeInstanceOf(FormatError);
  expect((thrown as Error).name).toBe('FormatError');
  return thrown as FormatError;
}

/** Element-wise equality of two typed arrays, including their class (BigInt64Array vs Float32Array...). */
export function expectSameData(actual: TypedArray, expected: TypedArray, what: string): void {
  expect(actual.constructor.name, what).toBe(expected.constructor.name);
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) throw new Error(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

export function expectSameTensor(actual: Tensor, expected: Tensor, what: string): void {
  expect(actual.dtype, what).toBe(expected.dtype);
  expect([...actual.shape], what).toEqual([...expected.shape]);
  expectSameData(actual.data, expected.data, what);
}

/** Deep equality of two graphs; numbers compared with Object.is (so -0 and NaN count), tensors element-wise. */
export function expectSameGraph(actual: Graph, expected: Graph): void {
  expect(actual.inputs).toEqual(expected.inputs);
  expect(actual.outputs).toEqual(expected.outputs);
  expect([...actual.initializers.keys()]).toEqual([...expected.initializers.keys()]);
  for (const [name, t] of expected.initializers) expectSameTensor(actual.initializers.get(name)!, t, `initializer ${name}`);
  expect(actual.nodes.length).toBe(expected.nodes.length);
  expected.nodes.forEach((en, i) => {
    const an = actual.nodes[i]!;
    expect({ name: an.name, op: an.op, inputs: an.inputs, outputs: an.outputs }).toEqual({
      name: en.name,
      op: en.op,
      inputs: en.inputs,
      outputs: en.outputs,
    });
    expect(Object.keys(an.attrs)).toEqual(Object.keys(en.attrs));
    for (const [key, ev] of Object.entries(en.attrs)) {
      const av = an.attrs[key]!;
      const what = `node ${en.name} attr ${key}`;
      if (typeof ev === 'object' && !Array.isArray(ev)) expectSameTensor(av as Tensor, ev, what);
      else if (Array.isArray(ev)) {
        expect(Array.isArray(av), what).toBe(true);
        expect((av as unknown[]).length, what).toBe(ev.length);
        ev.forEach((x, j) => expect(Object.is((av as unknown[])[j], x), `${what}[${j}]`).toBe(true));
      } else expect(Object.is(av, ev), `${what}: ${String(av)} vs ${String(ev)}`).toBe(true);
    }
  });
  expect(actual.metadata).toEqual(expected.metadata);
}
