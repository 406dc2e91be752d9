/**
 * Mixed precision for `tessera convert --int8`: quantise a weight to int8 only where the model's top-1 stays put.
 *
 * int8 rounding perturbs every logit a little (the centred, per-input relative error `eps` below, ~1–3 % for the
 * zoo's nets). Whether that flips a top-1 depends on how decided the model is: a trained CIFAR ResNet (median
 * top-1 margin ~1.7 logit standard deviations) shrugs it off, a random-weight net with near-tied logits (margin
 * 0.2–0.3) flips 2–3 % of its images. So the decision estimates top-1 agreement rather than bounding the error:
 *
 *   1. Run the f32 graph on calibration inputs (the CPU reference, deterministic): real preprocessed inputs, or
 *      seeded synthetic images (`syntheticCalibration`). Without calibration nothing is run: all candidates int8.
 *   2. Run the all-int8 graph; if the estimated agreement (`agreementAt`) reaches `minAgreement`, keep it all int8.
 *   3. Else measure each candidate weight alone (only it int8) on the first `sensitivityInputs` inputs: its
 *      eps_l. Rounding errors of different layers are independent, so eps² adds up over layers (measured: the
 *      per-layer eps_l² of threshnet-mini sum to its all-int8 eps² within 2 %). Find the largest eps with
 *      `agreementAt(eps) ≥ minAgreement`, then quantise the weights in order of eps_l² per byte saved while the sum
 *      stays within eps²; the rest stay float (f32, or f16 with --fp16).
 *   4. Run the mixed graph on all inputs and search the budget: a miss (the sum was optimistic) shrinks it by the
 *      miss, slack grows it; at most 6 rounds, the passing choice with the fewest float weights wins (none passing:
 *      everything stays float).
 *
 * The agreement estimate (`referenceStats`) is the density of near-tied logits times eps. It is only as good as
 * the inputs' margins: synthetic images give about the right eps (within ~30 %) but not real images' margins
 * (measured: the trained ResNet-20 looks fragile on them, 97.1 % estimated vs 99.5 % measured on CIFAR-10, and
 * keeps 17 of 20 weights float). Hence no default calibration: real images decide, synthetic ones only on request.
 * The estimate can also be 2× optimistic (docs/format.md), hence the default target 0.997 for a 99 % goal.
 */
import { CpuExecutor } from '../../backends/cpu/index.js';
import { sizeOf, type Graph, type Tensor } from '../ir.js';
import { randomValues } from '../builder.js';
import { quantizeWeightsInt8, type Int8Layer, type Int8Summary, type QuantizeOptions } from './quantize_int8.js';

export interface MixedInt8Options extends QuantizeOptions {
  /** Target estimated top-1 agreement with the f32 model (default 0.997; 0 = every candidate int8). */
  minAgreement?: number;
  /**
   * Model-ready inputs [N, ...] (the main input's preprocessed form), or 'synthetic' (`syntheticCalibration`: seeded,
   * but its margins are not real images', see above). Without one nothing is measured: every candidate is int8.
   */
  calibration?: Tensor | 'synthetic';
  /** How many synthetic inputs (default 16). */
  syntheticCount?: number;
  /** Inputs used for the per-layer measurements (the first ones of the calibration; default 16). */
  sensitivityInputs?: number;
}

export interface FloatLayer {
  tensor: string;
  op: string;
  shape: number[];
  /** eps with only this weight int8. */
  error: number;
}

export interface MixedInt8Result {
  graph: Graph;
  summary: Int8Summary;
  /** Candidates left float, most sensitive first. */
  floatLayers: FloatLayer[];
  /** What was measured; undefined without calibration or with minAgreement 0 (nothing was run). */
  estimate?: { inputs: number; synthetic: boolean; allInt8Error: number; allInt8Agreement: number; error: number; agreement: number };
}

export const DEFAULT_MIN_AGREEMENT = 0.997;

/** The calibration couldn't be built or run (a dynamic input size, several inputs): say what and fall back. */
export class CalibrationUnavailable extends Error {}

export function quantizeWeightsInt8Mixed(graph: Graph, options: MixedInt8Options = {}): MixedInt8Result {
  const target = options.minAgreement ?? DEFAULT_MIN_AGREEMENT;
  const all = quantizeWeightsInt8(graph, options);
  if (!(target > 0) || !options.calibration || all.summary.layers.length === 0) return { ...all, floatLayers: [] };
  const synthetic = options.calibration === 'synthetic';
  const inputs = options.calibration === 'synthetic' ? syntheticCalibration(graph, options.syntheticCount ?? 16) : options.calibration;
  const run = outputsOn(graph, inputs);
  const ref = run(graph);
  const stats = referenceStats(ref.data, ref.count);
  const allError = relativeError(ref.data, run(all.graph).data, stats);
  const estimate = { inputs: ref.count, synthetic, allInt8Error: allError, allInt8Agreement: stats.agreementAt(allError) };
  if (estimate.allInt8Agreement >= target) return { ...all, floatLayers: [], estimate: { ...estimate, error: allError, agreement: estimate.allInt8Agreement } };

  // Per-layer eps on the first few inputs (the same f32 weights elsewhere).
  const few = Math.min(ref.count, options.sensitivityInputs ?? 16);
  const runFew = outputsOn(graph, firstRows(inputs, few));
  const refFew = runFew(graph);
  const statsFew = referenceStats(refFew.data, few);
  const layerError = new Map<string, number>();
  for (const l of all.summary.layers) {
    const initializers = new Map(graph.initializers).set(l.tensor, all.graph.initializers.get(l.tensor)!);
    layerError.set(l.tensor, relativeError(refFew.data, runFew({ ...graph, initializers }).data, statsFew));
  }
  const order = [...all.summary.layers].sort((a, b) => layerError.get(a.tensor)! ** 2 / saved(a) - layerError.get(b.tensor)! ** 2 / saved(b));

  // Choose for an error budget; verify on all inputs; search the budget (a miss shrinks it, slack grows it).
  const predicted = largestErrorFor(stats.agreementAt, target, allError);
  const choose = (budget: number) => {
    const int8 = new Set<string>();
    let sum = 0;
    for (const l of order) {
      const e2 = layerError.get(l.tensor)! ** 2;
      if (sum + e2 <= budget ** 2) (int8.add(l.tensor), (sum += e2));
    }
    return new Set(all.summary.layers.map((l) => l.tensor).filter((t) => !int8.has(t)));
  };
  const keepAll = new Set(all.summary.layers.map((l) => l.tensor));
  let best = { keepFloat: keepAll, error: 0, agreement: 1 };
  let lo = 0;
  let hi = Infinity;
  let budget = predicted;
  const tried = new Map<string, number>();
  for (let round = 0; round < 6; round++) {
    const keepFloat = choose(budget);
    const key = [...keepFloat].join('\n');
    const error =
      tried.get(key) ??
      (keepFloat.size === keepAll.size ? 0 : relativeError(ref.data, run(quantizeWeightsInt8(graph, { ...options, keepFloat }).graph).data, stats));
    tried.set(key, error);
    const agreement = stats.agreementAt(error);
    const pass = agreement >= target;
    if (pass && keepFloat.size < best.keepFloat.size) best = { keepFloat, error, agreement };
    if (pass) lo = Math.max(lo, budget);
    else hi = Math.min(hi, budget);
    // Next: the budget scaled by how far the measured error was off, at least 20 % away, inside (lo, hi).
    const scaled = error > 0 ? budget * (predicted / error) : budget * 2;
    let next = pass ? Math.max(scaled, budget * 1.2) : Math.min(scaled, budget * 0.8);
    if (next <= lo || next >= hi) next = lo > 0 && hi < Infinity ? Math.sqrt(lo * hi) : pass ? budget * 1.2 : budget * 0.8;
    if (next >= allError && pass) break; // every candidate fits: the all-int8 graph already failed
    budget = next;
  }
  const mixed = quantizeWeightsInt8(graph, { ...options, keepFloat: best.keepFloat });
  return { ...mixed, floatLayers: floatLayers(all.summary.layers, best.keepFloat, layerError), estimate: { ...estimate, error: best.error, agreement: best.agreement } };
}

const saved = (l: Int8Layer) => Math.max(1, l.f32Bytes - l.int8Bytes);

function floatLayers(layers: Int8Layer[], keep: Set<string>, error: Map<string, number>): FloatLayer[] {
  return layers
    .filter((l) => keep.has(l.tensor))
    .map((l) => ({ tensor: l.tensor, op: l.op, shape: l.shape, error: error.get(l.tensor)! }))
    .sort((a, b) => b.error - a.error);
}

/** The largest eps in [0, hi] whose estimated agreement still reaches `target` (bisection; agreement falls with eps). */
export function largestErrorFor(agreementAt: (eps: number) => number, target: number, hi: number): number {
  let lo = 0;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (agreementAt(mid) >= target) lo = mid;
    else hi = mid;
  }
  return lo;
}

interface ReferenceStats {
  /** Output values per input. */
  k: number;
  /** Per input: the standard deviation of its outputs. */
  spread: Float64Array;
  /** Estimated top-1 agreement under a perturbation of relative size eps. */
  agreementAt(eps: number): number;
}

/** Width of the gap window the density of near-ties is counted in (gaps in units of √2 · the output spread). */
export const GAP_WINDOW = 0.4;

/**
 * Margins and spreads of the f32 outputs ([count, k] row-major), and the agreement estimate built on them.
 * With gaps g_ij = (z_top − z_j) / (√2 r_i) and a perturbation of the gaps ~ N(0, eps²), the flip rate is
 * ∫ f(g) Q(g / eps) dg ≈ f(0) · eps / √(2π) where f is the density of the gaps (all j ≠ top, per input); f(0) is
 * counted over (0, GAP_WINDOW). Counting a window rather than summing each input's tail keeps the estimate steady
 * with 64 inputs (measured on the zoo's CIFAR members against 1,000 CIFAR-10 images: docs/format.md).
 */
export function referenceStats(ref: Float32Array, count: number): ReferenceStats {
  const k = ref.length / count;
  const spread = new Float64Array(count);
  let nearTies = 0;
  for (let i = 0; i < count; i++) {
    const z = ref.subarray(i * k, (i + 1) * k);
    let mean = 0;
    let top = 0;
    for (let j = 0; j < k; j++) (mean += z[j]!), z[j]! > z[top]! && (top = j);
    mean /= k;
    let v = 0;
    for (let j = 0; j < k; j++) v += (z[j]! - mean) ** 2;
    const r = Math.sqrt(v / k);
    spread[i] = r;
    if (r > 0) for (let j = 0; j < k; j++) if (j !== top && (z[top]! - z[j]!) / (Math.SQRT2 * r) < GAP_WINDOW) nearTies++;
  }
  const density = nearTies / (count * GAP_WINDOW);
  return { k, spread, agreementAt: (eps) => Math.max(0, 1 - (density * Math.max(0, eps)) / Math.sqrt(2 * Math.PI)) };
}

/** eps: RMS over inputs of (RMS of the centred output change) / (the input's output spread). */
export function relativeError(ref: Float32Array, got: Float32Array, stats: ReferenceStats): number {
  const { k, spread } = stats;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < spread.length; i++) {
    if (!(spread[i]! > 0)) continue;
    let mean = 0;
    for (let j = i * k; j < (i + 1) * k; j++) mean += got[j]! - ref[j]!;
    mean /= k;
    let v = 0;
    for (let j = i * k; j < (i + 1) * k; j++) v += (got[j]! - ref[j]! - mean) ** 2;
    sum += v / k / spread[i]! ** 2;
    n++;
  }
  return n === 0 ? 0 : Math.sqrt(sum / n);
}

/** The main (non-initializer) input of a graph; several of them: no calibration. */
function calibratedInput(graph: Graph) {
  const inputs = graph.inputs.filter((i) => !graph.initializers.has(i.name));
  if (inputs.length !== 1) throw new CalibrationUnavailable(`the graph has ${inputs.length} inputs (calibration needs exactly one)`);
  return inputs[0]!;
}

/**
 * Seeded synthetic inputs [count, C, H, W] in the model's normalised input space: smooth random colour fields
 * (a 5×5 grid per channel, bilinearly upsampled, standard deviation ~1) plus fine noise, a crude stand-in for
 * natural images. Non-image inputs get uniform noise of the same spread. Same graph, same inputs, every run.
 */
export function syntheticCalibration(graph: Graph, count: number): Tensor {
  const input = calibratedInput(graph);
  const dims = input.shape.slice(1).map((d, i) => (d > 0 ? d : graph.metadata.inputSize?.[i]));
  if (dims.some((d) => d === undefined || !(d > 0)))
    throw new CalibrationUnavailable(`input '${input.name}' has a dynamic size [${input.shape.join(', ')}] and no inputSize metadata`);
  const per = sizeOf(dims as number[]);
  const data = new Float32Array(count * per);
  for (let n = 0; n < count; n++) {
    const out = data.subarray(n * per, (n + 1) * per);
    if (dims.length !== 3) {
      out.set(randomValues(per, 1000 + n).map((v) => 1.7 * v));
      continue;
    }
    const [c, h, w] = dims as [number, number, number];
    const cells = 4;
    const grid = randomValues(c * (cells + 1) ** 2, 1000 + n);
    const fine = randomValues(per, 5000 + n);
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const fy = (y * cells) / h;
          const fx = (x * cells) / w;
          const y0 = Math.floor(fy);
          const x0 = Math.floor(fx);
          const at = (yy: number, xx: number) => grid[(ch * (cells + 1) + yy) * (cells + 1) + xx]!;
          const top = at(y0, x0) + (fx - x0) * (at(y0, x0 + 1) - at(y0, x0));
          const bottom = at(y0 + 1, x0) + (fx - x0) * (at(y0 + 1, x0 + 1) - at(y0 + 1, x0));
          const i = (ch * h + y) * w + x;
          out[i] = 1.7 * (top + (fy - y0) * (bottom - top)) + 0.3 * fine[i]!;
        }
      }
    }
  }
  return { dtype: 'f32', shape: [count, ...(dims as number[])], data };
}

function firstRows(t: Tensor, n: number): Tensor {
  const per = sizeOf(t.shape.slice(1));
  return { dtype: 'f32', shape: [n, ...t.shape.slice(1)], data: (t.data as Float32Array).slice(0, n * per) };
}

/**
 * A function running a graph (same inputs, different weights) on the calibration inputs with the CPU reference,
 * in chunks the graph's batch dim allows; returns its first output as [count, k].
 */
function outputsOn(graph: Graph, inputs: Tensor): (g: Graph) => { data: Float32Array; count: number } {
  const input = calibratedInput(graph);
  const count = inputs.shape[0]!;
  const fixed = input.shape[0]! > 0 ? input.shape[0]! : 0;
  const chunk = fixed || Math.min(count, 8);
  if (fixed && count % fixed !== 0) throw new CalibrationUnavailable(`${count} calibration inputs do not split into the model's batches of ${fixed}`);
  const per = sizeOf(inputs.shape.slice(1));
  return (g) => {
    const executor = new CpuExecutor(g);
    const parts: Float32Array[] = [];
    for (let s = 0; s < count; s += chunk) {
      const n = Math.min(chunk, count - s);
      const x: Tensor = { dtype: 'f32', shape: [n, ...inputs.shape.slice(1)], data: (inputs.data as Float32Array).subarray(s * per, (s + n) * per) };
      const y = Object.values(executor.run({ [input.name]: x }))[0]!;
      parts.push(y.dtype === 'f32' ? (y.data as Float32Array) : Float32Array.from(y.data as ArrayLike<number>));
    }
    const data = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    parts.reduce((at, p) => (data.set(p, at), at + p.length), 0);
    return { data, count };
  };
}
