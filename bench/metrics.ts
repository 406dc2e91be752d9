/** Pure helpers of the benchmark: error metrics, medians, ratios and the Markdown table. */
import { relativeL2 } from '../src/util/relative_l2.js';

/** ||a - b|| / ||b|| (||a - b|| when b is all zeros); NaN on length mismatch, empty outputs or non-finite values. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return a.length === 0 ? NaN : relativeL2(a, b, 'absolute');
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** a / b, or undefined when either is missing or b is not positive. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return undefined;
  return a / b;
}

/** Milliseconds for tables: '3.21 ms', '385 ms', '10.4 s'. */
export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function fmtRatio(r: number | undefined): string {
  return r === undefined ? '–' : `${r.toFixed(r < 0.1 ? 3 : 2)}×`;
}

export function fmtErr(e: number | undefined): string {
  return e === undefined || Number.isNaN(e) ? '–' : e.toExponential(1);
}

/** One runtime's figures for one model, as the table needs them. */
export interface RuntimeFigures {
  ok: boolean;
  error?: string;
  coldMs?: number;
  medianMs?: number;
  reps?: number;
  relL2?: number;
  /** Where the cold start went, in order (Tessera and TF.js). */
  phasesMs?: Record<string, number>;
  /** Model fetch in the page (outside cold start). */
  fetchMs?: number;
  /** Tessera on WebGPU: GPU dispatches per run (session.dispatches(); per-dispatch cost dominates small CNNs on GPUs). */
  dispatches?: number;
  /** WASM runtimes: threads the runtime ran with; Tessera-WASM also whether it used relaxed SIMD. */
  threads?: number;
  /** Tessera-WASM with threads: what its measured choice settled on (the pool, or the calling thread alone). */
  threadMode?: 'pool' | 'single';
  relaxedSimd?: boolean;
}

export interface ModelRow {
  model: string;
  gmacs?: number;
  tessera?: RuntimeFigures;
  ortWebgpu?: RuntimeFigures;
  tfjsWebgpu?: RuntimeFigures;
  ortWasm?: RuntimeFigures;
  ortNode?: RuntimeFigures;
  /** WebAssembly SIMD runtimes (threads = cores unless '1t'). */
  tesseraWasm?: RuntimeFigures;
  tfjsWasm?: RuntimeFigures;
  tesseraWasm1t?: RuntimeFigures;
  ortWasm1t?: RuntimeFigures;
}

function cell(f: RuntimeFigures | undefined, what: 'cold' | 'median'): string {
  if (!f) return 'not run';
  if (!f.ok) return 'failed';
  return fmtMs(what === 'cold' ? f.coldMs : f.medianMs);
}

const ok = (f?: RuntimeFigures) => (f?.ok ? f : undefined);

/** Tessera's time over the faster of the two other WebGPU runtimes (ORT-web, TF.js) that produced a figure. */
export function gpuRatio(row: ModelRow, what: 'cold' | 'median'): { ratio: number; vs: 'ORT' | 'TF.js' } | undefined {
  const pick = (f?: RuntimeFigures) => (what === 'cold' ? ok(f)?.coldMs : ok(f)?.medianMs);
  const t = pick(row.tessera);
  const candidates = [
    { vs: 'ORT' as const, ms: pick(row.ortWebgpu) },
    { vs: 'TF.js' as const, ms: pick(row.tfjsWebgpu) },
  ].filter((c): c is { vs: 'ORT' | 'TF.js'; ms: number } => c.ms !== undefined && Number.isFinite(c.ms) && c.ms > 0);
  if (!candidates.length) return undefined;
  const best = candidates.reduce((a, b) => (b.ms < a.ms ? b : a));
  const r = ratio(t, best.ms);
  return r === undefined ? undefined : { ratio: r, vs: best.vs };
}

function ratioCell(row: ModelRow, what: 'cold' | 'median'): string {
  const r = gpuRatio(row, what);
  return r ? `${fmtRatio(r.ratio)} (${r.vs})` : '–';
}

/** The Markdown table printed by `npm run bench` and written to bench/results/latest.md. */
export function markdownTable(rows: readonly ModelRow[]): string {
  const head = [
    'model (GMAC)',
    'Tessera cold / median',
    'ORT-web WebGPU cold / median',
    'TF.js WebGPU cold / median',
    'median T / min(ORT, TF.js)',
    'cold T / min(ORT, TF.js)',
    'ORT-web WASM median',
    'onnxruntime-node median',
    'rel L2 vs PyTorch (T / ORT-webgpu / TF.js / WASM)',
    'Tessera dispatches',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const t = r.tessera;
    lines.push(
      `| ${r.model}${r.gmacs !== undefined ? ` (${r.gmacs.toFixed(3)})` : ''} | ${cell(t, 'cold')} / ${cell(t, 'median')} | ` +
        `${cell(r.ortWebgpu, 'cold')} / ${cell(r.ortWebgpu, 'median')} | ${cell(r.tfjsWebgpu, 'cold')} / ${cell(r.tfjsWebgpu, 'median')} | ` +
        `${ratioCell(r, 'median')} | ${ratioCell(r, 'cold')} | ${cell(r.ortWasm, 'median')} | ${cell(r.ortNode, 'median')} | ` +
        `${fmtErr(ok(t)?.relL2)} / ${fmtErr(ok(r.ortWebgpu)?.relL2)} / ${fmtErr(ok(r.tfjsWebgpu)?.relL2)} / ${fmtErr(ok(r.ortWasm)?.relL2)} | ` +
        `${ok(t)?.dispatches ?? '–'} |`,
    );
  }
  const failures = rows.flatMap((r) =>
    (
      [
        ['Tessera', r.tessera],
        ['ORT-web WebGPU', r.ortWebgpu],
        ['TF.js WebGPU', r.tfjsWebgpu],
        ['ORT-web WASM', r.ortWasm],
        ['onnxruntime-node', r.ortNode],
      ] as const
    )
      .filter(([, f]) => f && !f.ok)
      .map(([name, f]) => `- ${r.model}, ${name}: ${f!.error ?? 'failed'}`),
  );
  return [...lines, ...(failures.length ? ['', 'Failures:', ...failures] : [])].join('\n');
}

/**
 * Cold start split of one runtime, one row per model: the phases (in the order the runtime reported them, union
 * over models), then cold = their sum; the page's model fetch, outside cold start, comes first.
 */
export function coldSplitTable(rows: readonly ModelRow[], pick: (r: ModelRow) => RuntimeFigures | undefined): string {
  const usable = rows.filter((r) => ok(pick(r))?.phasesMs);
  if (!usable.length) return '';
  const phases: string[] = [];
  for (const r of usable) for (const k of Object.keys(pick(r)!.phasesMs!)) if (!phases.includes(k)) phases.push(k);
  const head = ['model', 'fetch (not in cold)', ...phases, 'cold'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of usable) {
    const f = pick(r)!;
    const share = (ms: number | undefined) => (ms === undefined ? '–' : `${fmtMs(ms)}${f.coldMs ? ` (${Math.round((100 * ms) / f.coldMs)} %)` : ''}`);
    lines.push(`| ${r.model} | ${fmtMs(f.fetchMs)} | ${phases.map((p) => share(f.phasesMs![p])).join(' | ')} | ${fmtMs(f.coldMs)} |`);
  }
  return lines.join('\n');
}

/** One line on where Tessera's GPU time went, from session.profile() (shares of the summed dispatch times). */
export function profileLine(model: string, byKernel: readonly { op: string; kernel: string; dispatches: number; gpuMs: number | null }[]): string {
  const total = byKernel.reduce((s, r) => s + (r.gpuMs ?? 0), 0);
  if (!byKernel.length || total <= 0) return `- ${model}: no GPU timestamps (profile rows only)`;
  const parts = byKernel
    .filter((r) => r.gpuMs !== null)
    .slice(0, 5)
    .map((r) => `${r.op}/${r.kernel} ×${r.dispatches} ${((100 * r.gpuMs!) / total).toFixed(1)} %`);
  return `- ${model}: ${fmtMs(total)} GPU in ${byKernel.reduce((s, r) => s + r.dispatches, 0)} dispatches: ${parts.join(', ')}`;
}

/** Median (or cold) ratio a / b of two runtimes' figures, undefined unless both produced one. */
export function figureRatio(a: RuntimeFigures | undefined, b: RuntimeFigures | undefined, what: 'cold' | 'median'): number | undefined {
  const pick = (f?: RuntimeFigures) => (what === 'cold' ? ok(f)?.coldMs : ok(f)?.medianMs);
  return ratio(pick(a), pick(b));
}

/** GFLOP/s (2 FLOP per MAC) of a median time, or undefined. */
export function gflops(gmacs: number | undefined, ms: number | undefined): number | undefined {
  if (gmacs === undefined || ms === undefined || !(ms > 0)) return undefined;
  return (2 * gmacs) / (ms / 1000);
}

/** A WASM runtime whose output is further than this from PyTorch's (rel L2) is listed under the table's failures. */
export const WASM_REL_L2_LIMIT = 1e-3;

/**
 * The WebAssembly SIMD table (bench/results/wasm/latest.md): Tessera-WASM, ORT-web WASM and TF.js WASM at one thread
 * per core, then Tessera and ORT on one thread; ratios Tessera / the other runtime (same thread count); the thread
 * counts the runtimes reported and whether Tessera used relaxed SIMD; Tessera's GFLOP/s (2·MAC / median).
 */
export function wasmTable(rows: readonly ModelRow[], cores: number): string {
  const head = [
    'model (GMAC)',
    'Tessera-WASM cold / median',
    'ORT-web WASM cold / median',
    'TF.js WASM cold / median',
    'median T / ORT',
    'median T / TF.js',
    'cold T / ORT',
    'cold T / TF.js',
    'Tessera-WASM 1t cold / median',
    'ORT-web WASM 1t cold / median',
    'median 1t T / ORT',
    'Tessera GFLOP/s (multi / 1t)',
    `threads (T / ORT / TF.js; ${cores} cores)`,
    'T relaxed SIMD',
    'rel L2 vs PyTorch (T / ORT / TF.js / T 1t / ORT 1t)',
  ];
  const both = (f?: RuntimeFigures) => `${cell(f, 'cold')} / ${cell(f, 'median')}`;
  const th = (f?: RuntimeFigures) =>
    ok(f)?.threads === undefined ? '–' : `${f!.threads}${f!.threadMode === 'single' && f!.threads! > 1 ? ' (1 used)' : ''}`;
  const gf = (r: ModelRow, f?: RuntimeFigures) => {
    const g = gflops(r.gmacs, ok(f)?.medianMs);
    return g === undefined ? '–' : g.toFixed(g < 10 ? 2 : 1);
  };
  const relaxed = (r: ModelRow) => {
    const f = ok(r.tesseraWasm) ?? ok(r.tesseraWasm1t);
    return f?.relaxedSimd === undefined ? '–' : f.relaxedSimd ? 'yes' : 'no';
  };
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    lines.push(
      `| ${r.model}${r.gmacs !== undefined ? ` (${r.gmacs.toFixed(3)})` : ''} | ${both(r.tesseraWasm)} | ${both(r.ortWasm)} | ${both(r.tfjsWasm)} | ` +
        `${fmtRatio(figureRatio(r.tesseraWasm, r.ortWasm, 'median'))} | ${fmtRatio(figureRatio(r.tesseraWasm, r.tfjsWasm, 'median'))} | ` +
        `${fmtRatio(figureRatio(r.tesseraWasm, r.ortWasm, 'cold'))} | ${fmtRatio(figureRatio(r.tesseraWasm, r.tfjsWasm, 'cold'))} | ` +
        `${both(r.tesseraWasm1t)} | ${both(r.ortWasm1t)} | ${fmtRatio(figureRatio(r.tesseraWasm1t, r.ortWasm1t, 'median'))} | ` +
        `${gf(r, r.tesseraWasm)} / ${gf(r, r.tesseraWasm1t)} | ${th(r.tesseraWasm)} / ${th(r.ortWasm)} / ${th(r.tfjsWasm)} | ${relaxed(r)} | ` +
        `${[r.tesseraWasm, r.ortWasm, r.tfjsWasm, r.tesseraWasm1t, r.ortWasm1t].map((f) => fmtErr(ok(f)?.relL2)).join(' / ')} |`,
    );
  }
  const failures = rows.flatMap((r) =>
    (
      [
        ['Tessera-WASM', r.tesseraWasm],
        ['ORT-web WASM', r.ortWasm],
        ['TF.js WASM', r.tfjsWasm],
        ['Tessera-WASM 1t', r.tesseraWasm1t],
        ['ORT-web WASM 1t', r.ortWasm1t],
      ] as const
    )
      .filter(([, f]) => f && (!f.ok || !(f.relL2! <= WASM_REL_L2_LIMIT)))
      .map(([name, f]) => `- ${r.model}, ${name}: ${f!.ok ? `output differs from PyTorch's (rel L2 ${fmtErr(f!.relL2)})` : (f!.error ?? 'failed')}`),
  );
  return [...lines, ...(failures.length ? ['', 'Failures (errors, or rel L2 vs PyTorch above 1e-3):', ...failures] : [])].join('\n');
}
