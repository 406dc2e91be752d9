/** Bad or unsupported models give typed errors that say what and where. */
import { describe, expect, it } from 'vitest';
import { importOnnx, OnnxImportError, UnsupportedOpsError } from '../../../src/import/onnx/index.js';
import { encodeModel, int64Init, loadFixture, node, valueInfo } from './helpers.js';

function importError(bytes: Uint8Array, options?: Parameters<typeof importOnnx>[1]): Error {
  try {
    importOnnx(bytes, options);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected importOnnx to throw');
}

describe('unsupported ops', () => {
  it('reports every unsupported op of the live graph in one error', () => {
    const e = importError(loadFixture('unsupported_ops').model);
    expect(e).toBeInstanceOf(UnsupportedOpsError);
    expect(e).toBeInstanceOf(OnnxImportError);
    expect(e.name).toBe('UnsupportedOpsError');
    expect(e.message).toBe('Unsupported ONNX ops (opset 13): FancyNorm (nodes: fancy_a, fancy_b); Mystery (nodes: mystery_1)');
    // 'Unused' feeds no output: it is dead code and not reported.
    expect((e as UnsupportedOpsError).ops.map((o) => o.op)).toEqual(['FancyNorm', 'Mystery']);
  });

  it('treats ops of other domains as unsupported, naming the domain', () => {
    const bytes = encodeModel({
      nodes: [node('Relu', ['x'], ['y'], 'custom_relu')].map((n) => ({ ...n, domain: 'com.example' })),
      inputs: [valueInfo('x', [1, 4])],
      outputs: [valueInfo('y', [1, 4])],
    });
    const e = importError(bytes);
    expect(e).toBeInstanceOf(UnsupportedOpsError);
    expect(e.message).toContain('com.example.Relu (nodes: custom_relu)');
  });
});

describe('unsupported model features', () => {
  it('rejects external tensor data, naming the tensor and the file', () => {
    const e = importError(loadFixture('external_data').model);
    expect(e).toBeInstanceOf(OnnxImportError);
    expect(e.message).toMatch(/initializer 'w'.*external data.*weights\.bin/);
  });

  it('rejects a MaxPool whose Indices output is used', () => {
    const e = importError(loadFixture('maxpool_indices_used').model);
    expect(e).toBeInstanceOf(OnnxImportError);
    expect(e.message).toMatch(/MaxPool node 'pool'.*'idx'/);
  });

  it('asks for inputShapes when a Reshape target depends on dynamic dims in a way it cannot prove', () => {
    // Target [dim 1, dim 0] of x with both dims symbolic: a transpose-like reshape, neither 0 nor -1 expresses it.
    const bytes = encodeModel({
      nodes: [
        node('Shape', ['x'], ['s']),
        node('Gather', ['s', 'i1'], ['d1']),
        node('Gather', ['s', 'i0'], ['d0']),
        node('Concat', ['d1', 'd0'], ['t'], 'concat', [{ name: 'axis', type: 2, i: 0 }]),
        node('Reshape', ['x', 't'], ['y'], 'swap'),
      ],
      inputs: [valueInfo('x', ['A', 'B'])],
      outputs: [valueInfo('y', ['B', 'A'])],
      initializers: [int64Init('i0', [0]), int64Init('i1', [1])],
    });
    const e = importError(bytes);
    expect(e).toBeInstanceOf(OnnxImportError);
    expect(e.message).toMatch(/Reshape node 'swap'.*shape.*inputShapes/);
    // With static shapes the same model imports and the target folds.
    const g = importOnnx(bytes, { inputShapes: { x: [2, 3] } });
    expect(g.nodes.map((n) => [n.op, n.attrs['shape']])).toEqual([['Reshape', [3, 2]]]);
  });
});

describe('options.inputShapes', () => {
  const bytes = encodeModel({ nodes: [node('Relu', ['x'], ['y'])], inputs: [valueInfo('x', ['N', 3])], outputs: [valueInfo('y', ['N', 3])] });

  it('fixes symbolic dims', () => {
    const g = importOnnx(bytes, { inputShapes: { x: [4, 3] } });
    expect(g.inputs[0]!.shape).toEqual([4, 3]);
    expect(g.outputs[0]!.shape).toEqual([4, 3]);
  });

  it('keeps symbolic dims as -1 without it', () => {
    expect(importOnnx(bytes).inputs[0]!.shape).toEqual([-1, 3]);
  });

  it('rejects unknown input names and shapes that contradict the model', () => {
    expect(importError(bytes, { inputShapes: { image: [1, 3] } }).message).toMatch(/'image'.*not a graph input.*inputs: x/);
    expect(importError(bytes, { inputShapes: { x: [4, 5] } }).message).toMatch(/graph input 'x'.*\[4, 5\].*\[N, 3\]/);
    expect(importError(bytes, { inputShapes: { x: [4] } }).message).toMatch(/rank 1/);
  });
});

describe('node names', () => {
  it('keeps ONNX names, names unnamed nodes op_index, and makes duplicates unique', () => {
    const bytes = encodeModel({
      nodes: [node('Relu', ['x'], ['a'], 'act'), node('Relu', ['a'], ['b'], 'act'), node('Neg', ['b'], ['y'])],
      inputs: [valueInfo('x', [2])],
      outputs: [valueInfo('y', [2])],
    });
    expect(importOnnx(bytes).nodes.map((n) => n.name)).toEqual(['act', 'act_1', 'Neg_2']);
  });
});

describe('malformed bytes', () => {
  it('rejects empty input', () => {
    const e = importError(new Uint8Array(0));
    expect(e).toBeInstanceOf(OnnxImportError);
    expect(e.message).toMatch(/ModelProto.*empty/);
  });

  it('rejects bytes that are not protobuf', () => {
    const junk = new TextEncoder().encode('\xff\xff\xff\xff this is not an onnx model at all');
    const e = importError(junk);
    expect(e).toBeInstanceOf(OnnxImportError);
    expect(e.message).toMatch(/^ModelProto: /);
  });

  it('rejects a truncated model', () => {
    const full = loadFixture('constant_variants').model;
    const e = importError(full.subarray(0, Math.floor(full.length * 0.6)));
    expect(e).toBeInstanceOf(OnnxImportError);
    expect(e.message).toMatch(/ModelProto/);
  });

  it('rejects a protobuf without a graph', () => {
    // Field 2 (producer_name) only: valid protobuf, but not a model.
    const e = importError(Uint8Array.of(0x12, 0x01, 0x41));
    expect(e.message).toMatch(/no graph/);
  });

  it('names the node input that nothing produces', () => {
    const bytes = encodeModel({ nodes: [node('Add', ['x', 'ghost'], ['y'], 'add')], inputs: [valueInfo('x', [2])], outputs: [valueInfo('y', [2])] });
    expect(importError(bytes).message).toMatch(/Add node 'add'.*'ghost'/);
  });
});

describe('legacy broadcast attributes (fuzzer regressions)', () => {
  it('rejects a non-integer Add.axis with a typed error instead of a RangeError', () => {
    // Found by `npm run fuzz` (seed 2026, case 52362): axis stored as a FLOAT attribute holding NaN.
    const bytes = encodeModel({
      nodes: [
        node('Add', ['a', 'b'], ['y'], 'add_axis1', [
          { name: 'broadcast', type: 2, i: 1 },
          { name: 'axis', type: 1, f: Number.NaN },
        ]),
      ],
      inputs: [valueInfo('a', [1, 3, 2, 2]), valueInfo('b', [3])],
      outputs: [valueInfo('y', [1, 3, 2, 2])],
      opset: 6,
    });
    const e = importError(bytes);
    expect(e).toBeInstanceOf(OnnxImportError);
    expect(e.message).toMatch(/add_axis1.*legacy broadcast/);
  });
});
