/**
 * Issue 8, item 2 (GPU-independent part): nothing from a model file reaches shader source.
 *
 * A model whose node names, tensor names, metadata and string attributes carry WGSL and JavaScript payloads is
 * written to .tessera and read back (and imported from ONNX): the names must survive exactly, as data. Then the WGSL
 * of every program the WebGPU backend would compile for it is generated without a GPU (kernel plans + buildProgram,
 * the first step of WebGPUExecutor.create) and must not contain any payload, or even the marker each payload carries.
 */
import { describe, expect, it } from 'vitest';
import { readTessera, writeTessera } from '../../src/format/index.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { validateGraph, inferShapes } from '../../src/graph/ops/index.js';
import type { Graph, Node, Tensor } from '../../src/graph/ir.js';
import { CpuExecutor } from '../../src/backends/cpu/index.js';
import { webgpuKernels } from '../../src/backends/webgpu/kernels.js';
import { buildProgram, type Program } from '../../src/backends/webgpu/program.js';
import { encodeOnnxObject } from '../fuzz/mutate_onnx.js';
import { Rng } from '../fuzz/rng.js';

/** Every payload carries the marker `PWN` so that any partial leak is caught too. */
const PAYLOADS = [
  'PWN}; fn main() {',
  '@compute @workgroup_size(1) fn PWN_evil() { }',
  'var<storage, read_write> PWN: array<f32>;',
  '</script><script>PWN()</script>',
  '`${globalThis.PWN = 1}`',
  '${PWN}',
  "PWN'); alert(1); ('",
  'PWN */ fn x() {} /*',
  'PWN\n// @if WG\n#include',
  'PWN\u0000\u2028\ud83d\ude00',
];

const p = (i: number) => `${PAYLOADS[i % PAYLOADS.length]}#${i}`;

function randomTensor(rng: Rng, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'f32', shape, data: Float32Array.from({ length: n }, () => rng.next() - 0.5) };
}

/** A small CNN (Conv, Relu, MaxPool, Add, GlobalAveragePool, Flatten, Gemm, Softmax) with hostile names everywhere. */
function hostileGraph(): Graph {
  const rng = new Rng(8);
  const [x, w, b, c1, r1, m1, k, a1, g1, f1, fw, fb, logits, probs] = Array.from({ length: 14 }, (_, i) => p(i));
  const node = (i: number, op: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node => ({
    name: p(100 + i),
    op,
    inputs,
    outputs,
    // An attribute no op reads, with string and string-list payloads: kept as data, never interpreted.
    attrs: { ...attrs, [`note${p(200 + i)}`]: p(300 + i), tags: [p(400 + i), p(500 + i)] },
  });
  return {
    inputs: [{ name: x!, dtype: 'f32', shape: [-1, 3, 8, 8] }],
    outputs: [{ name: probs!, dtype: 'f32', shape: [-1, 5] }],
    nodes: [
      node(0, 'Conv', [x!, w!, b!], [c1!], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] }),
      node(1, 'Relu', [c1!], [r1!]),
      node(2, 'MaxPool', [r1!], [m1!], { kernel_shape: [2, 2], strides: [2, 2] }),
      node(3, 'Add', [m1!, k!], [a1!]),
      node(4, 'GlobalAveragePool', [a1!], [g1!]),
      node(5, 'Flatten', [g1!], [f1!], { axis: 1 }),
      node(6, 'Gemm', [f1!, fw!, fb!], [logits!], { transB: 1 }),
      node(7, 'Softmax', [logits!], [probs!], { axis: -1 }),
    ],
    initializers: new Map([
      [w!, randomTensor(rng, [4, 3, 3, 3])],
      [b!, randomTensor(rng, [4])],
      [k!, randomTensor(rng, [1, 4, 1, 1])],
      [fw!, randomTensor(rng, [5, 4])],
      [fb!, randomTensor(rng, [5])],
    ]),
    metadata: {
      name: p(600),
      labels: [p(601), p(602), p(603), p(604), p(605)],
      provenance: { [p(606)]: p(607) },
      [p(608)]: { nested: [p(609)] },
    },
  };
}

/**
 * The WGSL of every program the WebGPU backend would compile for `graph` (batch 1), without a GPU: the same kernel
 * plans and buildProgram calls as step 1 of WebGPUExecutor.create.
 */
function allPrograms(graph: Graph): Program[] {
  const inputShapes: Record<string, number[]> = {};
  for (const input of graph.inputs) inputShapes[input.name] = input.shape.map((d) => (d < 0 ? 1 : d));
  const values = inferShapes(graph, inputShapes);
  const shapeOf = (name: string) => values.get(name)!.shape;
  const programs: Program[] = [];
  for (const node of graph.nodes) {
    const kernel = webgpuKernels[node.op];
    if (!kernel) throw new Error(`no WebGPU kernel for ${node.op}`);
    const plan = kernel({
      node,
      inputShapes: node.inputs.map((n) => (n === '' ? undefined : shapeOf(n))),
      outputShapes: node.outputs.map((n) => (n === '' ? [] : shapeOf(n))),
      constant: (name) => graph.initializers.get(name),
    });
    for (const spec of plan.programs) programs.push(buildProgram(spec));
  }
  return programs;
}

function namesOf(g: Graph) {
  return {
    inputs: g.inputs.map((v) => v.name),
    outputs: g.outputs.map((v) => v.name),
    nodes: g.nodes.map((n) => [n.name, n.inputs, n.outputs, n.attrs]),
    initializers: [...g.initializers.keys()],
    metadata: g.metadata,
  };
}

describe('model-file strings never reach shader source', () => {
  const graph = hostileGraph();

  it('the hostile model is a valid graph', () => {
    expect(() => validateGraph(graph)).not.toThrow();
  });

  it('names, attributes and metadata survive a .tessera round trip byte for byte', () => {
    const back = readTessera(writeTessera(graph));
    expect(namesOf(back)).toEqual(namesOf(graph));
    expect(JSON.stringify(namesOf(back))).toContain('</script><script>PWN()</script>');
  });

  it('names are only data: the read model computes what the original computes', () => {
    const back = readTessera(writeTessera(graph));
    const input = randomTensor(new Rng(1), [2, 3, 8, 8]);
    const want = new CpuExecutor(graph).run({ [p(0)]: input })[p(13)]!;
    const got = new CpuExecutor(back).run({ [p(0)]: input })[p(13)]!;
    expect(got.shape).toEqual([2, 5]);
    expect(Array.from(got.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
    // Softmax rows sum to 1: the graph really ran, payload names and all.
    expect((got.data as Float32Array).slice(0, 5).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('no payload (not even its marker) appears in any generated WGSL program', () => {
    const programs = allPrograms(readTessera(writeTessera(graph)));
    // Conv, Relu, MaxPool, Add, GlobalAveragePool, Gemm, Softmax dispatch at least one program each (Flatten aliases).
    expect(programs.length).toBeGreaterThanOrEqual(7);
    for (const program of programs) {
      expect(program.wgsl).toContain('@compute');
      expect(program.wgsl).not.toContain('PWN');
      for (const payload of PAYLOADS) expect(program.wgsl).not.toContain(payload);
      expect(program.cacheKey).not.toContain('PWN');
      // Numbers spliced into WGSL are validated integers.
      for (const v of Object.values(program.defines ?? {})) expect(Number.isSafeInteger(v)).toBe(true);
    }
  });

  it('ONNX names, doc strings and metadata_props are imported as data and stay out of WGSL', () => {
    const rng = new Rng(3);
    const f32 = (name: string, dims: number[]) => ({ name, data_type: 1, dims, float_data: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.next() - 0.5) });
    const vi = (name: string, dims: number[]) => ({ name, type: { tensor_type: { elem_type: 1, shape: { dim: dims.map((d) => ({ dim_value: d })) } } } });
    const model = {
      ir_version: 8,
      producer_name: p(700),
      doc_string: p(701),
      opset_import: [{ domain: '', version: 13 }],
      metadata_props: [{ key: p(702), value: p(703) }],
      graph: {
        name: p(704),
        doc_string: p(705),
        input: [vi(p(706), [1, 2, 4, 4])],
        output: [vi(p(707), [1, 3, 4, 4])],
        initializer: [f32(p(708), [3, 2, 1, 1])],
        node: [
          { name: p(709), op_type: 'Conv', input: [p(706), p(708)], output: [p(710)], doc_string: p(711) },
          { name: p(712), op_type: 'Relu', input: [p(710)], output: [p(707)] },
        ],
      },
    };
    const g = importOnnx(encodeOnnxObject(model));
    expect(g.inputs.map((v) => v.name)).toEqual([p(706)]);
    expect(g.outputs.map((v) => v.name)).toEqual([p(707)]);
    expect(g.nodes.map((n) => n.name)).toEqual([p(709), p(712)]);
    expect(g.metadata.name).toBe(p(704));
    expect(g.metadata.provenance?.[`meta.${p(702)}`]).toBe(p(703));
    expect(g.metadata.provenance?.['docString']).toBe(p(701));
    const back = readTessera(writeTessera(g));
    expect(namesOf(back)).toEqual(namesOf(g));
    const programs = allPrograms(back);
    expect(programs.length).toBeGreaterThanOrEqual(2);
    for (const program of programs) expect(program.wgsl).not.toContain('PWN');
  });
});
