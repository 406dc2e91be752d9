/**
 * Browser bundle for the WebGPU tests: the package API (globalThis.tessera) plus `tesseraTest`, which runs a single
 * node on seeded random data on the CPU reference and on WebGPU in the page and returns only error metrics.
 */
import '../../src/node/browser_entry.js';
import { CpuExecutor, cpuKernels } from '../../src/backends/cpu/index.js';
import { sharedGpu } from '../../src/backends/webgpu/device.js';
import { WebGPUExecutor } from '../../src/backends/webgpu/executor.js';
import type { ConvVariant } from '../../src/backends/webgpu/conv_select.js';
import type { Graph, Node, Tensor } from '../../src/graph/ir.js';
import { f32ToF16, sizeOf } from '../../src/graph/ir.js';
import { randomF32 } from './rng.js';
import { dequantizeInt8, quantizeInt8 } from '../../src/graph/quant_int8.js';
import { relativeL2 } from '../../src/util/relative_l2.js';

export interface CaseInput {
  shape: number[];
  /** 'input': a graph input (activation); 'const': an initializer (weights). Default 'input'. */
  kind?: 'input' | 'const';
  lo?: number;
  hi?: number;
  /** Absent optional input (''). */
  absent?: boolean;
  /**
   * Initializers only: store as f16 (values rounded to half precision; the CPU reference decodes the same halves), or
   * as i64 holding `values` (e.g. Gather's indices).
   */
  dtype?: 'f32' | 'f16' | 'i64' | 'int8';
  /** The i64 initializer's values. */
  values?: number[];
  /** int8 initializers (graph cases): the scale axis; absent = one scale for the tensor. */
  int8Axis?: number;
}

export interface NodeCase {
  label: string;
  op: string;
  attrs?: Node['attrs'];
  inputs: CaseInput[];
  outputs?: number;
  seed: number;
  /** WebGPU executor options (e.g. attention: 'fused' to test the one-dispatch kernel on SwiftShader). */
  executor?: { attention?: 'fused' | 'unfused'; f16Compute?: boolean };
}

export interface CaseResult {
  label: string;
  ok: boolean;
  relL2: number;
  maxAbs: number;
  cpuShape: number[];
  gpuShape: number[];
  kernels: string[];
  error?: string;
}

/** The shared relative L2 error (||a - b|| when b is all zeros) and the largest |a - b| (NaN once one is NaN). */
function relL2(a: Float32Array, b: Float32Array): { rel: number; maxAbs: number } {
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i]! - b[i]!));
  return { rel: relativeL2(a, b, 'absolute'), maxAbs };
}

async function runCase(c: NodeCase): Promise<CaseResult> {
  const inputNames = c.inputs.map((inp, i) => (inp.absent ? '' : `in${i}`));
  const outNames = Array.from({ length: c.outputs ?? 1 }, (_, i) => `out${i}`);
  const node: Node = { name: 'node_under_test', op: c.op, inputs: inputNames, outputs: outNames, attrs: c.attrs ?? {} };
  const tensors: (Tensor | undefined)[] = c.inputs.map((inp, i) =>
    inp.absent
      ? undefined
      : inp.dtype === 'i64'
        ? { dtype: 'i64', shape: inp.shape, data: BigInt64Array.from(inp.values ?? [], BigInt) }
        : { dtype: 'f32', shape: inp.shape, data: randomF32(sizeOf(inp.shape), c.seed * 131 + i, inp.lo ?? -1, inp.hi ?? 1) },
  );
  const base = { label: c.label, cpuShape: [] as number[], gpuShape: [] as number[], kernels: [] as string[], relL2: NaN, maxAbs: NaN };
  let expected: Tensor;
  try {
    expected = cpuKernels[c.op]!(node, tensors)[0]!;
  } catch (e) {
    return { ...base, ok: false, error: `CPU reference failed: ${(e as Error).message}` };
  }
  const graph: Graph = {
    inputs: [],
    outputs: [{ name: 'out0', dtype: 'f32', shape: expected.shape }],
    nodes: [node],
    initializers: new Map(),
    metadata: {},
  };
  const feeds: Record<string, Float32Array> = {};
  c.inputs.forEach((inp, i) => {
    if (inp.absent) return;
    if (inp.kind === 'const') graph.initializers.set(inputNames[i]!, tensors[i]!);
    else {
      graph.inputs.push({ name: inputNames[i]!, dtype: 'f32', shape: inp.shape });
      feeds[inputNames[i]!] = tensors[i]!.data as Float32Array;
    }
  });
  try {
    const gpu = await sharedGpu();
    const ex = await WebGPUExecutor.create(gpu, graph, c.executor ?? {});
    const out = (await ex.run(feeds))['out0']!;
    ex.release();
    const m = relL2(out.data as Float32Array, expected.data as Float32Array);
    const sameShape = out.shape.length === expected.shape.length && out.shape.every((d, i) => d === expected.shape[i]);
    return { ...base, ok: sameShape, relL2: m.rel, maxAbs: m.maxAbs, cpuShape: [...expected.shape], gpuShape: [...out.shape], kernels: ex.dispatches.map((d) => d.kernel) };
  } catch (e) {
    return { ...base, cpuShape: [...expected.shape], ok: false, error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

/** A small multi-node graph on seeded random data: graph inputs ('input') and initializers ('const'). */
export interface GraphCase {
  label: string;
  nodes: Node[];
  inputs: (CaseInput & { name: string })[];
  outputs: string[];
  seed: number;
  /** Executor options (memory plan / views / f16 weight storage on by default). */
  views?: boolean;
  f16Weights?: boolean;
  int8Weights?: boolean;
  /** Run every conv on this variant where it is valid (conv_select.ts CONV_VARIANTS; invalid: the rule's). */
  convVariant?: string;
  /** ExecutorOptions.pointwisePrologue (BatchNormConv's prologue on conv2d_1x1; default: hardware adapters only). */
  pointwisePrologue?: boolean;
}

export interface GraphCaseResult extends CaseResult {
  memory: WebGPUExecutor['memory'];
  /** Dispatch count per op. */
  ops: Record<string, number>;
  /** Tensors placed as views by the memory plan, by kind. */
  views: Record<string, number>;
  elided: number;
}

async function runGraphCase(c: GraphCase): Promise<GraphCaseResult> {
  const base = {
    label: c.label,
    cpuShape: [] as number[],
    gpuShape: [] as number[],
    kernels: [] as string[],
    relL2: NaN,
    maxAbs: NaN,
    ops: {},
    views: {},
    elided: 0,
    memory: { activationBytes: 0, plannedActivationBytes: null, lowerBoundBytes: null, weightBytes: 0, f16WeightBytes: 0, int8WeightBytes: 0 },
  };
  const graph: Graph = { inputs: [], outputs: [], nodes: c.nodes, initializers: new Map(), metadata: {} };
  const feeds: Record<string, Tensor> = {};
  c.inputs.forEach((inp, i) => {
    const values = randomF32(sizeOf(inp.shape), c.seed * 131 + i, inp.lo ?? -1, inp.hi ?? 1);
    // int8: the CPU reference computes with the dequantised values, WebGPU reads the int8 + scales.
    const quant = inp.dtype === 'int8' && inp.kind === 'const' ? quantizeInt8(values, inp.shape, inp.int8Axis) : undefined;
    const t: Tensor =
      inp.dtype === 'f16' && inp.kind === 'const'
        ? { dtype: 'f16', shape: inp.shape, data: Uint16Array.from(values, f32ToF16) }
        : quant
          ? { dtype: 'f32', shape: inp.shape, data: dequantizeInt8(quant, inp.shape), quant }
          : { dtype: 'f32', shape: inp.shape, data: values };
    if (inp.kind === 'const') graph.initializers.set(inp.name, t);
    else {
      graph.inputs.push({ name: inp.name, dtype: 'f32', shape: inp.shape });
      feeds[inp.name] = t;
    }
  });
  let expected: Record<string, Tensor>;
  try {
    const cpu = new CpuExecutor({ ...graph, outputs: c.outputs.map((name) => ({ name, dtype: 'f32', shape: [] })) });
    expected = cpu.run(feeds);
  } catch (e) {
    return { ...base, ok: false, error: `CPU reference failed: ${(e as Error).message}` };
  }
  graph.outputs = c.outputs.map((name) => ({ name, dtype: 'f32', shape: [...expected[name]!.shape] }));
  try {
    const gpu = await sharedGpu();
    const convVariant = c.convVariant === undefined ? undefined : () => c.convVariant as ConvVariant;
    const ex = await WebGPUExecutor.create(gpu, graph, { views: c.views ?? true, f16Weights: c.f16Weights ?? true, int8Weights: c.int8Weights ?? true, convVariant, pointwisePrologue: c.pointwisePrologue });
    const out = await ex.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, t.data as Float32Array])));
    ex.release();
    let rel = 0;
    let maxAbs = 0;
    for (const name of c.outputs) {
      const m = relL2(out[name]!.data as Float32Array, expected[name]!.data as Float32Array);
      rel = Math.max(rel, m.rel);
      maxAbs = Math.max(maxAbs, m.maxAbs);
    }
    const ops: Record<string, number> = {};
    for (const d of ex.dispatches) ops[d.op] = (ops[d.op] ?? 0) + 1;
    const views: Record<string, number> = {};
    for (const t of ex.plan?.tensors.values() ?? []) if (t.view) views[t.view.kind] = (views[t.view.kind] ?? 0) + 1;
    return { ...base, ok: true, relL2: rel, maxAbs, kernels: ex.dispatches.map((d) => d.kernel), ops, views, elided: ex.plan?.elidedNodes.size ?? 0, memory: ex.memory };
  } catch (e) {
    return { ...base, ok: false, error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

const tesseraTest = {
  async runCases(cases: NodeCase[]): Promise<CaseResult[]> {
    const results: CaseResult[] = [];
    for (const c of cases) results.push(await runCase(c));
    return results;
  },
  async runGraphCases(cases: GraphCase[]): Promise<GraphCaseResult[]> {
    const results: GraphCaseResult[] = [];
    for (const c of cases) results.push(await runGraphCase(c));
    return results;
  },
};

(globalThis as unknown as { tesseraTest: typeof tesseraTest }).tesseraTest = tesseraTest;
