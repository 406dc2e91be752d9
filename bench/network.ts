/**
 * Cold start over a network: `npm run bench:network -- [--models resnet50] [--rate 2.5] [--variants f32,f16,int8]
 * [--no-ort] [--job-timeout 600]`.
 *
 * The bench model (bench/models.ts: the ONNX export) is converted in this process to `.tessera` files as `tessera
 * convert` would (optimise + binarize, then f32, `--fp16` or `--int8`), and every file is served by a local HTTP
 * server limited to `--rate` MB/s (default 2.5; 1 MB = 10^6 bytes), in 16 KB pieces paced from the request's start.
 * Each job runs in a freshly launched headless Chromium (no pipeline cache carries over): the download alone of each
 * file (the reference), Tessera `Session.create(url)` + first run for each `.tessera` file (streaming load:
 * pipelines compile while the payload arrives), and ONNX Runtime Web's WebGPU EP on the ONNX file (fetch, then
 * create, then first run). Prints one row per job, time to first result next to the download time of the same file,
 * and the first output's rel. L2 error against PyTorch's. Writes bench/results/network/<date>-<model>.json.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowserSession } from '../src/node/browser_harness.js';
import { importOnnx } from '../src/import/onnx/index.js';
import { readNpy } from '../src/io/npy.js';
import { writeTessera } from '../src/format/writer.js';
import { convertPipeline } from '../src/cli/pipeline.js';
import { quantizeWeightsInt8 } from '../src/graph/passes/quantize_int8.js';
import { ensureModel, REPO_ROOT } from './models.js';
import { relL2 } from './metrics.js';
import { argFlags } from './argv.js';
import type { NetworkResult, NetworkSpec } from './network_page.js';

const here = dirname(fileURLToPath(import.meta.url));
const PAGE_ENTRY = join(here, 'network_page.ts');
const ORT_DIST = join(REPO_ROOT, 'node_modules', 'onnxruntime-web', 'dist');
const log = (s: string) => process.stderr.write(`${s}\n`);

type Variant = 'f32' | 'f16' | 'int8';
interface Args {
  models: string[];
  rateMBps: number;
  variants: Variant[];
  ort: boolean;
  jobTimeoutSeconds: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { models: ['resnet50'], rateMBps: 2.5, variants: ['f32', 'f16', 'int8'], ort: true, jobTimeoutSeconds: 600 };
  for (const { flag, required: value } of argFlags(argv, (message) => new Error(message))) {
    if (flag === '--models') a.models = value().split(',');
    else if (flag === '--rate') a.rateMBps = Number(value());
    else if (flag === '--variants') a.variants = value().split(',') as Variant[];
    else if (flag === '--no-ort') a.ort = false;
    else if (flag === '--job-timeout') a.jobTimeoutSeconds = Number(value());
    else throw new Error(`unknown option ${flag} (see the comment at the top of bench/network.ts)`);
  }
  if (!(a.rateMBps > 0)) throw new Error('--rate needs a positive number of MB/s');
  for (const v of a.variants) if (!['f32', 'f16', 'int8'].includes(v)) throw new Error(`--variants: unknown '${v}' (f32, f16, int8)`);
  return a;
}

/** The `.tessera` file of `variant`, made as `tessera convert [--fp16 | --int8]` makes it. */
function tesseraFile(onnx: Uint8Array, variant: Variant): Uint8Array {
  const graph = convertPipeline(importOnnx(onnx), { optimize: true, binarize: true });
  if (variant === 'int8') return writeTessera(quantizeWeightsInt8(graph).graph);
  return writeTessera(graph, { fp16: variant === 'f16' });
}

/** An HTTP server sending each registered file at `rate` bytes/s (paced from the request's start), CORS open. */
async function throttledServer(rate: number) {
  const files = new Map<string, Uint8Array>();
  const server = http.createServer(async (req, res) => {
    const bytes = files.get(req.url ?? '');
    res.setHeader('access-control-allow-origin', '*');
    if (!bytes) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length, 'cache-control': 'no-store' });
    const start = performance.now();
    const PIECE = 16 * 1024;
    for (let at = 0; at < bytes.length && !res.destroyed; at += PIECE) {
      const due = start + ((at + PIECE) / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!res.write(bytes.subarray(at, at + PIECE))) await once(res, 'drain');
    }
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, files, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function job(spec: Omit<NetworkSpec, 'inputUrl'>, input: Float32Array, timeoutSeconds: number): Promise<NetworkResult> {
  const session = await startBrowserSession({ entry: PAGE_ENTRY, staticDirs: { '/ort/': ORT_DIST }, args: ['--enable-webgpu-developer-features'] });
  try {
    const inputUrl = session.serveBytes(new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
    const run = session.page.evaluate((s) => (globalThis as unknown as { networkBench: { run(s: NetworkSpec): Promise<NetworkResult> } }).networkBench.run(s), { ...spec, inputUrl });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<NetworkResult>((resolve) => {
      timer = setTimeout(() => resolve({ kind: spec.kind, ok: false, error: `timed out after ${timeoutSeconds} s` }), timeoutSeconds * 1000);
    });
    return await Promise.race([run, timeout]).finally(() => clearTimeout(timer));
  } finally {
    await session.close();
  }
}

const s = (ms: number | undefined) => (ms === undefined ? '—' : (ms / 1000).toFixed(2));

/** Tensors on the GPU at the last byte, and whether the streaming session was kept (else why it was rebuilt). */
function uploadedText(run: NetworkResult): string {
  const u = run.uploadedAtLastByte;
  const at = u ? `${u.done}/${u.total} tensors uploaded by then` : 'uploads ?';
  return run.streamed?.early === false ? `${at}; rebuilt after it: ${run.streamed.reason}` : at;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const server = await throttledServer(args.rateMBps * 1e6);
  const rows: string[] = [];
  try {
    for (const name of args.models) {
      const files = ensureModel(name, undefined, log);
      const onnx = new Uint8Array(readFileSync(files.onnx));
      const x = readNpy(new Uint8Array(readFileSync(files.input)), files.input);
      const expected = readNpy(new Uint8Array(readFileSync(files.output)), files.output).data as Float32Array;
      const input = x.data as Float32Array;
      const served: { label: string; path: string; bytes: Uint8Array; runtime: 'tessera' | 'ort-webgpu' }[] = args.variants.map((v) => ({
        label: `${v} .tessera`,
        path: `/${name}-${v}.tessera`,
        bytes: tesseraFile(onnx, v),
        runtime: 'tessera',
      }));
      if (args.ort) served.push({ label: 'ONNX f32', path: `/${name}.onnx`, bytes: onnx, runtime: 'ort-webgpu' });
      const results: Record<string, { download: NetworkResult; run: NetworkResult }> = {};
      for (const f of served) {
        server.files.set(f.path, f.bytes);
        const url = server.base + f.path;
        log(`${name} ${f.label}: ${(f.bytes.length / 1e6).toFixed(1)} MB at ${args.rateMBps} MB/s (load ${loadavg()[0]!.toFixed(2)})`);
        const download = await job({ kind: 'download', url, inputShape: [...x.shape] }, input, args.jobTimeoutSeconds);
        const run = await job({ kind: f.runtime, url, inputShape: [...x.shape], ortModule: '/ort/ort.webgpu.bundle.min.mjs' }, input, args.jobTimeoutSeconds);
        results[f.label] = { download, run };
        const err = run.output ? relL2(run.output, expected).toExponential(1) : '—';
        const ratio = run.firstResultMs !== undefined && download.downloadMs ? (run.firstResultMs / download.downloadMs).toFixed(2) : '—';
        const detail =
          f.runtime === 'tessera'
            ? `header ${s(run.headerMs)} s, ${run.pipelines ?? '?'} pipelines done ${s(run.pipelinesDoneMs)} s (${run.pipelinesAfterLastByte ?? '?'} compiled after the last byte), last byte ${s(run.lastByteMs)} s (${uploadedText(run)}), create ${s(run.createMs)} s, first run ${s(run.firstRunMs)} s`
            : `fetch ${s(run.downloadMs)} s, create ${s(run.createMs)} s, first run ${s(run.firstRunMs)} s`;
        const row = `| ${name} | ${f.runtime === 'tessera' ? 'Tessera' : 'ORT-web WebGPU'} | ${f.label} | ${(f.bytes.length / 1e6).toFixed(1)} | ${s(download.downloadMs)} | ${run.ok ? s(run.firstResultMs) : `failed: ${run.error}`} | ${ratio} | ${err} | ${detail} |`;
        rows.push(row);
        log(row);
      }
      const outDir = join(REPO_ROOT, 'bench', 'results', 'network');
      mkdirSync(outDir, { recursive: true });
      const date = new Date().toISOString().slice(0, 10);
      writeFileSync(join(outDir, `${date}-${name}.json`), JSON.stringify({ model: name, rateMBps: args.rateMBps, loadavg: loadavg(), results }, (k, v) => (k === 'output' ? undefined : v), 2));
    }
  } finally {
    await server.close();
  }
  console.log(`Cold start over a network at ${args.rateMBps} MB/s (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}):\n`);
  console.log('| model | runtime | file | MB | download (s) | first result (s) | ÷ download | rel. L2 vs PyTorch | where the time went |');
  console.log('|---|---|---|---:|---:|---:|---:|---:|---|');
  for (const r of rows) console.log(r);
}

main().catch((e: unknown) => {
  log(`bench:network failed: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
