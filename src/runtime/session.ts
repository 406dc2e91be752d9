/**
 * Public inference API.
 *
 *   const session = await Session.create('model.tessera');           // or .onnx bytes, or a URL
 *   const out = await session.run({ input: new Float32Array(3 * 32 * 32) });
 *   session.release();
 *
 * backend 'auto' (default) uses WebGPU when a device can be acquired and every op has a WebGPU kernel, else the CPU
 * reference backend (`session.fallbackReason` says why). WebGPU executors are built per input-shape signature (e.g. per
 * batch size or image size) and share pipelines; each is built at create when its shapes are known then (static,
 * batch-only free, the `inputShapes` option or metadata inputSize), else by the first run that brings that signature
 * (docs/dynamic-shapes.md). A size the model cannot run at fails that run() with InputError, never create.
 *
 * Device loss (`onDeviceLost`): with 'recover' (the default when Tessera owns the device) the next run() — and any run
 * in flight when the device went away — re-acquires a device and rebuilds pipelines and buffers from the graph, which
 * the session keeps in CPU memory. With 'reject', or when the caller passed its own `device` (Tessera cannot replace
 * it), every later run() rejects with `WebGPUDeviceError` (kind 'lost'). Either way a run never stays pending: runs
 * race the device's `lost` promise.
 */
import { GraphError, sizeOf, type Graph, type Tensor, type ValueInfo } from '../graph/ir.js';
import { optimize, type OptimizeOptions } from '../graph/passes/index.js';
import { packBinaryChains } from '../graph/passes/pack_binary_chains.js';
import { binarize, type BinarizeOptions } from '../graph/passes/binarize.js';
import { CpuExecutor, InputError } from '../backends/cpu/index.js';
import { ADAPTER_CLASSES, adapterClassOf, sharedGpu, WebGPUDeviceError, WebGPUUnavailableError, type GpuContext } from '../backends/webgpu/device.js';
import { inferShapes } from '../graph/infer.js';
import { checkGraphLimits } from '../load/limits.js';
import { SessionReleasedError, WebGPUExecutor, type DispatchInfo, type ProfileOptions, type ProfileRow, type ProfileTiming } from '../backends/webgpu/executor.js';
import { WebGPUKernelError } from '../backends/webgpu/program.js';
import { webgpuSupports } from '../backends/webgpu/kernels.js';
import { graphFromBytes, loadModelBytes, type ModelSource } from './load.js';
import { isStreamSource, openModelStream, ProgressReporter, readModelStream, type LoadProgress, type StreamedModel, type StreamSource } from './stream_load.js';
import { skeletonNotKept, StreamUpload } from './stream_upload.js';
import { WasmExecutor } from '../backends/wasm/executor.js';
import { warmUpWasm, wasmFeatures, WasmUnavailableError } from '../backends/wasm/module.js';
import { autotuneGraph, type AutotuneOptions, type TuningReport } from '../backends/webgpu/autotune.js';
/** The autotuning options a session takes (the cache aside): see SessionOptions.autotune and docs/tuning.md. */
type TuneOptions = Pick<AutotuneOptions, 'budgetMs' | 'margin' | 'policy' | 'adapterClass' | 'maxCandidates'>;
import type { ConvVariantOverride } from '../backends/webgpu/conv_select.js';
import { defaultTuningCache, type TuningCache } from '../cache/tuning_cache.js';
import { checkInputShapesOption, createShapes, fitsDeclared, shapeText, signatureKey, unrunnableShapeError, type InputShapes } from './input_shapes.js';

export { InputError } from '../backends/cpu/index.js';
export type { LoadProgress, StreamSource } from './stream_load.js';
export { WasmUnavailableError, wasmFeatures, type WasmFeatures } from '../backends/wasm/module.js';
export { type TuningReport, type TuningSource } from '../backends/webgpu/autotune.js';
export { SessionReleasedError, type DispatchInfo, type ProfileRow, type ProfileOptions, type ProfileTiming } from '../backends/webgpu/executor.js';

export type BackendName = 'webgpu' | 'wasm' | 'cpu';

/** What the session runs on and why (`session.backendInfo`). */
export interface BackendInfo {
  backend: BackendName;
  /** Why this backend: the choice of 'auto' (e.g. "WebGPU adapter is a software fallback (google swiftshader)"). */
  reason?: string;
  /** WASM: threads in use, SIMD, relaxed SIMD (fused multiply-add), and why fewer threads than asked. */
  threads?: number;
  simd?: boolean;
  relaxedSimd?: boolean;
  threadsNote?: string;
  /**
   * WASM with threads: whether runs currently use the worker pool or the calling thread alone, and the recent
   * median ms of each (measured; `adaptiveThreads`).
   */
  threadChoice?: { mode: 'pool' | 'single'; poolMs?: number; singleMs?: number; runs: number };
  /** WASM: nodes run on the CPU reference kernel (op or layout without a WASM kernel). */
  fallbackNodes?: string[];
}

export interface SessionOptions {
  /**
   * 'auto' (default): WebGPU on a hardware adapter; the WASM backend when WebGPU is missing, its adapter is a
   * software fallback (SwiftShader, llvmpipe, isFallbackAdapter) or some op has no WebGPU kernel; the CPU reference
   * when the engine has no WebAssembly SIMD. `session.backendInfo` says which and why.
   */
  backend?: BackendName | 'auto';
  /**
   * WASM backend threads (default: hardware concurrency, at most 4). More than 1 needs SharedArrayBuffer: a
   * cross-origin-isolated page (COOP same-origin + COEP require-corp) or Node; otherwise 1, and
   * `backendInfo.threadsNote` says why.
   */
  numThreads?: number;
  /** WASM backend: use relaxed SIMD (fused multiply-add) where the engine has it (default true). */
  relaxedSimd?: boolean;
  /**
   * WASM backend with threads (default true): measure runs on the worker pool against runs on the calling thread
   * alone and use the faster, re-measuring now and then. Small models on busy machines run faster on one thread
   * (the threads meet at every node); false: every run uses all `numThreads`. `backendInfo.threadChoice` reports it.
   */
  adaptiveThreads?: boolean;
  /** Run on this GPUDevice (the caller keeps ownership). */
  device?: GPUDevice;
  /** Graph optimisation (BN folding, epilogue fusion...). Default: on for ONNX input, off for .tessera (already done). */
  optimize?: boolean | OptimizeOptions;
  /** Binary-layer detection after optimisation (docs/binary.md). Default: on for optimised ONNX input, else off. */
  binarize?: boolean | BinarizeOptions;
  /** How many input-shape signatures keep a WebGPU executor alive (default 4, least recently used released). */
  maxShapeVariants?: number;
  /**
   * Shapes to build the WebGPU executor at during create, for inputs with free (-1) dims, e.g. `{ input: [1, 3, 224,
   * 224] }`: pipelines then compile at load instead of in the first run. Checked against the model's inputs
   * (InputError); every input must end up concrete. Runs at other shapes still work (built when they first come).
   * Without it, create builds only when every shape is known: static, only the batch free (batch 1), or the
   * metadata's inputSize.
   */
  inputShapes?: Record<string, number[]>;
  /** WebGPU: share activation memory with the static memory plan (default true). */
  memoryPlan?: boolean;
  /**
   * WebGPU: attention layers (the `Attention` op fuseAttention makes) as one dispatch with an online softmax
   * ('fused'), or as MatMul / Softmax / MatMul ('unfused'). Default: 'unfused' on a software adapter (SwiftShader,
   * where it measured ~7× faster), 'fused' on hardware (docs/passes.md, "Attention").
   */
  attention?: 'fused' | 'unfused';
  /**
   * WebGPU: keep the int8 weights of a `--int8` .tessera file as int8 on the GPU, dequantised in registers (true), or
   * dequantise them once at load (false). Default: true on hardware adapters, false on software ones (measured
   * faster there; docs/format.md). The CPU and WASM backends always dequantise at load.
   */
  int8Weights?: boolean;
  /**
   * WebGPU, opt-in: run the conv and matmul families in f16 arithmetic where the device has `shader-f16` (ignored
   * elsewhere). Faster and lighter on GPUs with fast f16, less accurate (about 1e-3 relative). Default false: f32
   * arithmetic, f16 only as weight storage (docs/webgpu.md, f16 variants).
   */
  f16Compute?: boolean;
  /**
   * What run() does after the WebGPU device is lost. 'recover' (default): acquire a new device, rebuild pipelines and
   * buffers, run again (also retries a run that was in flight). 'reject': reject with WebGPUDeviceError (kind 'lost').
   * A caller-provided `device` cannot be replaced: its loss always rejects.
   */
  onDeviceLost?: 'recover' | 'reject';
  /**
   * WebGPU conv kernel autotuning (docs/autotune.md, policy: docs/tuning.md). Default: on a hardware adapter `true`
   * with the hardware policy (the vendor family's seed and at most 3 more candidates per layer, outputs checked
   * against the rule's, ~1.5 s once per model and adapter); on a software adapter 'cached': use the table stored for
   * this model and adapter when there is one, never measure (a miss costs a hash and one cache read, ~ms). `true` or
   * an object: on a miss, measure within `budgetMs` and store the table (`policy` 'hardware' forces the hardware
   * policy, e.g. on SwiftShader in tests; `adapterClass` tunes as that vendor family). `cache` picks the store (default IndexedDB
   * in browsers, a file in Node; false: measure every time, store nothing). `false`: the fixed rule, no cache access.
   * Tables are per input-shape signature; measuring happens only for the executor built at create (known shapes, see
   * `inputShapes`), a signature first seen by a run only looks up its stored table. What happened: `session.tuning`.
   */
  autotune?: boolean | 'cached' | (TuneOptions & { cache?: TuningCache | false });
  /**
   * Load progress, called on every change: bytes received, tensors whose bytes arrived, WebGPU pipelines compiled
   * (docs/loading.md). With a URL, Response or ReadableStream source and a `.tessera` file, pipelines compile while
   * the payload streams.
   */
  onProgress?: (progress: LoadProgress) => void;
}

/** Thrown inside a streaming warm-up (Session.fromGraph) when the backend chosen is not WebGPU: nothing to warm. */
class NotWebGPU extends Error {}

/** An executor of one input-shape signature, with its in-flight count so LRU eviction never frees a busy one. */
interface ExecutorEntry {
  ready: Promise<WebGPUExecutor>;
  executor?: WebGPUExecutor;
  inFlight: number;
  evicted: boolean;
}

export interface ProfileResult {
  backend: BackendName;
  /** One row per GPU dispatch or WASM kernel call (gpuMs = its wall time), in execution order (empty on the CPU backend). */
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

/** Default WASM threads: the hardware's, at most 4 (more rarely pays for CNNs of this size). */
export async function defaultWasmThreads(): Promise<number> {
  let hc = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  if (hc === undefined && typeof process !== 'undefined' && process.versions?.node) {
    const OS = 'node:os';
    const os = (await import(/* @vite-ignore */ OS)) as typeof import('node:os');
    hc = os.availableParallelism?.() ?? os.cpus().length;
  }
  return Math.max(1, Math.min(4, hc ?? 1));
}

export { isSoftwareAdapter } from '../backends/webgpu/device.js';
import { isSoftwareAdapter } from '../backends/webgpu/device.js';

export class Session {
  private executors = new Map<string, ExecutorEntry>();
  private cpu?: CpuExecutor;
  /** WASM executors by input-shape signature (least recently used first). */
  private wasmExecutors = new Map<string, Promise<WasmExecutor>>();
  private wasmOptions?: { numThreads: number; relaxedSimd: boolean; adaptiveThreads: boolean };
  private lastWasm?: WasmExecutor;
  private attentionLowering?: 'fused' | 'unfused';
  private int8Weights?: boolean;
  private f16Compute = false;
  /** Pipeline compile progress of the executor built at create (SessionOptions.onProgress). */
  private onPipelines?: (done: number, total: number) => void;
  /**
   * A streamed load's (stream_upload.ts): the executor built at create keeps what a weight refresh needs, and this is
   * called just before it reads the graph's weights (the ones real by then need no rewrite).
   */
  private onWeightsRead?: () => void;
  /**
   * Streamed `.tessera` loads on WebGPU: `early` when the weights went to the GPU as they arrived (the session built
   * while streaming is the result), else `reason` says why the session was built after the last byte instead.
   */
  streamed?: { early: boolean; reason?: string };
  private wasmInfo?: WasmExecutor['info'];
  private released = false;
  private recovering?: Promise<void>;
  /** How many times this session replaced a lost device. */
  deviceRecoveries = 0;
  /**
   * What conv kernel autotuning did for the most recently tuned signature: at create when the shapes were known then
   * (measuring with autotune: true), else at the first run of a signature (a cache lookup only). Source 'off' when
   * disabled, on the CPU backend, or before any executor was built.
   */
  tuning: TuningReport = { source: 'off', ms: 0, layers: 0, layersTuned: 0, layersSkipped: 0, measurements: 0, choices: {}, changed: 0 };
  /** How executors are autotuned (undefined: off), applied to each signature as its executor is built. */
  private tune?: { cache: TuningCache | false; measure: boolean; options: TuneOptions };
  /** The shapes known at create (see SessionOptions.inputShapes), or undefined when some input size is symbolic. */
  private createShapes?: InputShapes;
  /**
   * Signatures whose shapes inferred and passed the limits, with their tuning table once looked up (kept across
   * executor eviction and device recovery, so a rebuild neither re-checks nor re-tunes). Most recent last; bounded.
   */
  private readonly signatures = new Map<string, { table?: ConvVariantOverride; tuned: boolean }>();

  private constructor(
    readonly graph: Graph,
    readonly backend: BackendName,
    private gpu: GpuContext | undefined,
    readonly fallbackReason: string | undefined,
    private readonly maxVariants: number,
    readonly format: 'tessera' | 'onnx' | 'graph',
    private readonly memoryPlan = true,
    readonly onDeviceLost: 'recover' | 'reject' = 'recover',
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

  /**
   * Input shapes known without seeing data (static, batch-only free at batch 1, the `inputShapes` option or metadata
   * inputSize): on WebGPU the executor built at create. Undefined when some input size is symbolic.
   */
  get knownInputShapes(): InputShapes | undefined {
    const known = this.createShapes;
    return known && Object.fromEntries(Object.entries(known).map(([k, v]) => [k, [...v]])); // a copy: callers may edit
  }

  /** Where the WebGPU device came from, e.g. 'navigator (google swiftshader)'; undefined on CPU. */
  get deviceDescription(): string | undefined {
    return this.gpu ? `${this.gpu.source} (${this.gpu.adapterDescription})` : undefined;
  }

  /**
   * A session for a model: a URL (fetched and streamed; in Node a path is read from disk), a fetch Response, a
   * ReadableStream of bytes, the bytes themselves (.tessera or .onnx), or a Graph. A streamed `.tessera` file builds
   * its WebGPU pipelines from the header while the weights arrive (docs/loading.md).
   */
  static async create(src: ModelSource | StreamSource | Graph, options: SessionOptions = {}): Promise<Session> {
    const progress = new ProgressReporter(options.onProgress);
    // A WASM session's module compile and worker start-up overlap the import and the graph passes (cold start): for
    // 'wasm', and for 'auto' where there is no WebGPU at all (no navigator.gpu: a browser without it, plain Node).
    const noWebGpu = !(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
    if (options.backend === 'wasm' || ((options.backend ?? 'auto') === 'auto' && noWebGpu && !options.device))
      warmUpWasm(options.numThreads ?? (await defaultWasmThreads()), options.relaxedSimd ?? true);
    if (typeof src === 'object' && src !== null && 'nodes' in src && 'initializers' in src) return Session.fromGraph(src, 'graph', options, { progress });
    if (isStreamSource(src)) return Session.createStreamed(src, options, progress);
    const bytes = await loadModelBytes(src as ModelSource);
    progress.update('bytes', bytes.length, bytes.length);
    const { graph, format } = graphFromBytes(bytes);
    return Session.fromGraph(graph, format, options, { progress });
  }

  /**
   * Streams the model. As soon as a `.tessera` header (and its few structural tensors) arrived, a WebGPU session is
   * built from the skeleton graph (placeholder weights): its pipelines compile while the payload streams, and each
   * weight is written into its buffers as its bytes arrive (stream_upload.ts). When the payload hash checks out, that
   * session is the result. When it cannot be (a storage choice fell differently with the real weights, a backend
   * other than WebGPU...), it only warmed the pipeline cache: the session is built from the verified file. Any failure
   * frees the warm-up's GPU buffers before create rejects.
   */
  private static async createStreamed(src: StreamSource, options: SessionOptions, progress: ProgressReporter): Promise<Session> {
    const { stream, total, what } = await openModelStream(src);
    progress.update('bytes', 0, total);
    const upload = new StreamUpload(progress);
    let warm: Promise<Session | undefined> | undefined;
    const warmUp = (skeleton: Graph, placeholders: ReadonlyMap<string, Tensor>, tensorCount: number) => {
      if (options.backend === 'cpu' || options.backend === 'wasm') return; // they wait for the whole payload
      const notKept = skeletonNotKept(skeleton, options);
      if (notKept) upload.fail(notKept);
      else upload.begin(placeholders, tensorCount);
      // Best effort: a skeleton that fails to build says nothing about the file (its bytes are not verified yet).
      const onWeightsRead = notKept ? undefined : () => upload.building();
      warm = Session.fromGraph(skeleton, 'tessera', options, { progress, warmUp: true, onWeightsRead }).then(
        (s) => {
          upload.attach(s.streamedExecutor(skeleton));
          return s;
        },
        (e: unknown) => {
          upload.fail(e instanceof NotWebGPU ? 'the backend chosen is not WebGPU' : `building from the skeleton failed: ${(e as Error).message}`);
          return undefined;
        },
      );
    };
    let model: StreamedModel;
    try {
      model = await readModelStream(stream, { total, what, progress, onSkeleton: warmUp, onTensorBytes: (entry, bytes) => upload.arrived(entry, bytes) });
    } catch (e) {
      await (await warm)?.release(); // the warm-up's executors are built once it settles (fromGraph awaits them)
      throw e;
    }
    const early = await warm;
    if (early && upload.complete) {
      early.sealStreamedWeights();
      early.streamed = { early: true };
      return early;
    }
    await early?.release();
    const session = await Session.fromGraph(model.graph(), model.format, options, { progress });
    if (session.backend === 'webgpu' && model.format === 'tessera') {
      progress.allUploaded();
      session.streamed = { early: false, reason: upload.failed ?? 'no session was built while streaming' };
    }
    // Tuning measured during the warm-up (stored, then found in the cache by this build) happened in this load: say so.
    const tuned = early?.tuning;
    if (tuned?.source === 'measured' && tuned.key !== undefined && tuned.key === session.tuning.key) session.tuning = tuned;
    return session;
  }

  /**
   * The executor a streamed load writes real weights into: the one built at create from `skeleton` (null: none was,
   * the input shapes being symbolic), or why this session cannot be kept.
   */
  private streamedExecutor(skeleton: Graph): WebGPUExecutor | null | string {
    if (this.graph !== skeleton) return 'graph passes rewrote the skeleton';
    if (!this.createShapes) return null;
    return this.executors.get(signatureKey(this.inputs, this.createShapes))?.executor ?? 'its executor was not built at create';
  }

  /** The streamed weights are all in: executors stop keeping what a refresh needs. */
  private sealStreamedWeights(): void {
    for (const entry of this.executors.values()) entry.executor?.sealWeights();
  }

  /** The session for a graph (create's common path); `warmUp`: stop with NotWebGPU instead of a CPU/WASM session. */
  private static async fromGraph(graph: Graph, format: Session['format'], options: SessionOptions, internal: { progress: ProgressReporter; warmUp?: boolean; onWeightsRead?: () => void }): Promise<Session> {
    checkLimitsOf(graph);
    const opt = options.optimize ?? format === 'onnx';
    // An imported ONNX graph's weights are fresh copies no one else holds: BN folding may scale them in place (unless
    // the caller watches the passes, whose `before` graphs would then change under it).
    const watched = typeof opt === 'object' && opt.onPass !== undefined;
    if (opt) graph = optimize(graph, { ownsWeights: format === 'onnx' && !watched, ...(typeof opt === 'object' ? opt : {}) });
    // Exactly binary (XNOR-Net / BWN) layers -> bit-packed binary ops; an exact rewrite, like `tessera convert`'s.
    const bin = options.binarize ?? (!!opt && format === 'onnx');
    if (bin) graph = binarize(graph, typeof bin === 'object' ? bin : {});
    // Binary convs feeding binary convs hand over bit-packed words (exact; also for .tessera files converted before
    // the pass existed). Returns the graph itself when there is nothing to pack.
    if (options.binarize !== false) graph = packBinaryChains(graph);
    const wanted = options.backend ?? 'auto';
    const maxVariants = options.maxShapeVariants ?? 4;
    const inputs = graph.inputs.filter((i) => !graph.initializers.has(i.name));
    const given = options.inputShapes === undefined ? undefined : checkInputShapesOption(inputs, options.inputShapes);
    const known = createShapes(inputs, graph.metadata, given);
    const cpuSession = (reason?: string) => {
      if (internal.warmUp) throw new NotWebGPU();
      const s = new Session(graph, 'cpu', undefined, reason, maxVariants, format);
      s.createShapes = known;
      // Explicit sizes the model cannot run at are the caller's error now, on every backend.
      if (given && known) s.checkShapes(known);
      return s;
    };
    if (wanted === 'cpu') return cpuSession();
    const wasmSession = async (reason?: string) => {
      if (internal.warmUp) throw new NotWebGPU();
      // .tessera files converted before a fusion pass existed still profit from it (an exact rewrite): the WASM
      // kernels fuse bias, residual and activation only when the graph says so.
      const g = options.optimize === undefined && format === 'tessera' ? optimize(graph) : graph;
      const s = new Session(g, 'wasm', undefined, reason, maxVariants, format);
      s.createShapes = known;
      const numThreads = options.numThreads ?? (await defaultWasmThreads());
      if (!Number.isInteger(numThreads) || numThreads < 1) throw new TypeError(`numThreads must be a positive integer, got ${String(numThreads)}`);
      s.wasmOptions = { numThreads, relaxedSimd: options.relaxedSimd ?? true, adaptiveThreads: options.adaptiveThreads ?? true };
      if (given && known) s.checkShapes(known);
      if (known) {
        try {
          await s.wasmExecutorFor(known);
        } catch (e) {
          const hinted = !given && inputs.some((i) => i.shape.slice(1).some((d) => d < 0));
          if (!(hinted && e instanceof InputError)) throw e;
          s.createShapes = undefined;
        }
      }
      return s;
    };
    const hasSimd = wasmFeatures().simd;
    if (wanted === 'wasm') {
      if (!hasSimd) throw new WasmUnavailableError('this engine has no WebAssembly SIMD128 (the WASM backend needs it)');
      return wasmSession();
    }
    // 'auto' without WebGPU, or with ops WebGPU lacks: WASM when the engine has SIMD, else the CPU reference.
    const fallback = (why: string) => (hasSimd ? wasmSession(why) : cpuSession(`${why}; no WebAssembly SIMD, so the CPU reference`));

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
      return fallback(reason!);
    }
    // A software adapter (SwiftShader, llvmpipe) runs CNNs slower than the WASM backend: auto picks WASM there.
    if (wanted === 'auto' && !options.device && (gpu.isFallbackAdapter || isSoftwareAdapter(gpu.adapterDescription)) && hasSimd)
      return wasmSession(`the WebGPU adapter is a software fallback (${gpu.adapterDescription}); WASM SIMD is faster on the CPU`);
    const onLost = options.onDeviceLost ?? 'recover';
    if (onLost !== 'recover' && onLost !== 'reject') throw new TypeError(`onDeviceLost must be 'recover' or 'reject', got ${String(onLost)}`);
    const session = new Session(graph, 'webgpu', gpu, undefined, maxVariants, format, options.memoryPlan ?? true, onLost);
    if (options.attention) session.attentionLowering = options.attention;
    if (options.int8Weights !== undefined) session.int8Weights = options.int8Weights;
    session.f16Compute = options.f16Compute === true;
    session.createShapes = known;
    // Default: measure on hardware adapters (the hardware policy: seeded, <= 4 candidates, ~1.5 s once per model and
    // adapter, docs/tuning.md); on software ones only look a stored table up (cold start is what they pay for).
    const tune = options.autotune ?? (adapterClassOf(gpu) === 'software' ? 'cached' : true);
    if (!(typeof tune === 'boolean' || tune === 'cached' || (typeof tune === 'object' && tune !== null)))
      throw new TypeError(`autotune must be a boolean, 'cached' or an options object, got ${String(tune)}`);
    if (typeof tune === 'object' && tune.policy !== undefined && !['auto', 'hardware', 'all'].includes(tune.policy))
      throw new TypeError(`autotune.policy must be 'auto', 'hardware' or 'all', got ${String(tune.policy)}`);
    if (typeof tune === 'object' && tune.adapterClass !== undefined && !ADAPTER_CLASSES.includes(tune.adapterClass))
      throw new TypeError(`autotune.adapterClass must be one of ${ADAPTER_CLASSES.join(', ')}, got ${String(tune.adapterClass)}`);
    if (tune !== false) {
      const { cache: c, ...rest } = typeof tune === 'object' ? tune : {};
      const cache = c === undefined ? (defaultTuningCache() ?? false) : c;
      const measure = tune !== 'cached';
      if (measure || cache) session.tune = { cache, measure, options: rest };
    }
    // Build (and tune) now when the shapes are known, so pipelines compile at load, not on the first run. Symbolic
    // sizes wait for the first run: no size is invented here.
    if (known) {
      try {
        session.onPipelines = (done, total) => internal.progress.update('pipelines', done, total);
        session.onWeightsRead = internal.onWeightsRead;
        await session.executorFor(known, true).ready.finally(() => {
          session.onPipelines = undefined;
          session.onWeightsRead = undefined;
        });
      } catch (e) {
        // A size read from the metadata's inputSize is a hint, not the model's contract: if the model cannot run at
        // it, create still succeeds and each run's size decides (the run gets the InputError). Explicit or static
        // shapes fail here, as they should.
        const hinted = !given && inputs.some((i) => i.shape.slice(1).some((d) => d < 0));
        if (!(hinted && e instanceof InputError)) throw e;
        session.createShapes = undefined;
      }
    }
    return session;
  }

  /**
   * Infers every value's shape at `shapes` and checks the size limits, once per signature. Throws InputError naming
   * the input size when the model cannot run at it (the GraphError naming the node is its cause), or LimitError.
   */
  private checkShapes(shapes: InputShapes, key = signatureKey(this.inputs, shapes)): void {
    if (this.signatures.has(key)) return;
    let infos: Map<string, ValueInfo>;
    try {
      infos = inferShapes(this.graph, shapes);
    } catch (e) {
      if (e instanceof GraphError) throw unrunnableShapeError(this.inputs, shapes, e);
      throw e;
    }
    checkGraphLimits(this.graph, infos);
    this.signatures.set(key, { tuned: false });
    // Bounded: a caller feeding ever-new sizes must not grow the session without limit (older ones are re-checked).
    if (this.signatures.size > MAX_SIGNATURES) this.signatures.delete(this.signatures.keys().next().value!);
  }

  /**
   * The conv variant chooser for a checked signature, or undefined (the fixed rule). Measuring (autotune: true) only
   * happens for the executor built at create: a run never waits for seconds of measurements; a signature first seen
   * by a run uses the table stored for it in the cache, if any.
   */
  private async tuneFor(gpu: GpuContext, key: string, shapes: InputShapes, atCreate: boolean): Promise<ConvVariantOverride | undefined> {
    const sig = this.signatures.get(key);
    if (!this.tune || sig?.tuned) return sig?.table;
    const { cache, measure, options } = this.tune;
    if (!cache && !atCreate) return undefined; // nothing to look up
    const { chooser, report } = await autotuneGraph(gpu, this.graph, shapes, { ...options, cache, measure: measure && atCreate });
    this.tuning = report;
    if (sig) Object.assign(sig, { table: chooser, tuned: true });
    return chooser;
  }

  /** The executor entry of `shapes`' signature, building it (checked, tuned) when missing. */
  private executorFor(shapes: InputShapes, atCreate = false): ExecutorEntry {
    const key = signatureKey(this.inputs, shapes);
    let entry = this.executors.get(key);
    if (entry) {
      this.executors.delete(key); // re-insert: most recently used last
      this.executors.set(key, entry);
      return entry;
    }
    // Before anything is built: a size the model cannot run at throws InputError here (the run rejects with it).
    this.checkShapes(shapes, key);
    // The promise is cached, so concurrent first runs of a new shape build ONE executor. Tuning is per signature:
    // a conv's best kernel depends on its shape, and the tuning cache is keyed by the model at these input shapes.
    const created: ExecutorEntry = { inFlight: 0, evicted: false, ready: undefined as unknown as Promise<WebGPUExecutor> };
    const gpu = this.gpu!;
    const build = async () => {
      const convVariant = await this.tuneFor(gpu, key, shapes, atCreate);
      const inputShapes = Object.fromEntries(Object.entries(shapes).map(([k, v]) => [k, [...v]]));
      // create() reads every weight synchronously (plans, repacks, uploads) before its first await.
      this.onWeightsRead?.();
      return WebGPUExecutor.create(gpu, this.graph, { inputShapes, memoryPlan: this.memoryPlan, convVariant, onPipelines: this.onPipelines, refreshableWeights: !!this.onWeightsRead, ...(this.attentionLowering ? { attention: this.attentionLowering } : {}), ...(this.int8Weights !== undefined ? { int8Weights: this.int8Weights } : {}), f16Compute: this.f16Compute });
    };
    created.ready = build().then(
      (ex) => {
        created.executor = ex;
        if (created.evicted && created.inFlight === 0) ex.release(); // evicted or session released while building
        return ex;
      },
      (e: unknown) => {
        if (this.executors.get(key) === created) this.executors.delete(key); // let a later run try again
        throw e;
      },
    );
    created.ready.catch(() => undefined);
    this.executors.set(key, created);
    while (this.executors.size > this.maxVariants) {
      const [oldKey, old] = this.executors.entries().next().value as [string, ExecutorEntry];
      this.executors.delete(oldKey);
      this.retire(old);
    }
    return created;
  }

  /** Frees an entry's GPU buffers now, or when its last in-flight run settles. */
  private retire(entry: ExecutorEntry): void {
    entry.evicted = true;
    if (entry.inFlight === 0) entry.executor?.release();
  }

  /**
   * Runs `fn` on the executor for `shapes`, handling device loss: the run races the device's `lost` promise (so it
   * settles even if the lost device never answers), then either recovers and runs again, or rejects.
   */
  private async onGpu<T>(shapes: InputShapes, fn: (ex: WebGPUExecutor) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.gpu!.lost) await this.handleLoss();
      if (this.released) throw new SessionReleasedError('this session was released');
      const gpu = this.gpu!;
      const entry = this.executorFor(shapes);
      entry.inFlight++;
      try {
        const ex = await gpu.settleOnLoss(entry.ready);
        return await gpu.settleOnLoss(fn(ex));
      } catch (e) {
        if (!gpu.lost) throw e;
        // The device died under this run: retry once on a new device, or report the loss.
        if (attempt > 0 || !this.canRecover()) throw lostError(gpu, e);
      } finally {
        entry.inFlight--;
        if (entry.evicted && entry.inFlight === 0) entry.executor?.release();
      }
    }
  }

  private canRecover(): boolean {
    return this.onDeviceLost === 'recover' && this.gpu?.source !== 'user';
  }

  /** The device is lost: replace it (once, shared by concurrent runs) or throw the typed error. */
  private handleLoss(): Promise<void> {
    const gpu = this.gpu!;
    if (!this.canRecover()) {
      const why = gpu.source === 'user' ? 'the session runs on a caller-provided device, which Tessera cannot replace' : "onDeviceLost is 'reject'";
      return Promise.reject(lostError(gpu, undefined, why));
    }
    this.recovering ??= (async () => {
      // Every buffer and bind group of the old device is dead: drop them (release() only updates the old tracker).
      for (const entry of this.executors.values()) this.retire(entry);
      this.executors.clear();
      try {
        this.gpu = await sharedGpu();
      } catch (e) {
        throw new WebGPUDeviceError(`WebGPU device lost and no new device could be acquired: ${(e as Error).message}`, 'lost');
      }
      this.deviceRecoveries++;
    })().finally(() => {
      this.recovering = undefined;
    });
    return this.recovering;
  }

  /**
   * Checks feeds against the model inputs and returns a copy of their f32 data (taken now, so a queued run is not
   * affected by the caller reusing, changing or transferring its arrays) with concrete shapes. Throws InputError.
   */
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
        if (isDetached(feed)) throw new InputError('its ArrayBuffer is detached (transferred or freed): pass a live Float32Array', info.name);
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
        if (isDetached(feed.data)) throw new InputError("the tensor's ArrayBuffer is detached (transferred or freed): pass live data", info.name);
        if (!Array.isArray(feed.shape)) throw new InputError('tensor shape must be an array of dims', info.name);
        shape = [...feed.shape];
        if (!fitsDeclared(info.shape, shape)) throw new InputError(`shape ${shapeText(shape)} does not match the model's ${shapeText(info.shape)} (-1 = any)`, info.name);
        if (feed.data.length !== sizeOf(shape)) throw new InputError(`data has ${feed.data.length} values, shape [${shape.join(', ')}] needs ${sizeOf(shape)}`, info.name);
        values = feed.data;
      } else {
        throw new InputError('must be a Float32Array or a Tensor { dtype, shape, data }', info.name);
      }
      if (info.dtype !== 'f32') throw new InputError(`the model input has dtype ${info.dtype}; only f32 inputs are supported`, info.name);
      // A snapshot: the run may wait behind others, and the caller may reuse or transfer its array meanwhile.
      data[info.name] = values.slice();
      shapes[info.name] = shape;
    }
    return { data, shapes };
  }

  async run(feeds: Record<string, Feed>): Promise<Record<string, Tensor>> {
    if (this.released) throw new SessionReleasedError('this session was released');
    const { data, shapes } = this.normalizeFeeds(feeds);
    if (this.backend === 'cpu') {
      // Same typed error as WebGPU for a size the model cannot run at (WebGPU checks in executorFor).
      this.checkShapes(shapes);
      this.cpu ??= new CpuExecutor(this.graph);
      const tensors: Record<string, Tensor> = {};
      for (const name of Object.keys(data)) tensors[name] = { dtype: 'f32', shape: shapes[name]!, data: data[name]! };
      return this.cpu.run(tensors);
    }
    if (this.backend === 'wasm') {
      const ex = await this.wasmExecutorFor(shapes);
      return ex.run(data);
    }
    return this.onGpu(shapes, (ex) => ex.run(data));
  }

  /**
   * Runs once (zeros at the shapes known at create when no feeds are given) and reports one row per GPU dispatch:
   * node, op, kernel variant, shapes, MACs and time. With timestamp-query the times are GPU timestamps (one compute
   * pass per dispatch); without it, or with `{ timing: 'wall' }`, each dispatch is submitted alone and timed on the
   * CPU clock until the queue is idle (includes submit overhead). Chrome quantizes timestamps to 100 µs unless WebGPU developer features are enabled.
   */
  async profile(feeds?: Record<string, Feed>, options: ProfileOptions = {}): Promise<ProfileResult> {
    if (this.released) throw new SessionReleasedError('this session was released');
    const f = feeds ?? this.zeroFeeds();
    if (this.backend === 'cpu') {
      const t0 = performance.now();
      const outputs = await this.run(f);
      return { backend: 'cpu', rows: [], wallMs: performance.now() - t0, gpuMs: null, timing: null, timestampQuery: false, outputs };
    }
    const { data, shapes } = this.normalizeFeeds(f);
    if (this.backend === 'wasm') {
      // One row per WASM kernel call (a conv may be two: pad2d + conv2d), wall time with all threads joined.
      const ex = await this.wasmExecutorFor(shapes);
      const t0 = performance.now();
      const r = ex.profile(data);
      const wallMs = performance.now() - t0;
      const rows: ProfileRow[] = r.rows.map((x) => ({
        node: x.node,
        op: x.op,
        kernel: x.kernel,
        inputShapes: x.inputShapes,
        outputShapes: x.outputShapes,
        macs: 0,
        workgroups: [ex.info.threads, 1, 1],
        gpuMs: x.ms,
        timing: 'wall',
      }));
      return { backend: 'wasm', rows, wallMs, gpuMs: rows.reduce((s, x) => s + (x.gpuMs ?? 0), 0), timing: 'wall', timestampQuery: false, outputs: r.outputs };
    }
    const r = await this.onGpu(shapes, (ex) => ex.profile(data, options));
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

  /** Zero tensors at the shapes known at create; a model with symbolic sizes needs real feeds (no size is invented). */
  private zeroFeeds(): Record<string, Tensor> {
    const shapes = this.createShapes;
    if (!shapes) {
      const free = this.inputs.filter((i) => i.shape.some((d) => d < 0)).map((i) => `'${i.name}' ${shapeText(i.shape)}`);
      throw new InputError(`profile() needs feeds: input sizes are symbolic (${free.join(', ')}) and no inputShapes option was given`);
    }
    return Object.fromEntries(this.inputs.map((i) => [i.name, { dtype: 'f32', shape: shapes[i.name]!, data: new Float32Array(sizeOf(shapes[i.name]!)) } satisfies Tensor]));
  }

  /** The WASM executor of a signature (checked, built once; the least recently used beyond maxShapeVariants released). */
  private wasmExecutorFor(shapes: InputShapes): Promise<WasmExecutor> {
    const key = signatureKey(this.inputs, shapes);
    let ready = this.wasmExecutors.get(key);
    if (ready) {
      this.wasmExecutors.delete(key);
      this.wasmExecutors.set(key, ready);
      return ready;
    }
    this.checkShapes(shapes, key);
    const inputShapes = Object.fromEntries(Object.entries(shapes).map(([k, v]) => [k, [...v]]));
    ready = WasmExecutor.create(this.graph, { inputShapes, ...this.wasmOptions! }).then((ex) => {
      this.wasmInfo = ex.info;
      this.lastWasm = ex;
      if (this.released) ex.release();
      return ex;
    });
    ready.catch(() => this.wasmExecutors.get(key) === ready && this.wasmExecutors.delete(key));
    this.wasmExecutors.set(key, ready);
    while (this.wasmExecutors.size > this.maxVariants) {
      const [oldKey, old] = this.wasmExecutors.entries().next().value as [string, Promise<WasmExecutor>];
      this.wasmExecutors.delete(oldKey);
      void old.then((ex) => ex.release(), () => undefined);
    }
    return ready;
  }

  /** What this session runs on and why; on WASM also threads, SIMD flavour and CPU-reference nodes. */
  get backendInfo(): BackendInfo {
    const info: BackendInfo = { backend: this.backend, ...(this.fallbackReason ? { reason: this.fallbackReason } : {}) };
    const w = this.wasmInfo;
    if (this.backend === 'wasm' && w)
      Object.assign(info, { threads: w.threads, simd: w.simd, relaxedSimd: w.relaxedSimd, fallbackNodes: [...w.fallbackNodes], ...(w.threadsNote ? { threadsNote: w.threadsNote } : {}) });
    const choice = this.backend === 'wasm' ? this.lastWasm?.threadReport() : undefined;
    if (choice) info.threadChoice = choice;
    return info;
  }

  /** GPU object counters of this session's device (pipelines, bind groups, live buffers and bytes). */
  gpuStats(): ReturnType<GpuContext['tracker']['snapshot']> | undefined {
    return this.gpu?.tracker.snapshot();
  }

  /**
   * The GPU dispatches one run makes, in order (node, op, kernel, shapes, MACs, workgroups), for the most recently
   * used WebGPU executor; undefined before one is built or off WebGPU. Counting them needs no run or timing.
   */
  dispatches(): readonly DispatchInfo[] | undefined {
    return [...this.executors.values()].filter((e) => e.executor).at(-1)?.executor!.dispatches;
  }

  /** GPU memory (bytes) of the most recently used WebGPU executor: activations, weights, and the plan's figures. */
  memory(): WebGPUExecutor['memory'] | undefined {
    return [...this.executors.values()].filter((e) => e.executor).at(-1)?.executor!.memory;
  }

  /**
   * Frees every GPU buffer of the session (those of an executor with runs in flight once the runs settle). The device
   * is kept (it may be shared); pipelines stay cached on it.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    // Executors with runs in flight are freed when those runs settle (the runs then complete normally).
    for (const entry of this.executors.values()) this.retire(entry);
    this.executors.clear();
    for (const ready of this.wasmExecutors.values()) void ready.then((ex) => ex.release(), () => undefined);
    this.wasmExecutors.clear();
    this.cpu = undefined;
  }
}

/** Signatures remembered as checked (inferred and within limits) and tuned; older ones are checked and looked up again. */
const MAX_SIGNATURES = 64;

function isDetached(a: Float32Array): boolean {
  // `detached` is ES2024; in older engines a detached buffer shows as length 0, which the size checks reject anyway.
  return (a.buffer as ArrayBuffer & { detached?: boolean }).detached === true;
}

/** Static limits, then (when shapes infer at the default input shapes) the size of every value. */
function checkLimitsOf(graph: Graph): void {
  checkGraphLimits(graph);
  let infos: Map<string, ValueInfo> | undefined;
  try {
    infos = inferShapes(graph);
  } catch {
    return; // not inferable without concrete shapes: the backends report their own errors (and check per run)
  }
  checkGraphLimits(graph, infos);
}

function lostError(gpu: GpuContext, cause: unknown, why?: string): WebGPUDeviceError {
  if (cause instanceof WebGPUDeviceError && cause.kind === 'lost' && !why) return cause;
  const base = gpu.lostMessage ?? 'WebGPU device lost';
  return new WebGPUDeviceError(why ? `${base}; ${why}` : base, 'lost');
}
