/** Backend selection for `run` and `eval`: one small interface over the executors. */
import { CpuExecutor } from '../backends/cpu/index.js';
import type { Graph, Tensor } from '../graph/ir.js';
import { BackendUnavailableError, UsageError } from './errors.js';

export const BACKENDS = ['cpu', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Runs the graph on one input tensor and returns its first output. */
export interface ModelRunner {
  run(input: Tensor): Promise<Tensor>;
  dispose(): void;
}

export function parseBackend(value: string | undefined, cmd: string): BackendName {
  const v = value ?? 'cpu';
  if (!(BACKENDS as readonly string[]).includes(v)) throw new UsageError(`${cmd}: --backend must be one of ${BACKENDS.join(', ')}, got '${v}'`);
  return v as BackendName;
}

/** Throws BackendUnavailableError for a backend that cannot run in this build. */
export function assertBackendAvailable(backend: BackendName): void {
  // The WebGPU runtime (src/runtime) is wired in by its own issue; until then the flag is accepted but refused.
  if (backend === 'webgpu') throw new BackendUnavailableError('WebGPU backend not available yet (use --backend cpu)');
}

export async function createRunner(graph: Graph, backend: BackendName, inputName: string): Promise<ModelRunner> {
  assertBackendAvailable(backend);
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
  };
}
