/**
 * Pass: recognise binarised layers in ordinary (float) graphs and rewrite them to the binary ops of
 * src/graph/ops/binary.ts. Meant to run after `optimize` (BN folded into convs, activations fused), but it also
 * works on a plain imported graph.
 *
 * XNOR layer (-> BinaryConv / BinaryGemm): a Conv / FusedConv (2-D, group 1, residual kept) or Gemm / FusedGemm /
 * MatMul (2-D A, constant B) whose input is a sign:
 *     [BatchNormalization] -> Sign                                  zero_sign 0 (ONNX Sign maps 0 to 0)
 *     [BatchNormalization] -> Where(Greater(x, 0), 1, -1)           zero_sign -1 (torch.where(x > 0, 1, -1))
 * optionally followed by a constant Pad of the spatial dims with value -1 (pad_value -1; the conv must not pad
 * itself) or 0 (merged into the conv's pads). A BatchNormalization before the sign is folded into per-channel
 * thresholds T that reproduce the CPU BatchNormalization kernel bit for bit (see `signThresholds`).
 * BWN layer (-> BinaryWeightConv): a Conv / FusedConv (2-D, group 1, residual kept) with any other input.
 *
 * Weights qualify only when they are exactly binary: for every output channel o, every |w| equals the same
 * alpha[o] bit for bit (finite). Anything else stays float: this pass never approximates.
 */
import { attrFloat, attrInt, attrInts, attrString, sizeOf, tensorToNumbers, type Attrs, type Graph, type Node, type Tensor, type ValueInfo } from '../ir.js';
import { inferShapes } from '../infer.js';
import { convParams } from '../ops/conv.js';
import { batchNormLinearTerms } from '../ops/batchnorm.js';
import { packWeightSigns, paddedChannels } from '../ops/binary.js';
import { hasResidualView } from '../ops/residual_view.js';
import { removeDeadCode } from './dead_code.js';
import { NameGenerator, cloneGraph, floatConstant, producersOf } from './graph_utils.js';

export interface BinarizeOptions {
  /** Rewrite sign -> conv/gemm layers to BinaryConv / BinaryGemm (default true). */
  xnor?: boolean;
  /** Rewrite float-input convs with exactly binary weights to BinaryWeightConv (default true). */
  bwn?: boolean;
}

const EPILOGUE_KEYS = ['activation', 'act_alpha', 'act_beta', 'act_min', 'act_max', 'residual_after_activation'] as const;

// ---------------------------------------------------------------------------------------------------------------
// Exact binary weights

export interface BinaryWeights {
  /** |w| of each output channel. */
  alpha: Float32Array;
  /** Packed signs in the BinaryConv layout [M, taps, words]. */
  bits: Uint32Array;
}

/**
 * Weights given in OIHW order ([m][c][taps], as float64 values of f32 / f16 data) when every output channel is
 * +-alpha[o] exactly; undefined otherwise.
 */
export function exactBinaryWeights(values: ArrayLike<number>, m: number, c: number, taps: number): BinaryWeights | undefined {
  const per = c * taps;
  if (values.length !== m * per || per === 0) return undefined;
  const alpha = new Float32Array(m);
  for (let o = 0; o < m; o++) {
    const a = Math.abs(values[o * per]!);
    if (!Number.isFinite(a)) return undefined;
    for (let i = o * per + 1; i < (o + 1) * per; i++) if (Math.abs(values[i]!) !== a) return undefined;
    alpha[o] = a;
    if (alpha[o] !== a) return undefined; // not an f32 value (cannot happen for f32 / f16 data)
  }
  return { alpha, bits: packWeightSigns(values, m, c, taps) };
}

// ---------------------------------------------------------------------------------------------------------------
// BatchNorm -> sign thresholds

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const KEY_NEG_INF = -0x7f800000 - 1;
const KEY_POS_INF = 0x7f800000;
const F32_MAX = 3.4028234663852886e38;

/** Order-preserving integer key of an f32 value (-0 just below +0). */
function keyOf(x: number): number {
  f32[0] = x;
  const u = u32[0]!;
  return u >= 0x80000000 ? -(u & 0x7fffffff) - 1 : u;
}

function fromKey(k: number): number {
  u32[0] = k >= 0 ? k : (-(k + 1) | 0x80000000) >>> 0;
  return f32[0]!;
}

/** Smallest key in [lo, hi] where the monotone non-decreasing predicate holds, or undefined. */
function firstTrue(lo: number, hi: number, pred: (k: number) => boolean): number | undefined {
  if (!pred(hi)) return undefined;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (pred(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Thresholds [s, lo, hi] such that, for every f32 x (NaN aside; infinities too unless a == 0), with x' = s * x:
 *   y = fround(x * a + b) > 0  <=>  x' > hi,      y < 0  <=>  x' < lo
 * where a and b are the CPU BatchNormalization kernel's coefficients (batchNormLinearTerms: PyTorch's float32 values):
 * its own arithmetic. Found by bisection over the ordered f32 line (the map x -> y is monotone), so they are exact.
 * Returns undefined when a is not a number (e.g. a negative variance).
 */
export function signThresholds(a: number, b: number): [number, number, number] | undefined {
  if (Number.isNaN(a) || Number.isNaN(b)) return undefined;
  const s = a < 0 ? -1 : 1;
  const abs = Math.abs(a);
  // With x = s * x', x * a == x' * |a| exactly, so y is non-decreasing in x'. The search runs over the finite
  // f32 values; for |a| > 0, y(-inf) = -inf and y(+inf) = +inf, which the strict comparisons below respect.
  const y = (k: number) => Math.fround(fromKey(k) * abs + b);
  const first = KEY_NEG_INF + 1;
  const last = KEY_POS_INF - 1;
  const posMin = firstTrue(first, last, (k) => y(k) > 0);
  const notNegMin = firstTrue(first, last, (k) => !(y(k) < 0));
  const hi = posMin === undefined ? F32_MAX : fromKey(posMin - 1);
  const lo = notNegMin === undefined ? Infinity : fromKey(notNegMin);
  return [s, lo, hi];
}

/** T [3, C] for a BatchNormalization node with constant parameters, or undefined. */
function bnThresholds(graph: Graph, bn: Node): Tensor | undefined {
  const params = [1, 2, 3, 4].map((i) => floatConstant(graph, bn.inputs[i] ?? ''));
  if (params.some((p) => p === undefined)) return undefined;
  const [scale, bias, mean, variance] = params.map((p) => Float32Array.from(p!.values)) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const c = scale.length;
  if ([bias, mean, variance].some((p) => p.length !== c)) return undefined;
  const eps = attrFloat(bn, 'epsilon', 1e-5);
  const t = new Float32Array(3 * c);
  for (let ch = 0; ch < c; ch++) {
    // The CPU BatchNormalization kernel's own a and b (src/backends/cpu/batchnorm.ts).
    const [a, b] = batchNormLinearTerms(scale[ch]!, bias[ch]!, mean[ch]!, variance[ch]!, eps);
    const th = signThresholds(a, b);
    if (!th) return undefined;
    [t[ch], t[c + ch], t[2 * c + ch]] = th;
  }
  return { dtype: 'f32', shape: [3, c], data: t };
}

// ---------------------------------------------------------------------------------------------------------------
// Pattern matching

function constantScalar(graph: Graph, name: string, maxRank: number): number | undefined {
  const t = graph.initializers.get(name);
  if (!t || sizeOf(t.shape) !== 1) return undefined; // before converting: weights are not scalars
  const c = floatConstant(graph, name) ?? intConstant(graph, name);
  if (!c || sizeOf(c.tensor.shape) !== 1 || c.tensor.shape.length > maxRank) return undefined;
  return c.values[0];
}

function intConstant(graph: Graph, name: string): { tensor: Tensor; values: number[] } | undefined {
  const t = graph.initializers.get(name);
  if (!t || t.dtype === 'binary' || t.dtype === 'bool') return undefined;
  return { tensor: t, values: tensorToNumbers(t) };
}

interface SignMatch {
  /** The value being binarised (before any BatchNormalization). */
  input: string;
  zeroSign: 0 | -1;
  thresholds?: Tensor;
}

/** Recognises [BN] -> Sign / Where(Greater(x, 0), 1, -1) producing `value`. */
function matchSign(graph: Graph, producers: Map<string, Node>, values: Map<string, ValueInfo>, value: string): SignMatch | undefined {
  const node = producers.get(value);
  if (!node) return undefined;
  let x: string | undefined;
  let zeroSign: 0 | -1 | undefined;
  if (node.op === 'Sign') {
    x = node.inputs[0];
    zeroSign = 0;
  } else if (node.op === 'Where') {
    const cond = producers.get(node.inputs[0]!);
    const rank = values.get(value)?.shape.length ?? 0;
    if (!cond || constantScalar(graph, node.inputs[1]!, rank) !== 1 || constantScalar(graph, node.inputs[2]!, rank) !== -1) return undefined;
    if (cond.op === 'Greater' && constantScalar(graph, cond.inputs[1]!, rank) === 0) x = cond.inputs[0];
    else if (cond.op === 'Less' && constantScalar(graph, cond.inputs[0]!, rank) === 0) x = cond.inputs[1];
    zeroSign = -1;
  }
  if (x === undefined || zeroSign === undefined || x === '') return undefined;
  const xInfo = values.get(x);
  if (!xInfo || (xInfo.dtype !== 'f32' && xInfo.dtype !== 'f16')) return undefined;
  const bn = producers.get(x);
  if (bn?.op === 'BatchNormalization') {
    const t = bnThresholds(graph, bn);
    const c = values.get(bn.inputs[0]!)?.shape[1];
    if (t && c === t.shape[1]) return { input: bn.inputs[0]!, zeroSign, thresholds: t };
  }
  return { input: x, zeroSign };
}

interface PadMatch {
  input: string;
  value: 0 | -1;
  /** [top, left, bottom, right]. */
  pads: number[];
}

/** A constant-mode Pad of the two spatial dims of a 4-D tensor with value 0 or -1. */
function matchPad(producers: Map<string, Node>, value: string): PadMatch | undefined {
  const pad = producers.get(value);
  if (!pad || pad.op !== 'Pad' || attrString(pad, 'mode', 'constant') !== 'constant') return undefined;
  const v = attrFloat(pad, 'value', 0);
  const pads = attrInts(pad, 'pads', []);
  if ((v !== 0 && v !== -1) || pads.length !== 8 || pads.some((p) => p < 0)) return undefined;
  if (pads[0] !== 0 || pads[1] !== 0 || pads[4] !== 0 || pads[5] !== 0) return undefined;
  return { input: pad.inputs[0]!, value: v === 0 ? 0 : -1, pads: [pads[2]!, pads[3]!, pads[6]!, pads[7]!] };
}

function epilogueAttrs(node: Node): Attrs {
  const out: Attrs = {};
  for (const key of EPILOGUE_KEYS) if (node.attrs[key] !== undefined) out[key] = node.attrs[key]!;
  return out;
}

function hasResidual(node: Node): boolean {
  return (node.op === 'FusedConv' || node.op === 'FusedGemm') && (node.inputs[3] ?? '') !== '';
}

// ---------------------------------------------------------------------------------------------------------------
// Rewrites

interface Context {
  graph: Graph;
  producers: Map<string, Node>;
  values: Map<string, ValueInfo>;
  names: NameGenerator;
  options: Required<BinarizeOptions>;
}

function addInitializer(ctx: Context, base: string, t: Tensor): string {
  const name = ctx.names.fresh(base);
  ctx.graph.initializers.set(name, t);
  return name;
}

function perChannelBias(ctx: Context, name: string, m: number): string | undefined {
  if (name === '') return '';
  const c = floatConstant(ctx.graph, name);
  if (!c || sizeOf(c.tensor.shape) !== m || c.tensor.shape.length !== 1) return undefined;
  return name;
}

/** Inputs 3.. of a binary conv: [B], [T], [R] with trailing absent ones dropped. */
function tailInputs(bias: string, thresholds: string, residual: string): string[] {
  const tail = [bias, thresholds, residual];
  while (tail.length > 0 && tail[tail.length - 1] === '') tail.pop();
  return tail;
}

function rewriteConv(ctx: Context, node: Node): Node | undefined {
  if (hasResidualView(node)) return undefined; // the binary kernels read a residual only at the output's own index
  const residual = hasResidual(node) ? node.inputs[3]! : '';
  const xInfo = ctx.values.get(node.inputs[0]!);
  const wt = ctx.graph.initializers.get(node.inputs[1]!);
  if (!xInfo || !wt || (wt.dtype !== 'f32' && wt.dtype !== 'f16') || xInfo.shape.length !== 4 || wt.shape.length !== 4) return undefined;
  // f32 weights are read in place (converting every conv's weights to float64 first cost ~0.1 s on a ResNet-50 at
  // load, for nets that are not binary: the check stops at the first channel that is not +-alpha)
  const w = { tensor: wt, values: wt.dtype === 'f32' ? (wt.data as Float32Array) : floatConstant(ctx.graph, node.inputs[1]!)!.values };
  const p = convParams(node, xInfo.shape, w.tensor.shape);
  if (p.group !== 1) return undefined;
  const [m, c, kh, kw] = w.tensor.shape as [number, number, number, number];
  const bias = perChannelBias(ctx, node.inputs[2] ?? '', m);
  if (bias === undefined) return undefined;
  const weights = exactBinaryWeights(w.values, m, c, kh * kw);
  if (!weights) return undefined;

  let input = node.inputs[0]!;
  let pads = p.pads;
  let padValue: 0 | -1 = 0;
  const pad = matchPad(ctx.producers, input);
  let sign: SignMatch | undefined;
  if (pad && (pad.value === 0 || pads.every((v) => v === 0))) {
    sign = matchSign(ctx.graph, ctx.producers, ctx.values, pad.input);
    if (sign) {
      pads = pads.map((v, i) => v + pad.pads[i]!);
      padValue = pad.value;
    }
  } else {
    sign = matchSign(ctx.graph, ctx.producers, ctx.values, input);
  }
  const conv: Attrs = { kernel_shape: [kh, kw], strides: p.strides, pads, dilations: p.dilations, ...epilogueAttrs(node) };
  const wBits: Tensor = { dtype: 'binary', shape: [m, kh, kw, paddedChannels(c)], data: weights.bits };
  if (sign && ctx.options.xnor) {
    input = sign.input;
    const t = sign.thresholds ? addInitializer(ctx, `${node.name}.T`, sign.thresholds) : '';
    const inputs = [input, addInitializer(ctx, `${node.name}.W_bits`, wBits), addInitializer(ctx, `${node.name}.alpha`, f32Of(weights.alpha)), ...tailInputs(bias, t, residual)];
    return { name: node.name, op: 'BinaryConv', inputs, outputs: [...node.outputs], attrs: { ...conv, pad_value: padValue, zero_sign: sign.zeroSign } };
  }
  if (!ctx.options.bwn) return undefined;
  // BWN only where bits + alpha are smaller than the float weights (a 1-tap, 1-channel conv is trivially "binary").
  const floatBytes = 4 * m * c * kh * kw;
  const binaryBytes = 4 * Math.ceil((m * kh * kw * paddedChannels(c)) / 32) + 4 * m;
  if (binaryBytes >= floatBytes) return undefined;
  const bwnConv: Attrs = { kernel_shape: [kh, kw], strides: p.strides, pads: p.pads, dilations: p.dilations, ...epilogueAttrs(node) };
  const inputs = [node.inputs[0]!, addInitializer(ctx, `${node.name}.W_bits`, wBits), addInitializer(ctx, `${node.name}.alpha`, f32Of(weights.alpha)), ...tailInputs(bias, '', residual)];
  return { name: node.name, op: 'BinaryWeightConv', inputs, outputs: [...node.outputs], attrs: bwnConv };
}

function f32Of(values: Float32Array): Tensor {
  return { dtype: 'f32', shape: [values.length], data: values };
}

function rewriteGemm(ctx: Context, node: Node): Node | undefined {
  if (!ctx.options.xnor || hasResidual(node)) return undefined;
  const aInfo = ctx.values.get(node.inputs[0]!);
  const b = floatConstant(ctx.graph, node.inputs[1]!);
  if (!aInfo || !b || aInfo.shape.length !== 2 || b.tensor.shape.length !== 2) return undefined;
  const isMatMul = node.op === 'MatMul';
  if (!isMatMul && attrInt(node, 'transA', 0) !== 0) return undefined;
  const transB = !isMatMul && attrInt(node, 'transB', 0) !== 0;
  const [k, m] = transB ? [b.tensor.shape[1]!, b.tensor.shape[0]!] : [b.tensor.shape[0]!, b.tensor.shape[1]!];
  // Rows of W are output units: [m][k].
  let rows = b.values;
  if (!transB) {
    rows = new Float64Array(m * k);
    for (let i = 0; i < k; i++) for (let o = 0; o < m; o++) rows[o * k + i] = b.values[i * m + o]!;
  }
  const weights = exactBinaryWeights(rows, m, k, 1);
  if (!weights) return undefined;
  const sign = matchSign(ctx.graph, ctx.producers, ctx.values, node.inputs[0]!);
  if (!sign) return undefined;
  const gAlpha = isMatMul ? 1 : attrFloat(node, 'alpha', 1);
  const gBeta = isMatMul ? 1 : attrFloat(node, 'beta', 1);
  let bias = '';
  const cName = isMatMul ? '' : (node.inputs[2] ?? '');
  if (cName !== '') {
    const cc = floatConstant(ctx.graph, cName);
    if (!cc) return undefined;
    const shape = cc.tensor.shape;
    const perUnit = sizeOf(shape) === m && (shape.length === 1 || (shape.length === 2 && shape[0] === 1));
    const scalar = sizeOf(shape) === 1;
    if (!perUnit && !scalar) return undefined;
    const values = new Float32Array(m);
    for (let o = 0; o < m; o++) values[o] = gBeta * cc.values[scalar ? 0 : o]!;
    bias = addInitializer(ctx, `${node.name}.B`, f32Of(values));
  }
  const alpha = gAlpha === 1 ? weights.alpha : weights.alpha.map((a) => gAlpha * a);
  const inputs = [
    sign.input,
    addInitializer(ctx, `${node.name}.W_bits`, { dtype: 'binary', shape: [m, paddedChannels(k)], data: weights.bits }),
    addInitializer(ctx, `${node.name}.alpha`, f32Of(alpha)),
    bias,
  ];
  if (sign.thresholds) inputs.push(addInitializer(ctx, `${node.name}.T`, sign.thresholds));
  return { name: node.name, op: 'BinaryGemm', inputs, outputs: [...node.outputs], attrs: { zero_sign: sign.zeroSign, ...epilogueAttrs(node) } };
}

/** Rewrites every exactly-binary layer (see the file comment); returns a new graph, never mutates `input`. */
export function binarize(input: Graph, options: BinarizeOptions = {}): Graph {
  const graph = cloneGraph(input);
  const ctx: Context = {
    graph,
    producers: producersOf(graph),
    values: inferShapes(graph),
    names: new NameGenerator(graph),
    options: { xnor: options.xnor ?? true, bwn: options.bwn ?? true },
  };
  let changed = false;
  graph.nodes = graph.nodes.map((node) => {
    let out: Node | undefined;
    if (node.op === 'Conv' || node.op === 'FusedConv') out = rewriteConv(ctx, node);
    else if (node.op === 'Gemm' || node.op === 'FusedGemm' || node.op === 'MatMul') out = rewriteGemm(ctx, node);
    if (!out) return node;
    changed = true;
    return out;
  });
  return changed ? removeDeadCode(graph) : graph;
}

// ---------------------------------------------------------------------------------------------------------------
// Summary for `tessera inspect`

export interface BinaryLayerSummary {
  node: string;
  op: 'BinaryConv' | 'BinaryGemm' | 'BinaryWeightConv' | 'BinaryConvBits';
  /** Logical float weight shape: [M, C, KH, KW] or [M, K]. */
  weightShape: number[];
  /** Bytes the weights take as f32. */
  floatBytes: number;
  /** Bytes of the packed bits plus the per-channel alphas. */
  binaryBytes: number;
}

export interface BinarySummary {
  layers: BinaryLayerSummary[];
  floatBytes: number;
  binaryBytes: number;
  savedBytes: number;
}

/** The binary layers of a graph and the weight bytes they save against f32 weights. */
export function binarySummary(graph: Graph): BinarySummary {
  let values: Map<string, ValueInfo> | undefined;
  try {
    values = inferShapes(graph);
  } catch {
    values = undefined; // fall back to the padded channel counts
  }
  const layers: BinaryLayerSummary[] = [];
  for (const node of graph.nodes) {
    if (node.op !== 'BinaryConv' && node.op !== 'BinaryGemm' && node.op !== 'BinaryWeightConv' && node.op !== 'BinaryConvBits') continue;
    const w = graph.initializers.get(node.inputs[1] ?? '');
    if (!w || w.dtype !== 'binary') continue;
    const packed = w.shape[w.shape.length - 1]!;
    // Bit-packed X (packBinaryChains) is [N, H, W, C32]: its channel count is the in_channels attribute.
    const inChannels = node.attrs['in_channels'];
    const c = typeof inChannels === 'number' ? inChannels : (values?.get(node.inputs[0]!)?.shape[1] ?? packed);
    const weightShape = node.op === 'BinaryGemm' ? [w.shape[0]!, c] : [w.shape[0]!, c, w.shape[1]!, w.shape[2]!];
    const floatBytes = 4 * sizeOf(weightShape);
    const binaryBytes = 4 * Math.ceil(sizeOf(w.shape) / 32) + 4 * w.shape[0]!;
    layers.push({ node: node.name, op: node.op, weightShape, floatBytes, binaryBytes });
  }
  const floatBytes = layers.reduce((s, l) => s + l.floatBytes, 0);
  const binaryBytes = layers.reduce((s, l) => s + l.binaryBytes, 0);
  return { layers, floatBytes, binaryBytes, savedBytes: floatBytes - binaryBytes };
}

/** Human-readable lines of a BinarySummary (what `tessera inspect` prints). */
export function formatBinarySummary(summary: BinarySummary): string[] {
  if (summary.layers.length === 0) return ['binary layers: none'];
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const lines = [`binary layers: ${summary.layers.length}`];
  for (const l of summary.layers) {
    const ratio = (l.floatBytes / l.binaryBytes).toFixed(1);
    lines.push(`  ${l.op.padEnd(16)} ${l.node}  W [${l.weightShape.join(', ')}]  ${kb(l.floatBytes)} -> ${kb(l.binaryBytes)} (${ratio}x)`);
  }
  const ratio = (summary.floatBytes / Math.max(1, summary.binaryBytes)).toFixed(1);
  lines.push(`  weights: ${kb(summary.floatBytes)} as f32 -> ${kb(summary.binaryBytes)} binary, ${kb(summary.savedBytes)} saved (${ratio}x)`);
  return lines;
}
