/**
 * Issue 8: hostile-file regressions found by the fuzzer, and the documented caps of src/load/limits.ts.
 * Each case used to end in an untyped error, an allocation sized by the file, or a quadratic loop.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FormatError, readTessera, writeTessera } from '../../src/format/index.js';
import { assembleTessera } from '../../src/format/framing.js';
import { alignUp, PRELUDE_BYTES } from '../../src/format/constants.js';
import { importOnnx, OnnxImportError } from '../../src/import/onnx/index.js';
import { validateGraph } from '../../src/graph/validate.js';
import { graphStats } from '../../src/graph/stats.js';
import { GraphError, type Graph } from '../../src/graph/ir.js';
import { CpuExecutor, ExecutionError } from '../../src/backends/cpu/index.js';
import { checkGraphLimits, LIMITS, LimitError } from '../../src/load/limits.js';
import { encodeOnnxObject } from '../fuzz/mutate_onnx.js';
import { deeplyNestedOnnx } from '../fuzz/mutate_bytes.js';

const FLOAT = 1;
const INT64 = 7;
const vi = (name: string, dims: number[], elem = FLOAT) => ({ name, type: { tensor_type: { elem_type: elem, shape: { dim: dims.map((d) => ({ dim_value: d })) } } } });
const onnx = (graph: object, opset = 13) => encodeOnnxObject({ ir_version: 8, opset_import: [{ domain: '', version: opset }], graph });

/** Time `fn`, returning [what it threw, milliseconds]. */
function timed(fn: () => unknown): [unknown, number] {
  const t0 = performance.now();
  try {
    fn();
    return [undefined, performance.now() - t0];
  } catch (e) {
    return [e, performance.now() - t0];
  }
}

function reluGraph(): Graph {
  return {
    inputs: [{ name: 'x', dtype: 'f32', shape: [1, 4] }],
    outputs: [{ name: 'y', dtype: 'f32', shape: [1, 4] }],
    nodes: [{ name: 'r', op: 'Relu', inputs: ['x'], outputs: ['y'], attrs: {} }],
    initializers: new Map(),
    metadata: {},
  };
}

/** A valid .tessera file whose JSON header was edited by `edit`, re-signed so the reader gets past the hash. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function resigned(graph: Graph, edit: (header: any) => void, rewrite: (json: string) => string = (s) => s): Uint8Array {
  const file = writeTessera(graph);
  const length = new DataView(file.buffer).getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(file.subarray(PRELUDE_BYTES, PRELUDE_BYTES + length)));
  edit(header);
  const json = rewrite(JSON.stringify(header));
  return assembleTessera(new TextEncoder().encode(json), file.subarray(alignUp(PRELUDE_BYTES + length)));
}

describe('ONNX importer: sizes from the file are checked before allocation', () => {
  it('an initializer claiming 2^32 elements with 4 bytes of data is an OnnxImportError, not a 16 GiB allocation', () => {
    const bytes = onnx({ node: [{ op_type: 'Add', input: ['x', 'w'], output: ['y'] }], input: [vi('x', [1])], output: [vi('y', [1])],
      initializer: [{ name: 'w', data_type: FLOAT, dims: [65_536, 65_536], raw_data: new Uint8Array(4) }] });
    const [err, ms] = timed(() => importOnnx(bytes));
    expect(err).toBeInstanceOf(OnnxImportError);
    expect((err as Error).message).toMatch(/raw_data has 4 bytes/);
    expect(ms).toBeLessThan(1000);
  });

  it('dims beyond maxDim / maxRank are a LimitError (used to be RangeError: Invalid typed array length)', () => {
    for (const dims of [[7, 5, 2 ** 32], [2 ** 53 - 1], new Array(33).fill(1)]) {
      const bytes = onnx({ node: [{ op_type: 'Relu', input: ['w'], output: ['y'] }], output: [vi('y', [1])],
        initializer: [{ name: 'w', data_type: FLOAT, dims, float_data: [1] }] });
      expect(() => importOnnx(bytes)).toThrow(LimitError);
    }
  });

  it('constant folding is bounded: ConstantOfShape [1e5, 1e5] and Range(0, 1e12, 1) are LimitErrors', () => {
    const cos = onnx({ node: [{ op_type: 'ConstantOfShape', input: ['s'], output: ['y'] }], output: [vi('y', [])],
      initializer: [{ name: 's', data_type: INT64, dims: [2], int64_data: [100_000, 100_000] }] });
    const [err, ms] = timed(() => importOnnx(cos));
    expect(err).toBeInstanceOf(LimitError);
    expect((err as LimitError).limit).toBe('maxFoldElements');
    expect(ms).toBeLessThan(1000);
    const scalar = (name: string, v: number) => ({ name, data_type: FLOAT, dims: [], float_data: [v] });
    const range = onnx({ node: [{ op_type: 'Range', input: ['a', 'b', 'c'], output: ['y'] }], output: [vi('y', [])],
      initializer: [scalar('a', 0), scalar('b', 1e12), scalar('c', 1)] });
    expect(() => importOnnx(range)).toThrow(LimitError);
  });

  it('folding a constant convolution is bounded by maxFoldMacs before the kernel runs', () => {
    const bytes = onnx({ node: [{ op_type: 'Conv', input: ['x', 'w'], output: ['y'], attribute: [{ name: 'pads', type: 7, ints: [4, 4, 4, 4] }] }],
      output: [vi('y', [])],
      initializer: [
        { name: 'x', data_type: FLOAT, dims: [1, 16, 64, 64], raw_data: new Uint8Array(4 * 16 * 64 * 64) },
        { name: 'w', data_type: FLOAT, dims: [16, 16, 9, 9], raw_data: new Uint8Array(4 * 16 * 16 * 81) },
      ] });
    const [err, ms] = timed(() => importOnnx(bytes));
    expect(err).toBeInstanceOf(LimitError);
    expect((err as LimitError).limit).toBe('maxFoldMacs');
    expect(ms).toBeLessThan(2000);
  });

  it('subgraphs nested 50,000 deep are refused by the bounded protobuf decoder', () => {
    const [err, ms] = timed(() => importOnnx(deeplyNestedOnnx(50_000)));
    expect(err).toBeInstanceOf(OnnxImportError);
    expect((err as Error).message).toMatch(/depth/);
    expect(ms).toBeLessThan(2000);
  });

  it('attribute lists and node counts are capped', () => {
    const longPads = onnx({ node: [{ op_type: 'Relu', input: ['x'], output: ['y'], attribute: [{ name: 'pads', type: 7, ints: new Array(LIMITS.maxAttrValues + 1).fill(0) }] }],
      input: [vi('x', [1])], output: [vi('y', [1])] });
    expect(() => importOnnx(longPads)).toThrow(LimitError);
    const n = LIMITS.maxNodes + 1;
    const many = onnx({ node: Array.from({ length: n }, (_, k) => ({ op_type: 'Relu', input: [k ? `v${k - 1}` : 'x'], output: [`v${k}`] })),
      input: [vi('x', [1])], output: [vi(`v${n - 1}`, [1])] });
    expect(() => importOnnx(many)).toThrow(/maxNodes/);
  });

  it('a reversed 65,536-node chain whose nodes all share one name imports in near-linear time', () => {
    const n = LIMITS.maxNodes;
    const nodes = Array.from({ length: n }, (_, k) => ({ op_type: 'Relu', name: 'same', input: [k ? `v${k - 1}` : 'x'], output: [`v${k}`] }));
    const bytes = onnx({ node: nodes.reverse(), input: [vi('x', [1, 4])], output: [vi(`v${n - 1}`, [1, 4])] });
    const t0 = performance.now();
    const graph = importOnnx(bytes);
    validateGraph(graph);
    // The old quadratic ordering and naming loops needed minutes here.
    expect(performance.now() - t0).toBeLessThan(30_000);
    expect(graph.nodes).toHaveLength(n);
    expect(graph.nodes[0]!.inputs).toEqual(['x']);
    expect(new Set(graph.nodes.map((x) => x.name)).size).toBe(n);
  }, 60_000);
});

describe('op names that are Object.prototype members', () => {
  for (const op of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    it(`'${op}' is an unknown op everywhere (used to be "rule is not a function")`, () => {
      const g = reluGraph();
      g.nodes[0]!.op = op;
      expect(() => validateGraph(g)).toThrow(GraphError);
      expect(() => validateGraph(g)).toThrow(/unknown op/);
      expect(() => new CpuExecutor(g)).toThrow(ExecutionError);
      expect(graphStats(g, new Map()).totals.macs).toBe(0);
    });
  }
});

describe('.tessera reader: limits in the header (re-signed files)', () => {
  it('more nodes than maxNodes', () => {
    const file = resigned(reluGraph(), (h) => {
      const nodes = h.graph.nodes;
      for (let k = 0; k < LIMITS.maxNodes; k++) nodes.push({ name: `c${k}`, op: 'Relu', inputs: [k ? `c_${k - 1}` : 'y'], outputs: [`c_${k}`], attrs: {} });
    });
    expect(() => readTessera(file)).toThrow(/maxNodes/);
  });

  it('an attribute list longer than maxAttrValues', () => {
    const file = resigned(reluGraph(), (h) => (h.graph.nodes[0].attrs.axes = { type: 'numbers', value: new Array(LIMITS.maxAttrValues + 1).fill(1) }));
    expect(() => readTessera(file)).toThrow(FormatError);
    expect(() => readTessera(file)).toThrow(/maxAttrValues/);
  });

  it('metadata nested deeper than maxMetadataDepth (it could not be re-serialised)', () => {
    // JSON.stringify cannot build such a value (it recurses), so the nesting is spliced into the header text.
    const deep = (depth: number) =>
      resigned(reluGraph(), (h) => (h.metadata.deep = '@DEEP@'), (json) => json.replace('"@DEEP@"', '['.repeat(depth) + ']'.repeat(depth)));
    expect(() => readTessera(deep(10_000))).toThrow(/maxMetadataDepth/);
    expect(readTessera(deep(LIMITS.maxMetadataDepth)).metadata['deep']).toBeDefined();
  });

  it('a graph input dim above maxDim', () => {
    const file = resigned(reluGraph(), (h) => (h.graph.inputs[0].shape = [1, 2 ** 31]));
    expect(() => readTessera(file)).toThrow(FormatError);
  });
});

describe('graph and executor limits', () => {
  it('checkGraphLimits rejects a value above maxValueElements (inferred, never allocated)', () => {
    const g = reluGraph();
    g.inputs[0]!.shape = [1, 65_536, 65_536];
    g.outputs[0]!.shape = [1, 65_536, 65_536];
    const infos = validateGraph(g);
    expect(() => checkGraphLimits(g, infos)).toThrow(LimitError);
  });

  it('the CPU executor refuses a ConstantOfShape output above maxValueElements before allocating it', () => {
    const g: Graph = {
      inputs: [{ name: 's', dtype: 'i64', shape: [2] }],
      outputs: [{ name: 'y', dtype: 'f32', shape: [-1, -1] }],
      nodes: [{ name: 'c', op: 'ConstantOfShape', inputs: ['s'], outputs: ['y'], attrs: {} }],
      initializers: new Map(),
      metadata: {},
    };
    const exec = new CpuExecutor(g);
    const [err, ms] = timed(() => exec.run({ s: { dtype: 'i64', shape: [2], data: BigInt64Array.of(100_000n, 100_000n) } }));
    expect(err).toBeInstanceOf(LimitError);
    expect(ms).toBeLessThan(1000);
    // A small shape still runs.
    expect(exec.run({ s: { dtype: 'i64', shape: [2], data: BigInt64Array.of(2n, 3n) } })['y']!.shape).toEqual([2, 3]);
  });
});

describe('docs/security.md', () => {
  it('documents every limit with its value', () => {
    const doc = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
    for (const [name, value] of Object.entries(LIMITS)) {
      const row = doc.split('\n').find((line) => line.includes(`\`${name}\``));
      expect(row, name).toBeDefined();
      expect(row!.replace(/[_,\s]/g, ''), name).toContain(String(value));
    }
  });
});
