/** Helpers shared by the two in-page halves of the benchmark (bench/page.ts, bench/page_tfjs.ts). */
import type { JobSpec } from './page_types.js';

export async function fetchBytes(url: string): Promise<Uint8Array> {
  // In Node (the roofline of tools/gpu_report.ts runs the page code on Dawn), fetch() has no file: URLs.
  if (url.startsWith('file:') && typeof process !== 'undefined' && process.versions?.node) {
    const fs = 'node:fs/promises'; // variables keep the page bundle free of Node modules
    const u = 'node:url';
    const { readFile } = (await import(/* @vite-ignore */ fs)) as typeof import('node:fs/promises');
    const { fileURLToPath } = (await import(/* @vite-ignore */ u)) as typeof import('node:url');
    return new Uint8Array(await readFile(fileURLToPath(url)));
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`fetch ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * The steady-state timing of a job: first a warm-up (runs until `spec.warmupSeconds` have passed since the first of
 * them, at least one run when the warm-up is on), then `once` repeatedly: at least minReps, at most reps, stopping
 * early once maxSeconds went into it. The warm-up is the same for every runtime: right after the cold run, every
 * engine here is still compiling optimised code (V8 tiers WebAssembly up on a background thread, and ORT-web's and
 * TF.js's engines too), and the first fraction of a second of a freshly launched page is disturbed (docs/performance.md);
 * a 2-ms model's 20 timed runs would otherwise all fall inside that window. Its run times are returned too, so that
 * nothing measured is hidden (the bench's JSON keeps them).
 */
export async function timedRuns(spec: Pick<JobSpec, 'reps' | 'minReps' | 'maxSeconds' | 'warmupSeconds'>, once: () => Promise<void>): Promise<{ runsMs: number[]; warmupRunsMs: number[]; medianMs: number }> {
  const warmupRunsMs: number[] = [];
  const warmupStart = performance.now();
  while ((spec.warmupSeconds ?? 0) > 0 && (warmupRunsMs.length === 0 || performance.now() - warmupStart < spec.warmupSeconds! * 1000)) {
    const t0 = performance.now();
    await once();
    warmupRunsMs.push(performance.now() - t0);
  }
  const runsMs: number[] = [];
  const start = performance.now();
  while (runsMs.length < spec.reps) {
    const t0 = performance.now();
    await once();
    runsMs.push(performance.now() - t0);
    if (runsMs.length >= spec.minReps && performance.now() - start > spec.maxSeconds * 1000) break;
  }
  return { runsMs, warmupRunsMs, medianMs: median(runsMs) };
}

const COMPUTE_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

/**
 * A device with every adapter feature and the adapter's full compute/buffer limits (defaults are 128/256 MiB),
 * requested the same way for ORT-web and TF.js (Tessera requests its own inside Session.create).
 */
export async function fullDevice(): Promise<{ device: GPUDevice; adapterInfo: GPUAdapterInfo; description: string }> {
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter');
  const requiredLimits: Record<string, number> = {};
  for (const k of COMPUTE_LIMITS) requiredLimits[k] = adapter.limits[k];
  const device = await adapter.requestDevice({ requiredFeatures: [...adapter.features] as GPUFeatureName[], requiredLimits });
  const info = adapter.info;
  return { device, adapterInfo: info, description: [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ') };
}

/** The parts of a session.profile() result that mergeProfileRuns reads. */
export interface ProfileRunLike<R extends { node: string; gpuMs: number | null }> {
  rows: R[];
  wallMs: number;
}

/**
 * Several profiles of the same session merged into one: each dispatch's time is the median over the runs (null if
 * any run had none), wallMs the median wall time. One profile on a loaded machine (SwiftShader runs the GPU on the
 * same CPU cores) can inflate any single dispatch 5-10x, which then tops the by-kernel summary. Returns the first run
 * unchanged when the runs' dispatch lists differ (they never should: same graph, same plan).
 */
export function mergeProfileRuns<R extends { node: string; gpuMs: number | null }>(runs: ProfileRunLike<R>[]): ProfileRunLike<R> {
  const first = runs[0];
  if (!first) throw new Error('mergeProfileRuns needs at least one run');
  const same = runs.every((p) => p.rows.length === first.rows.length && p.rows.every((x, j) => x.node === first.rows[j]!.node));
  if (!same) return first;
  const rows = first.rows.map((row, j) => {
    const times = runs.map((p) => p.rows[j]!.gpuMs);
    return { ...row, gpuMs: times.some((t) => t === null) ? null : median(times as number[]) };
  });
  return { rows, wallMs: median(runs.map((p) => p.wallMs)) };
}
