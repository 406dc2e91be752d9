/**
 * Pass: keep activations bit-packed between binary layers (run after `binarize`).
 *
 * In an XNOR net a BinaryConv's f32 output y = act(alpha * dot + B) is read only by the next BinaryConv(s), which
 * binarise it again with their thresholds T (a folded BN -> sign): the float map is a round trip. When
 *   - a BinaryConv P (no residual) has an output read ONLY by BinaryConv consumers, as their X, possibly through
 *     one 2-D MaxPool that nothing else reads,
 *   - every consumer binarises with zero_sign -1 (a packed bit has no zero) and the same T (or none),
 * P becomes a BinaryConvBits that writes the consumers' input bits directly (the layout binary_pack writes), and
 * the consumers read them as a bit-packed X (attribute in_channels, no T, no pack step). The MaxPool is fused.
 *
 * Exactness. The bit a consumer takes from output channel o is g(y) = s * y > hi with y the CPU reference's
 * fround(act(fround(alpha * dot + B))) (src/graph/ops/binary.ts: binaryConvValue, signBit), a function of the
 * integer dot alone (no residual). The pass evaluates it for EVERY dot in [-K, K] (K = C * KH * KW bounds |dot|)
 * and fuses only when the dots giving bit 1 form one interval [Q0, Q1] (always, for monotone activations): the
 * packed bits are then identical to binarising the float output. Pooling: g is non-decreasing in y when s >= 0,
 * so g(max y) = OR of g(y); non-increasing when s < 0, so g(max y) = AND (Q2 = 1 / 0). That needs no NaN y
 * (MaxPool propagates NaN) and no window entirely in padding, both checked; anything else stays unfused.
 */
import type { Graph, Node, Tensor } from '../ir.js';
import { inferShapes } from '../infer.js';
import { binaryConvValue, epilogueActivation, poolWindowsNonEmpty, signBit } from '../ops/binary.js';
import { readEpilogue } from '../ops/fused.js';
import { poolParams, type PoolParams } from '../ops/pool.js';
import { binarize, type BinarizeOptions } from './binarize.js';
import { removeDeadCode } from './dead_code.js';
import { NameGenerator, cloneGraph, graphOutputNames, usesOf, type Use } from './graph_utils.js';

export interface PackBinaryChainsOptions {
  /** Fuse a MaxPool between two binary convs into the producer (default true). */
  pool?: boolean;
}

/** BinaryConv attributes a BinaryConvBits keeps (the epilogue is folded into Q). */
const GEOMETRY_KEYS = ['kernel_shape', 'strides', 'pads', 'dilations', 'pad_value', 'zero_sign', 'in_channels'] as const;

const RESIDUAL = 5;
const THRESHOLDS = 4;

function present(node: Node, i: number): boolean {
  return (node.inputs[i] ?? '') !== '';
}

function f32Values(graph: Graph, name: string): Float32Array | undefined {
  const t = graph.initializers.get(name);
  return t && t.dtype === 'f32' ? (t.data as Float32Array) : undefined;
}

/** Same thresholds bit for bit (both absent, or equal f32 data). */
function sameThresholds(graph: Graph, a: string, b: string): boolean {
  if (a === b) return true;
  const x = f32Values(graph, a);
  const y = f32Values(graph, b);
  if (!x || !y || x.length !== y.length) return false;
  const xb = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const yb = new Uint32Array(y.buffer, y.byteOffset, y.length);
  return xb.every((v, i) => v === yb[i]);
}

/** Activations that are non-decreasing on finite inputs (with the attribute conditions below). */
function monotoneActivation(node: Node): boolean {
  const e = readEpilogue(node);
  if (e.activation === 'none' || e.activation === 'relu') return true;
  if (e.activation === 'clip') return e.min <= e.max;
  if (e.activation === 'leaky_relu') return e.alpha >= 0;
  return false;
}

/**
 * [first, last] dots in [-maxDot, maxDot] whose bit is 1 ([1, 0] when none), or undefined when they are not one
 * interval or (pooled) some output is NaN. `exhaustive` evaluates every dot; otherwise, when the output is provably
 * monotone in dot (non-negative alpha, finite pre-activations at both ends, monotone activation), the bits are a
 * prefix or suffix of the range and a bisection finds the switch.
 */
export function dotInterval(bit: (dot: number) => boolean, value: (dot: number) => number, maxDot: number, monotone: boolean, pooled: boolean): [number, number] | undefined {
  if (monotone) {
    const lo = bit(-maxDot);
    const hi = bit(maxDot);
    if (lo === hi) return lo ? [-maxDot, maxDot] : [1, 0];
    // Smallest dot where the bit equals bit(maxDot).
    let a = -maxDot;
    let b = maxDot;
    while (b - a > 1) {
      const mid = Math.floor((a + b) / 2);
      if (bit(mid) === hi) b = mid;
      else a = mid;
    }
    return hi ? [b, maxDot] : [-maxDot, a];
  }
  let first = 1;
  let last = 0;
  let ones = 0;
  for (let dot = -maxDot; dot <= maxDot; dot++) {
    if (pooled && Number.isNaN(value(dot))) return undefined;
    if (!bit(dot)) continue;
    if (ones === 0) first = dot;
    last = dot;
    ones++;
  }
  return ones > 0 && ones !== last - first + 1 ? undefined : [first, last];
}

/**
 * Q [3, M] for producer `node` whose outputs are binarised with thresholds `t` ([3, M] f32, or undefined = sign),
 * or undefined when some channel's bits are not one interval of dots (or NaN outputs meet a pooling).
 * `exhaustive` skips the monotone shortcut (tests compare both).
 */
export function bitIntervals(graph: Graph, node: Node, m: number, maxDot: number, t: Float32Array | undefined, pooled: boolean, exhaustive = false): Int32Array | undefined {
  const alpha = f32Values(graph, node.inputs[2] ?? '');
  const bias = present(node, 3) ? f32Values(graph, node.inputs[3]!) : new Float32Array(m);
  if (!alpha || !bias || alpha.length !== m || bias.length !== m) return undefined;
  const act = epilogueActivation(readEpilogue(node));
  const monotoneAct = !exhaustive && monotoneActivation(node);
  const q = new Int32Array(3 * m);
  for (let o = 0; o < m; o++) {
    const s = t ? t[o]! : 1;
    const hi = t ? t[2 * m + o]! : 0;
    const a = alpha[o]!;
    const b = bias[o]!;
    const value = (dot: number) => binaryConvValue(dot, a, b, act);
    const finiteEnds = Number.isFinite(Math.fround(a * -maxDot + b)) && Number.isFinite(Math.fround(a * maxDot + b));
    const range = dotInterval((dot) => signBit(value(dot), s, hi), value, maxDot, monotoneAct && a >= 0 && finiteEnds, pooled);
    if (!range) return undefined;
    [q[o], q[m + o]] = range;
    q[2 * m + o] = s < 0 ? 0 : 1;
  }
  return q;
}

interface Chain {
  /** The MaxPool between producer and consumers, if any. */
  pool?: { node: Node; params: PoolParams };
  /** The tensor the consumers read (the producer's output, or the pool's). */
  value: string;
  consumers: Use[];
}

/** The consumers of a BinaryConv's output if it qualifies (see the file comment). */
function chainOf(graph: Graph, node: Node, uses: Map<string, Use[]>, outputs: Set<string>, shapes: Map<string, number[]>, options: PackBinaryChainsOptions): Chain | undefined {
  const y = node.outputs[0]!;
  if (present(node, RESIDUAL) || outputs.has(y)) return undefined;
  let value = y;
  let readers = uses.get(y) ?? [];
  let pool: Chain['pool'];
  const only = readers.length === 1 ? readers[0]! : undefined;
  if (only && only.node.op === 'MaxPool' && only.index === 0 && (options.pool ?? true)) {
    const p = only.node;
    const shape = shapes.get(y);
    if (!shape || shape.length !== 4 || p.outputs.length !== 1 || outputs.has(p.outputs[0]!)) return undefined;
    let params: PoolParams;
    try {
      params = poolParams(p, shape);
    } catch {
      return undefined;
    }
    if (!poolWindowsNonEmpty(shape, params)) return undefined;
    pool = { node: p, params };
    value = p.outputs[0]!;
    readers = uses.get(value) ?? [];
  }
  if (readers.length === 0) return undefined;
  const t0 = readers[0]!.node.inputs[THRESHOLDS] ?? '';
  for (const r of readers) {
    const c = r.node;
    if (c.op !== 'BinaryConv' || r.index !== 0 || (c.attrs['zero_sign'] ?? -1) !== -1) return undefined;
    if (!sameThresholds(graph, c.inputs[THRESHOLDS] ?? '', t0)) return undefined;
  }
  return { pool, value, consumers: readers };
}

/** Rewrites qualifying binary conv chains to bit-packed hand-offs; returns a new graph, never mutates `input`. */
export function packBinaryChains(input: Graph, options: PackBinaryChainsOptions = {}): Graph {
  if (!input.nodes.some((n) => n.op === 'BinaryConv')) return input;
  const graph = cloneGraph(input);
  const values = inferShapes(graph);
  const shapes = new Map([...values].map(([k, v]) => [k, [...v.shape]]));
  const uses = usesOf(graph);
  const outputs = graphOutputNames(graph);
  const names = new NameGenerator(graph);
  const dead = new Set<Node>();
  let changed = false;
  for (let i = 0; i < graph.nodes.length; i++) {
    const node = graph.nodes[i]!;
    if (node.op !== 'BinaryConv') continue;
    const chain = chainOf(graph, node, uses, outputs, shapes, options);
    if (!chain) continue;
    const w = graph.initializers.get(node.inputs[1]!);
    const yShape = shapes.get(node.outputs[0]!);
    if (!w || w.dtype !== 'binary' || !yShape) continue;
    const [m, kh, kw] = w.shape as [number, number, number];
    // Input channels: in_channels once this node reads packed bits itself, else X's shape.
    const c = typeof node.attrs['in_channels'] === 'number' ? node.attrs['in_channels'] : shapes.get(node.inputs[0]!)?.[1];
    if (c === undefined || c < 0 || yShape[1] !== m) continue;
    const tName = chain.consumers[0]!.node.inputs[THRESHOLDS] ?? '';
    const t = tName === '' ? undefined : f32Values(graph, tName);
    if (tName !== '' && (!t || t.length !== 3 * m)) continue;
    const q = bitIntervals(graph, node, m, c * kh * kw, t, chain.pool !== undefined);
    if (!q) continue;

    const attrs: Node['attrs'] = {};
    for (const key of GEOMETRY_KEYS) if (node.attrs[key] !== undefined) attrs[key] = node.attrs[key]!;
    if (chain.pool) {
      const p = chain.pool.params;
      Object.assign(attrs, { pool_kernel_shape: p.kernel, pool_strides: p.strides, pool_pads: p.pads, pool_dilations: p.dilations, pool_ceil_mode: p.ceilMode ? 1 : 0 });
      dead.add(chain.pool.node);
    }
    const qName = names.fresh(`${node.name}.Q`);
    graph.initializers.set(qName, { dtype: 'i32', shape: [3, m], data: q } satisfies Tensor);
    const bits = names.fresh(`${chain.value}.bits`);
    const ownT = node.inputs[THRESHOLDS] ?? '';
    graph.nodes[i] = { name: node.name, op: 'BinaryConvBits', inputs: [node.inputs[0]!, node.inputs[1]!, qName, ...(ownT ? [ownT] : [])], outputs: [bits], attrs };
    for (const { node: consumer } of chain.consumers) {
      consumer.inputs[0] = bits;
      if (consumer.inputs.length > THRESHOLDS) consumer.inputs[THRESHOLDS] = '';
      while (consumer.inputs.length > 3 && consumer.inputs[consumer.inputs.length - 1] === '') consumer.inputs.pop();
      consumer.attrs['in_channels'] = m;
    }
    changed = true;
  }
  if (!changed) return input;
  graph.nodes = graph.nodes.filter((n) => !dead.has(n));
  return removeDeadCode(graph);
}

/** `binarize` then `packBinaryChains`: what a runtime should run on a float (optimised) graph. */
export function binarizeAndPack(graph: Graph, options: BinarizeOptions & PackBinaryChainsOptions = {}): Graph {
  return packBinaryChains(binarize(graph, options), options);
}
