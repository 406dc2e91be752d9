/**
 * One benchmark job of the Node host, in its own process: `node --import tsx bench/node_job.ts SPEC.json RESULT.json`.
 * Dawn has aborted whole Node processes here (std::system_error, futex) on work Chromium ran fine, so bench/run.ts
 * runs every (runtime, model) pair, and the adapter probe, as a child: an abort or a hang fails that job only.
 *
 * SPEC.json is a NodeJobRequest; the job writes a JobResult (or, for a probe, a NodeProbeResult) to RESULT.json.
 * The runtimes' code is the Chromium pages' (bench/page_jobs.ts, bench/page_tfjs_job.ts) on Dawn's navigator.gpu;
 * each fresh process starts with no pipeline cache, like the fresh browser profile per job.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { installDawnNavigator, probeAdapter, type AdapterSummary } from './node_gpu.js';
import type { JobResult, JobSpec } from './page_types.js';

/** What bench/run.ts asks a child for. JobSpec URLs are file: URLs here. */
export type NodeJobRequest = { kind: 'probe' } | { kind: 'job'; spec: JobSpec };

export interface NodeProbeResult {
  adapter: AdapterSummary | null;
  features?: string[];
}

const readUrl = (url: string): Uint8Array => new Uint8Array(readFileSync(url.startsWith('file:') ? fileURLToPath(url) : url));

async function runJob(spec: JobSpec): Promise<JobResult> {
  const t0 = performance.now();
  const model = readUrl(spec.modelUrl);
  const fetchMs = performance.now() - t0;
  const raw = readUrl(spec.inputUrl);
  const input = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  let r: JobResult;
  // Imported only now: navigator.gpu must exist before tfjs-backend-webgpu / ORT look for it.
  if (spec.runtime === 'tfjs-webgpu') {
    if (!spec.tfjsProgramUrl) throw new Error('tfjs job without a program file');
    const programText = new TextDecoder().decode(readUrl(spec.tfjsProgramUrl));
    const { runTfjs } = await import('./page_tfjs_job.js');
    r = await runTfjs(spec, programText, model, input);
  } else if (spec.runtime === 'tessera' || spec.runtime === 'ort-webgpu') {
    const { runOrt, runTessera } = await import('./page_jobs.js');
    r = spec.runtime === 'tessera' ? await runTessera(spec, model, input) : await runOrt(spec, model, input);
  } else {
    throw new Error(`runtime ${spec.runtime} does not run on the Node host`);
  }
  r.fetchMs = fetchMs; // a file read here (the page's fetch in Chromium); outside cold start either way
  return r;
}

async function main(): Promise<void> {
  const [specPath, resultPath] = process.argv.slice(2);
  if (!specPath || !resultPath) throw new Error('usage: node --import tsx bench/node_job.ts SPEC.json RESULT.json');
  const req = JSON.parse(readFileSync(specPath, 'utf8')) as NodeJobRequest;
  const gpu = await installDawnNavigator();
  let out: JobResult | NodeProbeResult;
  if (req.kind === 'probe') {
    const adapter = await probeAdapter(gpu);
    const a = adapter ? await gpu.requestAdapter({ powerPreference: 'high-performance' }) : null;
    out = { adapter, features: a ? [...a.features].map(String).sort() : undefined };
  } else {
    try {
      out = await runJob(req.spec);
    } catch (e) {
      const err = e as Error;
      out = { runtime: req.spec.runtime, ok: false, error: `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}` };
    }
  }
  writeFileSync(resultPath, JSON.stringify(out));
  process.stderr.write(`node_job: ${req.kind === 'probe' ? 'probe' : req.spec.runtime} done ${(performance.now() / 1000).toFixed(1)} s after process start\n`);
}

main().then(
  // Result written (synchronously; stderr to a pipe is synchronous on Linux too): end now. A normal exit waits for
  // the native teardown, which took ~28 s after an ORT-web WebGPU job here; the parent reads the result file.
  () => process.kill(process.pid, 'SIGKILL'),
  (e) => {
    process.stderr.write(`node_job: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
