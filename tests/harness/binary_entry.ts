/**
 * Browser bundle for the binary-op WebGPU tests: builds one BinaryConv / BinaryGemm / BinaryWeightConv node on
 * seeded random data (bit-packed weights, thresholds, activations with exact zeros and values on the
 * thresholds), runs it on the CPU reference and on WebGPU in the page, and returns only error metrics.
 */
import '../../src/node/browser_entry.js';
import { CpuExecutor, cpuKernels } from '../../src/backends/cpu/index.js';
import { sharedGpu } from '../../src/backends/webgpu/device.js';
import { binaryConvBitsTuning } from '../../src/backends/webgpu/binary_conv.js';
import { WebGPUExecutor } from '../../src/backends/webgpu/executor.js';
import type { Graph, Node, Tensor } from '../../src/graph/ir.js';
import { packWeightSigns, paddedChannels } from '../../src/graph/ops/binary.js';
import { packBinaryChains } from '../../src/graph/passes/pack_binary_chains.js';
import { randomChain, type ChainOptions } from './binary_chains.js';
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

export interface ChainCase {
  seed: number;
  options: ChainOptions;
  /** Force binary_conv_bits' threads per output word (default: the kernel's choice). */
  split?: 1 | 2 | 4 | 8;
}

/**
 * A random binary chain (tests/harness/binary_chains.ts): CPU reference of the unpacked graph vs WebGPU of the
 * packed graph (packBinaryChains). Mismatches count elements that differ at all.
 */
async function runChain(c: ChainCase): Promise<BinaryCaseResult & { packed: number }> {
  const { graph, x, label } = randomChain(c.seed, c.options);
  const base = { label, mismatches: -1, maxAbs: NaN, maxRel: NaN, count: 0, kernels: [] as string[], packed: 0 };
  try {
    const name = graph.outputs[0]!.name;
    const expected = Object.values(new CpuExecutor(graph).run({ x }))[0]!.data as Float32Array;
    const packed = packBinaryChains(graph);
    binaryConvBitsTuning.split = c.split ?? 0;
    const ex = await WebGPUExecutor.create(await sharedGpu(), packed).finally(() => (binaryConvBitsTuning.split = 0));
    const got = (await ex.run({ x: x.data as Float32Array }))[name]!.data as Float32Array;
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
    const kernels = ex.dispatches.map((d) => d.kernel);
    return { ...base, ok: got.length === expected.length, mismatches, maxAbs, maxRel, count: expected.length, kernels, packed: packed.nodes.filter((n) => n.op === 'BinaryConvBits').length };
  } catch (e) {
    return { ...base, ok: false, error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

export interface ChainLayerShape extends LayerShape {
  /** The layer reads bit-packed X (a BinaryConvBits before it); else f32 X + thresholds (pack dispatch). */
  packedIn: boolean;
  /** The layer writes bits (BinaryConvBits) for the next binary layer; else f32 (the last binary layer). */
  packedOut: boolean;
  /** A 2x2 / 2 MaxPool follows, fused into the BinaryConvBits. */
  pool: boolean;
}

export interface ChainLayerTiming extends LayerTiming {
  /** The same layer as it runs in a packed chain (BinaryConvBits / BinaryConv on bits). */
  packedMs: number;
  kernels: string[];
}

/** How a benchmarked layer runs: float FusedConv, BinaryConv as binarize leaves it, or as packBinaryChains leaves it. */
export type LayerVariant = 'float' | 'binary' | 'packed';

/** Kernel tuning for 'packed' (binaryConvBitsTuning). */
export interface LayerTuning {
  split?: 0 | 1 | 2 | 4 | 8;
}

interface LayerGraph {
  graph: Graph;
  inputs: Record<string, Float32Array>;
}

const NODE = 'node_under_test';

/**
 * One 3x3 pad-1 layer of the benchmark: 'binary' = BinaryConv (-1 padding, thresholds, bias, relu; f32 in: pack +
 * conv; f32 out), 'float' = FusedConv (relu) of the same shape, 'packed' = the layer inside a packed chain (bits in
 * unless !packedIn, bits out with the pool fused unless !packedOut; a tiny untimed reader makes the f32 output).
 */
function layerGraph(s: ChainLayerShape, variant: LayerVariant): LayerGraph {
  if (variant !== 'packed') {
    const { graph, x } = build({ label: s.label, op: 'BinaryConv', x: [s.n, s.c, s.h, s.w], m: s.m, kernel: [3, 3], attrs: { pads: [1, 1, 1, 1], pad_value: -1, activation: 'relu' }, bias: true, thresholds: true, seed: 1 });
    graph.outputs[0]!.shape = [s.n, s.m, s.h, s.w];
    if (variant === 'binary') return { graph, inputs: { x: x.data as Float32Array } };
    const r = mulberry32(2);
    const wf = f32([s.m, s.c, 3, 3], Array.from({ length: s.m * s.c * 9 }, () => r() - 0.5));
    const floatGraph: Graph = {
      inputs: graph.inputs,
      outputs: graph.outputs,
      nodes: [{ name: NODE, op: 'FusedConv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], activation: 'relu' } }],
      initializers: new Map([['w', wf], ['b', graph.initializers.get('b')!]]),
      metadata: {},
    };
    return { graph: floatGraph, inputs: { x: x.data as Float32Array } };
  }
  const r = mulberry32(3 + s.c + s.m + s.h);
  const c32 = paddedChannels(s.c);
  const init = new Map<string, Tensor>();
  const signs = (m: number, c: number, taps: number) => packWeightSigns(Array.from({ length: m * c * taps }, () => (r() < 0.5 ? -1 : 1)), m, c, taps);
  init.set('w', { dtype: 'binary', shape: [s.m, 3, 3, c32], data: signs(s.m, s.c, 9) });
  const inputs: Record<string, Float32Array> = {};
  let xInfo: Graph['inputs'][number];
  const attrs: Node['attrs'] = { kernel_shape: [3, 3], pads: [1, 1, 1, 1], pad_value: -1, ...(s.packedIn ? { in_channels: s.c } : {}) };
  if (s.packedIn) {
    xInfo = { name: 'x', dtype: 'binary', shape: [s.n, s.h, s.w, c32] };
    inputs['x'] = new Float32Array(Uint32Array.from({ length: (s.n * s.h * s.w * c32) / 32 }, () => Math.floor(r() * 2 ** 32)).buffer);
  } else {
    xInfo = { name: 'x', dtype: 'f32', shape: [s.n, s.c, s.h, s.w] };
    inputs['x'] = Float32Array.from({ length: s.n * s.c * s.h * s.w }, () => r() * 2 - 1);
    init.set('t', f32([3, s.c], [...new Array(s.c).fill(1), ...new Array(s.c).fill(0), ...new Array(s.c).fill(0)]));
  }
  const nodes: Node[] = [];
  if (s.packedOut) {
    const q = new Int32Array(3 * s.m);
    for (let o = 0; o < s.m; o++) [q[o], q[s.m + o], q[2 * s.m + o]] = [Math.floor(r() * 400) - 200, 10_000, 1];
    init.set('q', { dtype: 'i32', shape: [3, s.m], data: q });
    if (s.pool) Object.assign(attrs, { pool_kernel_shape: [2, 2], pool_strides: [2, 2] });
    nodes.push({ name: NODE, op: 'BinaryConvBits', inputs: ['x', 'w', 'q', ...(s.packedIn ? [] : ['t'])], outputs: ['bits'], attrs });
    init.set('w2', { dtype: 'binary', shape: [4, 1, 1, paddedChannels(s.m)], data: signs(4, s.m, 1) });
    init.set('a2', f32([4], [1, 1, 1, 1]));
    nodes.push({ name: 'reader', op: 'BinaryConv', inputs: ['bits', 'w2', 'a2'], outputs: ['y'], attrs: { kernel_shape: [1, 1], in_channels: s.m } });
  } else {
    init.set('a', f32([s.m], new Array(s.m).fill(0.5)));
    init.set('b', f32([s.m], new Array(s.m).fill(0.1)));
    nodes.push({ name: NODE, op: 'BinaryConv', inputs: ['x', 'w', 'a', 'b', ...(s.packedIn ? [] : ['t'])], outputs: ['y'], attrs: { ...attrs, activation: 'relu' } });
  }
  return { graph: { inputs: [xInfo], outputs: [{ name: 'y', dtype: 'f32', shape: [] }], nodes, initializers: init, metadata: {} }, inputs };
}

async function createWith(graph: Graph, tuning: LayerTuning = {}): Promise<WebGPUExecutor> {
  binaryConvBitsTuning.split = tuning.split ?? 0;
  try {
    return await WebGPUExecutor.create(await sharedGpu(), graph);
  } finally {
    binaryConvBitsTuning.split = 0;
  }
}

/** GPU time of the node under test's dispatches, best of `iters` profiles (others on a shared CPU only add time). */
async function timeLayer(s: ChainLayerShape, variant: LayerVariant, iters: number, tuning?: LayerTuning): Promise<{ ms: number; kernels: string[]; clock: 'gpu' | 'wall' }> {
  const { graph, inputs } = layerGraph(s, variant);
  const ex = await createWith(graph, tuning);
  try {
    await ex.run(inputs);
    let best = Infinity;
    let kernels: string[] = [];
    let clock: 'gpu' | 'wall' = 'gpu';
    for (let i = 0; i < iters; i++) {
      const rows = (await ex.profile(inputs)).rows.filter((r) => r.node === NODE);
      kernels = rows.map((r) => r.kernel);
      if (rows.some((r) => r.timing !== 'timestamp')) clock = 'wall';
      best = Math.min(best, rows.reduce((t, r) => t + (r.gpuMs ?? NaN), 0));
    }
    return { ms: best, kernels, clock };
  } finally {
    ex.release();
  }
}

/** Float, binary (as binarize leaves it) and packed (as packBinaryChains leaves it) per layer. */
async function benchChainLayers(shapes: ChainLayerShape[], iters: number, tuning?: LayerTuning, only?: LayerVariant[]): Promise<ChainLayerTiming[]> {
  const out: ChainLayerTiming[] = [];
  const want = (v: LayerVariant) => !only || only.includes(v);
  for (const s of shapes) {
    const flt = want('float') ? await timeLayer(s, 'float', iters) : undefined;
    const bin = want('binary') ? await timeLayer(s, 'binary', iters) : undefined;
    const packed = want('packed') ? await timeLayer(s, 'packed', iters, tuning) : undefined;
    out.push({ label: s.label, floatMs: flt?.ms ?? NaN, binaryMs: bin?.ms ?? NaN, packedMs: packed?.ms ?? NaN, kernels: packed?.kernels ?? [], clock: packed?.clock ?? bin?.clock ?? 'gpu' });
  }
  return out;
}

/** Executors kept alive in the page for CPU-time measurements driven from Node (tests/harness/binary_bench.mts). */
const held = new Map<string, { ex: WebGPUExecutor; inputs: Record<string, Float32Array> }>();

async function holdLayer(key: string, s: ChainLayerShape, variant: LayerVariant, tuning?: LayerTuning): Promise<string[]> {
  const { graph, inputs } = layerGraph(s, variant);
  const ex = await createWith(graph, tuning);
  await ex.run(inputs);
  held.set(key, { ex, inputs });
  return ex.dispatches.map((d) => d.kernel);
}

async function runHeld(key: string, reps: number): Promise<void> {
  const h = held.get(key);
  if (!h) throw new Error(`no held layer ${key}`);
  for (let i = 0; i < reps; i++) await h.ex.run(h.inputs);
}

function releaseHeld(): void {
  for (const h of held.values()) h.ex.release();
  held.clear();
}

const tesseraBinaryTest = {
  benchChainLayers,
  holdLayer,
  runHeld,
  releaseHeld,
  async runChains(cases: ChainCase[]) {
    const results = [];
    for (const c of cases) results.push(await runChain(c));
    return results;
  },
  async runCases(cases: BinaryCase[]): Promise<BinaryCaseResult[]> {
    const results: BinaryCaseResult[] = [];
    for (const c of cases) results.push(await runCase(c));
    return results;
  },
};

(globalThis as unknown as { tesseraBinaryTest: typeof tesseraBinaryTest }).tesseraBinaryTest = tesseraBinaryTest;
