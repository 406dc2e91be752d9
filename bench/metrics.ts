/** Pure helpers of the benchmark: error metrics, medians, ratios and the Markdown table. */

/** ||a - b|| / ||b|| (||a - b|| when b is all zeros); NaN on length mismatch or non-finite values. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) return NaN;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    num += d * d;
    den += b[i]! * b[i]!;
  }
  if (!Number.isFinite(num) || !Number.isFinite(den)) return NaN;
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
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
}

export interface ModelRow {
  model: string;
  gmacs?: number;
  tessera?: RuntimeFigures;
  ortWebgpu?: RuntimeFigures;
  tfjsWebgpu?: RuntimeFigures;
  ortWasm?: RuntimeFigures;
  ortNode?: RuntimeFigures;
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
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const t = r.tessera;
    lines.push(
      `| ${r.model}${r.gmacs !== undefined ? ` (${r.gmacs.toFixed(3)})` : ''} | ${cell(t, 'cold')} / ${cell(t, 'median')} | ` +
        `${cell(r.ortWebgpu, 'cold')} / ${cell(r.ortWebgpu, 'median')} | ${cell(r.tfjsWebgpu, 'cold')} / ${cell(r.tfjsWebgpu, 'median')} | ` +
        `${ratioCell(r, 'median')} | ${ratioCell(r, 'cold')} | ${cell(r.ortWasm, 'median')} | ${cell(r.ortNode, 'median')} | ` +
        `${fmtErr(ok(t)?.relL2)} / ${fmtErr(ok(r.ortWebgpu)?.relL2)} / ${fmtErr(ok(r.tfjsWebgpu)?.relL2)} / ${fmtErr(ok(r.ortWasm)?.relL2)} |`,
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
