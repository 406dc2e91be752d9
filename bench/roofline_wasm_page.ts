/**
 * In-page half of bench/roofline_wasm.ts (its own bundle, Tessera's Session only): `globalThis.tesseraRoofline`
 * measures the single-core SIMD128 peak with the hand-written loops of bench/wasm_peak.gen.ts and times Tessera's
 * WASM backend on the cases of bench/roofline_wasm_cases.ts. Everything is timed in the page with performance.now().
 */
import { Session } from '../src/runtime/session.js';
import { caseFlops, caseModel, ROOFLINE_CASES, sampledError, type CaseResult, type PeakResult } from './roofline_wasm_cases.js';
import { PEAK_RELAXED_FLOP_PER_ITER, PEAK_RELAXED_WASM, PEAK_SIMD_FLOP_PER_ITER, PEAK_SIMD_WASM } from './wasm_peak.gen.js';

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const medianOf = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pause = () => new Promise((r) => setTimeout(r, 5));

/**
 * GFLOP/s of one peak loop: warm-up calls until V8 has tiered the function up (Liftoff -> TurboFan, which happens in
 * the background: a few calls of growing size), then `calls` timed calls of ~`targetMs` each; best and median.
 */
async function peak(variant: 'simd' | 'relaxed', calls: number, targetMs: number): Promise<PeakResult> {
  const bytes = decode(variant === 'simd' ? PEAK_SIMD_WASM : PEAK_RELAXED_WASM);
  const flopPerIter = variant === 'simd' ? PEAK_SIMD_FLOP_PER_ITER : PEAK_RELAXED_FLOP_PER_ITER;
  if (!WebAssembly.validate(bytes)) return { variant, ok: false, error: `this engine rejects the ${variant} module` };
  const { instance } = await WebAssembly.instantiate(bytes);
  const run = instance.exports['peak'] as (n: number, s: number) => number;
  let n = 1 << 16;
  for (let i = 0; i < 12; i++) {
    const t = performance.now();
    run(n, 0.5);
    const ms = performance.now() - t;
    if (ms < targetMs / 4) n *= 2;
    await pause();
  }
  const g: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    run(n, 0.5 + i);
    const s = (performance.now() - t) / 1000;
    g.push((n * flopPerIter) / s / 1e9);
    await pause();
  }
  return { variant, ok: true, bestGflops: Math.max(...g), medianGflops: medianOf(g), calls };
}

async function runCase(index: number, threads: number, reps: number): Promise<CaseResult> {
  const c = ROOFLINE_CASES[index]!;
  const r: CaseResult = { name: c.name, threads, ok: false, flops: caseFlops(c) };
  try {
    const m = caseModel(c);
    const session = await Session.create(m.bytes, { backend: 'wasm', numThreads: threads });
    const feeds = { [m.inputName]: { dtype: 'f32' as const, shape: m.inputShape, data: m.input } };
    let out = Object.values(await session.run(feeds))[0]!;
    await session.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      out = Object.values(await session.run(feeds))[0]!;
      times.push(performance.now() - t);
    }
    const info = session.backendInfo;
    r.threadsUsed = info.threads;
    r.relaxedSimd = info.relaxedSimd;
    if (info.fallbackNodes?.length) r.fallbackNodes = [...info.fallbackNodes];
    r.maxErr = sampledError(c, m, out.data as Float32Array);
    session.release();
    r.bestMs = Math.min(...times);
    r.medianMs = medianOf(times);
    r.reps = reps;
    r.ok = true;
  } catch (e) {
    r.error = `${(e as Error).name}: ${(e as Error).message}`;
  }
  return r;
}

const tesseraRoofline = { peak, runCase };
(globalThis as unknown as { tesseraRoofline: typeof tesseraRoofline }).tesseraRoofline = tesseraRoofline;
// The Chromium harness waits for `globalThis.tessera` to know the bundle ran.
(globalThis as unknown as { tessera: unknown }).tessera = { page: 'wasm roofline' };
