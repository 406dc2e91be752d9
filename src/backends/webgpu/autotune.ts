/**
 * Adapter-aware conv kernel selection: a short measured autotune at first load, cached per adapter and model.
 *
 * For the graph a session will run (lowered as the executor lowers it) the distinct conv signatures with more than one
 * valid variant (conv_select.ts `convVariantsFor`, so new variants are tuned as soon as they are listed) are timed,
 * biggest total MACs first, each on a one-node proxy graph (same channels, kernel, stride, pads, groups, epilogue and
 * width, fewer output rows; seeded random weights) built once per candidate with a WebGPUExecutor forced to it. GPU
 * time comes from profile() (timestamps when the device has them), summed over the proxy's dispatches (a lowered
 * variant may have several). The rule's choice is kept unless another is faster by a margin. Once the budget is
 * spent the remaining layers keep the rule (the hardware policy: their vendor seed). The table is stored in a TuningCache under a key made of the adapter,
 * Tessera's version, a hash of the kernel sources and a hash of the graph's structure, so the next session with the
 * same model on the same adapter does no measurement at all. Pure parts: autotune_plan.ts.
 *
 * Which candidates are timed is the policy's (tuning_policy.ts, docs/tuning.md): on hardware adapters the vendor
 * family's seed and at most 3 more, within a first-load budget; every candidate's proxy output is compared with the
 * rule's and a candidate that differs is rejected (a miscompiled or vendor-buggy variant can never win).
 */
import { f32ToF16, type Graph, type Node, type Tensor } from '../../graph/ir.js';
import { inferShapes } from '../../graph/infer.js';
import { sha256Hex } from '../../cache/sha256.js';
import type { TuningCache } from '../../cache/tuning_cache.js';
import { CONV_VARIANTS, type ConvShape, type ConvVariant, type ConvVariantOverride } from './conv_select.js';
import { adapterClassOf, type AdapterClass, type GpuContext } from './device.js';
import { HARDWARE_BUDGET_MS, HARDWARE_MAX_CANDIDATES, hardwareCandidates, resolvePolicy, type TuningPolicy } from './tuning_policy.js';
import { RESIDUAL_VIEW_ATTRS } from '../../graph/ops/residual_view.js';
import { WebGPUExecutor } from './executor.js';
import { subsampleStridedPointwise } from './lower.js';
import { convMacs } from './conv_common.js';
import { relativeL2 } from '../../util/relative_l2.js';
import { SHADER_SOURCES } from './shader_sources.js';
import {
  collectTunableLayers,
  defaultBudgetMs,
  modelSignature,
  proxyShape,
  sanitizeTable,
  tableChooser,
  tunedCandidates,
  tuneLayers,
  tuningKeyText,
  type AdapterSignature,
  type TunableLayer,
  type TuningTable,
} from './autotune_plan.js';

export interface AutotuneOptions {
  /** Stop starting new layers after this many ms (default: defaultBudgetMs of the model's MACs); the rest keep the rule. */
  budgetMs?: number;
  /** Where tables are kept; false: measure every time, store nothing. Default: the caller's (session) default. */
  cache?: TuningCache | false;
  /** A variant must beat the rule's by this fraction to replace it (default 0.05). */
  margin?: number;
  /** MACs of a proxy (default 2e6: a few ms on SwiftShader); grown when a proxy runs too fast to time. */
  proxyMacs?: number;
  /**
   * Which candidates are timed (docs/tuning.md). 'auto' (default): 'hardware' on hardware adapters, 'all' on software
   * ones. 'hardware': the vendor family's seed and preferences plus the rule, at most `maxCandidates` per layer, within
   * `budgetMs` (default 1.5 s) as a bound on the whole tuning; unmeasured layers run their seed. 'all': every valid
   * variant (except conv2d_direct), unmeasured layers keep the rule.
   */
  policy?: TuningPolicy;
  /** Tune as if the adapter were of this class (tests force the hardware policy of a family on SwiftShader). */
  adapterClass?: AdapterClass;
  /** Hardware policy: candidates per layer, the rule included (default 4). */
  maxCandidates?: number;
}

const DEFAULT_PROXY_MACS = 2e6;
/** A proxy faster than this (ms) is grown once: timestamp resolution (Chrome: 100 µs) would swamp the differences. */
const MIN_MEASURABLE_MS = 0.5;
/** Profiled runs of each contender; the minimum is kept (the least disturbed run). */
const REPEATS = 3;
/** Candidates slower than the best by more than this after a run are not run again. */
const CONTENDER_RATIO = 1.3;
/**
 * A candidate whose proxy output is further than this (relative L2) from the rule's is rejected. Correct variants
 * differ by rounding only (Winograd vs the GEMMs: ~1e-6 on a layer); a broken one is off by O(1).
 */
const OUTPUT_CHECK_TOLERANCE = 1e-4;

export type TuningSource = 'off' | 'none' | 'miss' | 'cache' | 'measured' | 'failed';

/** What autotuning did for a session (`session.tuning`). */
export interface TuningReport {
  /**
   * 'off': disabled; 'none': no conv layer has more than one candidate (nothing to tune); 'miss': lookup only (no
   * measuring asked) and no table stored, so the rule runs; 'cache': table loaded, no measurement; 'measured': tuned
   * now; 'failed': tuning threw (the rule runs every layer; `error` says why).
   */
  source: TuningSource;
  /** Wall time of the whole step (key, cache lookup, measurement, cache write), ms. */
  ms: number;
  /** Distinct tunable conv signatures in the model. */
  layers: number;
  /** Signatures measured now (0 on a cache hit). */
  layersTuned: number;
  /** Signatures left to the rule because the budget ran out. */
  layersSkipped: number;
  /** Proxy executors timed now (0 on a cache hit). */
  measurements: number;
  /** Variant per conv signature from the table (measured or loaded). */
  choices: Record<string, string>;
  /** Signatures where the table differs from the rule. */
  changed: number;
  /** Cache key (hex), when one was computed. */
  key?: string;
  /** The policy that chose the candidates ('hardware' or 'all'), and the adapter class it was resolved for. */
  policy?: Exclude<TuningPolicy, 'auto'>;
  adapterClass?: AdapterClass;
  /** The tuning budget (ms) this run was given. */
  budgetMs?: number;
  /** Candidates whose proxy output differed from the rule's (or was not finite): left out, named `signature: variant`. */
  rejected?: string[];
  /** Why the cache could not be read or written, or why tuning failed (tuning never fails a session). */
  error?: string;
}

let kernelsHash: Promise<string> | undefined;
/** Hash of every shader source and the variant list: a kernel change invalidates old tables. */
function kernelSourcesHash(): Promise<string> {
  return (kernelsHash ??= sha256Hex(new TextEncoder().encode(JSON.stringify([CONV_VARIANTS, SHADER_SOURCES]))));
}

/** Adapter info (device.adapterInfo where the implementation has it) and the limits kernels depend on. */
export function adapterSignature(gpu: GpuContext): AdapterSignature {
  const info = (gpu.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const l = gpu.device.limits;
  const limits: Record<string, number> = {};
  for (const k of [
    'maxComputeWorkgroupSizeX',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupStorageSize',
    'maxComputeWorkgroupsPerDimension',
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxStorageBuffersPerShaderStage',
    'minStorageBufferOffsetAlignment',
  ] as const) {
    const v = l[k];
    if (typeof v === 'number') limits[k] = v;
  }
  const features = Object.entries(gpu.features)
    .filter(([, on]) => on)
    .map(([f]) => f);
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    // The browser and Dawn-for-Node ship different Dawn builds: keep their tables apart.
    description: `${gpu.source}: ${info?.description || gpu.adapterDescription}`,
    features,
    limits,
  };
}

/** The graph the executor will see (its WebGPU lowerings), so signatures match what conv.ts is asked. */
function lowered(graph: Graph): Graph {
  return subsampleStridedPointwise(graph);
}

/** Cache key (hex SHA-256) of `graph` at `inputShapes` on this adapter. */
export async function tuningKey(gpu: GpuContext, graph: Graph, inputShapes: Record<string, number[]>, policy?: string): Promise<string> {
  const g = lowered(graph);
  const values = inferShapes(g, inputShapes);
  const enc = new TextEncoder();
  const modelHash = await sha256Hex(enc.encode(modelSignature(g, values)));
  return sha256Hex(enc.encode(tuningKeyText(adapterSignature(gpu), await kernelSourcesHash(), modelHash, undefined, policy)));
}

/** Seeded values in [-1, 1) (xorshift32), so proxies are reproducible. */
function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function constantLike(original: Tensor | undefined, shape: number[], seed: number): Tensor {
  const data = seeded(size(shape), seed).map((v) => v * 0.1);
  // Keep f16 weights f16: the executor stores them as halves, which changes the kernel's loads.
  if (original?.dtype === 'f16') return { dtype: 'f16', shape, data: Uint16Array.from(data, f32ToF16) };
  return { dtype: 'f32', shape, data };
}

/** One-node graph that runs `layer` at proxy geometry `p` (2-D convs are cropped in H; 1-D convs run whole). */
export function proxyGraph(source: Graph, layer: TunableLayer, p: ConvShape): { graph: Graph; inputs: Record<string, Float32Array>; shapes: Record<string, number[]> } {
  const node = layer.node;
  const w = source.initializers.get(node.inputs[1]!);
  const is2d = (w?.shape.length ?? 4) === 4;
  const s = is2d ? p : layer.shape;
  const xShape = is2d ? [s.n, s.cin, s.ih, s.iw] : [s.n, s.cin, s.iw];
  const yShape = is2d ? [s.n, s.cout, s.oh, s.ow] : [s.n, s.cout, s.ow];
  const wShape = is2d ? [s.cout, s.cin / s.group, s.kh, s.kw] : [s.cout, s.cin / s.group, s.kw];
  const roles = ['x', 'w', 'b', 'r'];
  const inputs = node.inputs.map((n, i) => (n === '' ? '' : (roles[i] ?? `extra${i}`)));
  const attrs: Node['attrs'] = { ...node.attrs };
  // The proxy's residual has the output's shape: read plainly (a residual view changes one load per output element).
  for (const k of RESIDUAL_VIEW_ATTRS) delete attrs[k];
  if (is2d) {
    // Explicit pads: auto_pad would recompute them from the cropped height.
    delete attrs['auto_pad'];
    attrs['pads'] = [s.pads[0], s.pads[1], s.pads[2], s.pads[3]];
  }
  const initializers = new Map<string, Tensor>();
  if (w) initializers.set('w', constantLike(w, wShape, 7));
  if (inputs[2] === 'b') initializers.set('b', constantLike(source.initializers.get(node.inputs[2]!), [s.cout], 11));
  const graphInputs = [{ name: 'x', dtype: 'f32' as const, shape: xShape }];
  const feeds: Record<string, Float32Array> = { x: seeded(size(xShape), 3) };
  if (!w) {
    graphInputs.push({ name: 'w', dtype: 'f32', shape: wShape }); // runtime weights (only conv2d_direct/depthwise)
    feeds['w'] = seeded(size(wShape), 7);
  }
  if (inputs[3] === 'r') {
    graphInputs.push({ name: 'r', dtype: 'f32', shape: yShape });
    feeds['r'] = seeded(size(yShape), 13);
  }
  const graph: Graph = {
    inputs: graphInputs,
    outputs: [{ name: 'y', dtype: 'f32', shape: yShape }],
    nodes: [{ ...node, name: 'tuned_conv', inputs, outputs: ['y'], attrs }],
    initializers,
    metadata: {},
  };
  return { graph, inputs: feeds, shapes: Object.fromEntries(graphInputs.map((i) => [i.name, i.shape])) };
}

/** GPU ms of one run of `ex`: the sum over its dispatches (a lowered variant can have several). */
async function profileOnce(ex: WebGPUExecutor, feeds: Record<string, Float32Array>, perDispatchMs = 0): Promise<number> {
  return (await profileWithOutput(ex, feeds, perDispatchMs)).ms;
}

/**
 * profileOnce, also returning the proxy's output (checked against the rule's on the first run). `perDispatchMs` is
 * added per dispatch: what a dispatch costs beyond its GPU time on hardware (see DISPATCH_COST_MS).
 */
async function profileWithOutput(ex: WebGPUExecutor, feeds: Record<string, Float32Array>, perDispatchMs = 0): Promise<{ ms: number; y: Float32Array | undefined }> {
  const { rows, outputs } = await ex.profile(feeds);
  const y = outputs['y']?.data;
  return { ms: rows.reduce((t, r) => t + (r.gpuMs ?? 0), 0) + rows.length * perDispatchMs, y: y instanceof Float32Array ? y : undefined };
}

/** Counts shared by one tuning run's measurements, and its per-dispatch cost at full layer size (ms). */
interface MeasureCounter {
  n: number;
  rejected: string[];
  dispatchMs: number;
}

/**
 * What one dispatch costs on a hardware GPU beyond its kernel's timestamps (ms): 24-36 µs measured per dispatch on
 * Vulkan, 32-71 µs on Metal (../shared/research/realgpu.md §1). The hardware policy charges it per dispatch, so a
 * lowering into several dispatches (Winograd: 3, im2col: 2) must win by more than its extra launches.
 */
const DISPATCH_COST_MS = 0.03;

/** Times every candidate of `layer` on proxy `p`: all compiled in parallel, then run one after another. */
async function measureAt(gpu: GpuContext, source: Graph, layer: TunableLayer, p: ConvShape, counter: MeasureCounter): Promise<Partial<Record<ConvVariant, number>>> {
  const { graph, inputs, shapes } = proxyGraph(source, layer, p);
  // The proxy runs a fraction of the layer's MACs: its dispatch cost is scaled the same way.
  const perDispatchMs = counter.dispatchMs * (convMacs(p) / Math.max(1, convMacs(layer.shape)));
  const built = await Promise.allSettled(layer.candidates.map((v) => WebGPUExecutor.create(gpu, graph, { inputShapes: shapes, convVariant: () => v })));
  const times: Partial<Record<ConvVariant, number>> = {};
  try {
    // One profiled run each; then the contenders (within CONTENDER_RATIO of the best) run again and keep their
    // minimum, so a disturbed first run cannot decide, while clear losers (conv2d_direct is often 10x slower) cost
    // one run only.
    // The rule runs first: its output is the reference every other candidate's first run is checked against.
    const live = built
      .map((b, i) => ({ v: layer.candidates[i]!, ex: b.status === 'fulfilled' ? b.value : undefined }))
      .sort((a, b) => Number(b.v === layer.rule) - Number(a.v === layer.rule));
    let reference: Float32Array | undefined;
    for (const { v, ex } of live) {
      if (!ex) continue; // a variant that cannot be built here simply does not compete
      counter.n++;
      const first = await profileWithOutput(ex, inputs, perDispatchMs).catch(() => undefined); // a failed run leaves the candidate out
      if (!first) continue;
      if (v === layer.rule) reference = first.y;
      // Without the rule's output nothing can be checked: only the rule itself may then be chosen.
      if (v !== layer.rule && (!reference || !first.y || !(relativeL2(first.y, reference, 'absolute') <= OUTPUT_CHECK_TOLERANCE))) {
        counter.rejected.push(`${layer.key}: ${v}`);
        live.find((c) => c.v === v)!.ex = undefined;
        continue;
      }
      times[v] = first.ms;
    }
    for (let r = 1; r < REPEATS; r++) {
      const best = Math.min(...live.map(({ v }) => times[v] ?? Infinity));
      for (const { v, ex } of live) {
        const t = times[v];
        if (!ex || t === undefined || t > best * CONTENDER_RATIO) continue;
        times[v] = Math.min(t, await profileOnce(ex, inputs, perDispatchMs).catch(() => Infinity));
      }
    }
  } finally {
    for (const b of built) if (b.status === 'fulfilled') b.value.release();
  }
  gpu.checkHealthy();
  return times;
}

/** Measures one layer, growing the proxy once when it runs too fast for the timer to tell variants apart. */
function layerMeasurer(gpu: GpuContext, source: Graph, proxyMacs: number, counter: MeasureCounter) {
  return async (layer: TunableLayer) => {
    let p = proxyShape(layer.shape, proxyMacs);
    let times = await measureAt(gpu, source, layer, p, counter);
    const fastest = Math.min(...Object.values(times).filter((t): t is number => t !== undefined));
    if (fastest < MIN_MEASURABLE_MS && p.oh < layer.shape.oh) {
      const grow = Math.min(64, (4 * MIN_MEASURABLE_MS) / Math.max(fastest, 0.01));
      const bigger = proxyShape(layer.shape, proxyMacs * grow);
      if (bigger.oh > p.oh) {
        p = bigger;
        times = await measureAt(gpu, source, layer, p, counter);
      }
    }
    return times;
  };
}

function changedFromRule(layers: TunableLayer[], table: TuningTable): number {
  return layers.filter((l) => table.choices[l.key] !== undefined && table.choices[l.key] !== l.rule).length;
}

/**
 * Tunes `graph` (as the session hands it to the executor) at `inputShapes`, or loads its table. Never throws for a
 * tuning or cache problem: the report says what happened and the chooser is undefined (the rule) when nothing was
 * learned.
 */
export async function autotuneGraph(
  gpu: GpuContext,
  graph: Graph,
  inputShapes: Record<string, number[]>,
  options: AutotuneOptions & { cache: TuningCache | false; measure?: boolean },
): Promise<{ chooser?: ConvVariantOverride; report: TuningReport }> {
  const t0 = performance.now();
  const report: TuningReport = { source: 'none', ms: 0, layers: 0, layersTuned: 0, layersSkipped: 0, measurements: 0, choices: {}, changed: 0 };
  const done = (chooser?: ConvVariantOverride) => {
    report.ms = performance.now() - t0;
    return { chooser, report };
  };
  try {
    const g = lowered(graph);
    const cls = options.adapterClass ?? adapterClassOf(gpu);
    const policy = resolvePolicy(options.policy ?? 'auto', cls);
    Object.assign(report, { policy, adapterClass: cls });
    const hardware = policy === 'hardware';
    const max = Math.max(2, Math.floor(options.maxCandidates ?? HARDWARE_MAX_CANDIDATES));
    const layers = collectTunableLayers(
      g,
      inferShapes(g, inputShapes),
      hardware ? (s) => hardwareCandidates(cls, s, max) : (s) => ({ candidates: tunedCandidates(s, cls === 'software') }),
    );
    report.layers = layers.length;
    if (!layers.length) return done();
    const key = await tuningKey(gpu, graph, inputShapes, hardware ? `hardware:${cls}:${max}` : undefined);
    report.key = key;
    const cache = options.cache;
    if (cache) {
      let stored: TuningTable | undefined;
      try {
        stored = sanitizeTable(await cache.get(key));
      } catch (e) {
        report.error = `tuning cache read failed: ${(e as Error).message}`;
      }
      if (stored) {
        report.source = 'cache';
        report.choices = stored.choices;
        report.changed = changedFromRule(layers, stored);
        return done(tableChooser(stored));
      }
    }
    if (options.measure === false) {
      report.source = 'miss';
      return done();
    }
    const counter: MeasureCounter = { n: 0, rejected: [], dispatchMs: hardware ? DISPATCH_COST_MS : 0 };
    const budgetMs = options.budgetMs ?? (hardware ? HARDWARE_BUDGET_MS : defaultBudgetMs(layers.reduce((m, l) => m + l.macs, 0)));
    report.budgetMs = budgetMs;
    const result = await tuneLayers(layers, layerMeasurer(gpu, g, options.proxyMacs ?? DEFAULT_PROXY_MACS, counter), {
      // The hardware policy's budget bounds the whole step: the key hash and cache lookup (~0.3 s for ResNet-50 on a
      // loaded 2-core machine) come out of it.
      budgetMs: hardware ? budgetMs - (performance.now() - t0) : budgetMs,
      margin: options.margin,
      finishWithin: hardware,
    });
    Object.assign(report, {
      rejected: counter.rejected,
      source: 'measured',
      layersTuned: result.layers.length,
      layersSkipped: result.skipped,
      measurements: counter.n,
      choices: result.table.choices,
      changed: changedFromRule(layers, result.table),
    });
    if (cache) {
      try {
        await cache.set(key, result.table as unknown as Record<string, unknown>);
      } catch (e) {
        report.error = `tuning cache write failed: ${(e as Error).message}`;
      }
    }
    return done(tableChooser(result.table));
  } catch (e) {
    gpu.checkHealthy(); // a lost or broken device is the session's problem, not a tuning failure
    report.source = 'failed';
    report.error = `autotuning failed: ${(e as Error).message}`;
    return done();
  }
}
