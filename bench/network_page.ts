/**
 * In-page half of the cold-start-over-network bench (bench/network.ts): `globalThis.networkBench.run(spec)` times,
 * from the moment the page asks for the model at the throttled URL:
 *   - 'download': reading the whole response body (nothing else), the reference;
 *   - 'tessera': Session.create(url) (streaming: pipelines compile while the payload arrives) + the first run;
 *   - 'ort-webgpu': fetch + arrayBuffer, then InferenceSession.create on the WebGPU EP + the first run (ORT-web needs
 *     the whole file). Its module import happens before the clock starts (as in bench/page_jobs.ts).
 * Everything is timed with performance.now() in the page.
 */
import '../src/node/browser_entry.js';
import { Session, type LoadProgress } from '../src/runtime/session.js';
import { sharedGpu } from '../src/backends/webgpu/device.js';
import { fetchBytes, fullDevice } from './page_util.js';

export interface NetworkSpec {
  kind: 'download' | 'tessera' | 'ort-webgpu';
  url: string;
  inputUrl: string;
  inputShape: number[];
  ortModule?: string;
}

export interface NetworkResult {
  kind: NetworkSpec['kind'];
  ok: boolean;
  error?: string;
  bytes?: number;
  /** download: the whole body; ort-webgpu: its fetch. */
  downloadMs?: number;
  /** Request to the first output read back. */
  firstResultMs?: number;
  createMs?: number;
  firstRunMs?: number;
  /** Tessera: when the header was known, the last byte arrived, the warm-up's pipelines were all compiled. */
  headerMs?: number;
  lastByteMs?: number;
  pipelinesDoneMs?: number;
  pipelines?: number;
  /** Tessera: pipelines created after the last byte arrived (0 when the real build found them all in the cache). */
  pipelinesAfterLastByte?: number;
  /** Tessera: tensors on the GPU when the last byte arrived, of all (LoadProgress.uploaded). */
  uploadedAtLastByte?: { done: number; total: number };
  /** Tessera: whether the session built while streaming was kept (weights uploaded as they came), else why not. */
  streamed?: { early: boolean; reason?: string };
  device?: string;
  output?: number[];
}

interface OrtLike {
  env: { logLevel?: string; wasm: { wasmPaths?: string; proxy?: boolean } };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
  InferenceSession: {
    create(bytes: Uint8Array, options: unknown): Promise<{ inputNames: readonly string[]; outputNames: readonly string[]; run(f: Record<string, unknown>): Promise<Record<string, { getData(): Promise<ArrayLike<number>> }>> }>;
  };
}

async function download(url: string): Promise<number> {
  const res = await fetch(url, { cache: 'no-store' });
  const reader = res.body!.getReader();
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return n;
    n += value.length;
  }
}

async function tessera(spec: NetworkSpec, input: Float32Array, r: NetworkResult): Promise<void> {
  let pipelinesDone: number | undefined;
  let header: number | undefined;
  let lastByte: number | undefined;
  let atLastByte: Promise<number> | undefined;
  const t0 = performance.now();
  const onProgress = (p: LoadProgress) => {
    const now = performance.now() - t0;
    if (header === undefined && p.tensors.total > 0) header = now;
    if (lastByte === undefined && p.bytes.total !== null && p.bytes.loaded === p.bytes.total) {
      lastByte = now;
      r.uploadedAtLastByte = { ...p.uploaded };
      // The device exists by now when the warm-up started (the skeleton came before the last byte).
      atLastByte = sharedGpu().then((g) => g.tracker.pipelinesCreated);
    }
    if (pipelinesDone === undefined && p.pipelines.total > 0 && p.pipelines.done === p.pipelines.total) {
      pipelinesDone = now;
      r.pipelines = p.pipelines.total;
    }
  };
  const session = await Session.create(spec.url, { backend: 'webgpu', onProgress });
  const t1 = performance.now();
  const out = Object.values(await session.run({ [session.inputs[0]!.name]: { dtype: 'f32', shape: spec.inputShape, data: input } }))[0]!;
  const t2 = performance.now();
  Object.assign(r, { createMs: t1 - t0, firstRunMs: t2 - t1, firstResultMs: t2 - t0, headerMs: header, lastByteMs: lastByte, pipelinesDoneMs: pipelinesDone });
  r.device = session.deviceDescription;
  r.streamed = session.streamed;
  if (atLastByte) r.pipelinesAfterLastByte = session.gpuStats()!.pipelinesCreated - (await atLastByte);
  r.output = Array.from(out.data as Float32Array);
  session.release();
}

async function ort(spec: NetworkSpec, input: Float32Array, r: NetworkResult): Promise<void> {
  const moduleUrl = spec.ortModule!; // a variable: esbuild must leave this import to the browser
  const ortModule = (await import(/* @vite-ignore */ moduleUrl)) as OrtLike;
  ortModule.env.logLevel = 'error';
  ortModule.env.wasm.wasmPaths = new URL('./', new URL(moduleUrl, location.href)).href;
  ortModule.env.wasm.proxy = false;
  const t0 = performance.now();
  const bytes = new Uint8Array(await (await fetch(spec.url, { cache: 'no-store' })).arrayBuffer());
  const tDownloaded = performance.now();
  const { device, description } = await fullDevice();
  const session = await ortModule.InferenceSession.create(bytes, { executionProviders: [{ name: 'webgpu', device }], graphOptimizationLevel: 'all' });
  const t1 = performance.now();
  const outs = await session.run({ [session.inputNames[0]!]: new ortModule.Tensor('float32', input, spec.inputShape) });
  const data = await outs[session.outputNames[0]!]!.getData();
  const t2 = performance.now();
  Object.assign(r, { bytes: bytes.length, downloadMs: tDownloaded - t0, createMs: t1 - tDownloaded, firstRunMs: t2 - t1, firstResultMs: t2 - t0, device: description });
  r.output = Array.from(data);
}

const networkBench = {
  async run(spec: NetworkSpec): Promise<NetworkResult> {
    const r: NetworkResult = { kind: spec.kind, ok: false };
    try {
      const raw = await fetchBytes(spec.inputUrl);
      const input = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
      if (spec.kind === 'download') {
        const t0 = performance.now();
        r.bytes = await download(spec.url);
        r.downloadMs = performance.now() - t0;
      } else if (spec.kind === 'tessera') await tessera(spec, input, r);
      else await ort(spec, input, r);
      r.ok = true;
    } catch (e) {
      r.error = `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`;
    }
    return r;
  },
};

(globalThis as unknown as { networkBench: typeof networkBench }).networkBench = networkBench;
