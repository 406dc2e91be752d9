/**
 * In-page half of the kernel micro-benchmark (bundled by the Chromium harness): `tesseraKernelBench.run(job)` builds a
 * one-node graph (Conv / FusedConv / MatMul) on seeded random data, creates a WebGPU executor with a forced conv
 * variant, and times the node's dispatch with timestamp queries (executor.profile) when the device has them, else the
 * wall time of whole runs. Returns medians only.
 */
import '../../src/node/browser_entry.js';
import { sharedGpu } from '../../src/backends/webgpu/device.js';
import { WebGPUExecutor } from '../../src/backends/webgpu/executor.js';
import { convGemmSwitches } from '../../src/backends/webgpu/conv_gemm.js';
import { elementwiseSwitches } from '../../src/backends/webgpu/elementwise.js';
import { setConvVariantOverride, convVariantsFor, type ConvShape, type ConvVariant } from '../../src/backends/webgpu/conv_select.js';
import { setMatmulVariantOverride, type MatmulVariant } from '../../src/backends/webgpu/matmul_select.js';
import { setReductionVariantOverride, type ReductionVariant } from '../../src/backends/webgpu/reduce_select.js';
import type { Graph, Node, Tensor } from '../../src/graph/ir.js';
import { sizeOf } from '../../src/graph/ir.js';
import { randomF32 } from '../../tests/harness/rng.js';
import type { KernelJob, KernelJobResult } from './types.js';

/** The benchmarked node's dispatches, including the nodes a lowering made of it (Winograd: 'bench/winograd_*'). */
const ofBench = (node: string): boolean => node === 'bench' || node.startsWith('bench/');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function buildGraph(job: KernelJob): { graph: Graph; feeds: Record<string, Float32Array> } {
  const node: Node = { name: 'bench', op: job.op, inputs: job.inputs.map((_, i) => `in${i}`), outputs: ['out0'], attrs: job.attrs ?? {} };
  const graph: Graph = { inputs: [], outputs: [{ name: 'out0', dtype: 'f32', shape: job.outputShape }], nodes: [node], initializers: new Map(), metadata: {} };
  if (job.inArena) {
    // Relu(in0) -> node -> Relu: the node's input and output are planned activations (arena buffers), as in a model.
    graph.nodes.unshift({ name: 'pre', op: 'Relu', inputs: ['in0'], outputs: ['pre0'], attrs: {} });
    node.inputs[0] = 'pre0';
    node.outputs[0] = 'mid0';
    graph.nodes.push({ name: 'post', op: 'Relu', inputs: ['mid0'], outputs: ['out0'], attrs: {} });
  }
  const feeds: Record<string, Float32Array> = {};
  job.inputs.forEach((inp, i) => {
    const t: Tensor = { dtype: 'f32', shape: inp.shape, data: randomF32(sizeOf(inp.shape), 7 + i, -1, 1) };
    if (inp.kind === 'const') graph.initializers.set(`in${i}`, t);
    else {
      graph.inputs.push({ name: `in${i}`, dtype: 'f32', shape: inp.shape });
      feeds[`in${i}`] = t.data as Float32Array;
    }
  });
  return { graph, feeds };
}

const api = {
  /** Variants valid for a conv shape (names only). */
  variants(shape: ConvShape): ConvVariant[] {
    return convVariantsFor(shape);
  },
  async run(job: KernelJob): Promise<KernelJobResult> {
    const gpu = await sharedGpu();
    const { graph, feeds } = buildGraph(job);
    const prev = setConvVariantOverride(job.variant ? () => job.variant as ConvVariant : undefined);
    // The same name forces a Gemm / MatMul or reduction variant (bench/kernels/variants.ts); invalid ones are ignored.
    const prevMatmul = setMatmulVariantOverride(job.variant ? () => job.variant as MatmulVariant : undefined);
    const prevReduce = setReductionVariantOverride(job.variant ? () => job.variant as ReductionVariant : undefined);
    convGemmSwitches.stride2Window = !job.noStride2Window;
    elementwiseSwitches.vec4 = !job.scalarElementwise;
    let ex: WebGPUExecutor;
    try {
      ex = await WebGPUExecutor.create(gpu, graph);
    } finally {
      setConvVariantOverride(prev);
      setMatmulVariantOverride(prevMatmul);
      setReductionVariantOverride(prevReduce);
      convGemmSwitches.stride2Window = true;
      elementwiseSwitches.vec4 = true;
    }
    try {
      const kernel = ex.dispatches.filter((d) => ofBench(d.node)).map((d) => d.kernel).join('+');
      await ex.run(feeds); // warm-up
      const gpuTimes: number[] = [];
      const wallTimes: number[] = [];
      const start = performance.now();
      for (let r = 0; r < job.reps; r++) {
        const p = await ex.profile(feeds);
        wallTimes.push(p.wallMs);
        const rows = p.rows.filter((row) => ofBench(row.node));
        if (rows.every((row) => row.gpuMs !== null)) gpuTimes.push(rows.reduce((a, row) => a + row.gpuMs!, 0));
        if (r >= 1 && performance.now() - start > job.maxSeconds * 1000) break;
      }
      const timestamps = gpuTimes.length > 0;
      const times = timestamps ? gpuTimes : wallTimes;
      return { kernel, ms: median(times), minMs: Math.min(...times), timing: timestamps ? 'timestamp' : 'wall', reps: wallTimes.length };
    } finally {
      ex.release();
    }
  },
};

(globalThis as unknown as { tesseraKernelBench: typeof api }).tesseraKernelBench = api;
