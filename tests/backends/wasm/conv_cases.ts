/**
 * Seeded random conv geometries for the WASM kernel tests, one generator per kernel path of
 * src/backends/wasm/lower.ts: stride-1 "padded" (pad2d + MODE_PADDED), strided/dilated im2col (MODE_IM2COL),
 * 1x1 stride 1 no pad (MODE_1X1), grouped, depthwise (depthwise2d), Conv1D (3-D input), and Winograd F(2x2, 3x3)
 * (3x3 stride 1 with >= 8 channels; a few of the "padded" family's shapes take it too). Odd channel counts,
 * asymmetric pads, batch 1..3, spatial sizes 1..20 with at least one output position.
 */
import { Case, ODD, lenFor, outLen, pick, randInt, randomData, type Rng } from './helpers.js';

export interface ConvGeom {
  n: number;
  cin: number;
  cout: number;
  group: number;
  /** 1 or 2 spatial dims. */
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [b..., e...] */
  pads: number[];
  size: number[];
  bias: boolean;
}

export interface Epi {
  attrs: Record<string, number | string>;
  /** Residual input R: undefined = none, 0 = added before the activation, 1 = after. */
  residual?: 0 | 1;
}

const chan = (r: Rng, max: number) => (r() < 0.5 ? pick(r, ODD.filter((c) => c <= max)) : randInt(r, 1, max));

function sizes(r: Rng, g: Omit<ConvGeom, 'size'>, max = 20): number[] {
  const s = g.kernel.length;
  return g.kernel.map((k, i) => lenFor(r, k, g.dilations[i]!, g.pads[i]!, g.pads[i + s]!, max));
}

function padsFor(r: Rng, kernel: number[], dilations: number[], prob = 0.8): number[] {
  const s = kernel.length;
  return [...kernel, ...kernel].map((k, i) => (r() < prob ? randInt(r, 0, Math.min(3, (k - 1) * dilations[i % s]!)) : 0));
}

function square(r: Rng, maxK: number): number[] {
  const k = randInt(r, 1, maxK);
  return r() < 0.75 ? [k, k] : [k, randInt(r, 1, maxK)];
}

function dil(r: Rng, kernel: number[], p = 0.3, max = 3): number[] {
  return kernel.map((k) => (k > 1 && r() < p ? randInt(r, 2, max) : 1));
}

/** (a) k x k stride 1 with pads (asymmetric), dilation: the pad2d + padded-plane path. Never 1x1 without pads. */
export function padded(r: Rng): ConvGeom {
  const kernel = square(r, 5);
  const dilations = dil(r, kernel);
  const pads = padsFor(r, kernel, dilations);
  if (kernel[0] === 1 && kernel[1] === 1 && !pads.some((p) => p !== 0)) pads[randInt(r, 0, 3)] = randInt(r, 1, 2);
  const g = { n: randInt(r, 1, 3), cin: chan(r, 9), cout: chan(r, 11), group: 1, kernel, strides: [1, 1], dilations, pads, bias: r() < 0.7 };
  return { ...g, size: sizes(r, g) };
}

/** (b) strided (at least one stride >= 2) and dilated convs: the im2col path. */
export function strided(r: Rng): ConvGeom {
  const kernel = square(r, 5);
  const s = randInt(r, 2, 3);
  // square strides half of the time, else one axis strided and the other 1..3
  const strides = r() < 0.5 ? [s, s] : r() < 0.5 ? [s, randInt(r, 1, 3)] : [randInt(r, 1, 3), s];
  const dilations = dil(r, kernel, 0.35);
  const pads = padsFor(r, kernel, dilations, 0.6);
  const g = { n: randInt(r, 1, 3), cin: chan(r, 9), cout: chan(r, 11), group: 1, kernel, strides, dilations, pads, bias: r() < 0.7 };
  return { ...g, size: sizes(r, g) };
}

/** (c) 1x1 stride 1 no pad; a fifth of them on a 1x1 input (SE blocks' squeeze / excite: conv.c's one-pixel path). */
export function pointwise(r: Rng): ConvGeom {
  const g = {
    n: randInt(r, 1, 3), cin: r() < 0.5 ? pick(r, [...ODD, 17, 23, 37]) : randInt(r, 1, 40), cout: r() < 0.5 ? pick(r, [...ODD, 17, 29, 37]) : randInt(r, 1, 40),
    group: 1, kernel: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], bias: r() < 0.7,
  };
  return { ...g, size: r() < 0.2 ? [1, 1] : [randInt(r, 1, 20), randInt(r, 1, 20)] };
}

/** (d) grouped convs: groups > 1, odd channels per group, never depthwise (cout != cin or cin/group > 1). */
export function grouped(r: Rng): ConvGeom {
  const group = randInt(r, 2, 5);
  const cpg = pick(r, [1, 3, 5]);
  const opg = cpg === 1 ? randInt(r, 2, 4) : randInt(r, 1, 5);
  const kernel = square(r, 5);
  const strides = pick(r, [[1, 1], [1, 1], [2, 2], [1, 2], [3, 3]]);
  const dilations = dil(r, kernel, 0.25, 2);
  const pads = padsFor(r, kernel, dilations);
  const g = { n: randInt(r, 1, 3), cin: group * cpg, cout: group * opg, group, kernel, strides, dilations, pads, bias: r() < 0.7 };
  return { ...g, size: sizes(r, g) };
}

/** (e) depthwise: group == C_in == C_out > 1, stride 1/2/3, dilation, asymmetric pads. */
export function depthwise(r: Rng): ConvGeom {
  const c = r() < 0.6 ? pick(r, [3, 5, 7, 9, 11, 13, 17]) : randInt(r, 2, 16);
  const k = pick(r, [1, 2, 3, 3, 3, 5, 5, 7]);
  const kernel = r() < 0.85 ? [k, k] : [k, pick(r, [1, 3, 5])];
  const s = pick(r, [1, 1, 2, 2, 3]);
  const strides = r() < 0.85 ? [s, s] : [s, pick(r, [1, 2, 3])];
  const dilations = dil(r, kernel, 0.25);
  const pads = r() < 0.5 ? [...kernel, ...kernel].map((kk, i) => ((kk - 1) * dilations[i % 2]!) >> 1) : padsFor(r, kernel, dilations, 0.8);
  const g = { n: randInt(r, 1, 3), cin: c, cout: c, group: c, kernel, strides, dilations, pads, bias: r() < 0.7 };
  return { ...g, size: sizes(r, g) };
}

/** (f) Conv1D: [N, C, W] input; plain, strided, dilated, grouped and depthwise. */
export function conv1d(r: Rng): ConvGeom {
  const k = randInt(r, 1, 7);
  const kind = pick(r, ['plain', 'plain', 'plain', 'grouped', 'depthwise']);
  let cin = chan(r, 9);
  let cout = chan(r, 11);
  let group = 1;
  if (kind === 'grouped') {
    group = randInt(r, 2, 4);
    cin = group * pick(r, [1, 3]);
    cout = group * randInt(r, 2, 3);
  } else if (kind === 'depthwise') {
    cin = randInt(r, 2, 13);
    cout = cin;
    group = cin;
  }
  const dilations = [k > 1 && r() < 0.3 ? randInt(r, 2, 3) : 1];
  const pads = padsFor(r, [k], dilations, 0.6);
  const g = { n: randInt(r, 1, 3), cin, cout, group, kernel: [k], strides: [pick(r, [1, 1, 2, 3])], dilations, pads, bias: r() < 0.7 };
  return { ...g, size: sizes(r, g, 40) };
}

/**
 * (g) 3x3 stride 1 group 1 with >= 8 channels each side and >= 2x2 outputs: Winograd F(2x2, 3x3) (kernels/winograd.c,
 * lower.ts winogradPays). Pads 0..2 per side (asymmetric), widths and heights odd and even up to 33 (several tile
 * blocks, tile groups across a tile row's end, a last tile cut by an odd output edge).
 */
export function winograd(r: Rng): ConvGeom {
  const pads = [0, 1, 2, 3].map(() => (r() < 0.8 ? randInt(r, 0, 2) : 0));
  const c = () => (r() < 0.5 ? pick(r, [8, 9, 11, 13, 16, 17, 23, 32, 37]) : randInt(r, 8, 40));
  const side = (i: number) => Math.max(randInt(r, 1, r() < 0.3 ? 33 : 16), 4 - pads[i]! - pads[i + 2]!);
  return { n: randInt(r, 1, 3), cin: c(), cout: c(), group: 1, kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads, size: [side(0), side(1)], bias: r() < 0.7 };
}

export const CONV_FAMILIES: [string, (r: Rng) => ConvGeom, number][] = [
  ['padded (k x k, stride 1, pads, dilation)', padded, 1001],
  ['im2col (strided / dilated)', strided, 1002],
  ['1x1 stride 1 no pad', pointwise, 1003],
  ['grouped (odd channels per group)', grouped, 1004],
  ['depthwise (stride 1/2/3, dilation, pads)', depthwise, 1005],
  ['Conv1D', conv1d, 1006],
  ['Winograd (3x3 stride 1, >= 8 channels)', winograd, 1007],
];

export function convOutShape(g: ConvGeom): number[] {
  const s = g.kernel.length;
  return [g.n, g.cout, ...g.size.map((n, i) => outLen(n, g.kernel[i]!, g.strides[i]!, g.dilations[i]!, g.pads[i]!, g.pads[i + s]!))];
}

export function describeGeom(g: ConvGeom): string {
  return `x[${[g.n, g.cin, ...g.size]}] w[${[g.cout, g.cin / g.group, ...g.kernel]}] group=${g.group} strides=[${g.strides}] dilations=[${g.dilations}] pads=[${g.pads}]${g.bias ? ' +bias' : ''}`;
}

/** A Conv (or FusedConv with `epi`) case of geometry g, data drawn from r. */
export function convCase(r: Rng, label: string, g: ConvGeom, epi?: Epi): Case {
  const c = new Case(`${label}: ${describeGeom(g)}${epi ? ` ${JSON.stringify(epi.attrs)}${epi.residual !== undefined ? ` residual_after_activation=${epi.residual}` : ''}` : ''}`);
  const x = c.input('x', [g.n, g.cin, ...g.size], randomData(r, g.n * g.cin * g.size.reduce((a, b) => a * b, 1)));
  const wShape = [g.cout, g.cin / g.group, ...g.kernel];
  const w = c.init('w', wShape, randomData(r, wShape.reduce((a, b) => a * b, 1)));
  const inputs = [x, w];
  if (g.bias) inputs.push(c.init('b', [g.cout], randomData(r, g.cout)));
  const attrs: Record<string, number | number[] | string> = { kernel_shape: g.kernel, strides: g.strides, dilations: g.dilations, pads: g.pads, group: g.group };
  let op = 'Conv';
  if (epi) {
    op = 'FusedConv';
    Object.assign(attrs, epi.attrs);
    if (epi.residual !== undefined) {
      if (!g.bias) inputs.push('');
      const out = convOutShape(g);
      inputs.push(c.input('r', out, randomData(r, out.reduce((a, b) => a * b, 1))));
      attrs['residual_after_activation'] = epi.residual;
    }
  }
  c.output(c.node(op, inputs, attrs, 'conv'));
  return c;
}

/** Each epilogue activation, with random parameters where it has some. */
export function activationAttrs(r: Rng, act: string): Record<string, number | string> {
  switch (act) {
    case 'clip': {
      const lo = -r() * 0.5;
      return r() < 0.3 ? { activation: 'clip', act_min: 0, act_max: 6 } : { activation: 'clip', act_min: lo, act_max: lo + 0.1 + r() };
    }
    case 'leaky_relu':
      return r() < 0.3 ? { activation: 'leaky_relu' } : { activation: 'leaky_relu', act_alpha: 0.05 + 0.3 * r() };
    case 'hard_sigmoid':
      return r() < 0.3 ? { activation: 'hard_sigmoid' } : { activation: 'hard_sigmoid', act_alpha: 0.1 + 0.3 * r(), act_beta: 0.3 + 0.4 * r() };
    default:
      return { activation: act };
  }
}
