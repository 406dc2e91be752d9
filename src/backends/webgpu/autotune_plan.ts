/**
 * Autotuning, the parts that need no GPU (unit-tested in Node): which conv layers are worth tuning, the cropped proxy
 * a layer is measured on, the budgeted tuning loop (with the measurement injected), the tuning table and its keys.
 * The GPU side (building proxy graphs, timing them with profile()) is autotune.ts.
 */
import type { Graph, Node, ValueInfo } from '../../graph/ir.js';
import { convOf } from '../../graph/ops/batchnorm_conv.js';
import { CONV_VARIANTS, REAL_GPU_CONV_VARIANTS, convVariantsFor, defaultConvVariant, type ConvShape, type ConvVariant, type ConvVariantOverride } from './conv_select.js';
import { convMacs } from './conv_common.js';
import { parseConv } from './conv.js';

/** Keep in sync with package.json (a test checks it): part of every tuning cache key. */
export const TESSERA_VERSION = '0.1.0';

/** Layout of stored tables; bump when its meaning changes (old tables then miss). */
export const TUNING_TABLE_VERSION = 1;

/** A stable text key for a conv geometry: equal keys = the same kernel choice problem. */
export function convSignature(s: ConvShape): string {
  return [
    `n${s.n}`,
    `i${s.cin}x${s.ih}x${s.iw}`,
    `o${s.cout}x${s.oh}x${s.ow}`,
    `k${s.kh}x${s.kw}`,
    `s${s.sh}x${s.sw}`,
    `d${s.dh}x${s.dw}`,
    `p${s.pads.join(',')}`,
    `g${s.group}`,
    s.constWeights ? 'cw' : 'rw',
  ].join(' ');
}

export interface TunableLayer {
  key: string;
  shape: ConvShape;
  /** MACs of every node with this signature (what a better choice saves is proportional to it). */
  macs: number;
  /** How many nodes share the signature. */
  count: number;
  /** A node with this signature (the proxy copies its op, attributes and epilogue). */
  node: Node;
  candidates: ConvVariant[];
  rule: ConvVariant;
  /**
   * Hardware policy (tuning_policy.ts): the vendor family's choice, the incumbent a measured candidate must beat by the
   * margin, and what the layer runs when the budget leaves it unmeasured. Undefined: the rule plays both parts.
   */
  seed?: ConvVariant;
}

/** Candidates (and seed) of one conv shape; see tuning_policy.ts `hardwareCandidates`. */
export type CandidatePolicy = (s: ConvShape) => { candidates: ConvVariant[]; seed?: ConvVariant };

const isConv = (n: Node) => n.op === 'Conv' || n.op === 'FusedConv';

/**
 * The variants worth timing for `s`: every valid one (convVariantsFor, so new variants are tuned as soon as they are
 * listed) except conv2d_direct where another exists. conv2d_direct is the correctness fallback (one output per
 * thread, no reuse): measured here it ran 6-15x slower than the implicit GEMMs on every ResNet layer, and timing it
 * took about a third of the whole tuning time (ResNet-18: 1.8 s of 6.3 s).
 */
export function tunedCandidates(s: ConvShape, softwareAdapter = false): ConvVariant[] {
  // On a software adapter the real-GPU variants (workgroup memory, 4x4 tiles) lose on every layer measured (docs/
  // webgpu.md: 0.16-0.32 GFLOP/s against 0.30-0.40 for conv2d_gemm): timing them would only spend the budget.
  const valid = convVariantsFor(s).filter((v) => !softwareAdapter || !(REAL_GPU_CONV_VARIANTS as readonly string[]).includes(v));
  const rule = defaultConvVariant(s);
  return valid.length > 1 ? valid.filter((v) => v !== 'conv2d_direct' || v === rule) : valid;
}

/**
 * Default time budget (ms) for a model of `macs` multiply-accumulates: 500 ms plus 500 ms per GMAC, at most 3 s.
 * Tiny models get little (their runs are short, tuning pays back slowly); the first layer measured always completes.
 */
export function defaultBudgetMs(macs: number): number {
  return Math.min(3000, Math.round(500 + 500 * (macs / 1e9)));
}

/**
 * Distinct 2-D conv signatures of `graph` (already lowered as the executor will see it) that have more than one
 * candidate, biggest total MACs first. Nodes whose shapes cannot be parsed are skipped (the executor reports them).
 * `policy`: a candidate policy, or whether the adapter is software (`tunedCandidates`: every valid variant).
 */
export function collectTunableLayers(graph: Graph, values: Map<string, ValueInfo>, policy: boolean | CandidatePolicy = false): TunableLayer[] {
  const pick: CandidatePolicy = typeof policy === 'function' ? policy : (s) => ({ candidates: tunedCandidates(s, policy) });
  const byKey = new Map<string, TunableLayer>();
  for (const graphNode of graph.nodes) {
    // A BatchNormConv is tuned as its conv: the choice decides whether it keeps the prologue (conv2d_1x1) or is
    // expanded back (lower.ts lowerBatchNormConvs), and the timed layer is the plain conv, as before the fold.
    const node = graphNode.op === 'BatchNormConv' ? convOf(graphNode) : graphNode;
    if (!isConv(node)) continue;
    let shape: ConvShape;
    try {
      shape = parseConv({
        node,
        inputShapes: node.inputs.map((n) => (n === '' ? undefined : values.get(n)?.shape)),
        outputShapes: node.outputs.map((n) => values.get(n)?.shape ?? []),
        constant: (name) => graph.initializers.get(name),
      }).shape;
    } catch {
      continue;
    }
    const { candidates, seed } = pick(shape);
    if (candidates.length < 2) continue;
    const key = convSignature(shape);
    const macs = convMacs(shape);
    const seen = byKey.get(key);
    if (seen) {
      seen.macs += macs;
      seen.count++;
    } else {
      const rule = defaultConvVariant(shape);
      byKey.set(key, { key, shape, macs, count: 1, node, candidates, rule, ...(seed !== undefined && seed !== rule ? { seed } : {}) });
    }
  }
  return rankLayers([...byKey.values()]);
}

/** Biggest total MACs first; ties by key so the order is stable. */
export function rankLayers(layers: TunableLayer[]): TunableLayer[] {
  return [...layers].sort((a, b) => b.macs - a.macs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Input rows a conv needs to produce `rows` output rows with the same pads (may be < 1: no crop possible). */
function inputRowsFor(s: ConvShape, rows: number): number {
  return (rows - 1) * s.sh + (s.kh - 1) * s.dh + 1 - s.pads[0] - s.pads[2];
}

/**
 * The proxy a layer is timed on: same channels, kernel, stride, dilation, pads, groups and width, but only enough
 * output rows for about `targetMacs` (at least 2 rows, so the top and bottom pads both show). The pointwise kernel
 * switches to vec4 loads when H*W % 4 == 0, so the crop keeps that property. Returns `s` when no crop is possible.
 */
export function proxyShape(s: ConvShape, targetMacs: number): ConvShape {
  const perRow = convMacs({ ...s, oh: 1 });
  let rows = Math.max(2, Math.ceil(targetMacs / Math.max(1, perRow)));
  if (rows >= s.oh) return s;
  const vec4 = (h: number) => (h * s.ow) % 4 === 0;
  while (rows < s.oh && vec4(rows) !== vec4(s.oh)) rows++;
  if (rows >= s.oh) return s;
  const ih = inputRowsFor(s, rows);
  if (ih < 1 || ih > s.ih) return s;
  // The conv output formula must give back `rows` (it does unless pads exceed the window).
  const oh = Math.floor((ih + s.pads[0] + s.pads[2] - (s.kh - 1) * s.dh - 1) / s.sh) + 1;
  if (oh !== rows) return s;
  return { ...s, ih, oh: rows };
}

/**
 * The fastest candidate, but the rule's choice is kept unless another is faster by more than `margin` (relative):
 * measurements of near-equal kernels are noise, and the rule was itself set by measurement. Missing or non-finite
 * times never win.
 */
export function pickFastest(rule: ConvVariant, times: Partial<Record<ConvVariant, number>>, margin = 0.05): ConvVariant {
  const ruleMs = times[rule];
  let best: ConvVariant = rule;
  let bestMs = ruleMs !== undefined && Number.isFinite(ruleMs) ? ruleMs : Infinity;
  for (const [v, ms] of Object.entries(times) as [ConvVariant, number][]) {
    if (!Number.isFinite(ms) || ms < 0) continue;
    if (ms < bestMs) {
      best = v;
      bestMs = ms;
    }
  }
  if (best === rule || ruleMs === undefined || !Number.isFinite(ruleMs)) return best;
  return bestMs < ruleMs * (1 - margin) ? best : rule;
}

/** What a stored table holds: the chosen variant per conv signature. Variant names are plain strings on disk. */
export interface TuningTable {
  version: number;
  choices: Record<string, string>;
  /** Informational: signatures measured, and how long the tuning took (ms). */
  measured?: number;
  ms?: number;
}

/**
 * A table read from a cache, checked: undefined when it is not a table of this layout; entries whose variant name
 * this build does not know (a newer Tessera wrote them) are dropped, so old builds keep working.
 */
export function sanitizeTable(raw: unknown): TuningTable | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const t = raw as Partial<TuningTable>;
  if (t.version !== TUNING_TABLE_VERSION || !t.choices || typeof t.choices !== 'object' || Array.isArray(t.choices)) return undefined;
  const known = new Set<string>(CONV_VARIANTS);
  const choices: Record<string, string> = {};
  for (const [k, v] of Object.entries(t.choices)) if (typeof v === 'string' && known.has(v)) choices[k] = v;
  const out: TuningTable = { version: TUNING_TABLE_VERSION, choices };
  if (typeof t.measured === 'number') out.measured = t.measured;
  if (typeof t.ms === 'number') out.ms = t.ms;
  return out;
}

/** Entries of `update` win over `base` (e.g. a re-measured layer). */
export function mergeTables(base: TuningTable | undefined, update: TuningTable): TuningTable {
  return { ...update, choices: { ...(base?.choices ?? {}), ...update.choices } };
}

/** The per-session chooser a table gives the executor (names that are invalid for a shape fall back to the rule). */
export function tableChooser(table: TuningTable): ConvVariantOverride {
  return (s) => table.choices[convSignature(s)] as ConvVariant | undefined;
}

/** Times of each candidate of one layer (ms); a candidate that failed is left out. */
export type MeasureLayer = (layer: TunableLayer) => Promise<Partial<Record<ConvVariant, number>>>;

export interface TuneLoopOptions {
  /** Stop starting new layers once this much time has passed (ms). Layers left keep the rule. */
  budgetMs: number;
  margin?: number;
  now?: () => number;
  /**
   * Also skip a layer when the longest layer so far would take the loop past the budget (the hardware policy: the
   * budget is a bound on first-load time, not only on when the last layer may start). The first layer always runs.
   */
  finishWithin?: boolean;
}

export interface TuneLoopResult {
  table: TuningTable;
  /** Layers measured, in order, with their times and choice. */
  layers: { key: string; macs: number; rule: ConvVariant; choice: ConvVariant; times: Partial<Record<ConvVariant, number>> }[];
  /** Layers left unmeasured because the budget ran out (they keep their seed, else the rule). */
  skipped: number;
  ms: number;
}

/**
 * The tuning loop: biggest layers first, each measured with `measure`, until the budget is spent (a layer already
 * started finishes). Every measured layer gets an entry, also when the rule won, so a cached table records that the
 * layer was looked at.
 */
export async function tuneLayers(layers: TunableLayer[], measure: MeasureLayer, options: TuneLoopOptions): Promise<TuneLoopResult> {
  const now = options.now ?? (() => performance.now());
  const t0 = now();
  const out: TuneLoopResult['layers'] = [];
  const choices: Record<string, string> = {};
  let skipped = 0;
  let longest = 0;
  for (const layer of rankLayers(layers)) {
    const elapsed = now() - t0;
    if (elapsed >= options.budgetMs || (options.finishWithin && out.length > 0 && elapsed + longest > options.budgetMs)) {
      skipped++;
      // An unmeasured layer runs its seed (the vendor family's guess), recorded so a cached table does the same.
      if (layer.seed !== undefined) choices[layer.key] = layer.seed;
      continue;
    }
    const started = now();
    const times = await measure(layer);
    longest = Math.max(longest, now() - started);
    // The seed is the incumbent; if it failed or was rejected, pickFastest falls back to the fastest that ran.
    const choice = pickFastest(layer.seed ?? layer.rule, times, options.margin);
    choices[layer.key] = choice;
    out.push({ key: layer.key, macs: layer.macs, rule: layer.rule, choice, times });
  }
  const ms = now() - t0;
  return { table: { version: TUNING_TABLE_VERSION, choices, measured: out.length, ms }, layers: out, skipped, ms };
}

/** What identifies an adapter for tuning: its info strings and the limits / features kernels depend on. */
export interface AdapterSignature {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  features: string[];
  limits: Record<string, number>;
}

/**
 * The model part of the key: the structure of the lowered graph at the tuned input shapes (ops, attributes, value
 * shapes and dtypes, initializer shapes and dtypes), without names or weight bytes. Kernel speed depends on shapes
 * and storage types, never on weight values, and hashing hundreds of MB of weights at every load would cost more
 * than the tuning saves; two files with the same architecture share a table, which is what we want.
 */
export function modelSignature(graph: Graph, values: Map<string, ValueInfo>): string {
  const ids = new Map<string, number>();
  const id = (name: string) => {
    if (name === '') return '-';
    let i = ids.get(name);
    if (i === undefined) ids.set(name, (i = ids.size));
    return i;
  };
  const valueText = (name: string) => {
    if (name === '') return '-';
    const init = graph.initializers.get(name);
    if (init) return `w:${init.dtype}[${init.shape.join(',')}]`;
    const v = values.get(name);
    return `v${id(name)}:${v?.dtype ?? '?'}[${v?.shape.join(',') ?? '?'}]`;
  };
  const attrText = (n: Node) =>
    Object.keys(n.attrs)
      .sort()
      .map((k) => {
        const a = n.attrs[k];
        const text = a && typeof a === 'object' && 'data' in a ? `tensor:${a.dtype}[${a.shape.join(',')}]` : JSON.stringify(a);
        return `${k}=${text}`;
      })
      .join(';');
  const lines = graph.inputs.filter((i) => !graph.initializers.has(i.name)).map((i) => `in ${valueText(i.name)}`);
  for (const n of graph.nodes) lines.push(`${n.op}(${n.inputs.map(valueText).join(' ')})->(${n.outputs.map(valueText).join(' ')}){${attrText(n)}}`);
  lines.push(`out ${graph.outputs.map((o) => valueText(o.name)).join(' ')}`);
  return lines.join('\n');
}

/**
 * The text hashed into a cache key: adapter, Tessera version, kernel sources' hash, model structure hash, and the
 * policy when it is not the exhaustive one (a hardware-policy table forced on a software adapter, or for another
 * family, must not be read by the default session there).
 */
export function tuningKeyText(adapter: AdapterSignature, kernelsHash: string, modelHash: string, version = TESSERA_VERSION, policy?: string): string {
  const limits = Object.keys(adapter.limits)
    .sort()
    .map((k) => `${k}=${adapter.limits[k]}`)
    .join(',');
  return JSON.stringify({
    table: TUNING_TABLE_VERSION,
    tessera: version,
    kernels: kernelsHash,
    adapter: [adapter.vendor, adapter.architecture, adapter.device, adapter.description],
    features: [...adapter.features].sort(),
    limits,
    model: modelHash,
    ...(policy ? { policy } : {}),
  });
}
