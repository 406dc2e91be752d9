/**
 * Pure half of the roofline benchmark (bench/roofline.ts): turns per-dispatch profile rows into per-layer rows,
 * classifies layers (3×3, 1×1, depthwise/grouped, other conv, gemm, other ops), aggregates per class against the
 * GEMM ceiling and renders the Markdown tables. No browser, no files: unit-tested in tests/bench/roofline.test.ts.
 */

/** One dispatch as the roofline page returns it (session.profile() rows merged over several runs). */
export interface DispatchRow {
  node: string;
  op: string;
  kernel: string;
  /** Input shapes (the weight's is [Cout, Cin/group, KH, KW] for convs). */
  inputShapes: number[][];
  outputShape: number[];
  macs: number;
  /** Median over the profiles of this dispatch's GPU time (ms). */
  medianMs: number;
  /** Fastest of the profiles (ms). */
  minMs: number;
  /** The node's conv attributes (from session.graph), when it is a conv. */
  kernelShape?: number[];
  strides?: number[];
  group?: number;
  /** A later dispatch of a node already seen (lowered convs): its compulsory bytes were counted with the first. */
  continued?: boolean;
}

export type LayerClass = '3x3' | '1x1' | 'depthwise/grouped' | 'other conv' | 'gemm' | 'other ops';
export const LAYER_CLASSES: LayerClass[] = ['3x3', '1x1', 'depthwise/grouped', 'other conv', 'gemm', 'other ops'];

/** One graph node (its dispatches summed). */
export interface LayerRow {
  node: string;
  op: string;
  kernel: string;
  cls: LayerClass;
  /** e.g. "3x3/2 64>64 @56x56" for convs, the output shape otherwise. */
  shape: string;
  macs: number;
  /** Compulsory traffic: every input (weights included) read once, the output written once, f32. */
  bytes: number;
  ms: number;
  minMs: number;
  /** bytes / time (GB/s): the figure to hold against the copy bandwidth for ops without MACs. */
  gbps: number;
  /** 2·MAC / time, from the median time (0 for ops without MACs). */
  gflops: number;
  /** gflops / ceiling (0..1+). */
  ofCeiling: number;
}

export interface ClassTotal {
  cls: LayerClass;
  layers: number;
  macs: number;
  bytes: number;
  ms: number;
  /** Share of the model's GPU time. */
  timeShare: number;
  /** Aggregate 2·ΣMAC / Σtime (median times) and with the per-dispatch fastest times. */
  gflops: number;
  gflopsBest: number;
  ofCeiling: number;
  ofCeilingBest: number;
  /** Σbytes / Σtime: achieved bandwidth (the relevant figure for 'other ops'). */
  gbps: number;
  /** Layers of the class (with MACs) whose own GFLOP/s reaches `threshold` of the ceiling. */
  atTarget: number;
}

const CONV_OPS = new Set(['Conv', 'FusedConv']);
const GEMM_OPS = new Set(['Gemm', 'FusedGemm', 'MatMul']);

const elements = (shape: number[]) => shape.reduce((a, d) => a * Math.max(d, 1), 1);
/** f32 bytes of every input and the output of a dispatch (a lower bound on its memory traffic). */
export const bytesOf = (d: Pick<DispatchRow, 'inputShapes' | 'outputShape'>): number => 4 * (d.inputShapes.reduce((s, x) => s + elements(x), 0) + elements(d.outputShape));

export const gflopsOf = (macs: number, ms: number): number => (ms > 0 ? (2 * macs) / (ms * 1e6) : 0);

export function classify(op: string, kernelShape: number[] | undefined, group: number | undefined): LayerClass {
  if (GEMM_OPS.has(op)) return 'gemm';
  if (!CONV_OPS.has(op)) return 'other ops';
  if ((group ?? 1) > 1) return 'depthwise/grouped';
  const k = kernelShape ?? [];
  if (k.length === 2 && k[0] === 3 && k[1] === 3) return '3x3';
  if (k.length > 0 && k.every((d) => d === 1)) return '1x1';
  return 'other conv';
}

function shapeText(d: DispatchRow): string {
  const out = d.outputShape;
  if (!CONV_OPS.has(d.op) || !d.kernelShape) return `[${out.join(', ')}]`;
  const x = d.inputShapes[0] ?? [];
  const stride = (d.strides ?? []).some((s) => s !== 1) ? `/${d.strides!.join('x')}` : '';
  const g = (d.group ?? 1) > 1 ? ` g${d.group}` : '';
  return `${d.kernelShape.join('x')}${stride} ${x[1] ?? '?'}>${out[1] ?? '?'}${g} @${out.slice(2).join('x')}`;
}

/** Per-node rows, in dispatch order (a node with several dispatches is one row, times and MACs summed). */
export function layerRows(dispatches: DispatchRow[], ceilingGflops: number): LayerRow[] {
  const byNode = new Map<string, LayerRow>();
  for (const d of dispatches) {
    const row = byNode.get(d.node);
    if (row) {
      row.macs += d.macs;
      if (!d.continued) row.bytes += bytesOf(d);
      row.ms += d.medianMs;
      row.minMs += d.minMs;
      if (!row.kernel.split('+').includes(d.kernel)) row.kernel += `+${d.kernel}`;
    } else {
      byNode.set(d.node, { node: d.node, op: d.op, kernel: d.kernel, cls: classify(d.op, d.kernelShape, d.group), shape: shapeText(d), macs: d.macs, bytes: bytesOf(d), ms: d.medianMs, minMs: d.minMs, gbps: 0, gflops: 0, ofCeiling: 0 });
    }
  }
  const rows = [...byNode.values()];
  for (const r of rows) {
    r.gflops = gflopsOf(r.macs, r.ms);
    r.gbps = r.ms > 0 ? r.bytes / (r.ms * 1e6) : 0;
    r.ofCeiling = ceilingGflops > 0 ? r.gflops / ceilingGflops : 0;
  }
  return rows;
}

/** Totals per class (classes without layers are left out), in LAYER_CLASSES order. */
export function classTotals(rows: LayerRow[], ceilingGflops: number, threshold = 0.7): ClassTotal[] {
  const total = rows.reduce((s, r) => s + r.ms, 0);
  const out: ClassTotal[] = [];
  for (const cls of LAYER_CLASSES) {
    const rs = rows.filter((r) => r.cls === cls);
    if (rs.length === 0) continue;
    const macs = rs.reduce((s, r) => s + r.macs, 0);
    const ms = rs.reduce((s, r) => s + r.ms, 0);
    const minMs = rs.reduce((s, r) => s + r.minMs, 0);
    const bytes = rs.reduce((s, r) => s + r.bytes, 0);
    const gflops = gflopsOf(macs, ms);
    const gflopsBest = gflopsOf(macs, minMs);
    const ratio = (g: number) => (ceilingGflops > 0 ? g / ceilingGflops : 0);
    out.push({
      cls,
      layers: rs.length,
      macs,
      bytes,
      ms,
      timeShare: total > 0 ? ms / total : 0,
      gflops,
      gflopsBest,
      ofCeiling: ratio(gflops),
      ofCeilingBest: ratio(gflopsBest),
      gbps: ms > 0 ? bytes / (ms * 1e6) : 0,
      atTarget: rs.filter((r) => r.macs > 0 && r.ofCeiling >= threshold).length,
    });
  }
  return out;
}

/** Whether every listed class reaches `threshold` of the ceiling in aggregate (median times). */
export function targetHolds(totals: ClassTotal[], classes: LayerClass[], threshold = 0.7): boolean {
  return classes.every((c) => {
    const t = totals.find((x) => x.cls === c);
    return t !== undefined && t.ofCeiling >= threshold;
  });
}

const fmt = (x: number, digits = 2) => x.toFixed(digits);
const pct = (x: number) => `${(100 * x).toFixed(0)} %`;

/** Per-layer table of the layers with MACs (convs and GEMMs). */
export function layerTable(rows: LayerRow[]): string {
  const lines = ['| # | node | op | kernel | class | shape | MMAC | GPU ms | GFLOP/s | % ceiling |', '|---:|---|---|---|---|---|---:|---:|---:|---:|'];
  rows
    .filter((r) => r.macs > 0)
    .forEach((r, i) => lines.push(`| ${i + 1} | ${r.node} | ${r.op} | ${r.kernel} | ${r.cls} | ${r.shape} | ${fmt(r.macs / 1e6, 1)} | ${fmt(r.ms, 1)} | ${fmt(r.gflops)} | ${pct(r.ofCeiling)} |`));
  return lines.join('\n');
}

/** Per-class totals table. */
export function classTable(totals: ClassTotal[], threshold = 0.7): string {
  const lines = [
    `| class | layers | GMAC | GPU ms | time share | GFLOP/s (median) | % ceiling | GFLOP/s (best) | % ceiling (best) | layers ≥ ${pct(threshold)} | GB/s |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const t of totals) {
    const hasMacs = t.macs > 0;
    lines.push(
      `| ${t.cls} | ${t.layers} | ${fmt(t.macs / 1e9, 3)} | ${fmt(t.ms, 0)} | ${pct(t.timeShare)} | ${hasMacs ? fmt(t.gflops) : '–'} | ${hasMacs ? pct(t.ofCeiling) : '–'} | ${hasMacs ? fmt(t.gflopsBest) : '–'} | ${hasMacs ? pct(t.ofCeilingBest) : '–'} | ${hasMacs ? `${t.atTarget}/${t.layers} (${pct(t.atTarget / t.layers)})` : '–'} | ${fmt(t.gbps)} |`,
    );
  }
  return lines.join('\n');
}

export interface KernelShare {
  key: string;
  count: number;
  ms: number;
  share: number;
}

/** GPU time per op/kernel pair, largest first (the "where the time goes" list). */
export function kernelBreakdown(rows: LayerRow[]): KernelShare[] {
  const total = rows.reduce((s, r) => s + r.ms, 0);
  const groups = new Map<string, KernelShare>();
  for (const r of rows) {
    const key = `${r.op}/${r.kernel}`;
    const g = groups.get(key) ?? { key, count: 0, ms: 0, share: 0 };
    g.count++;
    g.ms += r.ms;
    groups.set(key, g);
  }
  const out = [...groups.values()].sort((a, b) => b.ms - a.ms);
  for (const g of out) g.share = total > 0 ? g.ms / total : 0;
  return out;
}

export interface RooflineArgs {
  models: string[];
  /** session.profile() runs per model (the per-dispatch median is taken over them). */
  reps: number;
  /** Timed reps per GEMM shape (the ceiling is the best of them). */
  gemmReps: number;
  outDir: string;
}

export class RooflineArgsError extends Error {
  override name = 'RooflineArgsError';
}

export const ROOFLINE_USAGE = 'npx tsx bench/roofline.ts [--models resnet50,densenet121] [--reps N] [--gemm-reps N] [--out bench/results]';

export function parseRooflineArgs(argv: string[]): RooflineArgs {
  const args: RooflineArgs = { models: ['resnet50', 'densenet121'], reps: 3, gemmReps: 3, outDir: 'bench/results' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    const count = () => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new RooflineArgsError(`${flag} needs a positive integer, got '${value ?? ''}'`);
      return n;
    };
    if (flag === '--models') {
      const names = (value ?? '').split(',').filter((s) => s);
      if (names.length === 0 || names.some((n) => !/^[a-z0-9_]+$/.test(n))) throw new RooflineArgsError(`--models needs model names like resnet50,densenet121, got '${value ?? ''}'`);
      args.models = names;
    } else if (flag === '--reps') args.reps = count();
    else if (flag === '--gemm-reps') args.gemmReps = count();
    else if (flag === '--out') {
      if (!value) throw new RooflineArgsError('--out needs a folder');
      args.outDir = value;
    } else throw new RooflineArgsError(`unknown option '${flag}' (usage: ${ROOFLINE_USAGE})`);
    i++;
  }
  return args;
}
