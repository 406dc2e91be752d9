/** Backend selection for `run` and `eval`: one small interface over the executors. */
import { CpuExecutor } from '../backends/cpu/index.js';
import { webgpuSupports } from '../backends/webgpu/kernels.js';
import { GraphError, type Graph, type Tensor } from '../graph/ir.js';
import { inferShapes } from '../graph/infer.js';
import { unrunnableShapeError } from '../runtime/input_shapes.js';
import { BackendUnavailableError, UsageError } from './errors.js';

export const BACKENDS = ['cpu', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
/** What a command may ask for: a backend, or 'auto' (WebGPU when it can start here, else the CPU, with the reason). */
export type BackendChoice = BackendName | 'auto';

/** Runs the graph on one input tensor and returns its first output. */
export interface ModelRunner {
  run(input: Tensor): Promise<Tensor>;
  dispose(): void | Promise<void>;
  /** Which backend and path ran, e.g. 'cpu' or 'webgpu via chromium (swiftshader)'. */
  description: string;
  /** The backend that runs. */
  backend: BackendName;
  /** Why this backend: set when it was chosen by 'auto' (e.g. why WebGPU could not start). */
  reason?: string;
}

/** Parses --backend for commands that also accept 'auto'. */
export function parseBackendChoice(value: string | undefined, cmd: string, dflt: BackendChoice): BackendChoice {
  const v = value ?? dflt;
  if (v !== 'auto' && !(BACKENDS as readonly string[]).includes(v)) throw new UsageError(`${cmd}: --backend must be one of auto, ${BACKENDS.join(', ')}, got '${v}'`);
  return v as BackendChoice;
}

/**
 * 'auto': WebGPU (headless Chromium, or Dawn with TESSERA_WEBGPU_PATH=dawn) when every op has a WebGPU kernel and a
 * device starts, else the CPU reference executor; the runner's `reason` says which and why.
 */
export async function createRunnerAuto(graph: Graph, choice: BackendChoice, inputName: string): Promise<ModelRunner> {
  if (choice !== 'auto') return createRunner(graph, choice, inputName);
  const unsupported = [...new Set(graph.nodes.filter((n) => !webgpuSupports(n.op)).map((n) => n.op))];
  if (unsupported.length) return { ...(await createRunner(graph, 'cpu', inputName)), reason: `auto: ops without a WebGPU kernel (${unsupported.join(', ')})` };
  try {
    const gpu = await createRunner(graph, 'webgpu', inputName);
    // SwiftShader is Chromium's software Vulkan: WebGPU runs, but on the CPU cores, and no hardware adapter was found.
    const software = /swiftshader/i.test(gpu.description) ? ' (SwiftShader: a software adapter, so no hardware GPU was found)' : '';
    return { ...gpu, reason: `auto: a WebGPU device started${software} and every op has a WebGPU kernel` };
  } catch (e) {
    if (!(e instanceof BackendUnavailableError)) throw e;
    const cpu = await createRunner(graph, 'cpu', inputName);
    return { ...cpu, reason: `auto: ${e.message.replace(/^WebGPU backend could not start: /, 'WebGPU could not start: ')}` };
  }
}

export function parseBackend(value: string | undefined, cmd: string): BackendName {
  const v = value ?? 'cpu';
  if (!(BACKENDS as readonly string[]).includes(v)) throw new UsageError(`${cmd}: --backend must be one of ${BACKENDS.join(', ')}, got '${v}'`);
  return v as BackendName;
}

/** Throws BackendUnavailableError for a backend that cannot run in this build. */
export function assertBackendAvailable(_backend: BackendName): void {
  // Both backends exist in every build; WebGPU availability is only known once a device is asked for (createRunner).
}

export async function createRunner(graph: Graph, backend: BackendName, inputName: string): Promise<ModelRunner> {
  if (backend === 'webgpu') return createWebGPURunner(graph, inputName);
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
async function createWebGPURunner(graph: Graph, inputName: string): Promise<ModelRunner> {
  const { WebGPURunner } = await import('../node/webgpu_cli.js');
  let runner: Awaited<ReturnType<typeof WebGPURunner.fromGraph>>;
  try {
    runner = await WebGPURunner.fromGraph(graph);
  } catch (e) {
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
