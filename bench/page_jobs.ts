/**
 * The Tessera and ONNX Runtime Web halves of a benchmark job, shared by the Chromium page (bench/page.ts) and the
 * Node host (bench/node_job.ts, WebGPU from Dawn's navigator.gpu): each loads one runtime on one model from bytes
 * already in memory, times cold start (create + first run) and steady runs with performance.now(), and returns the
 * last output.
 */
import { Session } from '../src/runtime/session.js';
import type { ProfileRow } from '../src/backends/webgpu/executor.js';
import type { JobProfile, JobResult, JobSpec, ProfileSummaryRow, TuneResult } from './page_types.js';
import { memoryTuningCache } from '../src/cache/tuning_cache.js';
import { fullDevice, median, mergeProfileRuns, timedRuns } from './page_util.js';
import { installGpuProbe, tesseraPhases } from './gpu_probe.js';
import { measureInt8 } from './int8_job.js';

/** Minimal structural view of the onnxruntime-web API we use (the module is imported at run time from /ort/). */
interface OrtTensor {
  dims: readonly number[];
  getData(): Promise<ArrayLike<number>>;
}
interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtModule {
  env: { logLevel?: string; wasm: { numThreads?: number; wasmPaths?: string; proxy?: boolean } };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(bytes: Uint8Array, options: unknown): Promise<OrtSession> };
}

function summarizeProfile(rows: ProfileRow[], wallMs: number, gpuMs: number | null, timestampQuery: boolean): JobProfile {
  const groups = new Map<string, ProfileSummaryRow>();
  for (const r of rows) {
    const key = `${r.op}\u0000${r.kernel}`;
    const g = groups.get(key) ?? { op: r.op, kernel: r.kernel, dispatches: 0, macs: 0, gpuMs: r.gpuMs === null ? null : 0 };
    g.dispatches++;
    g.macs += r.macs;
    if (g.gpuMs !== null && r.gpuMs !== null) g.gpuMs += r.gpuMs;
    else g.gpuMs = null;
    groups.set(key, g);
  }
  const byTime = (a: { gpuMs: number | null; macs: number }, b: { gpuMs: number | null; macs: number }) =>
    a.gpuMs !== null && b.gpuMs !== null ? b.gpuMs - a.gpuMs : b.macs - a.macs;
  const slowest = [...rows]
    .sort(byTime)
    .slice(0, 12)
    .map((r) => ({ node: r.node, op: r.op, kernel: r.kernel, macs: r.macs, gpuMs: r.gpuMs, outputShape: [...(r.outputShapes[0] ?? [])] }));
  return { timestampQuery, wallMs, gpuMs, dispatches: rows.length, byKernel: [...groups.values()].sort(byTime), slowest };
}

/** Profiles per job; each dispatch's time is the median over them (see mergeProfileRuns). */
const PROFILE_RUNS = 3;
async function medianProfile(session: Session, feeds: Parameters<Session['profile']>[0]): Promise<JobProfile> {
  const runs: Awaited<ReturnType<Session['profile']>>[] = [];
  for (let i = 0; i < PROFILE_RUNS; i++) runs.push(await session.profile(feeds));
  const merged = mergeProfileRuns(runs);
  const gpuMs = runs[0]!.gpuMs === null ? null : merged.rows.reduce((s, x) => s + (x.gpuMs ?? 0), 0);
  return summarizeProfile(merged.rows, merged.wallMs, gpuMs, runs[0]!.timestampQuery);
}

export async function runTessera(spec: JobSpec, model: Uint8Array, input: Float32Array): Promise<JobResult> {
  const r: JobResult = { runtime: 'tessera', ok: false, notes: [] };
  const feedsFor = (s: Session) => ({ [s.inputs[0]!.name]: { dtype: 'f32' as const, shape: spec.inputShape, data: input } });
  const probe = installGpuProbe();
  const t0 = performance.now();
  const session = await Session.create(model, { backend: 'webgpu' });
  const t1 = performance.now();
  r.phasesMs = tesseraPhases(probe, t0, t1);
  r.notes!.push(`weights uploaded: ${(probe.uploadBytes / 2 ** 20).toFixed(1)} MiB in ${probe.uploadBuffers} buffers; ${probe.pipelines} pipelines`);
  r.device = session.deviceDescription;
  const feeds = feedsFor(session);
  let out = Object.values(await session.run(feeds))[0]!;
  const t2 = performance.now();
  r.createMs = t1 - t0;
  r.firstRunMs = t2 - t1;
  r.coldMs = t2 - t0;
  r.phasesMs['first run'] = r.firstRunMs;
  r.dispatches = session.dispatches()?.length;
  const afterFirst = session.gpuStats();
  Object.assign(r, await timedRuns(spec, async () => {
    out = Object.values(await session.run(feeds))[0]!;
  }));
  const stats = session.gpuStats();
  if (stats && afterFirst) {
    r.gpuObjects = {
      pipelines: stats.pipelinesCreated,
      buffers: stats.buffersCreated,
      createdAfterFirstRun: stats.pipelinesCreated + stats.buffersCreated + stats.bindGroupsCreated - (afterFirst.pipelinesCreated + afterFirst.buffersCreated + afterFirst.bindGroupsCreated),
    };
  }
  r.outputShape = [...out.shape];
  r.output = Array.from(out.data as Float32Array);
  if (spec.profile) {
    try {
      r.profile = await medianProfile(session, feeds);
    } catch (e) {
      r.notes!.push(`profile failed: ${(e as Error).message}`);
    }
  }
  session.release();
  if (spec.tune) {
    try {
      r.tune = await measureTuning(spec, model, feedsFor);
    } catch (e) {
      r.notes!.push(`tuning run failed: ${(e as Error).name}: ${(e as Error).message}`);
    }
  }
  if (spec.int8) {
    try {
      r.int8 = await measureInt8(spec, input);
    } catch (e) {
      r.notes!.push(`int8 run failed: ${(e as Error).name}: ${(e as Error).message}`);
    }
  }
  r.ok = true;
  return r;
}

/** --tune: first-load autotuning (fresh in-memory cache), the tuned session's steady runs, then a cached re-create. */
async function measureTuning(spec: JobSpec, model: Uint8Array, feedsFor: (s: Session) => Parameters<Session['run']>[0]): Promise<TuneResult> {
  const cache = memoryTuningCache();
  const t0 = performance.now();
  const tuned = await Session.create(model, { backend: 'webgpu', autotune: { cache } });
  const createMs = performance.now() - t0;
  const report = tuned.tuning;
  let runsMs: number[];
  try {
    const feeds = feedsFor(tuned);
    await tuned.run(feeds);
    ({ runsMs } = await timedRuns(spec, async () => {
      await tuned.run(feeds);
    }));
  } finally {
    tuned.release();
  }
  const t1 = performance.now();
  const again = await Session.create(model, { backend: 'webgpu', autotune: { cache } });
  const secondCreateMs = performance.now() - t1;
  const second = { source: again.tuning.source, tuningMs: again.tuning.ms, measurements: again.tuning.measurements, createMs: secondCreateMs };
  again.release();
  return {
    createMs,
    tuningMs: report.ms,
    layers: report.layers,
    layersTuned: report.layersTuned,
    measurements: report.measurements,
    changed: report.changed,
    choices: { ...report.choices },
    runsMs,
    medianMs: median(runsMs),
    second,
  };
}

/**
 * Tessera's WebAssembly SIMD backend on the ONNX bytes: `Session.create(bytes, { backend: 'wasm', numThreads })`.
 * Cold start = create (import, optimisation, kernel module compile, worker pool start) + first run; steady runs
 * include the input copy into WASM memory and the output copy out, as for the other runtimes.
 */
export async function runTesseraWasm(spec: JobSpec, model: Uint8Array, input: Float32Array): Promise<JobResult> {
  const r: JobResult = { runtime: spec.runtime, ok: false, notes: [] };
  const numThreads = spec.wasmThreads ?? 1;
  const t0 = performance.now();
  const session = await Session.create(model, { backend: 'wasm', numThreads });
  const t1 = performance.now();
  const feeds = { [session.inputs[0]!.name]: { dtype: 'f32' as const, shape: spec.inputShape, data: input } };
  let out = Object.values(await session.run(feeds))[0]!;
  const t2 = performance.now();
  r.createMs = t1 - t0;
  r.firstRunMs = t2 - t1;
  r.coldMs = t2 - t0;
  // The executor (and so backendInfo's threads/SIMD) exists once the first run planned the input shape.
  const info = session.backendInfo;
  if (info.backend !== 'wasm') throw new Error(`asked for the wasm backend, got ${info.backend}${info.reason ? ` (${info.reason})` : ''}`);
  r.wasm = {
    threads: info.threads ?? numThreads,
    simd: info.simd,
    relaxedSimd: info.relaxedSimd,
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated,
    ...(info.threadsNote ? { threadsNote: info.threadsNote } : {}),
    ...(info.fallbackNodes?.length ? { fallbackNodes: info.fallbackNodes } : {}),
  };
  r.device = `wasm ${info.relaxedSimd ? 'relaxed SIMD' : 'SIMD128'}, ${r.wasm.threads} thread(s) of ${numThreads} asked`;
  if (info.threadsNote) r.notes!.push(info.threadsNote);
  if (info.fallbackNodes?.length) r.notes!.push(`${info.fallbackNodes.length} node(s) on the CPU reference: ${info.fallbackNodes.slice(0, 8).join(', ')}`);
  Object.assign(r, await timedRuns(spec, async () => {
    out = Object.values(await session.run(feeds))[0]!;
  }));
  // With threads the session measures pool runs against single-thread runs and uses the faster (adaptiveThreads).
  const choice = session.backendInfo.threadChoice;
  if (choice) {
    r.wasm.threadChoice = choice;
    r.notes!.push(`threads: ${choice.mode === 'pool' ? `the pool of ${r.wasm.threads}` : 'the calling thread alone'} after measuring (pool ${choice.poolMs?.toFixed(2)} ms, single ${choice.singleMs?.toFixed(2)} ms)`);
  }
  r.outputShape = [...out.shape];
  r.output = Array.from(out.data as Float32Array);
  session.release();
  r.ok = true;
  return r;
}

export async function runOrt(spec: JobSpec, model: Uint8Array, input: Float32Array): Promise<JobResult> {
  const r: JobResult = { runtime: spec.runtime, ok: false, notes: [] };
  const ti = performance.now();
  const moduleUrl = spec.ortModule!; // a variable: esbuild must leave this import to the browser
  const ort = (await import(/* @vite-ignore */ moduleUrl)) as OrtModule;
  r.importMs = performance.now() - ti;
  ort.env.logLevel = 'error';
  // In a page the WASM files sit beside the module (served under /ort/); in Node the bundle finds them itself.
  if (typeof location !== 'undefined') ort.env.wasm.wasmPaths = new URL('./', new URL(moduleUrl, location.href)).href;
  ort.env.wasm.proxy = false;
  if (spec.wasmThreads) ort.env.wasm.numThreads = spec.wasmThreads;
  const isWasm = spec.runtime === 'ort-wasm' || spec.runtime === 'ort-wasm-1t';
  if (isWasm) {
    r.notes!.push(`wasm threads ${spec.wasmThreads ?? 'default'}, crossOriginIsolated ${globalThis.crossOriginIsolated}`);
    // ORT-web picks its threaded SIMD build when numThreads > 1 and SharedArrayBuffer works (else 1 thread).
    const threaded = (spec.wasmThreads ?? 1) > 1 && typeof SharedArrayBuffer !== 'undefined' && globalThis.crossOriginIsolated !== false;
    r.wasm = { threads: threaded ? spec.wasmThreads! : 1, simd: true, crossOriginIsolated: globalThis.crossOriginIsolated };
  }

  const t0 = performance.now();
  let providers: unknown[] = ['wasm'];
  if (spec.runtime === 'ort-webgpu') {
    const { device, description } = await fullDevice();
    r.deviceMs = performance.now() - t0;
    r.device = description;
    providers = [{ name: 'webgpu', device }];
  } else {
    r.device = `wasm (${globalThis.navigator?.hardwareConcurrency ?? '?'} hardware threads)`;
  }
  const session = await ort.InferenceSession.create(model, { executionProviders: providers, graphOptimizationLevel: 'all' });
  const t1 = performance.now();
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  // A new Tensor per run, as an application feeding new images would.
  const once = async (): Promise<OrtTensor> => {
    const outs = await session.run({ [inputName]: new ort.Tensor('float32', input, spec.inputShape) });
    const o = outs[outputName]!;
    await o.getData();
    return o;
  };
  let out = await once();
  const t2 = performance.now();
  r.createMs = t1 - t0;
  r.firstRunMs = t2 - t1;
  r.coldMs = t2 - t0;
  Object.assign(r, await timedRuns(spec, async () => {
    out = await once();
  }));
  r.outputShape = [...out.dims];
  r.output = Array.from(await out.getData());
  await session.release();
  r.ok = true;
  return r;
}
