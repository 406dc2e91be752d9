/**
 * Per-layer timings for every backend. WebGPU: Session.profile() (GPU timestamps when the device has
 * timestamp-query). CPU: Session.profile() has no rows, so the graph is run once more through a CpuExecutor whose
 * kernels are wrapped with a clock (wall time per node, same kernels as the session's). WASM: a WasmExecutor at the
 * feeds' shapes, with the session's threads and SIMD flavour, runs once node by node (WasmExecutor.profile).
 */
import { CpuExecutor, cpuKernels, InputError } from '../backends/cpu/index.js';
import type { CpuKernel } from '../backends/cpu/index.js';
import { inferShapes } from '../graph/infer.js';
import { sizeOf, type Tensor } from '../graph/ir.js';
import { graphStats } from '../graph/stats.js';
import type { Session } from '../runtime/session.js';
import { WasmExecutor } from '../backends/wasm/executor.js';

export interface LayerTiming {
  node: string;
  op: string;
  /** Kernel variant on WebGPU and WASM, 'cpu' on the CPU backend. */
  kernel: string;
  /** Milliseconds, or null when the backend cannot time layers (WebGPU without timestamp-query). */
  ms: number | null;
  macs: number;
}

export interface LayerProfile {
  backend: 'webgpu' | 'wasm' | 'cpu';
  /** Where `ms` comes from. */
  timing: 'gpu-timestamps' | 'cpu-wall-clock' | 'unavailable';
  wallMs: number;
  layers: LayerTiming[];
}

/**
 * Zeros at the shapes the session knows (static, batch 1, `inputShapes`, metadata inputSize). A symbolic image size
 * is never guessed (1×1 may not run): the caller must pass feeds, and InputError says so.
 */
function zeroFeeds(session: Session): Record<string, Tensor> {
  const known = session.knownInputShapes;
  const feeds: Record<string, Tensor> = {};
  for (const i of session.inputs) {
    const shape = known?.[i.name];
    if (!shape) throw new InputError(`its shape [${i.shape.join(', ')}] has free dims: pass feeds to layerProfile() to say what size to profile`, i.name);
    feeds[i.name] = { dtype: 'f32', shape, data: new Float32Array(sizeOf(shape)) };
  }
  return feeds;
}

function profileCpu(session: Session, feeds: Record<string, Tensor>): LayerProfile {
  const graph = session.graph;
  const times = new Map<string, number>();
  const timed: Record<string, CpuKernel> = {};
  for (const [op, kernel] of Object.entries(cpuKernels)) {
    timed[op] = (node, inputs) => {
      const t0 = performance.now();
      const out = kernel(node, inputs);
      times.set(node.name, (times.get(node.name) ?? 0) + performance.now() - t0);
      return out;
    };
  }
  const shapes = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, [...t.shape]]));
  const stats = graphStats(graph, inferShapes(graph, shapes));
  const t0 = performance.now();
  new CpuExecutor(graph, timed).run(feeds);
  const wallMs = performance.now() - t0;
  return {
    backend: 'cpu',
    timing: 'cpu-wall-clock',
    wallMs,
    layers: stats.rows.map((r) => ({ node: r.node, op: r.op, kernel: 'cpu', ms: times.get(r.node) ?? 0, macs: r.macs })),
  };
}

async function profileWasm(session: Session, feeds: Record<string, Tensor>): Promise<LayerProfile> {
  const graph = session.graph;
  const shapes = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, [...t.shape]]));
  const stats = graphStats(graph, inferShapes(graph, shapes));
  const info = session.backendInfo;
  const ex = await WasmExecutor.create(graph, { inputShapes: shapes, numThreads: info.threads ?? 1, relaxedSimd: info.relaxedSimd ?? true });
  try {
    const data = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>)]));
    const t0 = performance.now();
    const p = ex.profile(data);
    const wallMs = performance.now() - t0;
    // A node may take several kernel calls (e.g. pad + conv): their times add up, their kernels are listed.
    const rows = new Map<string, { kernel: string; ms: number }>();
    for (const r of p.rows) {
      const row = rows.get(r.node);
      if (!row) rows.set(r.node, { kernel: r.kernel, ms: r.ms });
      else {
        row.ms += r.ms;
        if (!row.kernel.split('+').includes(r.kernel)) row.kernel += `+${r.kernel}`;
      }
    }
    return {
      backend: 'wasm',
      timing: 'cpu-wall-clock',
      wallMs,
      layers: stats.rows.map((r) => ({ node: r.node, op: r.op, kernel: rows.get(r.node)?.kernel ?? 'wasm', ms: rows.get(r.node)?.ms ?? 0, macs: r.macs })),
    };
  } finally {
    ex.release();
  }
}

export async function profileLayers(session: Session, feeds?: Record<string, Tensor>): Promise<LayerProfile> {
  const f = feeds ?? zeroFeeds(session);
  if (session.backend === 'cpu') return profileCpu(session, f);
  if (session.backend === 'wasm') return profileWasm(session, f);
  const p = await session.profile(f);
  const timed = p.gpuMs !== null;
  return {
    backend: 'webgpu',
    timing: timed ? 'gpu-timestamps' : 'unavailable',
    wallMs: p.wallMs,
    layers: p.rows.map((r) => ({ node: r.node, op: r.op, kernel: r.kernel, ms: timed ? r.gpuMs : null, macs: r.macs })),
  };
}
