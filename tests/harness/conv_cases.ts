/**
 * Seeded random conv cases per family (regular 2-D, 1×1, grouped, depthwise, 3-D) for the WebGPU kernel tests:
 * odd channel counts, asymmetric pads, strides, dilations, fused epilogues, residuals, runtime weights.
 */
import type { NodeCase } from './browser_test_entry.js';
import { randInt } from './rng.js';

export type Rng = () => number;
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
export const ODD_CHANNELS = [1, 3, 5, 7, 37];

/**
 * Epilogues drawn per case. Each combination (bias, activation, residual before/after) is baked into the WGSL, so
 * a fixed short list keeps pipeline compiles (slow on SwiftShader) down; conv_pool.test.ts covers every activation.
 */
const EPILOGUES: { bias: boolean; attrs?: Record<string, number | string>; residual?: 0 | 1 }[] = [
  { bias: false },
  { bias: true },
  { bias: true, attrs: { activation: 'relu' } },
  { bias: true, attrs: { activation: 'clip', act_min: 0, act_max: 6 }, residual: 0 },
  { bias: false, attrs: { activation: 'relu' }, residual: 1 },
];

interface Geometry {
  spatial: number;
  n: number;
  cin: number;
  cout: number;
  group: number;
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
  size: number[];
}

/** Builds a Conv or FusedConv case from a geometry (random epilogue, bias, residual; weights mostly constant). */
function convCase(r: Rng, family: string, i: number, g: Geometry, dynamicWeights = false): NodeCase {
  const outSize = g.size.map((d, k) => Math.floor((d + g.pads[k]! + g.pads[k + g.spatial]! - ((g.kernel[k]! - 1) * g.dilations[k]! + 1)) / g.strides[k]!) + 1);
  const e = pick(r, EPILOGUES);
  const { bias } = e;
  const fused = e.attrs !== undefined;
  const residual = e.residual !== undefined;
  const attrs: NodeCase['attrs'] = { kernel_shape: g.kernel, strides: g.strides, dilations: g.dilations, pads: g.pads, group: g.group };
  if (fused) Object.assign(attrs, e.attrs, residual ? { residual_after_activation: e.residual! } : {});
  const inputs: NodeCase['inputs'] = [
    { shape: [g.n, g.cin, ...g.size] },
    { shape: [g.cout, g.cin / g.group, ...g.kernel], kind: dynamicWeights ? 'input' : 'const' },
  ];
  if (bias || residual) inputs.push(bias ? { shape: [g.cout], kind: 'const' } : { shape: [g.cout], absent: true });
  if (residual) inputs.push({ shape: [g.n, g.cout, ...outSize] });
  return {
    label: `${family}#${i} x[${g.n},${g.cin},${g.size}] w[${g.cout},${g.cin / g.group},${g.kernel}] g${g.group} s${g.strides} d${g.dilations} p${g.pads}${fused ? ` ${attrs['activation']}` : ''}${residual ? ' +res' : ''}${dynamicWeights ? ' dynW' : ''}`,
    op: fused ? 'FusedConv' : 'Conv',
    attrs,
    inputs,
    seed: 10_000 * family.length + i,
  };
}

/** Spatial input size that leaves at least one output position. */
function sizeFor(r: Rng, kernel: number[], dilations: number[], pads: number[], maxExtra: number): number[] {
  const s = kernel.length;
  return kernel.map((k, d) => Math.max(1, (k - 1) * dilations[d]! + 1 - pads[d]! - pads[d + s]! + randInt(r, 0, maxExtra)));
}

/**
 * Kernel sizes of the regular family. Kernels bake KH/KW into the WGSL (tap loops unroll), so each size costs
 * pipeline compiles (up to ~2 s each on SwiftShader): a few square and non-square sizes, not all 25.
 */
const KERNELS_2D = [[1, 1], [3, 3], [3, 3], [5, 5], [2, 3], [3, 1], [1, 4]];

function regular2d(r: Rng, i: number): NodeCase {
  const kernel = pick(r, KERNELS_2D);
  const dilations = r() < 0.25 ? [randInt(r, 1, 2), randInt(r, 1, 2)] : [1, 1];
  const pads = [0, 1, 2, 3].map((d) => randInt(r, 0, Math.min(2, kernel[d % 2]! - 1)));
  const g: Geometry = {
    spatial: 2,
    n: randInt(r, 1, 2),
    cin: r() < 0.3 ? pick(r, ODD_CHANNELS) : randInt(r, 1, 12),
    cout: r() < 0.3 ? pick(r, ODD_CHANNELS) : randInt(r, 1, 24),
    group: 1,
    kernel,
    strides: [randInt(r, 1, 3), randInt(r, 1, 3)],
    dilations,
    pads,
    size: [],
  };
  g.size = sizeFor(r, kernel, dilations, pads, 9);
  return convCase(r, 'conv2d', i, g, r() < 0.08);
}

function pointwise(r: Rng, i: number): NodeCase {
  const stride = r() < 0.25 ? 2 : 1;
  const g: Geometry = {
    spatial: 2,
    n: randInt(r, 1, 2),
    cin: r() < 0.3 ? pick(r, ODD_CHANNELS) : randInt(r, 1, 40),
    cout: r() < 0.3 ? pick(r, ODD_CHANNELS) : randInt(r, 1, 40),
    group: 1,
    kernel: [1, 1],
    strides: [stride, stride],
    dilations: [1, 1],
    pads: r() < 0.15 ? [1, 0, 0, 1] : [0, 0, 0, 0],
    size: [randInt(r, 1, 10), randInt(r, 1, 10)],
  };
  return convCase(r, 'conv1x1', i, g);
}

function grouped(r: Rng, i: number): NodeCase {
  const group = randInt(r, 2, 8);
  const kernel = pick(r, [[1, 1], [3, 3], [3, 3], [2, 3], [5, 5]]);
  const pads = kernel.flatMap(() => [0]).concat(kernel.map(() => 0)).map((_, d) => randInt(r, 0, Math.min(2, kernel[d % 2]! - 1)));
  const g: Geometry = {
    spatial: 2,
    n: randInt(r, 1, 2),
    cin: group * randInt(r, 1, 6),
    cout: group * pick(r, [1, 2, 3, 4, 8]),
    group,
    kernel,
    strides: [randInt(r, 1, 2), randInt(r, 1, 2)],
    dilations: r() < 0.2 ? [2, 2] : [1, 1],
    pads,
    size: [],
  };
  g.size = sizeFor(r, kernel, g.dilations, pads, 8);
  return convCase(r, 'grouped', i, g);
}

function depthwise(r: Rng, i: number): NodeCase {
  const c = r() < 0.3 ? pick(r, ODD_CHANNELS.slice(1)) : randInt(r, 2, 32);
  const k = pick(r, [3, 3, 3, 5, 7]);
  const kernel = [k, k];
  const pads = r() < 0.8 ? [k >> 1, k >> 1, k >> 1, k >> 1] : [0, 1, 2, 3].map(() => randInt(r, 0, k - 1));
  const g: Geometry = {
    spatial: 2,
    n: randInt(r, 1, 2),
    cin: c,
    // Mostly multiplier 1 (true depthwise); sometimes 2 (depthwise with channel multiplier).
    cout: r() < 0.85 ? c : 2 * c,
    group: c,
    kernel,
    strides: pick(r, [[1, 1], [1, 1], [2, 2]]),
    dilations: r() < 0.15 ? [2, 2] : [1, 1],
    pads,
    size: [],
  };
  g.size = sizeFor(r, kernel, g.dilations, pads, 10);
  return convCase(r, 'depthwise', i, g);
}

function conv3d(r: Rng, i: number): NodeCase {
  const kernel = [randInt(r, 1, 3), randInt(r, 1, 3), randInt(r, 1, 3)];
  const dilations = r() < 0.2 ? [1, 2, 2] : [1, 1, 1];
  const pads = [0, 1, 2, 3, 4, 5].map((d) => randInt(r, 0, Math.min(1, kernel[d % 3]! - 1)));
  const group = r() < 0.2 ? 2 : 1;
  const g: Geometry = {
    spatial: 3,
    n: randInt(r, 1, 2),
    cin: group * randInt(r, 1, 4),
    cout: group * randInt(r, 1, 5),
    group,
    kernel,
    strides: [randInt(r, 1, 2), randInt(r, 1, 2), randInt(r, 1, 2)],
    dilations,
    pads,
    size: [],
  };
  g.size = sizeFor(r, kernel, dilations, pads, 4);
  return convCase(r, 'conv3d', i, g);
}

export const FAMILIES: [string, (r: Rng, i: number) => NodeCase, number][] = [
  ['conv2d', regular2d, 101],
  ['conv1x1', pointwise, 102],
  ['grouped', grouped, 103],
  ['depthwise', depthwise, 104],
  ['conv3d', conv3d, 105],
];

