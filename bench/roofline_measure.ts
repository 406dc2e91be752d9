/**
 * The roofline's measurements and report, whatever runs the page code: bench/roofline.ts drives it in headless
 * Chromium (page.evaluate), tools/gpu_report.ts in Node on Dawn (the same page modules imported into the process).
 * See bench/roofline.ts for what is measured.
 */
import { readFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { readNpy } from '../src/io/npy.js';
import type { ModelFiles } from './models.js';
import type { KernelJob, KernelJobResult } from './kernels/types.js';
import type { CopyResult, ModelJob, ModelProfile } from './roofline_page.js';
import { classTable, classTotals, kernelBreakdown, layerRows, layerTable, targetHolds, type ClassTotal, type LayerRow } from './roofline_table.js';

export const THRESHOLD = 0.7;
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

export interface GemmResult extends GemmShape {
  kernel: string;
  bestMs: number;
  medianMs: number;
  bestGflops: number;
  medianGflops: number;
  timing: string;
}

export interface ModelResult {
  name: string;
  profile: Omit<ModelProfile, 'dispatches'>;
  dispatches: number;
  gpuMs: number;
  layers: LayerRow[];
  totals: ClassTotal[];
}

/** How the page code is reached: calls into a page, or direct calls in this process. */
export interface RooflineTransport {
  kernel(job: KernelJob): Promise<KernelJobResult>;
  copy(bytes: number, reps: number): Promise<CopyResult>;
  profileModel(job: ModelJob): Promise<ModelProfile>;
  /** A URL the page code can fetch the bytes from, and its release. */
  serve(bytes: Uint8Array): string;
  unserve(url: string): void;
}

export interface RooflineResult {
  gemms: GemmResult[];
  ceiling: number;
  bestName: string;
  bandwidth: { bytes: number; copyBufferToBufferGBps: number; copyShaderGBps: number; tesseraKernel: string; tesseraKernelGBps: number; raw: Record<string, unknown> };
  models: ModelResult[];
  loads: number[];
}

/** The GEMM ceiling, copy bandwidth, then each model's per-layer profile (args: reps of each). */
export async function measureRoofline(t: RooflineTransport, files: { name: string; files: ModelFiles }[], args: { reps: number; gemmReps: number }, log: (s: string) => void): Promise<RooflineResult> {
  const loads: number[] = [loadavg()[0]!];
  const gemms: GemmResult[] = [];
  for (const g of GEMMS) {
    const r = await t.kernel({ op: 'MatMul', inputs: [{ shape: [g.m, g.k] }, { shape: [g.k, g.n], kind: 'const' }], outputShape: [g.m, g.n], reps: args.gemmReps, maxSeconds: 60 });
    const flop = 2 * g.m * g.k * g.n;
    const res: GemmResult = { ...g, kernel: r.kernel, bestMs: r.minMs, medianMs: r.ms, bestGflops: flop / (r.minMs * 1e6), medianGflops: flop / (r.ms * 1e6), timing: r.timing };
    gemms.push(res);
    log(`GEMM ${g.name}: ${r.kernel} best ${r.minMs.toFixed(1)} ms = ${res.bestGflops.toFixed(2)} GFLOP/s, median ${res.medianGflops.toFixed(2)} (${r.timing}, ${r.reps} reps)`);
  }
  const copy = await t.copy(COPY_BYTES, 5);
  const floats = COPY_BYTES / 4;
  const relu = await t.kernel({ op: 'Relu', inputs: [{ shape: [1, 32, 512, floats / (32 * 512)] }], outputShape: [1, 32, 512, floats / (32 * 512)], reps: 5, maxSeconds: 20 });
  log(`copy 32 MiB: copyBufferToBuffer best ${Math.min(...copy.bufferCopyMs).toFixed(2)} ms, shader ${Math.min(...copy.shaderCopyMs).toFixed(2)} ms, Tessera ${relu.kernel} ${relu.minMs.toFixed(2)} ms`);
  loads.push(loadavg()[0]!);
  const models: ModelResult[] = [];
  for (const { name, files: f } of files) {
    const x = readNpy(new Uint8Array(readFileSync(f.input)), f.input);
    const data = x.data as Float32Array;
    const job: ModelJob = {
      modelUrl: t.serve(new Uint8Array(readFileSync(f.onnx))),
      inputUrl: t.serve(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)),
      inputShape: [...x.shape],
      reps: args.reps,
    };
    const ts = Date.now();
    log(`${name}: Session.create + warm-up + ${args.reps} profiles ...`);
    const p = await t.profileModel(job);
    t.unserve(job.modelUrl);
    t.unserve(job.inputUrl);
    loads.push(loadavg()[0]!);
    const { dispatches, ...rest } = p;
    const ceiling = Math.max(...gemms.map((g) => g.bestGflops));
    const layers = layerRows(dispatches, ceiling);
    const totals = classTotals(layers, ceiling, THRESHOLD);
    const gpuMs = layers.reduce((s, r) => s + r.ms, 0);
    models.push({ name, profile: rest, dispatches: dispatches.length, gpuMs, layers, totals });
    log(`${name}: ${dispatches.length} dispatches, ${gpuMs.toFixed(0)} ms GPU (median per dispatch), ${((Date.now() - ts) / 1000).toFixed(0)} s`);
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
  return { gemms, ceiling: best.bestGflops, bestName: `${best.name} ${best.kernel}`, bandwidth, models, loads };
}

export interface Summary {
  date: Date;
  /** What ran the page code, e.g. 'headless Chromium 131.0' or 'Node v22 on Dawn'. */
  host: string;
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

/** The Markdown report; `host` says what ran it (e.g. 'headless Chromium 131', 'Node on Dawn'). */
export function rooflineMarkdown(s: Summary): string {
  const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
  const out: string[] = [
    `# Roofline ${s.date.toISOString()}`,
    '',
    `\`npx tsx bench/roofline.ts --models ${s.models.map((m) => m.name).join(',')} --reps ${s.reps} --gemm-reps ${s.gemmReps}\` in ${s.host} ` +
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

