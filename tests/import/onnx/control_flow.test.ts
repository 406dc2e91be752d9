/**
 * If / Loop / sequence ops resolved at import (src/import/onnx/control_flow.ts, sequences.ts, subgraph.ts): every
 * model here is also run by onnxruntime, and the imported graph (no control flow left in it) must match it. The
 * first model is the form torch.onnx gives torch.tensor_split (torchvision's MViT pooling): a Loop that fills a
 * sequence with Slices, read back with SequenceAt.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import type { Tensor } from '../../../src/graph/ir.js';
import { importOnnx, OnnxImportError } from '../../../src/import/onnx/index.js';
import { LimitError } from '../../../src/load/limits.js';
import { MAX_SUBGRAPH_DEPTH } from '../../../src/import/onnx/decode.js';
import { encodeModel, int64Init, node, valueInfo, INT64 } from './helpers.js';

const BOOL = 9;
const i64 = (name: string, v: number) => ({ name, data_type: INT64, dims: [], int64_data: [v] });
const f32 = (name: string, v: number) => ({ name, data_type: 1, dims: [], float_data: [v] });
const boolTrue = (name: string) => ({ name, data_type: BOOL, dims: [], int32_data: [1] });
const graphAttr = (name: string, g: object) => ({ name, type: 5, g });
const intAttr = (name: string, i: number) => ({ name, type: 2, i });
const scalarInfo = (name: string, elemType: number) => valueInfo(name, [], elemType);
const subgraph = (name: string, nodes: object[], inputs: object[], outputs: string[], initializer: object[] = []) => ({
  name,
  node: nodes,
  input: inputs,
  output: outputs.map((o) => ({ name: o })),
  initializer,
});

/** Seeded values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** Runs `bytes` in onnxruntime and the imported graph on the CPU reference; compares every output. */
async function expectSameAsOrt(bytes: Uint8Array, shapes: Record<string, number[]>, importShapes?: Record<string, number[]>): Promise<void> {
  const feeds: Record<string, ort.Tensor> = {};
  const ours: Record<string, Tensor> = {};
  Object.entries(shapes).forEach(([name, shape], k) => {
    const data = values(shape.reduce((a, b) => a * b, 1), 17 + k);
    feeds[name] = new ort.Tensor('float32', data, shape);
    ours[name] = { dtype: 'f32', shape, data };
  });
  const session = await ort.InferenceSession.create(bytes);
  const want = await session.run(feeds);
  const graph = importOnnx(bytes, importShapes ? { inputShapes: importShapes } : {});
  for (const n of graph.nodes) expect(['If', 'Loop'], `${n.name} is left in the graph`).not.toContain(n.op);
  const got = new CpuExecutor(graph).run(ours);
  for (const [name, w] of Object.entries(want)) {
    const g = got[name]!;
    expect(g.shape, name).toEqual([...w.dims]);
    const ref = w.data as Float32Array;
    const err = Math.max(0, ...Array.from(g.data as Float32Array, (v, i) => Math.abs(v - ref[i]!)));
    expect(err, name).toBeLessThan(1e-6);
  }
}

/**
 * torch.tensor_split(x, (1, 4), dim=2) as torch.onnx writes it: a Loop over the first split points inserting Slices
 * into a sequence, one more Slice appended after it, then SequenceAt. The trip count comes from Shape(x) (7 // 3).
 */
function tensorSplitModel(): Uint8Array {
  const body = subgraph(
    'split_body',
    [
      node('Gather', ['points', 'i'], ['start'], 'start', [intAttr('axis', 0)]),
      node('Add', ['i', 'one'], ['i1'], 'i1'),
      node('Gather', ['points', 'i1'], ['end'], 'end', [intAttr('axis', 0)]),
      node('Slice', ['x', 'start', 'end', 'axis2'], ['piece'], 'piece'), // x and points: outer scope
      node('SequenceInsert', ['seq_in', 'piece'], ['seq_out'], 'insert'),
      node('Identity', ['cond_in'], ['cond_out'], 'cond'),
    ],
    [scalarInfo('i', INT64), scalarInfo('cond_in', BOOL), { name: 'seq_in' }],
    ['cond_out', 'seq_out'],
    [i64('one', 1)],
  );
  const nodes = [
    node('Shape', ['x'], ['shape'], 'shape'),
    node('Gather', ['shape', 'two'], ['n'], 'n', [intAttr('axis', 0)]),
    node('Div', ['n', 'three'], ['trips'], 'trips'),
    node('SequenceEmpty', [], ['empty'], 'empty', [intAttr('dtype', 1)]),
    node('Loop', ['trips', 'true', 'empty'], ['parts'], 'loop', [graphAttr('body', body)]),
    node('Slice', ['x', 'last_start', 'big', 'axis2'], ['tail'], 'tail'),
    node('SequenceInsert', ['parts', 'tail'], ['all'], 'append'),
    node('SequenceAt', ['all', 'zero'], ['first'], 'at0'),
    node('SequenceAt', ['all', 'minus1'], ['last'], 'at_last'),
    node('SequenceAt', ['all', 'one'], ['middle'], 'at1'),
    node('Relu', ['first'], ['a'], 'relu'),
    node('Mul', ['last', 'two_f'], ['b'], 'double'),
    node('ConcatFromSequence', ['all'], ['c'], 'concat', [intAttr('axis', 2)]),
    node('SequenceLength', ['all'], ['len'], 'len'),
    node('Cast', ['len'], ['len_f'], 'len_f', [intAttr('to', 1)]),
    node('Mul', ['middle', 'len_f'], ['d'], 'scaled'),
  ];
  return encodeModel({
    opset: 17,
    nodes,
    inputs: [valueInfo('x', [1, 2, 7, 3])],
    outputs: ['a', 'b', 'c', 'd'].map((o) => ({ name: o })),
    initializers: [
      int64Init('points', [0, 1, 4], [3, 1]), int64Init('axis2', [2]), int64Init('last_start', [4]), int64Init('big', [2 ** 40]),
      i64('zero', 0), i64('one', 1), i64('minus1', -1), i64('two', 2), i64('three', 3), f32('two_f', 2), boolTrue('true'),
    ],
  });
}

/** If on a shape test (dim 1 == 4); both branches read the outer x, one of them an outer constant too. */
function ifModel(): Uint8Array {
  const thenBranch = subgraph('then', [node('Relu', ['x'], ['r'], 'relu'), node('Mul', ['r', 'scale'], ['t'], 'scale')], [], ['t']);
  const elseBranch = subgraph('else', [node('Neg', ['x'], ['e'], 'neg')], [], ['e'], [f32('unused', 3)]);
  return encodeModel({
    opset: 17,
    nodes: [
      node('Shape', ['x'], ['shape'], 'shape'),
      node('Gather', ['shape', 'one'], ['n'], 'n', [intAttr('axis', 0)]),
      node('Equal', ['n', 'four'], ['is4'], 'is4'),
      node('If', ['is4'], ['y'], 'branch', [graphAttr('then_branch', thenBranch), graphAttr('else_branch', elseBranch)]),
    ],
    inputs: [valueInfo('x', [1, 'n'])],
    outputs: [{ name: 'y' }],
    initializers: [i64('one', 1), i64('four', 4), f32('scale', 0.5)],
  });
}

/**
 * A Loop with a carried tensor (v = 2 v + i) and a scan output computed by an If nested in the body: Relu(v) in the
 * first iteration, v - x after (the If's branches read the body's v and the outer x).
 */
function accumulateModel(): Uint8Array {
  const nested = node('If', ['first'], ['s'], 'pick', [
    graphAttr('then_branch', subgraph('then', [node('Relu', ['v2'], ['r'], 'relu')], [], ['r'])),
    graphAttr('else_branch', subgraph('else', [node('Sub', ['v2', 'x'], ['d'], 'sub')], [], ['d'])),
  ]);
  const body = subgraph(
    'acc_body',
    [
      node('Cast', ['i'], ['i_f'], 'i_f', [intAttr('to', 1)]),
      node('Mul', ['v', 'two_f'], ['v1'], 'v1'),
      node('Add', ['v1', 'i_f'], ['v2'], 'v2'),
      node('Less', ['i', 'one'], ['first'], 'first'),
      nested,
      node('Identity', ['cond_in'], ['cond_out'], 'cond'),
    ],
    [scalarInfo('i', INT64), scalarInfo('cond_in', BOOL), valueInfo('v', [2, 3])],
    ['cond_out', 'v2', 's'],
  );
  return encodeModel({
    opset: 17,
    nodes: [node('Loop', ['three', '', 'x'], ['final', 'stacked'], 'loop', [graphAttr('body', body)])],
    inputs: [valueInfo('x', [2, 3])],
    outputs: [{ name: 'final' }, { name: 'stacked' }],
    initializers: [i64('three', 3), i64('one', 1), f32('two_f', 2)],
  });
}

/** SplitToSequence (size-1 pieces without the axis; chunks of 2), SequenceErase / SequenceInsert, stacking concat. */
function splitModel(): Uint8Array {
  return encodeModel({
    opset: 17,
    nodes: [
      node('SplitToSequence', ['x'], ['rows'], 'rows', [intAttr('axis', 1), intAttr('keepdims', 0)]),
      node('SequenceErase', ['rows', 'zero'], ['rest'], 'erase'),
      node('SequenceAt', ['rows', 'zero'], ['row0'], 'row0'),
      node('SequenceInsert', ['rest', 'row0', 'minus1'], ['moved'], 'insert'),
      node('ConcatFromSequence', ['moved'], ['stacked'], 'stack', [intAttr('axis', -1), intAttr('new_axis', 1)]),
      node('SplitToSequence', ['x', 'two'], ['chunks'], 'chunks', [intAttr('axis', 1)]),
      node('SequenceAt', ['chunks', 'minus1'], ['tail'], 'tail'),
    ],
    inputs: [valueInfo('x', [2, 5, 3])],
    outputs: [{ name: 'stacked' }, { name: 'tail' }],
    initializers: [i64('zero', 0), i64('minus1', -1), i64('two', 2)],
  });
}

describe('import: If / Loop / sequences resolved at import', () => {
  it("torch.tensor_split's Loop + sequence form unrolls to Slices and matches onnxruntime", async () => {
    const bytes = tensorSplitModel();
    const g = importOnnx(bytes);
    expect(g.nodes.some((n) => n.op.startsWith('Sequence') || n.op === 'Loop')).toBe(false);
    await expectSameAsOrt(bytes, { x: [1, 2, 7, 3] });
  });

  it('If inlines the branch its shape condition selects', async () => {
    const bytes = ifModel();
    await expectSameAsOrt(bytes, { x: [1, 4] }, { x: [1, 4] });
    await expectSameAsOrt(bytes, { x: [1, 5] }, { x: [1, 5] });
    expect(importOnnx(bytes, { inputShapes: { x: [1, 4] } }).nodes.map((n) => n.op)).toEqual(['Relu', 'Mul', 'Identity']);
    expect(importOnnx(bytes, { inputShapes: { x: [1, 5] } }).nodes.map((n) => n.op)).toEqual(['Neg', 'Identity']);
  });

  it('Loop carries values, stacks scan outputs and inlines a nested If per iteration', async () => {
    await expectSameAsOrt(accumulateModel(), { x: [2, 3] });
  });

  it('SplitToSequence, SequenceErase / Insert and ConcatFromSequence (new_axis) match onnxruntime', async () => {
    await expectSameAsOrt(splitModel(), { x: [2, 5, 3] });
  });

  it('a condition that depends on input values is a typed error naming the node', () => {
    const bytes = ifModel();
    expect(() => importOnnx(bytes)).toThrow(OnnxImportError); // dim 'n' unknown: the condition cannot fold
    expect(() => importOnnx(bytes)).toThrow(/If node 'branch'.*not known at import time/);
  });

  /** x[1] → Loop (trip count `trips`, no condition, x carried through `body`) → Relu → z. */
  const loopThenRelu = (name: string, body: Parameters<typeof graphAttr>[1], trips: number) =>
    encodeModel({
      opset: 17,
      nodes: [node('Loop', ['trips', '', 'x'], ['y'], name, [graphAttr('body', body)]), node('Relu', ['y'], ['z'], 'relu')],
      inputs: [valueInfo('x', [1])],
      outputs: [{ name: 'z' }],
      initializers: [i64('trips', trips)],
    });

  it('a huge trip count is refused by the node limit, not spun through', () => {
    const body = subgraph('spin', [node('Identity', ['cond_in'], ['cond_out'], 'cond')], [scalarInfo('i', INT64), scalarInfo('cond_in', BOOL), valueInfo('v', [1])], ['cond_out', 'v']);
    const bytes = loopThenRelu('spin', body, 1e12);
    const t0 = performance.now();
    expect(() => importOnnx(bytes)).toThrow(LimitError);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('loops nested in loops share one unrolling budget', () => {
    // 1000 x 1000 iterations of an (almost) empty body: each loop alone is under maxNodes, together they are not.
    const inner = subgraph('inner', [node('Identity', ['c1'], ['c1o'], 'c')], [scalarInfo('j', INT64), scalarInfo('c1', BOOL), valueInfo('w', [1])], ['c1o', 'w']);
    const outer = subgraph(
      'outer',
      [node('Loop', ['trips', '', 'v'], ['v2'], 'inner_loop', [graphAttr('body', inner)]), node('Identity', ['c0'], ['c0o'], 'c')],
      [scalarInfo('i', INT64), scalarInfo('c0', BOOL), valueInfo('v', [1])],
      ['c0o', 'v2'],
    );
    const bytes = loopThenRelu('outer_loop', outer, 1000);
    const t0 = performance.now();
    expect(() => importOnnx(bytes)).toThrow(LimitError);
    expect(() => importOnnx(bytes)).toThrow(/unrolled from If \/ Loop/);
    expect(performance.now() - t0).toBeLessThan(10000);
  });

  it('subgraphs nested deeper than the cap are refused at decode', () => {
    const leaf = subgraph('leaf', [node('Relu', ['x'], ['t'], 'relu')], [], ['t']);
    let inner: object = leaf;
    for (let d = 0; d <= MAX_SUBGRAPH_DEPTH; d++)
      inner = subgraph(`level${d}`, [node('If', ['true'], ['t'], `if${d}`, [graphAttr('then_branch', inner), graphAttr('else_branch', leaf)])], [], ['t']);
    const bytes = encodeModel({
      opset: 17,
      nodes: [node('If', ['true'], ['y'], 'top', [graphAttr('then_branch', inner), graphAttr('else_branch', inner)])],
      inputs: [valueInfo('x', [1])],
      outputs: [{ name: 'y' }],
      initializers: [boolTrue('true')],
    });
    expect(() => importOnnx(bytes)).toThrow(/nested deeper than 16 levels/);
  });

  it('a sequence fed to a tensor op, and an unsupported op inside a taken branch, are typed errors', () => {
    const seqToRelu = encodeModel({
      opset: 17,
      nodes: [node('SequenceEmpty', [], ['s'], 'empty'), node('Relu', ['s'], ['y'], 'relu')],
      inputs: [valueInfo('x', [1])],
      outputs: [{ name: 'y' }],
    });
    expect(() => importOnnx(seqToRelu)).toThrow(/Relu node 'relu'.*'s' is a sequence/);
    const branch = subgraph('then', [node('NonMaxSuppression', ['x'], ['t'], 'nms')], [], ['t']);
    const unsupported = encodeModel({
      opset: 17,
      nodes: [node('If', ['true'], ['y'], 'branch', [graphAttr('then_branch', branch), graphAttr('else_branch', branch)])],
      inputs: [valueInfo('x', [1])],
      outputs: [{ name: 'y' }],
      initializers: [boolTrue('true')],
    });
    expect(() => importOnnx(unsupported)).toThrow(/NonMaxSuppression/);
  });
});

