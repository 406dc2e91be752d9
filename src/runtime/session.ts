/**
 * Public inference API.
 *
 *   const session = await Session.create('model.tessera');           // or .onnx bytes, or a URL
 *   const out = await session.run({ input: new Float32Array(3 * 32 * 32) });
 *   session.release();
 *
 * backend 'auto' (default) uses WebGPU when a device can be acquired and every op has a WebGPU kernel, else the CPU
 * reference backend (`session.fallbackReason` says why). WebGPU executors are built per input-shape signature (e.g. per
 * batch size) and share pipelines.
 */
import { sizeOf, type Graph, type Shape, type Tensor, type ValueInfo } from '../graph/ir.js';
import { optimize, type OptimizeOptions } from '../graph/passes/index.js';
import { CpuExecutor, InputError } from '../backends/cpu/index.js';
import { sharedGpu, WebGPUUnavailableError, type GpuContext } from '../backends/webgpu/device.js';
import { SessionReleasedError, WebGPUExecutor, type ProfileOptions, type ProfileRow, type ProfileTiming } from '../backends/webgpu/executor.js';
import { WebGPUKernelError } from '../backends/webgpu/program.js';
import { webgpuSupports } from '../backends/webgpu/kernels.js';
import { graphFromBytes, loadModelBytes, type ModelSource } from './load.js';

export { InputError } from '../backends/cpu/index.js';
export { SessionReleasedError, type ProfileRow, type ProfileOptions, type ProfileTiming } from '../backends/webgpu/executor.js';

export type BackendName = 'webgpu' | 'cpu';

export interface SessionOptions {
  backend?: BackendName | 'auto';
  /** Run on this GPUDevice (the caller keeps ownership). */
  device?: GPUDevice;
  /** Graph optimisation (BN folding, epilogue fusion...). Default: on for ONNX input, off for .tessera (already done). */
  optimize?: boolean | OptimizeOptions;
  /** How many input-shape signatures keep a WebGPU executor alive (default 4, least recently used released). */
  maxShapeVariants?: number;
  /** WebGPU: share activation memory with the static memory plan (default true). */
  memoryPlan?: boolean;
}

export interface ProfileResult {
  backend: BackendName;
  /** One row per GPU dispatch, in execution order (empty on the CPU backend). */
  rows: ProfileRow[];
  /** Wall-clock time of the profiled run (ms), including upload and readback. */
  wallMs: number;
  /** Sum of the rows' times (see `timing`), or null on the CPU backend. */
  gpuMs: number | null;
  /** How row times were measured: GPU timestamps, or per-dispatch wall time (fallback without timestamp-query). */
  timing: ProfileTiming | null;
  timestampQuery: boolean;
  /** The outputs of the profiled run. */
  outputs: Record<string, Tensor>;
}

type Feed = Float32Array | Tensor;

export class Session {
  private executors = new Map<string, WebGPUExecutor>();
  private cpu?: CpuExecutor;
  private released = false;

  private constructor(
    readonly graph: Graph,
    readonly backend: BackendName,
    private readonly gpu: GpuContext | undefined,
    readonly fallbackReason: string | undefined,
    private readonly maxVariants: number,
    readonly format: 'tessera' | 'onnx' | 'graph',
    private readonly memoryPlan = true,
  ) {}

  /** Model inputs (excluding initializers listed as inputs by old ONNX files). -1 dims are free (batch). */
  get inputs(): ValueInfo[] {
    return this.graph.inputs.filter((i) => !this.graph.initializers.has(i.name));
  }

  get outputs(): ValueInfo[] {
    return this.graph.outputs;
  }

  get metadata(): Graph['metadata'] {
    return this.graph.metadata;
  }

  /** Where the WebGPU device came from, e.g. 'navigator (google swiftshader)'; undefined on CPU. */
  get deviceDescription(): string | undefined {
    return this.gpu ? `${this.gpu.source} (${this.gpu.adapterDescription})` : undefined;
  }

  static async create(src: ModelSource | Graph, options: SessionOptions = {}): Promise<Session> {
    let graph: Graph;
    let format: Session['format'];
    if (typeof src === 'object' && 'nodes' in src && 'initializers' in src) {
      graph = src;
      format = 'graph';
    } else {
      ({ graph, format } = graphFromBytes(await loadModelBytes(src as ModelSource)));
    }
    const opt = options.optimize ?? format === 'onnx';
    if (opt) graph = optimize(graph, typeof opt === 'object' ? opt : {});
    const wanted = options.backend ?? 'auto';
    const maxVariants = options.maxShapeVariants ?? 4;
    if (wanted === 'cpu') return new Session(graph, 'cpu', undefined, undefined, maxVariants, format);

    const unsupported = [...new Set(graph.nodes.filter((n) => !webgpuSupports(n.op)).map((n) => n.op))];
    let gpu: GpuContext | undefined;
    let reason: string | undefined;
    if (unsupported.length) reason = `ops without a WebGPU kernel: ${unsupported.join(', ')}`;
    else {
      try {
        gpu = await sharedGpu({ device: options.device });
      } catch (e) {
        if (!(e instanceof WebGPUUnavailableError)) throw e;
        reason = e.message;
      }
    }
    if (!gpu) {
      if (wanted === 'webgpu') throw unsupported.length ? new WebGPUKernelError(reason!) : new WebGPUUnavailableError(reason!);
      return new Session(graph, 'cpu', undefined, reason, maxVariants, format);
    }
    const session = new Session(graph, 'webgpu', gpu, undefined, maxVariants, format, options.memoryPlan ?? true);
    // Build the default-shape executor now so pipelines compile at load, not on the first run.
    const shapes = session.defaultShapes();
    if (shapes) await session.executorFor(shapes);
    return session;
  }

  /** Input shapes with -1 dims set to 1, or undefined when some input has other unknown dims. */
  private defaultShapes(): Record<string, number[]> | undefined {
    const r: Record<string, number[]> = {};
    for (const i of this.inputs) r[i.name] = i.shape.map((d) => (d < 0 ? 1 : d));
    return r;
  }

  private async executorFor(shapes: Record<string, Shape>): Promise<WebGPUExecutor> {
    const key = this.inputs.map((i) => `${i.name}:${shapes[i.name]!.join('x')}`).join('|');
    let ex = this.executors.get(key);
    if (ex) {
      this.executors.delete(key); // re-insert: most recently used last
      this.executors.set(key, ex);
      return ex;
    }
    ex = await WebGPUExecutor.create(this.gpu!, this.graph, {
      inputShapes: Object.fromEntries(Object.entries(shapes).map(([k, v]) => [k, [...v]])),
      memoryPlan: this.memoryPlan,
    });
    this.executors.set(key, ex);
    while (this.executors.size > this.maxVariants) {
      const [oldKey, old] = this.executors.entries().next().value as [string, WebGPUExecutor];
      old.release();
      this.executors.delete(oldKey);
    }
    return ex;
  }

  /** Checks feeds against the model inputs and returns f32 data with concrete shapes. Throws InputError. */
  private normalizeFeeds(feeds: Record<string, Feed>): { data: Record<string, Float32Array>; shapes: Record<string, number[]> } {
    if (feeds === null || typeof feeds !== 'object') throw new InputError('run() takes an object { inputName: Float32Array | Tensor }');
    const expected = new Map(this.inputs.map((v) => [v.name, v]));
    for (const name of Object.keys(feeds)) {
      if (!expected.has(name)) throw new InputError(`unknown input; the model expects ${[...expected.keys()].map((n) => `'${n}'`).join(', ')}`, name);
    }
    const data: Record<string, Float32Array> = {};
    const shapes: Record<string, number[]> = {};
    for (const info of expected.values()) {
      const feed = feeds[info.name];
      if (feed === undefined) throw new InputError(`missing (expected f32 [${info.shape.join(', ')}])`, info.name);
      let shape: number[];
      let values: Float32Array;
      if (feed instanceof Float32Array) {
        values = feed;
        const unknown = info.shape.filter((d) => d < 0).length;
        const known = sizeOf(info.shape.filter((d) => d >= 0));
        if (unknown > 1) throw new InputError(`shape [${info.shape.join(', ')}] has several free dims: pass a Tensor with an explicit shape`, info.name);
        if (unknown === 1) {
          if (known === 0 || feed.length % known !== 0 || feed.length === 0)
            throw new InputError(`${feed.length} values do not fill whole items of shape [${info.shape.join(', ')}]`, info.name);
          shape = info.shape.map((d) => (d < 0 ? feed.length / known : d));
        } else {
          shape = [...info.shape];
          if (feed.length !== known) throw new InputError(`${feed.length} values given, shape [${info.shape.join(', ')}] needs ${known}`, info.name);
        }
      } else if (feed && typeof feed === 'object' && 'data' in feed && 'shape' in feed) {
        if (feed.dtype !== 'f32' || !(feed.data instanceof Float32Array)) throw new InputError(`dtype ${feed.dtype} given, the model expects f32`, info.name);
        shape = [...feed.shape];
        const fits = shape.length === info.shape.length && info.shape.every((d, i) => (d < 0 ? Number.isInteger(shape[i]) && shape[i]! > 0 : d === shape[i]));
        if (!fits) throw new InputError(`shape [${shape.join(', ')}] does not match the model's [${info.shape.join(', ')}] (-1 = any)`, info.name);
        if (feed.data.length !== sizeOf(shape)) throw new InputError(`data has ${feed.data.length} values, shape [${shape.join(', ')}] needs ${sizeOf(shape)}`, info.name);
        values = feed.data;
      } else {
        throw new InputError('must be a Float32Array or a Tensor { dtype, shape, data }', info.name);
      }
      if (info.dtype !== 'f32') throw new InputError(`the model input has dtype ${info.dtype}; only f32 inputs are supported`, info.name);
      data[info.name] = values;
      shapes[info.name] = shape;
    }
    return { data, shapes };
  }

  async run(feeds: Record<string, Feed>): Promise<Record<string, Tensor>> {
    if (this.released) throw new SessionReleasedError('this session was released');
    const { data, shapes } = this.normalizeFeeds(feeds);
    if (this.backend === 'cpu') {
      this.cpu ??= new CpuExecutor(this.graph);
      const tensors: Record<string, Tensor> = {};
      for (const name of Object.keys(data)) tensors[name] = { dtype: 'f32', shape: shapes[name]!, data: data[name]! };
      return this.cpu.run(tensors);
    }
    const ex = await this.executorFor(shapes);
    return ex.run(data);
  }

  /**
   * Runs once (zeros when no feeds are given) and reports one row per GPU dispatch: node, op, kernel variant, shapes,
   * MACs and time. With timestamp-query the times are GPU timestamps (one compute pass per dispatch); without it, or
   * with `{ timing: 'wall' }`, each dispatch is submitted alone and timed on the CPU clock until the queue is idle
   * (includes submit overhead). Chrome quantizes timestamps to 100 µs unless WebGPU developer features are enabled.
   */
  async profile(feeds?: Record<string, Feed>, options: ProfileOptions = {}): Promise<ProfileResult> {
    if (this.released) throw new SessionReleasedError('this session was released');
    const f = feeds ?? Object.fromEntries(this.inputs.map((i) => [i.name, new Float32Array(sizeOf(i.shape.map((d) => (d < 0 ? 1 : d))))]));
    if (this.backend === 'cpu') {
      const t0 = performance.now();
      const outputs = await this.run(f);
      return { backend: 'cpu', rows: [], wallMs: performance.now() - t0, gpuMs: null, timing: null, timestampQuery: false, outputs };
    }
    const { data, shapes } = this.normalizeFeeds(f);
    const ex = await this.executorFor(shapes);
    const r = await ex.profile(data, options);
    return {
      backend: 'webgpu',
      rows: r.rows,
      wallMs: r.wallMs,
      gpuMs: r.rows.reduce((s, x) => s + (x.gpuMs ?? 0), 0),
      timing: r.timing,
      timestampQuery: this.gpu!.features.timestampQuery,
      outputs: r.outputs,
    };
  }

  /** GPU object counters of this session's device (pipelines, bind groups, live buffers and bytes). */
  gpuStats(): ReturnType<GpuContext['tracker']['snapshot']> | undefined {
    return this.gpu?.tracker.snapshot();
  }

  /** GPU memory (bytes) of the most recently used WebGPU executor: activations, weights, and the plan's figures. */
  memory(): WebGPUExecutor['memory'] | undefined {
    return [...this.executors.values()].at(-1)?.memory;
  }

  /** Frees every GPU buffer of the session. The device is kept (it may be shared); pipelines stay cached on it. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const ex of this.executors.values()) ex.release();
    this.executors.clear();
    this.cpu = undefined;
  }
}
