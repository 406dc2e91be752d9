/** Backend selection for `run` and `eval`: one small interface over the executors. */
import { CpuExecutor } from '../backends/cpu/index.js';
import type { Graph, Tensor } from '../graph/ir.js';
import { BackendUnavailableError, UsageError } from './errors.js';

export const BACKENDS = ['cpu', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Runs the graph on one input tensor and returns its first output. */
export interface ModelRunner {
  run(input: Tensor): Promise<Tensor>;
  dispose(): void | Promise<void>;
  /** Which backend and path ran, e.g. 'cpu' or 'webgpu via chromium (swiftshader)'. */
  description: string;
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
  return {
    async run(input) {
      const outputs = executor.run({ [inputName]: input });
      const out = outputs instanceof Map ? outputs.get(outputName) : (outputs as Record<string, Tensor>)[outputName];
      if (!out) throw new Error(`CPU executor returned no tensor for output '${outputName}'`);
      return out;
    },
    dispose() {},
    description: 'cpu (reference executor)',
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
  };
}
