/**
 * Browser bundle for the binary-op WebGPU tests: builds one BinaryConv / BinaryGemm / BinaryWeightConv node on
 * seeded random data (bit-packed weights, thresholds, activations with exact zeros and values on the
 * thresholds), runs it on the CPU reference and on WebGPU in the page, and returns only error metrics.
 */
import '../../src/node/browser_entry.js';
import { cpuKernels } from '../../src/backends/cpu/index.js';
import { sharedGpu } from '../../src/backends/webgpu/device.js';
import { WebGPUExecutor } from '../../src/backends/webgpu/executor.js';
import type { Graph, Node, Tensor } from '../../src/graph/ir.js';
import { packWeightSigns, paddedChannels } from '../../src/graph/ops/binary.js';
import { mulberry32 } from './rng.js';

export interface BinaryCase {
  label: string;
  op: 'BinaryConv' | 'BinaryGemm' | 'BinaryWeightConv';
  /** X shape: [N, C, H, W] (conv) or [N, K] (gemm). */
  x: number[];
  m: number;
  kernel?: [number, number];
  attrs?: Node['attrs'];
  bias?: boolean;
  thresholds?: boolean;
  /** alpha = 1 and no bias: outputs are the integer dot products themselves. */
  unitScale?: boolean;
  /** Residual input R (index 5) added before or after the activation. */
  residual?: 'before' | 'after';
  seed: number;
}

export interface BinaryCaseResult {
  label: string;
  ok: boolean;
  /** Elements that differ at all. */
  mismatches: number;
  maxAbs: number;
  /** max |gpu - cpu| / max(1, |cpu|). */
  maxRel: number;
  count: number;
  kernels: string[];
  error?: string;
}

const f32 = (shape: number[], data: ArrayLike<number>): Tensor => ({ dtype: 'f32', shape, data: Float32Array.from(data) });

function build(c: BinaryCase): { graph: Graph; x: Tensor } {
  const r = mulberry32(c.seed);
  const ch = c.x[1]!;
  const [kh, kw] = c.kernel ?? [1, 1];
  const taps = c.op === 'BinaryGemm' ? 1 : kh * kw;
  const inner = c.op === 'BinaryGemm' ? 1 : c.x[2]! * c.x[3]!;
  const t = new Float32Array(3 * ch);
  for (let i = 0; i < ch; i++) {
    t[i] = r() < 0.3 ? -1 : 1;
    const lo = Math.fround(r() - 0.5);
    t[ch + i] = lo;
    t[2 * ch + i] = r() < 0.3 ? lo : Math.fround(lo + r() * 0.3);
  }
  const count = c.x.reduce((a, b) => a * b, 1);
  const xs = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u = r();
    const k = Math.floor(i / inner) % ch;
    if (u < 0.1) xs[i] = 0;
    else if (u < 0.2 && c.thresholds) xs[i] = t[k]! * (r() < 0.5 ? t[ch + k]! : t[2 * ch + k]!);
    else xs[i] = r() * 2 - 1;
  }
  const signs = Array.from({ length: c.m * ch * taps }, () => (r() < 0.5 ? -1 : 1));
  const wShape = c.op === 'BinaryGemm' ? [c.m, paddedChannels(ch)] : [c.m, kh, kw, paddedChannels(ch)];
  const init = new Map<string, Tensor>([
    ['w', { dtype: 'binary', shape: wShape, data: packWeightSigns(signs, c.m, ch, taps) }],
    ['alpha', f32([c.m], Array.from({ length: c.m }, () => (c.unitScale ? 1 : Math.fround(0.1 + r()))))],
  ]);
  const inputs = ['x', 'w', 'alpha', '', ''];
  if (c.bias && !c.unitScale) {
    init.set('b', f32([c.m], Array.from({ length: c.m }, () => Math.fround(r() - 0.5))));
    inputs[3] = 'b';
  }
  if (c.thresholds && c.op !== 'BinaryWeightConv') {
    init.set('t', f32([3, ch], t));
    inputs[4] = 't';
  }
  while (inputs.length > 3 && inputs[inputs.length - 1] === '') inputs.pop();
  const attrs = { ...(c.attrs ?? {}), ...(c.op === 'BinaryGemm' ? {} : { kernel_shape: [kh, kw] }) };
  const node: Node = { name: 'node_under_test', op: c.op, inputs, outputs: ['y'], attrs };
  const graph: Graph = { inputs: [{ name: 'x', dtype: 'f32', shape: c.x }], outputs: [{ name: 'y', dtype: 'f32', shape: [] }], nodes: [node], initializers: init, metadata: {} };
  return { graph, x: f32(c.x, xs) };
}

async function runCase(c: BinaryCase): Promise<BinaryCaseResult> {
  const base = { label: c.label, mismatches: -1, maxAbs: NaN, maxRel: NaN, count: 0, kernels: [] as string[] };
  let graph: Graph;
  let x: Tensor;
  let expected: Float32Array;
  try {
    ({ graph, x } = build(c));
    const node = graph.nodes[0]!;
    const cpu = () => cpuKernels[c.op]!(node, node.inputs.map((n) => (n === '' ? undefined : n === 'x' ? x : graph.initializers.get(n))))[0]!;
    let out = cpu();
    if (c.residual) {
      const r = mulberry32(c.seed + 7);
      graph.initializers.set('r', f32([...out.shape], Array.from({ length: out.data.length }, () => r() * 4 - 2)));
      while (node.inputs.length < 5) node.inputs.push('');
      node.inputs[5] = 'r';
      node.attrs = { ...node.attrs, residual_after_activation: c.residual === 'after' ? 1 : 0 };
      out = cpu();
    }
    expected = out.data as Float32Array;
    graph.outputs[0]!.shape = [...out.shape];
  } catch (e) {
    return { ...base, ok: false, error: `CPU reference failed: ${(e as Error).message}` };
  }
  try {
    const gpu = await sharedGpu();
    const ex = await WebGPUExecutor.create(gpu, graph);
    const got = (await ex.run({ x: x.data as Float32Array }))['y']!.data as Float32Array;
    ex.release();
    let mismatches = 0;
    let maxAbs = 0;
    let maxRel = 0;
    for (let i = 0; i < expected.length; i++) {
      const d = Math.abs(got[i]! - expected[i]!);
      if (!(got[i] === expected[i])) mismatches++;
      maxAbs = Math.max(maxAbs, Number.isNaN(d) ? Infinity : d);
      maxRel = Math.max(maxRel, Number.isNaN(d) ? Infinity : d / Math.max(1, Math.abs(expected[i]!)));
    }
    return { ...base, ok: got.length === expected.length, mismatches, maxAbs, maxRel, count: expected.length, kernels: ex.dispatches.map((d) => d.kernel) };
  } catch (e) {
    return { ...base, ok: false, error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

export interface LayerShape {
  label: string;
  n: number;
  c: number;
  m: number;
  h: number;
  w: number;
}

export interface LayerTiming {
  label: string;
  binaryMs: number;
  floatMs: number;
  /** 'gpu' = timestamp queries, 'wall' = run() wall clock (upload + dispatch + readback). */
  clock: 'gpu' | 'wall';
}

/** Median time of one executor run: GPU time of its dispatches when timestamps exist, else wall clock. */
async function timeGraph(graph: Graph, x: Float32Array, iters: number): Promise<{ ms: number; clock: 'gpu' | 'wall' }> {
  const gpu = await sharedGpu();
  const ex = await WebGPUExecutor.create(gpu, graph);
  try {
    await ex.run({ x });
    const samples: number[] = [];
    let clock: 'gpu' | 'wall' = 'wall';
    for (let i = 0; i < iters; i++) {
      const p = await ex.profile({ x });
      const gpuMs = p.rows.every((r) => r.gpuMs !== null) ? p.rows.reduce((s, r) => s + r.gpuMs!, 0) : null;
      clock = gpuMs === null ? 'wall' : 'gpu';
      samples.push(gpuMs ?? p.wallMs);
    }
    samples.sort((a, b) => a - b);
    return { ms: samples[Math.floor(samples.length / 2)]!, clock };
  } finally {
    ex.release();
  }
}

/** 3x3 pad-1 layers: BinaryConv (-1 padding, thresholds, bias, relu) against the float Conv (relu fused) of the same shape. */
async function benchLayers(shapes: LayerShape[], iters: number): Promise<LayerTiming[]> {
  const out: LayerTiming[] = [];
  for (const s of shapes) {
    const { graph, x } = build({ label: s.label, op: 'BinaryConv', x: [s.n, s.c, s.h, s.w], m: s.m, kernel: [3, 3], attrs: { pads: [1, 1, 1, 1], pad_value: -1, activation: 'relu' }, bias: true, thresholds: true, seed: 1 });
    graph.outputs[0]!.shape = [s.n, s.m, s.h, s.w];
    const r = mulberry32(2);
    const wf = f32([s.m, s.c, 3, 3], Array.from({ length: s.m * s.c * 9 }, () => r() - 0.5));
    const floatGraph: Graph = {
      inputs: graph.inputs,
      outputs: graph.outputs,
      nodes: [{ name: 'float_conv', op: 'FusedConv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], activation: 'relu' } }],
      initializers: new Map([['w', wf], ['b', graph.initializers.get('b')!]]),
      metadata: {},
    };
    const bin = await timeGraph(graph, x.data as Float32Array, iters);
    const flt = await timeGraph(floatGraph, x.data as Float32Array, iters);
    out.push({ label: s.label, binaryMs: bin.ms, floatMs: flt.ms, clock: bin.clock });
  }
  return out;
}

const tesseraBinaryTest = {
  async runCases(cases: BinaryCase[]): Promise<BinaryCaseResult[]> {
    const results: BinaryCaseResult[] = [];
    for (const c of cases) results.push(await runCase(c));
    return results;
  },
  benchLayers,
};

(globalThis as unknown as { tesseraBinaryTest: typeof tesseraBinaryTest }).tesseraBinaryTest = tesseraBinaryTest;
