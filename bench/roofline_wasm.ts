/**
 * WASM GEMM roofline: `npx tsx bench/roofline_wasm.ts [--reps N] [--calls N] [--out DIR]`
 *
 * In one headless Chromium page, cross-origin isolated like the bench's (COOP/COEP, so threads work):
 *   1. the single-core SIMD128 ceiling, MEASURED with two hand-written WebAssembly loops (bench/wasm_peak_*.wat,
 *      base64 in bench/wasm_peak.gen.ts): f32x4.mul + f32x4.add over 6 + 6 independent chains (48 FLOP per
 *      iteration), and f32x4.relaxed_madd over 12 accumulators (96 FLOP per iteration, an FMA = 2 FLOP per lane);
 *      each after warm-up calls (V8 tiers the function up to TurboFan), best of --calls timed calls. The ceiling is the
 *      better of the two. For reference, the ESTIMATE: clock (/proc/cpuinfo "cpu MHz") × 16 FLOP/cycle, i.e. 2 f32x4
 *      mul + 2 f32x4 add per cycle (x86 cores with two FP multiply and two FP add pipes; 2 FMA/cycle give the same).
 *   2. Tessera's WASM backend (Session.create(onnx, { backend: 'wasm', numThreads })) on one-node models
 *      (bench/roofline_wasm_cases.ts): Gemm 512³ and 1024³ with a constant B, ResNet's 1×1 256→64 and 3×3 64→64 convs
 *      at 56×56; 1 thread and one per core; best and median of --reps runs after two warm-up runs (each run includes
 *      the input copy into WASM memory and the output copy out); GFLOP/s = 2·M·N·K / time; % of threads × ceiling;
 *      outputs checked at 64 sampled positions against a direct f64 computation.
 * Writes DIR/roofline-<date>.json and DIR/roofline.md (default DIR bench/results/wasm).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowserSession } from '../src/node/browser_harness.js';
import { REPO_ROOT } from './models.js';
import { ceilingGflops, rooflineWasmTable, ROOFLINE_CASES, type CaseResult, type PeakResult } from './roofline_wasm_cases.js';

const here = dirname(fileURLToPath(import.meta.url));
const log = (s: string) => process.stderr.write(`${s}\n`);
/** 2 f32x4 mul + 2 f32x4 add per cycle: 16 FLOP per cycle per core. */
export const ESTIMATE_FLOP_PER_CYCLE = 16;

interface Page {
  peak(variant: 'simd' | 'relaxed', calls: number, targetMs: number): Promise<PeakResult>;
  runCase(index: number, threads: number, reps: number): Promise<CaseResult>;
}

function cpuMhz(): number | undefined {
  try {
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? Number(m[1]) : cpus()[0]?.speed || undefined;
  } catch {
    return cpus()[0]?.speed || undefined;
  }
}

function parse(argv: string[]): { reps: number; calls: number; out: string } {
  const o = { reps: 10, calls: 15, out: 'bench/results/wasm' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[++i];
    if (a === '--reps' || a === '--calls') {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${a} needs a positive integer`);
      o[a === '--reps' ? 'reps' : 'calls'] = n;
    } else if (a === '--out' && v) o.out = v;
    else throw new Error(`usage: npx tsx bench/roofline_wasm.ts [--reps N] [--calls N] [--out DIR]`);
  }
  return o;
}

async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  const cores = Math.max(1, cpus().length);
  const mhz = cpuMhz();
  const estimate = mhz ? (mhz * 1e6 * ESTIMATE_FLOP_PER_CYCLE) / 1e9 : undefined;
  const load0 = loadavg()[0]!;
  const session = await startBrowserSession({ entry: join(here, 'roofline_wasm_page.ts'), crossOriginIsolated: true });
  const peaks: PeakResult[] = [];
  const results: CaseResult[] = [];
  let chromium = 'unknown';
  let isolated = false;
  try {
    chromium = session.browser.version();
    isolated = await session.page.evaluate(() => globalThis.crossOriginIsolated);
    for (const v of ['simd', 'relaxed'] as const) {
      const r = await session.page.evaluate(([variant, calls]) => (globalThis as unknown as { tesseraRoofline: Page }).tesseraRoofline.peak(variant, calls, 60), [v, args.calls] as const);
      peaks.push(r);
      log(`peak ${v}: ${r.ok ? `best ${r.bestGflops!.toFixed(1)} GFLOP/s, median ${r.medianGflops!.toFixed(1)}` : r.error}`);
    }
    for (let i = 0; i < ROOFLINE_CASES.length; i++)
      for (const threads of [...new Set([1, cores])]) {
        const r = await session.page.evaluate(([index, t, reps]) => (globalThis as unknown as { tesseraRoofline: Page }).tesseraRoofline.runCase(index, t, reps), [i, threads, args.reps] as const);
        results.push(r);
        log(`${r.name}, ${threads} thread(s): ${r.ok ? `best ${r.bestMs!.toFixed(2)} ms = ${(r.flops / r.bestMs! / 1e6).toFixed(1)} GFLOP/s, median ${r.medianMs!.toFixed(2)} ms, err ${r.maxErr!.toExponential(1)}` : r.error}`);
      }
  } finally {
    await session.close();
  }
  const ceiling = ceilingGflops(peaks, estimate);
  const outDir = resolve(REPO_ROOT, args.out);
  mkdirSync(outDir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  const load1 = loadavg()[0]!;
  const record = { date: new Date().toISOString(), command: `npx tsx bench/roofline_wasm.ts ${argv.join(' ')}`.trim(), machine: { cpus: cores, cpuModel: cpus()[0]?.model, mhz, chromium, crossOriginIsolated: isolated, load: [load0, load1] }, estimate: { flopPerCycle: ESTIMATE_FLOP_PER_CYCLE, gflops: estimate }, peaks, ceiling, cases: results };
  writeFileSync(join(outDir, `roofline-${date}.json`), JSON.stringify(record, null, 2) + '\n');
  const fmt = (p: PeakResult) => (p.ok ? `best ${p.bestGflops!.toFixed(1)} GFLOP/s (median ${p.medianGflops!.toFixed(1)}) over ${p.calls} calls` : `not measured (${p.error})`);
  const md = [
    `# WASM GEMM roofline ${record.date}`,
    '',
    `\`${record.command}\` on ${cores} × ${cpus()[0]?.model ?? 'CPU'} (${mhz ? `${mhz.toFixed(0)} MHz` : 'clock unknown'}), headless Chromium ${chromium}, crossOriginIsolated ${isolated}; machine load (1-min) ${load0.toFixed(1)} → ${load1.toFixed(1)} on ${cores} cores.`,
    '',
    'Single-core SIMD128 ceiling, measured with hand-written WebAssembly loops (bench/wasm_peak_*.wat; best of the timed calls after V8 tier-up):',
    '',
    `- f32x4.mul + f32x4.add, 6 + 6 independent chains: ${fmt(peaks[0]!)}`,
    `- f32x4.relaxed_madd, 12 accumulators: ${fmt(peaks[1]!)}`,
    `- estimate: ${mhz ? `${mhz.toFixed(0)} MHz` : '?'} × ${ESTIMATE_FLOP_PER_CYCLE} FLOP/cycle (2 f32x4 mul + 2 f32x4 add per cycle) = ${estimate?.toFixed(1) ?? '–'} GFLOP/s`,
    `- ceiling used below: ${ceiling ? `${ceiling.gflops.toFixed(1)} GFLOP/s per thread, ${ceiling.source}` : '–'}`,
    '',
    "Tessera's WASM backend (`Session.create(onnx, { backend: 'wasm', numThreads })`, one-node models, times include the input copy in and output copy out; % of threads × ceiling):",
    '',
    rooflineWasmTable(results, ceiling?.gflops),
    '',
  ].join('\n');
  writeFileSync(join(outDir, 'roofline.md'), md);
  console.log(md);
  return results.every((r) => r.ok) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    log(`roofline_wasm: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
