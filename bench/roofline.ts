/**
 * Roofline: `npx tsx bench/roofline.ts [--models resnet50,densenet121] [--reps N] [--gemm-reps N] [--out DIR]`
 *
 * In one headless Chromium (WebGPU on the adapter Chromium picks; SwiftShader here, timestamp queries un-quantized by
 * --enable-webgpu-developer-features):
 *   1. the GEMM ceiling: Tessera's MatMul (constant B, the selection rule's kernel, i.e. its best tiled variant) at
 *      512³, 1024³ and a ResNet-50 1×1-like shape, best of --gemm-reps GPU-timestamped reps; the ceiling is the best
 *      of the shapes;
 *   2. bandwidth: copyBufferToBuffer and a vec4 copy shader over 32 MiB, and Tessera's own Relu kernel on 32 MiB;
 *   3. per model: Session.create, one warm-up run, --reps session.profile() runs; per dispatch the median time.
 * Prints per layer with MACs: op, kernel, shape, MACs, GPU ms, GFLOP/s (2·MAC / time), % of the ceiling; totals per
 * class (3×3, 1×1, depthwise/grouped, other conv, gemm, other ops) and how many layers reach 70 % of the ceiling.
 * Writes DIR/roofline-<date>.json and DIR/roofline.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowserSession } from '../src/node/browser_harness.js';
import { readNpy } from '../src/io/npy.js';
import { ensureModel } from './models.js';
import type { KernelJob, KernelJobResult } from './kernels/types.js';
import type { CopyResult, ModelJob, ModelProfile } from './roofline_page.js';
import {
  classTable,
  classTotals,
  kernelBreakdown,
  layerRows,
  layerTable,
  parseRooflineArgs,
  RooflineArgsError,
  targetHolds,
  type ClassTotal,
  type LayerRow,
} from './roofline_table.js';

const here = dirname(fileURLToPath(import.meta.url));
const log = (s: string) => process.stderr.write(`${s}\n`);
const THRESHOLD = 0.7;
const COPY_BYTES = 32 * 2 ** 20;

interface GemmShape {
  name: string;
  m: number;
  k: number;
  n: number;
}
/** 784×128→512: ResNet-50 layer2's 1×1 expand (28·28 pixels, 128 → 512 channels) as a GEMM. */
const GEMMS: GemmShape[] = [
  { name: '512³', m: 512, k: 512, n: 512 },
  { name: '1024³', m: 1024, k: 1024, n: 1024 },
  { name: '784×128×512 (r50 1×1)', m: 784, k: 128, n: 512 },
];

interface GemmResult extends GemmShape {
  kernel: string;
  bestMs: number;
  medianMs: number;
  bestGflops: number;
  medianGflops: number;
  timing: string;
}

interface ModelResult {
  name: string;
  profile: Omit<ModelProfile, 'dispatches'>;
  dispatches: number;
  gpuMs: number;
  layers: LayerRow[];
  totals: ClassTotal[];
}

async function main(): Promise<void> {
  const args = parseRooflineArgs(process.argv.slice(2));
  const t0 = Date.now();
  const loads: number[] = [loadavg()[0]!];
  // Export (or find) the models before the browser starts.
  const files = args.models.map((name) => ({ name, files: ensureModel(name, undefined, log) }));
  const session = await startBrowserSession({ entry: join(here, 'roofline_page.ts'), args: ['--enable-webgpu-developer-features'] });
  const page = session.page;
  type KernelApi = { run(j: KernelJob): Promise<KernelJobResult> };
  type RoofApi = { copy(bytes: number, reps: number): Promise<CopyResult>; profileModel(j: ModelJob): Promise<ModelProfile> };
  const kernelRun = (job: KernelJob) => page.evaluate((j) => (globalThis as unknown as { tesseraKernelBench: KernelApi }).tesseraKernelBench.run(j), job);
  const gemms: GemmResult[] = [];
  let copy: CopyResult;
  let relu: KernelJobResult;
  const models: ModelResult[] = [];
  let chromium = 'unknown';
  try {
    chromium = session.browser.version();
    for (const g of GEMMS) {
      const r = await kernelRun({ op: 'MatMul', inputs: [{ shape: [g.m, g.k] }, { shape: [g.k, g.n], kind: 'const' }], outputShape: [g.m, g.n], reps: args.gemmReps, maxSeconds: 60 });
      const flop = 2 * g.m * g.k * g.n;
      const res: GemmResult = { ...g, kernel: r.kernel, bestMs: r.minMs, medianMs: r.ms, bestGflops: flop / (r.minMs * 1e6), medianGflops: flop / (r.ms * 1e6), timing: r.timing };
      gemms.push(res);
      log(`GEMM ${g.name}: ${r.kernel} best ${r.minMs.toFixed(1)} ms = ${res.bestGflops.toFixed(2)} GFLOP/s, median ${res.medianGflops.toFixed(2)} (${r.timing}, ${r.reps} reps)`);
    }
    copy = await page.evaluate(([b, n]) => (globalThis as unknown as { tesseraRoofline: RoofApi }).tesseraRoofline.copy(b, n), [COPY_BYTES, 5] as const);
    const floats = COPY_BYTES / 4;
    relu = await kernelRun({ op: 'Relu', inputs: [{ shape: [1, 32, 512, floats / (32 * 512)] }], outputShape: [1, 32, 512, floats / (32 * 512)], reps: 5, maxSeconds: 20 });
    log(`copy 32 MiB: copyBufferToBuffer best ${Math.min(...copy.bufferCopyMs).toFixed(2)} ms, shader ${Math.min(...copy.shaderCopyMs).toFixed(2)} ms, Tessera ${relu.kernel} ${relu.minMs.toFixed(2)} ms`);
    loads.push(loadavg()[0]!);
    for (const { name, files: f } of files) {
      const x = readNpy(new Uint8Array(readFileSync(f.input)), f.input);
      const data = x.data as Float32Array;
      const job: ModelJob = {
        modelUrl: session.serveBytes(new Uint8Array(readFileSync(f.onnx))),
        inputUrl: session.serveBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)),
        inputShape: [...x.shape],
        reps: args.reps,
      };
      const ts = Date.now();
      log(`${name}: Session.create + warm-up + ${args.reps} profiles ...`);
      const p = await page.evaluate((j) => (globalThis as unknown as { tesseraRoofline: RoofApi }).tesseraRoofline.profileModel(j), job);
      session.unserve(job.modelUrl);
      session.unserve(job.inputUrl);
      loads.push(loadavg()[0]!);
      const { dispatches, ...rest } = p;
      const ceiling = Math.max(...gemms.map((g) => g.bestGflops));
      const layers = layerRows(dispatches, ceiling);
      const totals = classTotals(layers, ceiling, THRESHOLD);
      const gpuMs = layers.reduce((s, r) => s + r.ms, 0);
      models.push({ name, profile: rest, dispatches: dispatches.length, gpuMs, layers, totals });
      log(`${name}: ${dispatches.length} dispatches, ${gpuMs.toFixed(0)} ms GPU (median per dispatch), ${((Date.now() - ts) / 1000).toFixed(0)} s`);
    }
  } finally {
    await session.close();
  }
  const copyGBps = (ms: number[]) => (2 * COPY_BYTES) / (Math.min(...ms) * 1e6);
  const bandwidth = {
    bytes: COPY_BYTES,
    copyBufferToBufferGBps: copyGBps(copy.bufferCopyMs),
    copyShaderGBps: copyGBps(copy.shaderCopyMs),
    tesseraKernel: relu.kernel,
    tesseraKernelGBps: (2 * COPY_BYTES) / (relu.minMs * 1e6),
    raw: { ...copy, tesseraMs: relu.minMs, tesseraMedianMs: relu.ms },
  };
  const best = gemms.reduce((a, b) => (b.bestGflops > a.bestGflops ? b : a));
  const ceiling = best.bestGflops;
  const date = new Date();
  const minutes = (Date.now() - t0) / 60000;
  const md = markdown({ date, chromium, minutes, loads, gemms, ceiling, bestName: `${best.name} ${best.kernel}`, bandwidth, models, reps: args.reps, gemmReps: args.gemmReps });
  mkdirSync(resolve(args.outDir), { recursive: true });
  const stamp = date.toISOString().slice(0, 10);
  const jsonPath = join(args.outDir, `roofline-${stamp}.json`);
  writeFileSync(jsonPath, JSON.stringify({ date: date.toISOString(), chromium, cpus: cpus().length, loadAverages: loads, minutes, threshold: THRESHOLD, gemms, ceilingGflops: ceiling, bandwidth, models }, null, 1));
  writeFileSync(join(args.outDir, 'roofline.md'), md);
  console.log(md);
  log(`wrote ${jsonPath} and ${join(args.outDir, 'roofline.md')} (${minutes.toFixed(1)} min)`);
}

interface Summary {
  date: Date;
  chromium: string;
  minutes: number;
  loads: number[];
  gemms: GemmResult[];
  ceiling: number;
  bestName: string;
  bandwidth: { copyBufferToBufferGBps: number; copyShaderGBps: number; tesseraKernel: string; tesseraKernelGBps: number };
  models: ModelResult[];
  reps: number;
  gemmReps: number;
}

function markdown(s: Summary): string {
  const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
  const out: string[] = [
    `# Roofline ${s.date.toISOString()}`,
    '',
    `\`npx tsx bench/roofline.ts --models ${s.models.map((m) => m.name).join(',')} --reps ${s.reps} --gemm-reps ${s.gemmReps}\` in headless Chromium ${s.chromium} ` +
      `(${s.models[0]?.profile.device ?? 'WebGPU'}), ${cpus().length} CPUs, 1-min load average ${Math.min(...s.loads).toFixed(1)}–${Math.max(...s.loads).toFixed(1)}; ${s.minutes.toFixed(1)} min.`,
    'GPU times are timestamp queries. GEMM: best of the reps (constant B, the selection rule\'s kernel). Layers: per dispatch the median over the profiles ("best": the fastest profile per dispatch). GFLOP/s = 2 · MAC / time.',
    '',
    '## Ceilings',
    '',
    '| micro-benchmark | kernel | best ms | GFLOP/s (best) | GFLOP/s (median) |',
    '|---|---|---:|---:|---:|',
    ...s.gemms.map((g) => `| GEMM ${g.name} | ${g.kernel} | ${g.bestMs.toFixed(1)} | ${g.bestGflops.toFixed(2)} | ${g.medianGflops.toFixed(2)} |`),
    '',
    `**GEMM ceiling: ${s.ceiling.toFixed(2)} GFLOP/s** (${s.bestName}); the 70 % line is ${(0.7 * s.ceiling).toFixed(2)} GFLOP/s.`,
    `Copy bandwidth over 32 MiB (bytes read + written): copyBufferToBuffer ${s.bandwidth.copyBufferToBufferGBps.toFixed(2)} GB/s, vec4 copy shader ${s.bandwidth.copyShaderGBps.toFixed(2)} GB/s, Tessera's ${s.bandwidth.tesseraKernel} ${s.bandwidth.tesseraKernelGBps.toFixed(2)} GB/s.`,
    '',
  ];
  for (const m of s.models) {
    const conv = m.totals.filter((t) => t.cls === '3x3' || t.cls === '1x1');
    out.push(`## ${m.name}`, '');
    out.push(
      `${m.dispatches} dispatches, ${m.gpuMs.toFixed(0)} ms GPU (sum of per-dispatch medians over ${s.reps} profiles; profile wall ${m.profile.profileWallMs.map((x) => (x / 1000).toFixed(1)).join(' / ')} s); Session.create ${(m.profile.createMs / 1000).toFixed(1)} s, first run ${(m.profile.firstRunMs / 1000).toFixed(1)} s.`,
      '',
      classTable(m.totals, THRESHOLD),
      '',
      `3×3 + 1×1 target (≥ 70 % of the ceiling in aggregate): **${targetHolds(m.totals, ['3x3', '1x1'], THRESHOLD) ? 'holds' : 'does not hold'}** (${conv.map((t) => `${t.cls} ${pct(t.ofCeiling)}, ${t.atTarget}/${t.layers} layers`).join('; ')}).`,
      '',
      'Time by op/kernel: ' +
        kernelBreakdown(m.layers)
          .slice(0, 8)
          .map((k) => `${k.key} ×${k.count} ${pct(k.share)}`)
          .join(', '),
      '',
      '<details><summary>Per layer</summary>',
      '',
      layerTable(m.layers),
      '',
      '</details>',
      '',
    );
  }
  return out.join('\n');
}

main().catch((e) => {
  if (e instanceof RooflineArgsError) {
    log(`${e.name}: ${e.message}`);
    process.exit(2);
  }
  console.error(e);
  process.exit(1);
});
