/**
 * `npm run bench -- [--models resnet20,resnet18] [--reps N] [--out bench/results]`
 *
 * For each model, each runtime runs as its own job in a freshly launched headless Chromium (a new temporary profile:
 * no shader or pipeline cache carries over from another job): Tessera (Session.create from the ONNX bytes, WebGPU),
 * ONNX Runtime Web's WebGPU provider (the C++ EP bundle, ort.webgpu.bundle.min.mjs, on a device with the adapter's
 * full buffer limits), TensorFlow.js's WebGPU backend (the same ONNX file lowered to tfjs ops in this process by
 * bench/tfjs_program.ts, like tfjs-converter, and run by bench/page_tfjs.ts on a device with the same limits) and
 * ORT's WASM backend; then the WebAssembly SIMD runtimes (bench/args.ts WASM_RUNTIMES: Tessera's WASM backend,
 * TF.js's WASM backend on the same lowered program, single-thread Tessera and ORT; all pages crossOriginIsolated, so
 * every runtime gets its threads); then onnxruntime-node in this process. Same ONNX file, same seeded input; every output is
 * compared with PyTorch's (rel L2). Prints a Markdown table and writes bench/results/<date>-<model>.json,
 * bench/results/latest.md and bench/results/latest.svg (Tessera / min(ORT-web WebGPU, TF.js) per model).
 *
 * `--host node`: the WebGPU runtimes run in Node instead, each job in a fresh child process (bench/node_job.ts) on
 * the adapter Dawn finds (bench/node_host.ts, bench/node_icd.ts), with the same runtime code as the pages; ORT-web
 * WASM is not run; results go to bench/results/node/ by default.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startBrowserSession } from '../src/node/browser_harness.js';
import { readNpy } from '../src/io/npy.js';
import { importOnnx } from '../src/import/onnx/index.js';
import { inferShapes } from '../src/graph/infer.js';
import { graphStats } from '../src/graph/stats.js';
import { BenchArgsError, parseBenchArgs, USAGE, type BenchArgs } from './args.js';
import { coldSplitTable, markdownTable, profileLine, relL2, wasmTable, type ModelRow, type RuntimeFigures } from './metrics.js';
import { ratioChartSvg } from './chart.js';
import { timedRuns } from './page_util.js';
import { mergeRounds } from './rounds.js';
import { tfjsProgramFromOnnx, type LoweredModel } from './tfjs_program.js';
import { ensureModel, modelInfo, REPO_ROOT, type ModelFiles } from './models.js';
import type { JobResult, JobSpec, RuntimeName } from './page_types.js';
import { runNodeChild, setUpNodeHost, type NodeHostSetup } from './node_host.js';
import { adapterLabel } from './node_gpu.js';
import { INT8_TABLE_HEAD, int8Files, int8Line, type Int8Files } from './int8_files.js';

const here = dirname(fileURLToPath(import.meta.url));
const PAGE_ENTRY = join(here, 'page.ts');
const TFJS_PAGE_ENTRY = join(here, 'page_tfjs.ts');
const TFJS_WASM_PAGE_ENTRY = join(here, 'page_tfjs_wasm.ts');
const ORT_DIST = join(REPO_ROOT, 'node_modules', 'onnxruntime-web', 'dist');
const TFJS_WASM_DIST = join(REPO_ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
/** The browser runtimes in the order they run per model: WebGPU first, then the WASM SIMD ones (bench/args.ts). */
const BROWSER_RUNTIMES: RuntimeName[] = ['tessera', 'ort-webgpu', 'tfjs-webgpu', 'ort-wasm', 'tessera-wasm', 'tfjs-wasm', 'tessera-wasm-1t', 'ort-wasm-1t'];
const isTfjs = (r: RuntimeName) => r === 'tfjs-webgpu' || r === 'tfjs-wasm';
/** WASM threads per job: one per core for the multi-threaded runtimes (as ORT-web WASM always had), 1 for '-1t'. */
function wasmThreadsFor(runtime: RuntimeName): number | undefined {
  if (runtime === 'ort-wasm' || runtime === 'tessera-wasm' || runtime === 'tfjs-wasm') return Math.max(1, cpus().length);
  if (runtime === 'ort-wasm-1t' || runtime === 'tessera-wasm-1t') return 1;
  return undefined;
}
const ORT_MODULES: Partial<Record<RuntimeName, string>> = {
  'ort-webgpu': '/ort/ort.webgpu.bundle.min.mjs', // C++ WebGPU EP (what `import "onnxruntime-web/webgpu"` resolves to)
  'ort-wasm': '/ort/ort.wasm.bundle.min.mjs',
  'ort-wasm-1t': '/ort/ort.wasm.bundle.min.mjs',
};
// Dev features: un-quantized timestamp queries for session.profile(); the same flags for every runtime.
const CHROMIUM_EXTRA_ARGS = ['--enable-webgpu-developer-features'];

const log = (s: string) => process.stderr.write(`${s}\n`);

interface Loaded {
  files: ModelFiles;
  model: Uint8Array;
  input: Float32Array;
  inputShape: number[];
  expected: Float32Array;
  gmacs?: number;
  /** The TF.js program and weights (lowered once per model, only when that runtime runs), or why it failed. */
  tfjs?: { lowered?: LoweredModel; error?: string; ms?: number };
  /** --int8: the model as f32 and --int8 .tessera files (bench/int8_files.ts). */
  int8?: Int8Files;
}

function loadModel(name: string): Loaded {
  const files = ensureModel(name, undefined, log);
  const model = new Uint8Array(readFileSync(files.onnx));
  const x = readNpy(new Uint8Array(readFileSync(files.input)), files.input);
  const y = readNpy(new Uint8Array(readFileSync(files.output)), files.output);
  let gmacs: number | undefined;
  try {
    const g = importOnnx(model);
    gmacs = graphStats(g, inferShapes(g)).totals.macs / 1e9;
  } catch (e) {
    log(`  (MAC count unavailable: ${(e as Error).message})`);
  }
  return { files, model, input: x.data as Float32Array, inputShape: [...x.shape], expected: y.data as Float32Array, gmacs };
}

async function withTimeout<T>(p: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${seconds} s`)), seconds * 1000);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

let chromiumVersion = 'unknown';

/** How the tables describe the warm-up (bench/page_util.ts timedRuns). */
const warmupWords = (args: BenchArgs) =>
  (args.warmupSeconds > 0 ? `${args.warmupSeconds} s of warm-up runs (every runtime alike; their times are in the JSON)` : 'no warm-up (--warmup-seconds 0)') +
  (args.rounds > 1 ? `; ${args.rounds} rounds (every runtime's job once per round, round-robin; median over all rounds' timed runs, cold = median of the rounds)` : '');

/** One runtime on one model, in a freshly launched Chromium. */
async function browserJob(runtime: RuntimeName, m: Loaded, name: string, args: BenchArgs): Promise<JobResult> {
  const info = modelInfo(name);
  if (isTfjs(runtime) && !m.tfjs?.lowered) return { runtime, ok: false, error: m.tfjs?.error ?? 'no TF.js program' };
  const session = await startBrowserSession({
    entry: runtime === 'tfjs-webgpu' ? TFJS_PAGE_ENTRY : runtime === 'tfjs-wasm' ? TFJS_WASM_PAGE_ENTRY : PAGE_ENTRY,
    staticDirs: { '/ort/': ORT_DIST, '/tfjs-wasm/': TFJS_WASM_DIST },
    // COOP same-origin + COEP require-corp on every response: SharedArrayBuffer, so WASM threads for all runtimes.
    crossOriginIsolated: true,
    args: CHROMIUM_EXTRA_ARGS,
    onConsole: args.verbose ? (t) => log(`  [page] ${t}`) : undefined,
  });
  try {
    chromiumVersion = session.browser.version();
    const lowered = isTfjs(runtime) ? m.tfjs!.lowered! : undefined;
    const spec: JobSpec = {
      runtime,
      modelUrl: session.serveBytes(lowered ? new Uint8Array(lowered.weights.buffer, lowered.weights.byteOffset, lowered.weights.byteLength) : m.model),
      tfjsProgramUrl: lowered ? session.serveBytes(new TextEncoder().encode(JSON.stringify(lowered.program))) : undefined,
      inputUrl: session.serveBytes(new Uint8Array(m.input.buffer, m.input.byteOffset, m.input.byteLength)),
      inputShape: m.inputShape,
      reps: args.reps ?? info.reps,
      maxSeconds: args.maxSeconds ?? info.maxSeconds,
      minReps: Math.min(3, args.reps ?? info.reps),
      warmupSeconds: args.warmupSeconds,
      ortModule: ORT_MODULES[runtime],
      wasmThreads: wasmThreadsFor(runtime),
      tfjsWasmPath: runtime === 'tfjs-wasm' ? '/tfjs-wasm/' : undefined,
      profile: (runtime === 'tessera' || runtime === 'tfjs-webgpu') && args.profile,
      tune: runtime === 'tessera' && args.tune,
      int8: runtime === 'tessera' && m.int8 ? { f32Url: session.serveBytes(m.int8.f32), int8Url: session.serveBytes(m.int8.int8) } : undefined,
    };
    const run = session.page.evaluate((s) => (globalThis as unknown as { tesseraBench: { runJob(s: JobSpec): Promise<JobResult> } }).tesseraBench.runJob(s), spec);
    return await withTimeout(run, args.jobTimeoutSeconds, `${runtime} on ${name}`);
  } catch (e) {
    return { runtime, ok: false, error: `${(e as Error).name}: ${(e as Error).message}` };
  } finally {
    await session.close();
  }
}

/** Files a Node-host job reads (written once per model into a temporary folder). */
interface NodeModelFiles {
  input: string;
  tfjsProgram?: string;
  tfjsWeights?: string;
  int8F32?: string;
  int8Int8?: string;
}

function writeNodeModelFiles(m: Loaded, dir: string, name: string): NodeModelFiles {
  const input = join(dir, `${name}.input.f32`);
  writeFileSync(input, new Uint8Array(m.input.buffer, m.input.byteOffset, m.input.byteLength));
  const int8: Pick<NodeModelFiles, 'int8F32' | 'int8Int8'> = m.int8 ? { int8F32: join(dir, `${name}.f32.tessera`), int8Int8: join(dir, `${name}.int8.tessera`) } : {};
  if (m.int8) {
    writeFileSync(int8.int8F32!, m.int8.f32);
    writeFileSync(int8.int8Int8!, m.int8.int8);
  }
  const lowered = m.tfjs?.lowered;
  if (!lowered) return { input, ...int8 };
  const tfjsProgram = join(dir, `${name}.tfjs.json`);
  const tfjsWeights = join(dir, `${name}.tfjs.bin`);
  writeFileSync(tfjsProgram, JSON.stringify(lowered.program));
  writeFileSync(tfjsWeights, new Uint8Array(lowered.weights.buffer, lowered.weights.byteOffset, lowered.weights.byteLength));
  return { input, tfjsProgram, tfjsWeights, ...int8 };
}

/** One runtime on one model in a fresh Node process on Dawn (bench/node_job.ts). */
async function nodeHostJob(runtime: RuntimeName, m: Loaded, files: NodeModelFiles, name: string, args: BenchArgs, host: NodeHostSetup): Promise<JobResult> {
  const info = modelInfo(name);
  if (runtime === 'tfjs-webgpu' && !files.tfjsProgram) return { runtime, ok: false, error: m.tfjs?.error ?? 'no TF.js program' };
  const url = (p: string) => pathToFileURL(p).href;
  const spec: JobSpec = {
    runtime,
    modelUrl: url(runtime === 'tfjs-webgpu' ? files.tfjsWeights! : m.files.onnx),
    tfjsProgramUrl: files.tfjsProgram ? url(files.tfjsProgram) : undefined,
    inputUrl: url(files.input),
    inputShape: m.inputShape,
    reps: args.reps ?? info.reps,
    maxSeconds: args.maxSeconds ?? info.maxSeconds,
    minReps: Math.min(3, args.reps ?? info.reps),
    warmupSeconds: args.warmupSeconds,
    ortModule: runtime === 'ort-webgpu' ? url(join(ORT_DIST, 'ort.webgpu.bundle.min.mjs')) : undefined,
    // ORT-web's pthread workers cannot load in Node (they fetch() their WASM from a file: URL); the WebGPU EP does
    // not need them (Chromium's page gets 1 thread too on 2 cores: ORT's default is half the hardware threads).
    wasmThreads: runtime === 'ort-webgpu' ? 1 : undefined,
    profile: (runtime === 'tessera' || runtime === 'tfjs-webgpu') && args.profile,
    tune: runtime === 'tessera' && args.tune,
    int8: runtime === 'tessera' && files.int8F32 ? { f32Url: url(files.int8F32), int8Url: url(files.int8Int8!) } : undefined,
  };
  const out = await runNodeChild<JobResult>(
    { kind: 'job', spec },
    // A tuning cache of its own per job (Node's default is a file under ~/.cache, which would outlive the job): every
    // job loads as a first visit does, as each Chromium job does with its fresh profile.
    { env: { ...host.env, TESSERA_CACHE_DIR: join(files.input, '..', `cache-${runtime}-${Date.now()}`) }, timeoutSeconds: args.jobTimeoutSeconds, onStderr: args.verbose ? (t) => log(`  [job] ${t.trimEnd()}`) : undefined },
  );
  return out.result ?? { runtime, ok: false, error: out.error ?? 'no result' };
}

async function ortNodeJob(m: Loaded, name: string, args: BenchArgs): Promise<JobResult> {
  const info = modelInfo(name);
  try {
    const ort = await import('onnxruntime-node');
    const t0 = performance.now();
    const session = await ort.InferenceSession.create(m.files.onnx);
    const t1 = performance.now();
    const feeds = () => ({ [session.inputNames[0]!]: new ort.Tensor('float32', m.input, m.inputShape) });
    let out = (await session.run(feeds()))[session.outputNames[0]!]!;
    const t2 = performance.now();
    const reps = Math.max(args.reps ?? info.reps, 10);
    const timed = await timedRuns({ reps, minReps: reps, maxSeconds: Infinity, warmupSeconds: args.warmupSeconds }, async () => {
      out = (await session.run(feeds()))[session.outputNames[0]!]!;
    });
    await session.release();
    const data = out.data as Float32Array;
    return { runtime: 'ort-node', ok: true, device: 'cpu', createMs: t1 - t0, firstRunMs: t2 - t1, coldMs: t2 - t0, ...timed, outputShape: [...out.dims], output: Array.from(data) };
  } catch (e) {
    return { runtime: 'ort-node', ok: false, error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

function figures(r: JobResult | undefined, expected: Float32Array): RuntimeFigures | undefined {
  if (!r) return undefined;
  if (!r.ok) return { ok: false, error: r.error };
  return {
    ok: true,
    coldMs: r.coldMs,
    medianMs: r.medianMs,
    reps: r.runsMs?.length,
    relL2: r.output ? relL2(r.output, expected) : undefined,
    phasesMs: r.phasesMs,
    fetchMs: r.fetchMs,
    ...(r.dispatches !== undefined ? { dispatches: r.dispatches } : {}),
    ...(r.wasm ? { threads: r.wasm.threads, relaxedSimd: r.wasm.relaxedSimd, ...(r.wasm.threadChoice ? { threadMode: r.wasm.threadChoice.mode } : {}) } : {}),
  };
}

function describe(r: JobResult, expected: Float32Array): string {
  if (!r.ok) return `${r.runtime}: FAILED ${r.error}`;
  const f = (x?: number) => (x === undefined ? '–' : `${x.toFixed(1)} ms`);
  return (
    `${r.runtime}: cold ${f(r.coldMs)} (create ${f(r.createMs)}${r.deviceMs !== undefined ? `, of which device ${f(r.deviceMs)}` : ''}, first run ${f(r.firstRunMs)}), ` +
    `median ${f(r.medianMs)} over ${r.runsMs?.length} runs, relL2 ${r.output ? relL2(r.output, expected).toExponential(2) : '–'}`
  );
}

async function main(argv: string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (e) {
    if (e instanceof BenchArgsError) {
      log(`bench: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const outDir = resolve(REPO_ROOT, args.outDir);
  mkdirSync(outDir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  const started = Date.now();
  const rows: ModelRow[] = [];
  const profiles: string[] = [];
  const tuneLines: string[] = [];
  const int8Lines: string[] = [];
  const loads: number[] = [];
  const browserRuntimes = BROWSER_RUNTIMES.filter((r) => args.runtimes.includes(r));
  const nodeHost = args.host === 'node';
  let host: NodeHostSetup | undefined;
  let jobDir: string | undefined;
  if (nodeHost) {
    log('== node host (Dawn)');
    host = await setUpNodeHost(log);
    log(`  adapter: ${adapterLabel(host.adapter)}${host.error ? ` (${host.error})` : ''}`);
    if (!host.adapter) {
      log('bench: no WebGPU adapter for the Node host; nothing to measure');
      return 1;
    }
    jobDir = mkdtempSync(join(tmpdir(), 'tessera-bench-node-'));
  }
  const hostLabel = nodeHost ? `Node ${process.version} + Dawn (webgpu ${webgpuVersion()}) on ${adapterLabel(host!.adapter)}` : '';

  for (const name of args.models) {
    log(`== ${name}`);
    let m: Loaded;
    try {
      m = loadModel(name);
    } catch (e) {
      log(`  ${(e as Error).name}: ${(e as Error).message}`);
      rows.push({ model: name, tessera: { ok: false, error: (e as Error).message } });
      continue;
    }
    if (browserRuntimes.some(isTfjs)) {
      const t = performance.now();
      try {
        m.tfjs = { lowered: tfjsProgramFromOnnx(m.model) };
      } catch (e) {
        m.tfjs = { error: `${(e as Error).name}: ${(e as Error).message}` };
      }
      m.tfjs.ms = performance.now() - t;
      log(`  tfjs program: ${m.tfjs.lowered ? `${m.tfjs.lowered.program.steps.length} steps, ${(m.tfjs.lowered.weights.byteLength / 2 ** 20).toFixed(1)} MiB weights` : m.tfjs.error} (lowered in ${m.tfjs.ms.toFixed(0)} ms, offline)`);
    }
    if (args.int8 && browserRuntimes.includes('tessera')) {
      const t = performance.now();
      try {
        m.int8 = int8Files(m.model);
        log(`  int8 files: ${m.int8.int8.length} / ${m.int8.f32.length} bytes (converted in ${(performance.now() - t).toFixed(0)} ms, offline)`);
      } catch (e) {
        log(`  int8 files: ${(e as Error).name}: ${(e as Error).message}`);
      }
    }
    const results: JobResult[] = [];
    const nodeFiles = jobDir ? writeNodeModelFiles(m, jobDir, name) : undefined;
    // --rounds: every runtime once per round, round after round (bench/rounds.ts); merged below.
    const jobs = new Map<RuntimeName, JobResult[]>(browserRuntimes.map((r) => [r, []]));
    for (let round = 1; round <= args.rounds; round++) {
      for (const runtime of browserRuntimes) {
        const t = Date.now();
        const load = loadavg()[0];
        const r = nodeHost ? await nodeHostJob(runtime, m, nodeFiles!, name, args, host!) : await browserJob(runtime, m, name, args);
        r.loadAverage1m = load;
        loads.push(load ?? 0);
        jobs.get(runtime)!.push(r);
        const tag = args.rounds > 1 ? ` (round ${round}/${args.rounds})` : '';
        log(`  ${describe(r, m.expected)}${tag}  [job ${((Date.now() - t) / 1000).toFixed(0)} s, load ${load?.toFixed(1)}]`);
      }
    }
    for (const runtime of browserRuntimes) {
      const r = mergeRounds(jobs.get(runtime)!, (out) => relL2(out, m.expected));
      results.push(r);
      if (r.profile) profiles.push(profileLine(name, r.profile.byKernel));
      if (r.tune) tuneLines.push(tuneLine(name, r));
      if (r.int8) int8Lines.push(int8Line(name, r));
      if (args.rounds > 1) log(`  ${describe(r, m.expected)} (${args.rounds} rounds merged)`);
    }
    if (nodeFiles) for (const f of Object.values(nodeFiles)) rmSync(f, { force: true }); // big models' tfjs weights
    if (args.runtimes.includes('ort-node')) {
      const load = loadavg()[0];
      const r = await ortNodeJob(m, name, args);
      r.loadAverage1m = load;
      loads.push(load ?? 0);
      results.push(r);
      if (r.profile) profiles.push(profileLine(name, r.profile.byKernel));
      log(`  ${describe(r, m.expected)}`);
    }
    const by = (rt: string) => results.find((r) => r.runtime === rt);
    const row: ModelRow = {
      model: name,
      gmacs: m.gmacs,
      tessera: figures(by('tessera'), m.expected),
      ortWebgpu: figures(by('ort-webgpu'), m.expected),
      tfjsWebgpu: figures(by('tfjs-webgpu'), m.expected),
      ortWasm: figures(by('ort-wasm'), m.expected),
      ortNode: figures(by('ort-node'), m.expected),
      tesseraWasm: figures(by('tessera-wasm'), m.expected),
      tfjsWasm: figures(by('tfjs-wasm'), m.expected),
      tesseraWasm1t: figures(by('tessera-wasm-1t'), m.expected),
      ortWasm1t: figures(by('ort-wasm-1t'), m.expected),
    };
    rows.push(row);
    const record = {
      date: new Date().toISOString(),
      command: argv.length ? `npm run bench -- ${argv.join(' ')}` : 'npm run bench',
      host: args.host,
      warmupSeconds: args.warmupSeconds,
      rounds: args.rounds,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        node: process.version,
        ...(nodeHost ? { webgpu: webgpuVersion(), adapter: host!.adapter, adapterFeatures: host!.features, vulkanIcd: host!.icd } : { chromium: chromiumVersion }),
        onnxruntimeWeb: ortWebVersion(),
        tfjs: tfjsVersion(),
        ...(browserRuntimes.includes('tfjs-wasm') ? { tfjsWasm: tfjsVersion('tfjs-backend-wasm') } : {}),
      },
      tfjsProgram: m.tfjs?.lowered ? { steps: m.tfjs.lowered.program.steps.length, passes: m.tfjs.lowered.program.passes, ops: m.tfjs.lowered.program.ops, loweringMs: m.tfjs.ms } : m.tfjs,
      model: name,
      gmacs: m.gmacs,
      files: m.files,
      summary: row,
      // Outputs are summarized by their error; keep only the first values for eyeballing.
      jobs: results.map((r) => ({ ...r, output: r.output?.slice(0, 8), relL2: r.output ? relL2(r.output, m.expected) : undefined })),
    };
    writeFileSync(join(outDir, `${date}-${name}.json`), JSON.stringify(record, null, 2) + '\n');
  }
  if (jobDir) rmSync(jobDir, { recursive: true, force: true });

  const gpuRun = browserRuntimes.some((r) => r === 'tessera' || r === 'ort-webgpu' || r === 'tfjs-webgpu') || args.runtimes.includes('ort-node');
  const wasmRun = browserRuntimes.some((r) => r !== 'tessera' && r !== 'ort-webgpu' && r !== 'tfjs-webgpu');
  const table = gpuRun ? markdownTable(rows) : '';
  const wasmMd = wasmRun ? wasmTable(rows, Math.max(1, cpus().length)) : '';
  const tesseraSplit = coldSplitTable(rows, (r) => r.tessera);
  const tfjsSplit = coldSplitTable(rows, (r) => r.tfjsWebgpu);
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  const command = argv.length ? `npm run bench -- ${argv.join(' ')}` : 'npm run bench';
  const loadLine = `Machine load (1-min average) when jobs started: ${loads.length ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` : '–'} on ${cpus().length} cores.`;
  const gpuMd = [
    `# Benchmark ${new Date().toISOString()}`,
    '',
    `\`${command}\` on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ` +
      (nodeHost
        ? `host **node**: ${hostLabel} (adapter vendor '${host!.adapter!.vendor}', architecture '${host!.adapter!.architecture}', description '${host!.adapter!.description}'; ${host!.icd.reason}), `
        : `headless Chromium ${chromiumVersion} (WebGPU on the adapter Chromium picks; SwiftShader here), `) +
      `onnxruntime-web ${ortWebVersion()}, TF.js ${tfjsVersion()} (WebGPU backend), Node ${process.version}; ${minutes} min.`,
    nodeHost
      ? 'Cold = session creation + first run (wall clock, in the job process, fresh Node process per job; ORT-web WASM not run in Node); median = steady runs including'
      : 'Cold = session creation + first run (wall clock, in the page, fresh browser per job); median = steady runs including',
    `input upload and output readback, after ${warmupWords(args)}. Ratios are Tessera / the faster of ORT-web WebGPU and TF.js WebGPU (named in`,
    'brackets; lower is better for Tessera). TF.js runs the same ONNX weights lowered to tfjs ops (bench/tfjs_program.ts).',
    loadLine,
    '',
    table,
    '',
    ...(tesseraSplit ? ['Tessera cold start split (bench/gpu_probe.ts: parse + passes until the adapter request, device, weight upload =', 'mapped storage buffers, pipeline compile = first shader module to last pipeline, other = planning, WGSL, bind groups):', '', tesseraSplit, ''] : []),
    ...(tfjsSplit ? ['TF.js cold start split (bench/page_tfjs.ts; compile-only pass = WEBGPU_ENGINE_COMPILE_ONLY run, also uploads the weights):', '', tfjsSplit, ''] : []),
    '![Tessera / min(ORT-web WebGPU, TF.js WebGPU)](latest.svg)',
    '',
    ...(tuneLines.length ? ['Tessera autotuning (--tune; same page after the default job, so the rule\'s pipelines were already compiled): first create with `autotune: true` and an empty cache, its steady median, then a second create from the cache:', '', '| model | default median | tuned median | tuned / default | first create (tuning) | layers tuned / changed | measurements | second create: source, tuning, measurements |', '|---|---|---|---|---|---|---|---|', ...tuneLines, ''] : []),
    ...(int8Lines.length
      ? ['Tessera int8 weights (--int8; same job after the default one): the model converted like `tessera convert` to an f32 and an `--int8` .tessera, three sessions whose steady runs are interleaved (one of each per round); default int8Weights = dequantised at load on a software adapter, in registers on hardware; rel L2 of each int8 output vs the f32 session\'s:', '', ...INT8_TABLE_HEAD, ...int8Lines, '']
      : []),
    ...(profiles.length ? ["Tessera's GPU time by kernel (session.profile(), timestamp queries; per dispatch the median of 3 profiles):", '', ...profiles, ''] : []),
  ];
  const wasmSection = [
    ...(gpuRun ? ['## WebAssembly SIMD (CPU)', ''] : [`# Benchmark ${new Date().toISOString()}: WebAssembly SIMD runtimes`, '']),
    `\`${command}\` on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, headless Chromium ${chromiumVersion}, onnxruntime-web ${ortWebVersion()}, ` +
      `TF.js ${tfjsVersion('tfjs-backend-wasm')} (WASM backend), Node ${process.version}; ${minutes} min.`,
    'Every job in a fresh browser on a page served with COOP same-origin + COEP require-corp (crossOriginIsolated, so all',
    'three runtimes can start threads); multi-threaded rows ask for one thread per core, \'1t\' rows for one. Tessera-WASM:',
    "`Session.create(onnxBytes, { backend: 'wasm', numThreads })` on the same ONNX file; TF.js runs it lowered to tfjs ops",
    '(bench/tfjs_program.ts). Cold = create + first run; median = steady runs including the input copy in and output copy',
    `out, after ${warmupWords(args)}. Ratios: Tessera-WASM median / the other runtime's median at the same thread count (lower is better for Tessera).`,
    ...(gpuRun ? [] : [loadLine]),
    '',
    wasmMd,
    '',
  ];
  const md = [...(gpuRun ? gpuMd : []), ...(wasmRun ? wasmSection : [])].join('\n');
  writeFileSync(join(outDir, 'latest.md'), md);
  const adapterWords = nodeHost ? `Node + Dawn on ${adapterLabel(host!.adapter)}` : 'Chromium, SwiftShader WebGPU';
  if (gpuRun) writeFileSync(join(outDir, 'latest.svg'), ratioChartSvg(rows, `${date}, ${cpus().length}-core CPU, ${adapterWords}, load ${loads.length ? `${Math.min(...loads).toFixed(0)}-${Math.max(...loads).toFixed(0)}` : '?'}; ${join(args.outDir, 'latest.md')}`));
  if (table) console.log(table);
  if (wasmMd) console.log(`\n${wasmMd}`);
  if (tesseraSplit) console.log(`\nTessera cold start split:\n${tesseraSplit}`);
  if (int8Lines.length) console.log(`\nTessera int8 / f32 (same job, interleaved runs):\n${[...INT8_TABLE_HEAD, ...int8Lines].join('\n')}`);
  log(`wrote ${join(outDir, 'latest.md')}${gpuRun ? ', latest.svg' : ''} and ${args.models.length} JSON file(s) in ${minutes} min`);
  // Fails when a Tessera job (WebGPU or WASM) that was asked for failed.
  const tesseraOk = (f?: RuntimeFigures) => !f || f.ok;
  return rows.every((r) => (r.tessera || r.tesseraWasm || r.tesseraWasm1t) && tesseraOk(r.tessera) && tesseraOk(r.tesseraWasm) && tesseraOk(r.tesseraWasm1t)) ? 0 : 1;
}

function tfjsVersion(pkg = 'tfjs-backend-webgpu'): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', '@tensorflow', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function webgpuVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'webgpu', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function ortWebVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'onnxruntime-web', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    log(`bench: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);

/** One row of the --tune table. */
function tuneLine(model: string, r: JobResult): string {
  const t = r.tune!;
  const ms = (x: number | undefined) => (x === undefined ? '–' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);
  const ratio = r.medianMs ? `${(t.medianMs / r.medianMs).toFixed(2)}×` : '–';
  return `| ${model} | ${ms(r.medianMs)} | ${ms(t.medianMs)} | ${ratio} | ${ms(t.createMs)} (${ms(t.tuningMs)}) | ${t.layersTuned} of ${t.layers} / ${t.changed} | ${t.measurements} | ${t.second.source}, ${ms(t.second.tuningMs)}, ${t.second.measurements} |`;
}
