/** Messages between the Node side of the benchmark (bench/run.ts) and its in-page halves (bench/page.ts, page_tfjs.ts). */

export type RuntimeName = 'tessera' | 'ort-webgpu' | 'ort-wasm' | 'tfjs-webgpu' | WasmRuntimeName;
/**
 * The CPU (WebAssembly SIMD) runtimes besides ORT-web's multi-threaded 'ort-wasm': Tessera's WASM backend, TF.js's
 * WASM backend, and single-thread runs ('-1t') of Tessera and ORT. All run in cross-origin-isolated pages.
 */
export type WasmRuntimeName = 'tessera-wasm' | 'tessera-wasm-1t' | 'ort-wasm-1t' | 'tfjs-wasm';
/** Runtimes with results: the in-page ones plus onnxruntime-node (run in the Node process). */
export type ResultRuntime = RuntimeName | 'ort-node';

export interface JobSpec {
  runtime: RuntimeName;
  /** Same-origin URLs served by the harness. The ONNX file; for TF.js the lowered program's weight blob. */
  modelUrl: string;
  /** TF.js only: the lowered program (JSON, bench/tfjs_program.ts). */
  tfjsProgramUrl?: string;
  inputUrl: string;
  inputShape: number[];
  /** Timed steady-state runs wanted (after the cold first run). */
  reps: number;
  /** Stop adding timed runs once this much time went into them (but do at least minReps). */
  maxSeconds: number;
  minReps: number;
  /** Untimed-for-the-median runs after the cold run, for this many seconds (at least one run when > 0): timedRuns. */
  warmupSeconds?: number;
  /** ORT-web ES module to import (e.g. '/ort/ort.webgpu.bundle.min.mjs'); unused for Tessera. */
  ortModule?: string;
  /** WASM threads of ORT-web, Tessera's WASM backend and TF.js WASM (more than 1 needs a crossOriginIsolated page). */
  wasmThreads?: number;
  /** TF.js WASM: URL of the folder holding tfjs-backend-wasm's .wasm files (setWasmPaths). */
  tfjsWasmPath?: string;
  /** Tessera: also run session.profile() (3 times, median per dispatch) after timing; TF.js: one tf.time() run. */
  profile?: boolean;
  /** Tessera: also measure autotuning (see TuneResult). */
  tune?: boolean;
  /** Tessera with `--int8`: the model as f32 and `--int8` .tessera files (bench/int8_job.ts). */
  int8?: { f32Url: string; int8Url: string };
}

/** Tessera with `--int8` (bench/int8_job.ts): steady medians of three sessions whose runs were interleaved. */
export interface Int8Result {
  fileBytes: { f32: number; int8: number };
  /** f32 .tessera; int8 .tessera with the default int8Weights; int8 .tessera with int8Weights: true. */
  medianMs: { f32: number; int8: number; int8InRegister: number };
  reps: number;
  /** Output of each int8 session against the f32 session's. */
  relL2: { int8: number; int8InRegister: number };
}

/** Tessera with `--tune`, in the same page after the default job (pipelines of the rule's kernels already compiled). */
export interface TuneResult {
  /** Session.create with autotune: true and an empty in-memory cache: tuning included. */
  createMs: number;
  tuningMs: number;
  layers: number;
  layersTuned: number;
  measurements: number;
  /** Layers whose tuned variant differs from the fixed rule's. */
  changed: number;
  choices: Record<string, string>;
  /** Steady runs of the tuned session (same protocol as the default job's). */
  runsMs: number[];
  medianMs: number;
  /** The same model created again with the same cache: where its table came from and what that cost. */
  second: { source: string; tuningMs: number; measurements: number; createMs: number };
}

export interface ProfileSummaryRow {
  op: string;
  kernel: string;
  dispatches: number;
  macs: number;
  /** Sum of timestamp-query GPU times (ms), null without timestamp-query. */
  gpuMs: number | null;
}

export interface JobProfile {
  timestampQuery: boolean;
  wallMs: number;
  gpuMs: number | null;
  dispatches: number;
  /** Aggregated per (op, kernel), largest GPU time (else MACs) first. */
  byKernel: ProfileSummaryRow[];
  /** The slowest dispatches (at most 12). */
  slowest: { node: string; op: string; kernel: string; macs: number; gpuMs: number | null; outputShape: number[] }[];
}

export interface JobResult {
  runtime: ResultRuntime;
  ok: boolean;
  error?: string;
  /** Adapter / backend description. */
  device?: string;
  /** Import of the runtime's JS module (ORT only; not part of cold start: Tessera's bundle is loaded with the page). */
  importMs?: number;
  /** Adapter + device request (ORT: done by the bench with full limits; Tessera: inside Session.create). */
  deviceMs?: number;
  /** Fetch of the model bytes in the page (not part of cold start, for any runtime). */
  fetchMs?: number;
  /** Where the cold start went (Tessera: bench/gpu_probe.ts; TF.js: bench/page_tfjs.ts), in order; sums to coldMs. */
  phasesMs?: Record<string, number>;
  /** Session creation (ORT: includes device request and WASM instantiation). */
  createMs?: number;
  firstRunMs?: number;
  /** createMs + firstRunMs. */
  coldMs?: number;
  /** Steady-state runs (input upload + execution + output readback each), in order. */
  runsMs?: number[];
  /** The warm-up runs before them (JobSpec.warmupSeconds), in order: recorded, not in the median. */
  warmupRunsMs?: number[];
  medianMs?: number;
  outputShape?: number[];
  output?: number[];
  profile?: JobProfile;
  /** Tessera on WebGPU: dispatches per run (session.dispatches()). */
  dispatches?: number;
  /** Tessera only: GPU objects created (pipelines, buffers) and how many appeared after the first run. */
  gpuObjects?: { pipelines: number; buffers: number; createdAfterFirstRun: number };
  /** Tessera with --tune. */
  tune?: TuneResult;
  /** Tessera with --int8. */
  int8?: Int8Result;
  /** WASM runtimes: threads actually used, SIMD flavour, and what the page was (the figures' conditions). */
  wasm?: { threads: number; simd?: boolean; relaxedSimd?: boolean; crossOriginIsolated?: boolean; threadsNote?: string; fallbackNodes?: string[]; threadChoice?: { mode: 'pool' | 'single'; poolMs?: number; singleMs?: number; runs: number } };
  notes?: string[];
  /** Set by the Node side: 1-minute load average of the machine when the job started (other work skews timings). */
  loadAverage1m?: number;
}
