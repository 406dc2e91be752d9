/** Backend selection for `run` and `eval`: one small interface over the executors. */
import { CpuExecutor } from '../backends/cpu/index.js';
import { wasmFeatures } from '../backends/wasm/module.js';
import { webgpuSupports } from '../backends/webgpu/kernels.js';
import { GraphError, type Graph, type Tensor } from '../graph/ir.js';
import { inferShapes } from '../graph/infer.js';
import { unrunnableShapeError } from '../runtime/input_shapes.js';
import { Session } from '../runtime/session.js';
import type { SoftwareAdapterError } from '../node/webgpu_cli.js';
import { BackendUnavailableError, UsageError } from './errors.js';

export const BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
/**
 * What a command may ask for: a backend, or 'auto' (WebGPU in headless Chromium when its adapter is a hardware one,
 * else WebAssembly SIMD, else the CPU reference; with the reason).
 */
export type BackendChoice = BackendName | 'auto';

/** --help text of --backend and --threads (run, eval, classify). */
export const BACKEND_HELP =
  'auto (default: WebGPU in headless Chromium on a hardware GPU adapter, else wasm, with the reason), wasm (WebAssembly SIMD, threaded), webgpu or cpu (the reference executor)';
export const THREADS_HELP = 'threads of the wasm backend (default: the number of cores, at most 4)';

/** Options of the backends that take any. */
export interface RunnerOptions {
  /** WASM: threads (default: the hardware's, at most 4; see SessionOptions.numThreads). */
  numThreads?: number;
}

/** Runs the graph on one input tensor and returns its first output. */
export interface ModelRunner {
  run(input: Tensor): Promise<Tensor>;
  dispose(): void | Promise<void>;
  /** Which backend and path ran, e.g. 'cpu (reference executor)', 'wasm (SIMD, relaxed SIMD, 4 threads)' or 'webgpu via chromium (...)'. */
  description: string;
  /** The backend that runs. */
  backend: BackendName;
  /** Why this backend: set when it was chosen by 'auto' (e.g. why WebGPU was not used). */
  reason?: string;
}

/** Parses --backend for commands that also accept 'auto'. */
export function parseBackendChoice(value: string | undefined, cmd: string, dflt: BackendChoice): BackendChoice {
  const v = value ?? dflt;
  if (v !== 'auto' && !(BACKENDS as readonly string[]).includes(v)) throw new UsageError(`${cmd}: --backend must be one of auto, ${BACKENDS.join(', ')}, got '${v}'`);
  return v as BackendChoice;
}

/**
 * 'auto': WebGPU (headless Chromium, or Dawn with TESSERA_WEBGPU_PATH=dawn) when every op has a WebGPU kernel, a
 * device starts and its adapter is a hardware one; otherwise the WASM backend (SwiftShader or llvmpipe run CNNs on
 * the CPU slower than WASM SIMD does), or the CPU reference executor where WebAssembly has no SIMD. The runner's
 * `reason` says which and why.
 */
export async function createRunnerAuto(graph: Graph, choice: BackendChoice, inputName: string, options: RunnerOptions = {}): Promise<ModelRunner> {
  if (choice !== 'auto') return createRunner(graph, choice, inputName, options);
  const fallback = async (why: string): Promise<ModelRunner> => {
    if (wasmFeatures().simd) return { ...(await createRunner(graph, 'wasm', inputName, options)), reason: `auto: ${why}` };
    return { ...(await createRunner(graph, 'cpu', inputName)), reason: `auto: ${why}; no WebAssembly SIMD here, so the CPU reference` };
  };
  const unsupported = [...new Set(graph.nodes.filter((n) => !webgpuSupports(n.op)).map((n) => n.op))];
  if (unsupported.length) return fallback(`ops without a WebGPU kernel (${unsupported.join(', ')})`);
  try {
    const gpu = await createWebGPURunner(graph, inputName, { hardwareOnly: true });
    return { ...gpu, reason: 'auto: a hardware WebGPU adapter started and every op has a WebGPU kernel' };
  } catch (e) {
    if (isSoftwareAdapterError(e)) return fallback(`the WebGPU adapter is a software fallback (${e.adapter}); WASM SIMD is faster on the CPU`);
    if (!(e instanceof BackendUnavailableError)) throw e;
    return fallback(e.message.replace(/^WebGPU backend could not start: /, 'WebGPU could not start: '));
  }
}

/** By name: webgpu_cli.ts (and playwright behind it) is only loaded when WebGPU is asked for. */
function isSoftwareAdapterError(e: unknown): e is SoftwareAdapterError {
  return e instanceof Error && e.name === 'SoftwareAdapterError';
}

export function parseBackend(value: string | undefined, cmd: string, dflt: BackendName = 'cpu'): BackendName {
  const v = value ?? dflt;
  if (!(BACKENDS as readonly string[]).includes(v)) throw new UsageError(`${cmd}: --backend must be one of ${BACKENDS.join(', ')}, got '${v}'`);
  return v as BackendName;
}

/** Throws BackendUnavailableError for a backend that cannot run here. */
export function assertBackendAvailable(backend: BackendName | 'auto'): void {
  // WebGPU availability is only known once a device is asked for (createRunner); WASM needs SIMD128.
  if (backend === 'wasm' && !wasmFeatures().simd) throw new BackendUnavailableError('WASM backend: this Node has no WebAssembly SIMD128');
}

export async function createRunner(graph: Graph, backend: BackendName, inputName: string, options: RunnerOptions = {}): Promise<ModelRunner> {
  if (backend === 'webgpu') return createWebGPURunner(graph, inputName);
  if (backend === 'wasm') return createWasmRunner(graph, inputName, options);
  const executor = new CpuExecutor(graph);
  const outputName = graph.outputs[0]!.name;
  const runnable = new Set<string>();
  return {
    async run(input) {
      // A size the model cannot run at (symbolic H/W too small for its pools) is an InputError naming the size, as on
      // WebGPU (src/runtime/session.ts), rather than the failing node's ExecutionError. Checked once per shape.
      const key = input.shape.join('x');
      if (!runnable.has(key)) {
        const shapes = { [inputName]: [...input.shape] };
        try {
          inferShapes(graph, shapes);
        } catch (e) {
          if (e instanceof GraphError) throw unrunnableShapeError(graph.inputs.filter((i) => i.name === inputName), shapes, e);
          throw e;
        }
        runnable.add(key);
      }
      const outputs = executor.run({ [inputName]: input });
      const out = outputs instanceof Map ? outputs.get(outputName) : (outputs as Record<string, Tensor>)[outputName];
      if (!out) throw new Error(`CPU executor returned no tensor for output '${outputName}'`);
      return out;
    },
    dispose() {},
    description: 'cpu (reference executor)',
    backend: 'cpu',
  };
}

/**
 * WebGPU from Node: headless Chromium by default (Dawn in-process when TESSERA_WEBGPU_PATH=dawn); see
 * src/node/webgpu_cli.ts. Loaded lazily so the CPU path never pulls in playwright.
 */
async function createWebGPURunner(graph: Graph, inputName: string, opts: { hardwareOnly?: boolean } = {}): Promise<ModelRunner> {
  const { WebGPURunner } = await import('../node/webgpu_cli.js');
  let runner: Awaited<ReturnType<typeof WebGPURunner.fromGraph>>;
  try {
    runner = await WebGPURunner.fromGraph(graph, { hardwareOnly: opts.hardwareOnly });
  } catch (e) {
    if (isSoftwareAdapterError(e)) throw e;
    throw new BackendUnavailableError(`WebGPU backend could not start: ${e instanceof Error ? e.message : String(e)}`);
  }
  const outputName = graph.outputs[0]!.name;
  return {
    async run(input) {
      const outputs = await runner.run({ [inputName]: input });
      const out = outputs[outputName];
      if (!out) throw new Error(`WebGPU session returned no tensor for output '${outputName}'`);
      return out;
    },
    dispose: () => runner.close(),
    description: `webgpu via ${runner.path} (${runner.device})`,
    backend: 'webgpu',
  };
}

/** The WebAssembly SIMD backend in this process (Session with backend 'wasm'; threads are worker_threads). */
async function createWasmRunner(graph: Graph, inputName: string, options: RunnerOptions): Promise<ModelRunner> {
  assertBackendAvailable('wasm');
  const session = await Session.create(graph, { backend: 'wasm', optimize: false, ...(options.numThreads !== undefined ? { numThreads: options.numThreads } : {}) });
  const outputName = graph.outputs[0]!.name;
  const runner: ModelRunner = {
    async run(input) {
      const out = (await session.run({ [inputName]: input }))[outputName];
      if (!out) throw new Error(`WASM session returned no tensor for output '${outputName}'`);
      // The description names the threads once an executor exists (built at create when the input size is known).
      runner.description = wasmDescription(session);
      return out;
    },
    dispose: () => session.release(),
    description: wasmDescription(session),
    backend: 'wasm',
  };
  return runner;
}

/** e.g. 'wasm (SIMD + relaxed SIMD, 4 threads)', with why fewer threads and which nodes run on the CPU reference. */
export function wasmDescription(session: Session): string {
  const i = session.backendInfo;
  if (i.threads === undefined) return 'wasm (SIMD)';
  const parts = [`${i.relaxedSimd ? 'SIMD + relaxed SIMD' : 'SIMD'}, ${i.threads} thread${i.threads === 1 ? '' : 's'}`];
  if (i.threadsNote) parts.push(i.threadsNote);
  if (i.fallbackNodes?.length) parts.push(`${i.fallbackNodes.length} node${i.fallbackNodes.length === 1 ? '' : 's'} on the CPU reference kernel: ${i.fallbackNodes.slice(0, 4).join(', ')}${i.fallbackNodes.length > 4 ? ', ...' : ''}`);
  return `wasm (${parts.join('; ')})`;
}
