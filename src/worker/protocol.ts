/**
 * Messages between a page (WorkerSession, client.ts) and a worker running sessions (host.ts). Every request has an
 * id; the worker answers each exactly once. Tensors travel as { dtype, shape, data } with their buffers transferred.
 */
import type { GraphMetadata, Tensor, ValueInfo } from '../graph/ir.js';
import type { AdapterClass } from '../backends/webgpu/device.js';
import type { BackendInfo, BackendName, LoadProgress, ProfileResult, TuningReport } from '../runtime/session.js';
import type { LayerProfile } from './layer_profile.js';
import type { ModelFacts } from './model_facts.js';

/** Session options that can cross a worker boundary (a GPUDevice cannot). */
export interface WorkerSessionOptions {
  backend?: BackendName | 'auto';
  /** WASM backend threads (Session's option; more than 1 needs a cross-origin-isolated page: COOP + COEP). */
  numThreads?: number;
  /** WASM backend: relaxed SIMD where the engine has it (default true). */
  relaxedSimd?: boolean;
  optimize?: boolean;
  maxShapeVariants?: number;
  /** Shapes to build the executor at during create, for inputs with free dims (Session's option, docs/dynamic-shapes.md). */
  inputShapes?: Record<string, number[]>;
  /**
   * Conv kernel autotuning, as Session's option (docs/autotune.md), run in the worker. The table is stored in the
   * worker's default cache (IndexedDB: same origin, so shared with the page); a cache object cannot cross the
   * boundary, only `cache: false` (measure, store nothing).
   */
  autotune?: boolean | 'cached' | { budgetMs?: number; margin?: number; cache?: false; policy?: 'auto' | 'hardware' | 'all'; adapterClass?: AdapterClass; maxCandidates?: number };
}

export type Request =
  // A ReadableStream source is transferred (browsers that can transfer streams); `progress`: send Progress messages.
  | { id: number; type: 'create'; source: ArrayBuffer | string | ReadableStream<Uint8Array>; options: WorkerSessionOptions & { progress?: boolean } }
  | { id: number; type: 'run'; session: number; feeds: Record<string, Tensor> }
  | { id: number; type: 'profile'; session: number; feeds?: Record<string, Tensor> }
  | { id: number; type: 'layerProfile'; session: number; feeds?: Record<string, Tensor> }
  | { id: number; type: 'release'; session: number };

export interface CreateResult {
  session: number;
  backend: BackendName;
  fallbackReason: string | undefined;
  /** Session.backendInfo: the backend, why (auto), and on WASM threads, SIMD flavour, CPU-reference nodes. */
  backendInfo: BackendInfo;
  deviceDescription: string | undefined;
  format: 'tessera' | 'onnx' | 'graph';
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  metadata: GraphMetadata;
  facts: ModelFacts;
  /** Time to parse the model and build the backend (pipelines, weight upload, autotuning), ms. */
  loadMs: number;
  /** What conv kernel autotuning did at create (Session.tuning). */
  tuning: TuningReport;
}

export interface ResultOf {
  create: CreateResult;
  run: Record<string, Tensor>;
  profile: ProfileResult;
  layerProfile: LayerProfile;
  release: null;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export type Response = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: SerializedError };

/** Sent by the worker while a create with `options.progress` loads, before its Response (SessionOptions.onProgress). */
export interface Progress {
  id: number;
  progress: LoadProgress;
}

/** Minimal endpoint both a Worker and a worker's global scope (and a MessagePort) satisfy. */
export interface Endpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener?(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** Buffers of tensors, for the transfer list (each buffer once). */
export function tensorBuffers(tensors: Record<string, Tensor> | undefined): Transferable[] {
  if (!tensors) return [];
  const set = new Set<ArrayBufferLike>();
  for (const t of Object.values(tensors)) set.add(t.data.buffer);
  return [...set].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}
