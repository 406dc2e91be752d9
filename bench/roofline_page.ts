/**
 * In-page half of the roofline benchmark (bench/roofline.ts), bundled by the Chromium harness. Besides the kernel
 * micro-benchmark API (`tesseraKernelBench`, for the GEMM ceiling and Tessera's own elementwise kernel) it exposes
 * `tesseraRoofline`:
 *   - copy(bytes, reps): GB/s of copyBufferToBuffer (between two empty timestamped compute passes) and of a plain
 *     vec4 copy shader (timestamps around its pass);
 *   - profileModel(job): Session.create on the model, one warm-up run, `reps` session.profile() runs; per dispatch
 *     the median and the fastest time, with the node's conv attributes from session.graph.
 */
import './kernels/page.js';
import { sharedGpu } from '../src/backends/webgpu/device.js';
import { Session } from '../src/runtime/session.js';
import type { Node } from '../src/graph/ir.js';
import { inferShapes } from '../src/graph/infer.js';
import { fetchBytes, mergeProfileRuns } from './page_util.js';
import type { DispatchRow } from './roofline_table.js';

export interface CopyResult {
  bytes: number;
  /** Per rep, ms between the end of the pass before and the start of the pass after copyBufferToBuffer. */
  bufferCopyMs: number[];
  /** Per rep, ms of the copy shader's pass. */
  shaderCopyMs: number[];
}

export interface ModelJob {
  modelUrl: string;
  inputUrl: string;
  inputShape: number[];
  reps: number;
}

export interface ModelProfile {
  device: string;
  timing: string | null;
  createMs: number;
  firstRunMs: number;
  profileWallMs: number[];
  dispatches: DispatchRow[];
}

const COPY_WGSL = `@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i < arrayLength(&dst)) { dst[i] = src[i]; }
}`;

async function readTimes(device: GPUDevice, qs: GPUQuerySet, enc: GPUCommandEncoder): Promise<BigInt64Array> {
  const resolve = device.createBuffer({ size: 32, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const staging = device.createBuffer({ size: 32, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  enc.resolveQuerySet(qs, 0, 2, resolve, 0);
  enc.copyBufferToBuffer(resolve, 0, staging, 0, 16);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const t = new BigInt64Array(staging.getMappedRange().slice(0));
  staging.destroy();
  resolve.destroy();
  return t;
}

const api = {
  async copy(bytes: number, reps: number): Promise<CopyResult> {
    const { device, features } = await sharedGpu();
    if (!features.timestampQuery) throw new Error('the copy benchmark needs timestamp-query');
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const src = device.createBuffer({ size: bytes, usage });
    const dst = device.createBuffer({ size: bytes, usage });
    device.queue.writeBuffer(src, 0, new Float32Array(bytes / 4).fill(1));
    const module = device.createShaderModule({ code: COPY_WGSL });
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const bg = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: dst } }] });
    const groups = Math.ceil(bytes / 16 / 256);
    const gx = Math.min(groups, 32768);
    const gy = Math.ceil(groups / gx);
    const qs = device.createQuerySet({ type: 'timestamp', count: 2 });
    const ms = (t: BigInt64Array) => Number(t[1]! - t[0]!) / 1e6;
    const result: CopyResult = { bytes, bufferCopyMs: [], shaderCopyMs: [] };
    try {
      for (let r = 0; r <= reps; r++) {
        // copyBufferToBuffer has no timestamps of its own: bracket it with two empty passes.
        let enc = device.createCommandEncoder();
        enc.beginComputePass({ timestampWrites: { querySet: qs, endOfPassWriteIndex: 0 } }).end();
        enc.copyBufferToBuffer(src, 0, dst, 0, bytes);
        enc.beginComputePass({ timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 1 } }).end();
        const tb = await readTimes(device, qs, enc);
        enc = device.createCommandEncoder();
        const pass = enc.beginComputePass({ timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bg);
        pass.dispatchWorkgroups(gx, gy);
        pass.end();
        const ts = await readTimes(device, qs, enc);
        if (r > 0) {
          // rep 0 is the warm-up (first touch of the destination pages)
          result.bufferCopyMs.push(ms(tb));
          result.shaderCopyMs.push(ms(ts));
        }
      }
    } finally {
      src.destroy();
      dst.destroy();
      qs.destroy();
    }
    return result;
  },

  async profileModel(job: ModelJob): Promise<ModelProfile> {
    const model = await fetchBytes(job.modelUrl);
    const raw = await fetchBytes(job.inputUrl);
    const input = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    const t0 = performance.now();
    const session = await Session.create(model, { backend: 'webgpu' });
    const t1 = performance.now();
    try {
      const feeds = { [session.inputs[0]!.name]: { dtype: 'f32' as const, shape: job.inputShape, data: input } };
      await session.run(feeds);
      const t2 = performance.now();
      const runs: Awaited<ReturnType<Session['profile']>>[] = [];
      for (let i = 0; i < job.reps; i++) runs.push(await session.profile(feeds));
      const merged = mergeProfileRuns(runs);
      const nodes = new Map<string, Node>(session.graph.nodes.map((n) => [n.name, n]));
      // The WebGPU executor lowers some convs into several nodes (Winograd: `<conv>/winograd_input|gemm|output`;
      // strided 1×1: `<conv>/subsample` + the conv): their dispatches are charged to the graph's conv, with its
      // direct MACs counted once and its own (un-lowered) shapes, so the class figures stay comparable.
      const values = inferShapes(session.graph, { [session.inputs[0]!.name]: job.inputShape });
      const originOf = (name: string): Node | undefined => nodes.get(name) ?? nodes.get(name.slice(0, name.lastIndexOf('/')));
      const charged = new Set<string>();
      const sameList = runs.every((p) => p.rows.length === merged.rows.length);
      const dispatches: DispatchRow[] = merged.rows.map((row, j) => {
        const node = originOf(row.node);
        const conv = node && (node.op === 'Conv' || node.op === 'FusedConv') ? node : undefined;
        const times = sameList ? runs.map((p) => p.rows[j]!.gpuMs ?? NaN) : [row.gpuMs ?? NaN];
        const base = {
          kernel: row.kernel,
          medianMs: row.gpuMs ?? NaN,
          minMs: Math.min(...times),
        };
        if (!conv) return { ...base, node: row.node, op: row.op, inputShapes: row.inputShapes.map((s) => [...s]), outputShape: [...(row.outputShapes[0] ?? [])], macs: row.macs };
        const shapeOf = (t: string | undefined) => [...(values.get(t ?? '')?.shape ?? [])];
        const inputShapes = conv.inputs.filter((t) => t !== '').map(shapeOf);
        const outputShape = shapeOf(conv.outputs[0]);
        const first = !charged.has(conv.name);
        charged.add(conv.name);
        const w = inputShapes[1] ?? [];
        const macs = first ? outputShape.reduce((a, d) => a * d, 1) * w.slice(1).reduce((a, d) => a * d, 1) : 0;
        return {
          ...base,
          node: conv.name,
          op: conv.op,
          inputShapes,
          outputShape,
          macs,
          continued: !first,
          kernelShape: (conv.attrs['kernel_shape'] as number[] | undefined) ?? w.slice(2),
          strides: conv.attrs['strides'] as number[] | undefined,
          group: (conv.attrs['group'] as number | undefined) ?? 1,
        };
      });
      return {
        device: session.deviceDescription ?? 'unknown',
        timing: runs[0]!.timing,
        createMs: t1 - t0,
        firstRunMs: t2 - t1,
        profileWallMs: runs.map((p) => p.wallMs),
        dispatches,
      };
    } finally {
      session.release();
    }
  },
};

(globalThis as unknown as { tesseraRoofline: typeof api }).tesseraRoofline = api;
