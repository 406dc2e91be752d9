/**
 * Seeded random chains of binary convs (as `binarize` leaves them) for the packBinaryChains tests, shared by the
 * Node tests and the browser bundle: f32 X -> BinaryConv (thresholds, zero_sign -1 or 0) -> [MaxPool] ->
 * BinaryConv -> ... Every layer but the last has alpha, bias and an activation; the next layer's thresholds are
 * placed exactly on some of this layer's output values (ties), with random signs (negative BN scales).
 */
import type { Graph, Node, Tensor } from '../../src/graph/ir.js';
import { binaryConvValue, epilogueActivation, packWeightSigns, paddedChannels } from '../../src/graph/ops/binary.js';
import { readEpilogue } from '../../src/graph/ops/fused.js';
import { inferShapes } from '../../src/graph/infer.js';
import { mulberry32, randInt } from './rng.js';

export interface ChainOptions {
  /** Last layer: alpha 1, no bias, no activation (outputs are integer dots, exact on every backend). */
  unitLast: boolean;
  /** Let some layers use activations / scales outside the monotone shortcut (sigmoid, tanh, hard_swish, alpha < 0). */
  exotic?: boolean;
}

const CHANNELS = [1, 3, 5, 20, 31, 32, 33, 36, 40, 64, 70];
const ACTS: Node['attrs'][] = [{}, { activation: 'relu' }, { activation: 'relu' }, { activation: 'leaky_relu', act_alpha: 0.125 }, { activation: 'clip', act_min: -0.5, act_max: 2 }];
const EXOTIC: Node['attrs'][] = [{ activation: 'sigmoid' }, { activation: 'tanh' }, { activation: 'hard_swish' }];

const f32 = (shape: number[], data: ArrayLike<number>): Tensor => ({ dtype: 'f32', shape, data: Float32Array.from(data) });

/** Thresholds [s, lo, hi] for `m` channels; hi sits on an output value of the producer for a random dot (ties). */
function thresholdsFor(r: () => number, m: number, value: ((o: number, dot: number) => number) | undefined, maxDot: number): Float32Array {
  const t = new Float32Array(3 * m);
  for (let o = 0; o < m; o++) {
    const s = r() < 0.35 ? -1 : 1;
    const dot = randInt(r, -Math.ceil(maxDot / 3), Math.ceil(maxDot / 3));
    const y = value ? value(o, dot) : Math.fround(r() * 2 - 1);
    const hi = Math.fround(s * y);
    t[o] = s;
    t[m + o] = r() < 0.5 ? hi : Math.fround(hi - r());
    t[2 * m + o] = hi;
  }
  return t;
}

/** One random chain graph and an input for it (retries until the shapes work out). */
export function randomChain(seed: number, options: ChainOptions): { graph: Graph; x: Tensor; label: string } {
  for (let attempt = 0; ; attempt++) {
    const built = tryChain(mulberry32(seed * 1009 + attempt), options);
    if (built) return built;
  }
}

function tryChain(r: () => number, options: ChainOptions): { graph: Graph; x: Tensor; label: string } | undefined {
  const n = randInt(r, 1, 2);
  const c0 = CHANNELS[randInt(r, 0, CHANNELS.length - 1)]!;
  const h = randInt(r, 5, 11);
  const w = randInt(r, 5, 11);
  const layers = randInt(r, 2, 4);
  const init = new Map<string, Tensor>();
  const nodes: Node[] = [];
  const parts: string[] = [`x[${n},${c0},${h},${w}]`];
  let value = 'x';
  let c = c0;
  let tName = 't0';
  init.set('t0', f32([3, c0], thresholdsFor(r, c0, undefined, 1)));
  for (let i = 0; i < layers; i++) {
    const last = i === layers - 1;
    const m = CHANNELS[randInt(r, 1, CHANNELS.length - 1)]!;
    const [kh, kw] = [[3, 3], [1, 1], [3, 3], [2, 3]][randInt(r, 0, 3)]!;
    const strides = r() < 0.25 ? [2, 2] : [1, 1];
    const pads = [0, 0, 0, 0].map(() => (r() < 0.6 ? Math.min(1, kh - 1) : 0));
    const padValue = r() < 0.5 ? -1 : 0;
    const zeroSign = i === 0 && r() < 0.3 ? 0 : -1;
    const signs = Array.from({ length: m * c * kh * kw }, () => (r() < 0.5 ? -1 : 1));
    init.set(`w${i}`, { dtype: 'binary', shape: [m, kh, kw, paddedChannels(c)], data: packWeightSigns(signs, m, c, kh * kw) });
    const unit = last && options.unitLast;
    const negative = options.exotic && r() < 0.15;
    init.set(`a${i}`, f32([m], Array.from({ length: m }, () => (unit ? 1 : Math.fround((negative ? -1 : 1) * (0.05 + r()))))));
    const inputs = [value, `w${i}`, `a${i}`, unit ? '' : `b${i}`, tName];
    if (!unit) init.set(`b${i}`, f32([m], Array.from({ length: m }, () => Math.fround(r() * 2 - 1))));
    while (inputs[inputs.length - 1] === '') inputs.pop();
    const act = unit ? {} : options.exotic && r() < 0.4 ? EXOTIC[randInt(r, 0, EXOTIC.length - 1)]! : ACTS[randInt(r, 0, ACTS.length - 1)]!;
    const node: Node = { name: `conv${i}`, op: 'BinaryConv', inputs, outputs: [`y${i}`], attrs: { kernel_shape: [kh, kw], strides, pads, pad_value: padValue, zero_sign: zeroSign, ...act } };
    nodes.push(node);
    parts.push(`conv m${m} k${kh}x${kw} s${strides[0]} p${pads.join('')} pv${padValue} zs${zeroSign} ${String(act['activation'] ?? 'none')}`);
    value = `y${i}`;
    if (last) break;
    const poolIt = r() < 0.5;
    if (poolIt) {
      const k = randInt(r, 2, 3);
      const attrs = { kernel_shape: [k, k], strides: [randInt(r, 1, 2), randInt(r, 1, 2)], pads: [0, 0, 0, 0].map(() => (r() < 0.3 ? 1 : 0)), ceil_mode: r() < 0.3 ? 1 : 0 };
      nodes.push({ name: `pool${i}`, op: 'MaxPool', inputs: [value], outputs: [`p${i}`], attrs });
      parts.push(`pool k${k} s${attrs.strides.join('')} p${attrs.pads.join('')} ceil${attrs.ceil_mode}`);
      value = `p${i}`;
    }
    // The next layer's thresholds: on this layer's own output values (possibly no thresholds at all).
    const e = readEpilogue(node);
    const alpha = init.get(`a${i}`)!.data as Float32Array;
    const bias = init.get(`b${i}`)!.data as Float32Array;
    const fn = epilogueActivation(e);
    tName = r() < 0.15 ? '' : `t${i + 1}`;
    if (tName) init.set(tName, f32([3, m], thresholdsFor(r, m, (o, dot) => binaryConvValue(dot, alpha[o]!, bias[o]!, fn), c * kh * kw)));
    c = m;
  }
  const graph: Graph = { inputs: [{ name: 'x', dtype: 'f32', shape: [n, c0, h, w] }], outputs: [{ name: value, dtype: 'f32', shape: [] }], nodes, initializers: init, metadata: {} };
  try {
    const values = inferShapes(graph);
    graph.outputs[0]!.shape = [...values.get(value)!.shape];
  } catch {
    return undefined;
  }
  const xs = new Float32Array(n * c0 * h * w);
  const t0 = init.get('t0')!.data as Float32Array;
  for (let i = 0; i < xs.length; i++) {
    const ch = Math.floor(i / (h * w)) % c0;
    const u = r();
    xs[i] = u < 0.1 ? 0 : u < 0.2 ? t0[ch]! * t0[2 * c0 + ch]! : r() * 2 - 1;
  }
  return { graph, x: f32([n, c0, h, w], xs), label: parts.join(' -> ') };
}
