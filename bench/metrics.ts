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
}

export interface ModelRow {
  model: string;
  gmacs?: number;
  tessera?: RuntimeFigures;
  ortWebgpu?: RuntimeFigures;
  ortWasm?: RuntimeFigures;
  ortNode?: RuntimeFigures;
}

function cell(f: RuntimeFigures | undefined, what: 'cold' | 'median'): string {
  if (!f) return 'not run';
  if (!f.ok) return 'failed';
  return fmtMs(what === 'cold' ? f.coldMs : f.medianMs);
}

/** The Markdown table printed by `npm run bench` and written to bench/results/latest.md. */
export function markdownTable(rows: readonly ModelRow[]): string {
  const head = [
    'model (GMAC)',
    'Tessera cold / median',
    'ORT-web WebGPU cold / median',
    'median ratio T/ORT',
    'cold ratio T/ORT',
    'ORT-web WASM median',
    'onnxruntime-node median',
    'rel L2 vs PyTorch (T / ORT-webgpu / WASM)',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const t = r.tessera;
    const o = r.ortWebgpu;
    const ok = (f?: RuntimeFigures) => (f?.ok ? f : undefined);
    lines.push(
      `| ${r.model}${r.gmacs !== undefined ? ` (${r.gmacs.toFixed(3)})` : ''} | ${cell(t, 'cold')} / ${cell(t, 'median')} | ${cell(o, 'cold')} / ${cell(o, 'median')} | ` +
        `${fmtRatio(ratio(ok(t)?.medianMs, ok(o)?.medianMs))} | ${fmtRatio(ratio(ok(t)?.coldMs, ok(o)?.coldMs))} | ${cell(r.ortWasm, 'median')} | ` +
        `${cell(r.ortNode, 'median')} | ${fmtErr(ok(t)?.relL2)} / ${fmtErr(ok(o)?.relL2)} / ${fmtErr(ok(r.ortWasm)?.relL2)} |`,
    );
  }
  const failures = rows.flatMap((r) =>
    (
      [
        ['Tessera', r.tessera],
        ['ORT-web WebGPU', r.ortWebgpu],
        ['ORT-web WASM', r.ortWasm],
        ['onnxruntime-node', r.ortNode],
      ] as const
    )
      .filter(([, f]) => f && !f.ok)
      .map(([name, f]) => `- ${r.model}, ${name}: ${f!.error ?? 'failed'}`),
  );
  return [...lines, ...(failures.length ? ['', 'Failures:', ...failures] : [])].join('\n');
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
