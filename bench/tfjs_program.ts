/**
 * The TF.js column of the benchmark: "the same architecture built with tfjs ops and the same weights".
 *
 * `tfjsProgramFromOnnx` imports the bench's ONNX file with Tessera's importer, applies only the graph passes every
 * runtime gets in some form (ORT folds BN and constants at load, tfjs-converter does the same offline; see
 * tfjsPasses) and lowers the graph to a straight-line program of TensorFlow.js ops in NHWC, with weights already in
 * tfjs layouts (conv filters HWIO, depthwise filters HWCM, grouped convs split per group, Gemm weights [K, N]).
 * This is what tfjs-converter does offline, so it runs in Node, outside every timing; the page only executes the
 * program (bench/tfjs_exec.ts). Layout: every rank-4 activation is NHWC in the program; the NCHW input is
 * transposed once at the start (inside each timed run) and a rank-4 output is transposed back.
 *
 * Activations directly after a Conv / Gemm (Relu, Clip(0, 6), Sigmoid, LeakyRelu) become tf.fused.conv2d /
 * depthwiseConv2d / matMul activations, the fusion tfjs-converter applies to TF graphs; nothing else is fused
 * (tfjs has no fused residual add or hard-sigmoid).
 */
import { inferShapes } from '../src/graph/infer.js';
import { attrFloat, attrInt, attrInts, attrString, sizeOf, tensorToNumbers, type Graph, type Node, type Shape, type Tensor, type ValueInfo } from '../src/graph/ir.js';
import { convParams } from '../src/graph/ops/conv.js';
import { poolParams } from '../src/graph/ops/pool.js';
import { resizeAxisIsIdentity, resizeGeometry, resizeParams } from '../src/graph/ops/resize.js';
import {
  foldBatchNormBackward,
  foldBatchNormForward,
  foldConstantArithmetic,
  matMulToGemm,
  removeDeadCode,
  removeIdentityOps,
} from '../src/graph/passes/index.js';
import { importOnnx } from '../src/import/onnx/index.js';

export type TfjsActivation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'leakyrelu';
/** [[top, bottom], [left, right]]. */
export type Padding2D = [[number, number], [number, number]];
type Pair = [number, number];

export type TfjsStep =
  | { kind: 'transpose'; x: string; out: string; perm: number[] }
  | {
      kind: 'conv';
      x: string;
      out: string;
      /** dense: tf.conv2d; depthwise: tf.depthwiseConv2d; grouped: split / conv2d per group / concat. */
      mode: 'dense' | 'depthwise' | 'grouped';
      filters: string[];
      /** null: no bias (null, not undefined, so the program reads the same after its JSON trip to the page). */
      biases: (string | null)[];
      strides: Pair;
      pad: Padding2D;
      dilations: Pair;
      activation: TfjsActivation;
      leakyAlpha?: number;
    }
  | { kind: 'pool'; type: 'max' | 'avg'; x: string; out: string; size: Pair; strides: Pair; pad: Padding2D }
  | { kind: 'reduce'; type: 'mean' | 'max' | 'sum'; x: string; out: string; axes: number[]; keepDims: boolean }
  | { kind: 'binary'; op: 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'; a: string; b: string; out: string }
  | { kind: 'unary'; op: 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'abs' | 'neg' | 'exp' | 'sqrt' | 'floor' | 'ceil' | 'reciprocal' | 'sign'; x: string; out: string }
  | { kind: 'leakyRelu'; x: string; out: string; alpha: number }
  | { kind: 'clip'; x: string; out: string; min: number; max: number }
  /** clip(alpha * x + beta, 0, 1), times x when `swish` (HardSwish). */
  | { kind: 'hardSigmoid'; x: string; out: string; alpha: number; beta: number; swish: boolean }
  | { kind: 'batchNorm'; x: string; out: string; mean: string; variance: string; offset: string; scale: string; epsilon: number }
  | { kind: 'concat'; xs: string[]; out: string; axis: number }
  | { kind: 'split'; x: string; outs: string[]; sizes: number[]; axis: number }
  | { kind: 'slice'; x: string; out: string; begin: number[]; size: number[] }
  | { kind: 'stridedSlice'; x: string; out: string; begin: number[]; end: number[]; strides: number[] }
  | { kind: 'pad'; x: string; out: string; paddings: Pair[]; value: number; mode: 'constant' | 'reflect' }
  | { kind: 'matMul'; a: string; b: string; out: string; bias?: string; transposeA: boolean; transposeB: boolean; activation: TfjsActivation; leakyAlpha?: number }
  | { kind: 'reshape'; x: string; out: string; shape: number[] }
  | { kind: 'softmax'; x: string; out: string }
  /**
   * tf.image.resizeBilinear / resizeNearestNeighbor of an NHWC tensor to [height, width] (N and C unchanged). The
   * ONNX modes map exactly (docs/performance.md): linear + half_pixel / pytorch_half_pixel = bilinear with
   * halfPixelCenters, linear + align_corners = alignCorners, linear + asymmetric = neither; nearest + asymmetric /
   * floor = neither, tf_half_pixel_for_nn / floor and half_pixel / round_prefer_ceil = halfPixelCenters,
   * align_corners / round_prefer_ceil = alignCorners. Anything else is not lowered.
   */
  | { kind: 'resize'; method: 'bilinear' | 'nearest'; x: string; out: string; size: Pair; alignCorners: boolean; halfPixelCenters: boolean };

export interface TfjsWeight {
  name: string;
  shape: number[];
  /** Offset and length in floats within the weight blob. */
  offset: number;
  length: number;
}

export interface TfjsProgram {
  input: { name: string; shape: number[] };
  output: { name: string; shape: number[] };
  steps: TfjsStep[];
  weights: TfjsWeight[];
  /** What was done to the graph before lowering (for the report). */
  passes: string;
  /** Graph op counts after the passes, e.g. { Conv: 19, Relu: 19 } (before activation fusion). */
  ops: Record<string, number>;
}

export interface LoweredModel {
  program: TfjsProgram;
  /** All weights, back to back (TfjsWeight.offset / length index it). */
  weights: Float32Array;
}

export class TfjsConversionError extends Error {
  override name = 'TfjsConversionError';
  constructor(message: string, node?: Node) {
    super(node ? `${node.op} node '${node.name}': ${message}` : message);
  }
}

/**
 * The passes applied before lowering, called one by one (not through `optimize`, whose defaults include Tessera's
 * own fusions): Identity/Dropout removal, MatMul(const) -> Gemm, BN folding into the neighbouring Conv/Gemm with
 * per-channel constant Mul/Add folding (repeated while it shrinks the graph), forward BN folding into pad-free convs,
 * dead code. All exact rewrites of the arithmetic that ORT (at load) and tfjs-converter (offline) also do.
 */
export function tfjsPasses(graph: Graph): Graph {
  let g = matMulToGemm(removeIdentityOps(graph));
  for (let round = 0; round < 4; round++) {
    const count = g.nodes.length;
    g = foldConstantArithmetic(foldBatchNormBackward(g));
    if (g.nodes.length === count) break;
  }
  return removeDeadCode(foldBatchNormForward(g));
}
export const TFJS_PASSES_TEXT = 'Identity removal, MatMul(const)->Gemm, BatchNorm folding (backward, forward into pad-free convs), per-channel constant folding, dead code; no fusion beyond tfjs fused conv/matMul activations';

/** NCHW axis -> NHWC axis. */
const NHWC_AXIS = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];

class Lowering {
  readonly steps: TfjsStep[] = [];
  readonly weights: TfjsWeight[] = [];
  private readonly chunks: Float32Array[] = [];
  private floats = 0;
  private readonly values: Map<string, ValueInfo>;
  /** ONNX value name -> program value name (aliases, renamed inputs). */
  private readonly alias = new Map<string, string>();
  /** Constants already stored, by (initializer, layout) key. */
  private readonly stored = new Map<string, string>();
  private readonly uses = new Map<string, number>();
  private readonly fusedAway = new Set<string>();
  private temp = 0;

  constructor(private readonly graph: Graph) {
    this.values = inferShapes(graph);
    for (const n of graph.nodes) for (const i of n.inputs) if (i) this.uses.set(i, (this.uses.get(i) ?? 0) + 1);
    for (const o of graph.outputs) this.uses.set(o.name, (this.uses.get(o.name) ?? 0) + 1);
  }

  shape(name: string): Shape {
    const v = this.values.get(name);
    if (!v) throw new TfjsConversionError(`no shape for value '${name}'`);
    return v.shape;
  }

  private tmp(base: string): string {
    return `${base}#${this.temp++}`;
  }

  isConst(name: string): boolean {
    return this.graph.initializers.has(name);
  }

  constTensor(name: string, node: Node): Tensor {
    const t = this.graph.initializers.get(name);
    if (!t) throw new TfjsConversionError(`input '${name}' must be a constant`, node);
    return t;
  }

  addWeight(name: string, shape: number[], data: Float32Array): string {
    const key = `w:${name}`;
    if (data.length !== sizeOf(shape)) throw new TfjsConversionError(`weight '${name}' has ${data.length} values for shape [${shape}]`);
    this.weights.push({ name: key, shape, offset: this.floats, length: data.length });
    this.chunks.push(data);
    this.floats += data.length;
    return key;
  }

  blob(): Float32Array {
    const out = new Float32Array(this.floats);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  /** Program name of an activation (or a constant, stored as is / in NHWC when `nhwcRank4`). */
  ref(name: string, node: Node, broadcastRank = 0): string {
    if (!this.isConst(name)) return this.alias.get(name) ?? name;
    const t = this.constTensor(name, node);
    const rank = t.shape.length;
    const target = Math.max(rank, broadcastRank);
    const key = `${name}@${target}`;
    const known = this.stored.get(key);
    if (known) return known;
    let data = new Float32Array(tensorToNumbers(t));
    let shape = [...t.shape];
    if (target === 4) {
      // Right-aligned broadcasting: pad to rank 4 with leading 1s, then to NHWC.
      shape = [...new Array<number>(4 - rank).fill(1), ...shape];
      data = transposeData(data, shape, TO_NHWC);
      shape = TO_NHWC.map((p) => shape[p]!);
    }
    const stored = this.addWeight(key, shape, data);
    this.stored.set(key, stored);
    return stored;
  }

  emit(step: TfjsStep): void {
    this.steps.push(step);
  }

  setAlias(onnx: string, program: string): void {
    this.alias.set(onnx, program);
  }

  /** A rank-4 activation in NCHW order (for reshape-like ops): a transpose unless H = W = 1. */
  nchwOf(name: string, node: Node): string {
    const x = this.ref(name, node);
    const s = this.shape(name);
    if (s.length !== 4 || this.isConst(name) || (s[2] === 1 && s[3] === 1)) return x;
    const out = this.tmp(name);
    this.emit({ kind: 'transpose', x, out, perm: TO_NCHW });
    return out;
  }

  /** Writes `out` (an ONNX value of rank 4, NCHW `shape`) from a program value holding it in NCHW order. */
  fromNchw(src: string, out: string, shape: Shape): void {
    if (shape[2] === 1 && shape[3] === 1) {
      this.emit({ kind: 'reshape', x: src, out, shape: [shape[0]!, 1, 1, shape[1]!] });
      return;
    }
    const mid = this.tmp(out);
    this.emit({ kind: 'reshape', x: src, out: mid, shape: [...shape] });
    this.emit({ kind: 'transpose', x: mid, out, perm: TO_NHWC });
  }

  /** The single consumer of `value` when it has exactly one use and is not a graph output. */
  soleConsumer(value: string, from: number): Node | undefined {
    if (this.uses.get(value) !== 1 || this.graph.outputs.some((o) => o.name === value)) return undefined;
    for (let i = from; i < this.graph.nodes.length; i++) if (this.graph.nodes[i]!.inputs.includes(value)) return this.graph.nodes[i];
    return undefined;
  }

  /** Fuses the activation after node `index` when tfjs can; returns the activation and the output name to write. */
  fusedActivation(index: number, value: string): { activation: TfjsActivation; leakyAlpha?: number; out: string } {
    const next = this.soleConsumer(value, index + 1);
    const plain = { activation: 'linear' as TfjsActivation, out: value };
    if (!next || next.inputs[0] !== value) return plain;
    let activation: TfjsActivation | undefined;
    let leakyAlpha: number | undefined;
    if (next.op === 'Relu') activation = 'relu';
    else if (next.op === 'Sigmoid') activation = 'sigmoid';
    else if (next.op === 'LeakyRelu') {
      activation = 'leakyrelu';
      leakyAlpha = attrFloat(next, 'alpha', 0.01);
    } else if (next.op === 'Clip') {
      const lo = attrFloat(next, 'min', -Infinity);
      const hi = attrFloat(next, 'max', Infinity);
      if (lo === 0 && hi === 6) activation = 'relu6';
      else if (lo === 0 && hi === Infinity) activation = 'relu';
    }
    if (!activation) return plain;
    this.fusedAway.add(next.name);
    return { activation, leakyAlpha, out: next.outputs[0]! };
  }

  isFusedAway(node: Node): boolean {
    return this.fusedAway.has(node.name);
  }
}

/** Row-major transpose of `data` (shape `shape`) by `perm` (output dim i = input dim perm[i]). */
export function transposeData(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array<ArrayBuffer> {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank);
  let acc = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = acc;
    acc *= shape[i]!;
  }
  const stepOf = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      src += stepOf[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= stepOf[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

const normAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

function lowerConv(L: Lowering, node: Node, index: number): void {
  const xShape = L.shape(node.inputs[0]!);
  const w = L.constTensor(node.inputs[1]!, node);
  if (xShape.length !== 4) throw new TfjsConversionError(`only 2-D convolutions are lowered (X shape [${xShape}])`, node);
  const p = convParams(node, xShape, w.shape);
  const [O, Ig, kh, kw] = w.shape as [number, number, number, number];
  const C = xShape[1]!;
  const g = p.group;
  const wData = new Float32Array(tensorToNumbers(w));
  const bias = node.inputs[2] ? new Float32Array(tensorToNumbers(L.constTensor(node.inputs[2], node))) : undefined;
  const { activation, leakyAlpha, out } = L.fusedActivation(index, node.outputs[0]!);
  const common = {
    x: L.ref(node.inputs[0]!, node),
    out,
    strides: [p.strides[0]!, p.strides[1]!] as Pair,
    pad: [
      [p.pads[0]!, p.pads[2]!],
      [p.pads[1]!, p.pads[3]!],
    ] as Padding2D,
    dilations: [p.dilations[0]!, p.dilations[1]!] as Pair,
    activation,
    leakyAlpha,
  };
  const name = node.name;
  if (g === 1) {
    const filter = L.addWeight(`${name}.filter`, [kh, kw, Ig, O], transposeData(wData, [O, Ig, kh, kw], [2, 3, 1, 0]));
    const b = bias ? L.addWeight(`${name}.bias`, [O], bias) : null;
    L.emit({ kind: 'conv', mode: 'dense', filters: [filter], biases: [b], ...common });
    return;
  }
  if (g === C && Ig === 1 && O % C === 0) {
    // Depthwise: output channel c * m + j reads input channel c; tfjs wants [kh, kw, C, m].
    const m = O / C;
    const filter = L.addWeight(`${name}.filter`, [kh, kw, C, m], transposeData(wData, [C, m, kh, kw], [2, 3, 0, 1]));
    const b = bias ? L.addWeight(`${name}.bias`, [O], bias) : null;
    L.emit({ kind: 'conv', mode: 'depthwise', filters: [filter], biases: [b], ...common });
    return;
  }
  // Grouped: tfjs has no grouped conv; split the input channels, one conv2d per group, concat.
  const Og = O / g;
  const per = Og * Ig * kh * kw;
  const filters: string[] = [];
  const biases: (string | null)[] = [];
  for (let k = 0; k < g; k++) {
    filters.push(L.addWeight(`${name}.filter${k}`, [kh, kw, Ig, Og], transposeData(wData.subarray(k * per, (k + 1) * per), [Og, Ig, kh, kw], [2, 3, 1, 0])));
    biases.push(bias ? L.addWeight(`${name}.bias${k}`, [Og], bias.slice(k * Og, (k + 1) * Og)) : null);
  }
  L.emit({ kind: 'conv', mode: 'grouped', filters, biases, ...common });
}

function lowerPool(L: Lowering, node: Node): void {
  const xShape = L.shape(node.inputs[0]!);
  if (xShape.length !== 4) throw new TfjsConversionError(`only 2-D pooling is lowered (X shape [${xShape}])`, node);
  const p = poolParams(node, xShape);
  if (p.dilations.some((d) => d !== 1)) throw new TfjsConversionError('dilated pooling has no tfjs op', node);
  const outShape = L.shape(node.outputs[0]!);
  const isAvg = node.op === 'AveragePool';
  let x = L.ref(node.inputs[0]!, node);
  let pads = [...p.pads];
  let inH = xShape[2]!;
  let inW = xShape[3]!;
  if (isAvg && p.countIncludePad && pads.some((v) => v > 0)) {
    // Pads count in the average: pad with zeros first, then pool without padding.
    const padded = `${node.outputs[0]}#padded`;
    L.emit({ kind: 'pad', x, out: padded, paddings: [[0, 0], [pads[0]!, pads[2]!], [pads[1]!, pads[3]!], [0, 0]], value: 0, mode: 'constant' });
    x = padded;
    inH += pads[0]! + pads[2]!;
    inW += pads[1]! + pads[3]!;
    pads = [0, 0, 0, 0];
  }
  // ceil_mode: extra end padding so that floor division yields the (ceil) output size; tfjs pooling skips padded
  // positions (max ignores them, avg does not count them), as PyTorch does for the overhanging window.
  const extra = (axis: 0 | 1, inSize: number) => Math.max(0, (outShape[2 + axis]! - 1) * p.strides[axis]! + p.kernel[axis]! - (inSize + pads[axis]! + pads[axis + 2]!));
  L.emit({
    kind: 'pool',
    type: isAvg ? 'avg' : 'max',
    x,
    out: node.outputs[0]!,
    size: [p.kernel[0]!, p.kernel[1]!],
    strides: [p.strides[0]!, p.strides[1]!],
    pad: [
      [pads[0]!, pads[2]! + extra(0, inH)],
      [pads[1]!, pads[3]! + extra(1, inW)],
    ],
  });
}

function lowerGemm(L: Lowering, node: Node, index: number): void {
  const [aName, bName, cName] = node.inputs as [string, string, string | undefined];
  const alpha = attrFloat(node, 'alpha', 1);
  const beta = attrFloat(node, 'beta', 1);
  const transA = attrInt(node, 'transA', 0) !== 0;
  const transB = attrInt(node, 'transB', 0) !== 0;
  const { activation, leakyAlpha, out } = L.fusedActivation(index, node.outputs[0]!);
  if (!L.isConst(bName)) {
    if (alpha !== 1 || cName) throw new TfjsConversionError('Gemm with a non-constant B needs alpha = 1 and no C', node);
    L.emit({ kind: 'matMul', a: L.ref(aName, node), b: L.ref(bName, node), out, transposeA: transA, transposeB: transB, activation, leakyAlpha });
    return;
  }
  const bT = L.constTensor(bName, node);
  let bData = new Float32Array(tensorToNumbers(bT));
  let [K, N] = bT.shape as [number, number];
  if (transB) {
    bData = transposeData(bData, [K, N], [1, 0]);
    [K, N] = [N, K];
  }
  if (alpha !== 1) for (let i = 0; i < bData.length; i++) bData[i]! *= alpha;
  const b = L.addWeight(`${node.name}.B`, [K, N], bData);
  let bias: string | undefined;
  if (cName) {
    const c = L.constTensor(cName, node);
    const cData = new Float32Array(tensorToNumbers(c)).map((v) => v * beta);
    bias = L.addWeight(`${node.name}.C`, c.shape.length === 2 && c.shape[0] === 1 ? [c.shape[1]!] : [...c.shape], cData);
  }
  L.emit({ kind: 'matMul', a: L.ref(aName, node), b, out, bias, transposeA: transA, transposeB: false, activation, leakyAlpha });
}

/**
 * Resize of a rank-4 NCHW activation over H and W only, when tfjs's resizeBilinear / resizeNearestNeighbor compute
 * the same coordinates as the ONNX attributes (their input-over-output ratio is in / out, so the ONNX scale must be
 * out / in: `sizes`, or `scales` that equal it in f32); otherwise TfjsConversionError, so the bench records TF.js as
 * unable to run the model.
 */
function lowerResize(L: Lowering, node: Node): void {
  const x = node.inputs[0]!;
  const xShape = L.shape(x);
  if (xShape.length !== 4) throw new TfjsConversionError(`only rank-4 (NCHW) Resize is lowered (X shape [${xShape}])`, node);
  const p = resizeParams(node, 4);
  const geo = resizeGeometry(node, xShape, (i) => (node.inputs[i] ? L.shape(node.inputs[i]!) : undefined));
  const out = geo.outShape;
  for (const k of [0, 1])
    if (!resizeAxisIsIdentity(geo.scales[k]!, xShape[k]!, out[k]!)) throw new TfjsConversionError(`tfjs resizes H and W only (axis ${k}: ${xShape[k]} -> ${out[k]})`, node);
  for (const k of [2, 3]) {
    const exact = Math.fround(out[k]! / xShape[k]!);
    if (geo.scales[k] !== exact) throw new TfjsConversionError(`scale ${geo.scales[k]} on axis ${k} is not ${out[k]}/${xShape[k]}: tfjs's coordinate ratio would differ`, node);
    if (p.coord === 'pytorch_half_pixel' && out[k] === 1) throw new TfjsConversionError('pytorch_half_pixel to a length of 1 has no tfjs mode', node);
  }
  const halfPixel = p.coord === 'half_pixel' || p.coord === 'pytorch_half_pixel';
  let mode: { method: 'bilinear' | 'nearest'; alignCorners: boolean; halfPixelCenters: boolean } | undefined;
  if (p.mode === 'linear') {
    if (halfPixel) mode = { method: 'bilinear', alignCorners: false, halfPixelCenters: true };
    else if (p.coord === 'align_corners') mode = { method: 'bilinear', alignCorners: true, halfPixelCenters: false };
    else if (p.coord === 'asymmetric') mode = { method: 'bilinear', alignCorners: false, halfPixelCenters: false };
  } else if (p.mode === 'nearest') {
    // tfjs: floor(max((x + 0.5) * in/out, 0)) with halfPixelCenters, floor(x * in/out + 0.5 [alignCorners]) otherwise.
    if (p.coord === 'asymmetric' && p.nearest === 'floor') mode = { method: 'nearest', alignCorners: false, halfPixelCenters: false };
    else if (p.coord === 'tf_half_pixel_for_nn' && p.nearest === 'floor') mode = { method: 'nearest', alignCorners: false, halfPixelCenters: true };
    else if (halfPixel && p.nearest === 'round_prefer_ceil') mode = { method: 'nearest', alignCorners: false, halfPixelCenters: true };
    else if (p.coord === 'align_corners' && p.nearest === 'round_prefer_ceil') mode = { method: 'nearest', alignCorners: true, halfPixelCenters: false };
  }
  if (!mode) throw new TfjsConversionError(`mode '${p.mode}' with coordinate_transformation_mode '${p.coord}'${p.mode === 'nearest' ? ` and nearest_mode '${p.nearest}'` : ''} has no exact tfjs resize`, node);
  L.emit({ kind: 'resize', ...mode, x: L.ref(x, node), out: node.outputs[0]!, size: [out[2]!, out[3]!] });
}

const BINARY: Record<string, 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'> = {
  Add: 'add',
  Sub: 'sub',
  Mul: 'mul',
  Div: 'div',
  Pow: 'pow',
  Max: 'maximum',
  Min: 'minimum',
  Sum: 'add',
};
const UNARY: Record<string, 'relu' | 'sigmoid' | 'tanh' | 'abs' | 'neg' | 'exp' | 'sqrt' | 'floor' | 'ceil' | 'reciprocal' | 'sign'> = {
  Relu: 'relu',
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Abs: 'abs',
  Neg: 'neg',
  Exp: 'exp',
  Sqrt: 'sqrt',
  Floor: 'floor',
  Ceil: 'ceil',
  Reciprocal: 'reciprocal',
  Sign: 'sign',
};

/** An operand of an elementwise op whose output has rank `outRank`: rank-4 outputs need every operand in NHWC. */
function operand(L: Lowering, name: string, node: Node, outRank: number): string {
  if (L.isConst(name)) return L.ref(name, node, outRank === 4 ? 4 : 0);
  const s = L.shape(name);
  const x = L.ref(name, node);
  if (outRank !== 4 || s.length === 4) return x;
  // A lower-rank activation broadcast against NCHW: make it rank 4 (leading 1s), then NHWC.
  const four = [...new Array<number>(4 - s.length).fill(1), ...s];
  const out = `${name}#bcast4`;
  L.fromNchw(x, out, four);
  return out;
}

function lowerNode(L: Lowering, node: Node, index: number): void {
  const out0 = node.outputs[0]!;
  const outShape = () => L.shape(out0);
  const inShape = () => L.shape(node.inputs[0]!);
  const rank4 = () => inShape().length === 4;
  switch (node.op) {
    case 'Conv':
      return lowerConv(L, node, index);
    case 'MaxPool':
    case 'AveragePool':
      return lowerPool(L, node);
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      if (!rank4()) throw new TfjsConversionError(`only 4-D input is lowered`, node);
      L.emit({ kind: 'reduce', type: node.op === 'GlobalAveragePool' ? 'mean' : 'max', x: L.ref(node.inputs[0]!, node), out: out0, axes: [1, 2], keepDims: true });
      return;
    case 'ReduceMean':
    case 'ReduceMax':
    case 'ReduceSum': {
      const rank = inShape().length;
      const axes = (node.attrs['axes'] !== undefined ? attrInts(node, 'axes') : [...Array(rank).keys()]).map((a) => normAxis(a, rank));
      const keepDims = attrInt(node, 'keepdims', 1) !== 0;
      const type = node.op === 'ReduceMean' ? 'mean' : node.op === 'ReduceMax' ? 'max' : 'sum';
      if (rank === 4 && keepDims) L.emit({ kind: 'reduce', type, x: L.ref(node.inputs[0]!, node), out: out0, axes: axes.map((a) => NHWC_AXIS[a]!), keepDims });
      else if (rank === 4) {
        L.emit({ kind: 'reduce', type, x: L.nchwOf(node.inputs[0]!, node), out: out0, axes, keepDims });
      } else L.emit({ kind: 'reduce', type, x: L.ref(node.inputs[0]!, node), out: out0, axes, keepDims });
      return;
    }
    case 'Gemm':
      return lowerGemm(L, node, index);
    case 'MatMul': {
      const [a, b] = node.inputs as [string, string];
      if (L.shape(a).length > 3 || L.shape(b).length > 3) throw new TfjsConversionError('MatMul above rank 3 is not lowered', node);
      L.emit({ kind: 'matMul', a: L.ref(a, node), b: L.ref(b, node), out: out0, transposeA: false, transposeB: false, activation: 'linear' });
      return;
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Pow':
    case 'Max':
    case 'Min':
    case 'Sum': {
      const rank = outShape().length;
      const ins = node.inputs.filter((i) => i !== '');
      let acc = operand(L, ins[0]!, node, rank);
      for (let k = 1; k < ins.length; k++) {
        const out = k === ins.length - 1 ? out0 : `${out0}#${k}`;
        L.emit({ kind: 'binary', op: BINARY[node.op]!, a: acc, b: operand(L, ins[k]!, node, rank), out });
        acc = out;
      }
      if (ins.length === 1) L.setAlias(out0, acc);
      return;
    }
    case 'Relu':
    case 'Sigmoid':
    case 'Tanh':
    case 'Abs':
    case 'Neg':
    case 'Exp':
    case 'Sqrt':
    case 'Floor':
    case 'Ceil':
    case 'Reciprocal':
    case 'Sign':
      L.emit({ kind: 'unary', op: UNARY[node.op]!, x: L.ref(node.inputs[0]!, node), out: out0 });
      return;
    case 'LeakyRelu':
      L.emit({ kind: 'leakyRelu', x: L.ref(node.inputs[0]!, node), out: out0, alpha: attrFloat(node, 'alpha', 0.01) });
      return;
    case 'Clip': {
      const min = attrFloat(node, 'min', -Infinity);
      const max = attrFloat(node, 'max', Infinity);
      const x = L.ref(node.inputs[0]!, node);
      if (min === 0 && max === 6) L.emit({ kind: 'unary', op: 'relu6', x, out: out0 });
      else if (min === 0 && max === Infinity) L.emit({ kind: 'unary', op: 'relu', x, out: out0 });
      else L.emit({ kind: 'clip', x, out: out0, min: Math.max(min, -3.4e38), max: Math.min(max, 3.4e38) });
      return;
    }
    case 'HardSigmoid':
    case 'HardSwish':
      L.emit({
        kind: 'hardSigmoid',
        x: L.ref(node.inputs[0]!, node),
        out: out0,
        alpha: node.op === 'HardSwish' ? 1 / 6 : attrFloat(node, 'alpha', 0.2),
        beta: node.op === 'HardSwish' ? 0.5 : attrFloat(node, 'beta', 0.5),
        swish: node.op === 'HardSwish',
      });
      return;
    case 'BatchNormalization': {
      const rank = inShape().length;
      const C = inShape()[1]!;
      const [x, scale, bias, mean, variance] = node.inputs as [string, string, string, string, string];
      // Per-channel vectors broadcast along the last (channel) axis in NHWC; rank-2 inputs [N, C] too.
      if (rank !== 4 && rank !== 2) throw new TfjsConversionError(`BatchNormalization of a rank-${rank} input is not lowered`, node);
      const vec = (n: string) => L.addWeight(`${node.name}.${n}`, [C], new Float32Array(tensorToNumbers(L.constTensor(n, node))));
      L.emit({ kind: 'batchNorm', x: L.ref(x, node), out: out0, mean: vec(mean), variance: vec(variance), offset: vec(bias), scale: vec(scale), epsilon: attrFloat(node, 'epsilon', 1e-5) });
      return;
    }
    case 'Concat': {
      const rank = outShape().length;
      const axis = normAxis(attrInt(node, 'axis'), rank);
      const xs = node.inputs.filter((i) => i !== '').map((i) => operand(L, i, node, rank));
      L.emit({ kind: 'concat', xs, out: out0, axis: rank === 4 ? NHWC_AXIS[axis]! : axis });
      return;
    }
    case 'Split': {
      const rank = inShape().length;
      const axis = normAxis(attrInt(node, 'axis', 0), rank);
      L.emit({ kind: 'split', x: L.ref(node.inputs[0]!, node), outs: [...node.outputs], sizes: attrInts(node, 'split'), axis: rank === 4 ? NHWC_AXIS[axis]! : axis });
      return;
    }
    case 'Slice': {
      const s = inShape();
      const rank = s.length;
      const starts = attrInts(node, 'starts');
      const ends = attrInts(node, 'ends');
      const axes = (node.attrs['axes'] !== undefined ? attrInts(node, 'axes') : starts.map((_, i) => i)).map((a) => normAxis(a, rank));
      const steps = node.attrs['steps'] !== undefined ? attrInts(node, 'steps') : starts.map(() => 1);
      const begin = s.map(() => 0);
      const end = [...s];
      const stride = s.map(() => 1);
      axes.forEach((a, i) => {
        const dim = s[a]!;
        if (steps[i]! < 1) throw new TfjsConversionError(`negative or zero Slice steps are not lowered`, node);
        const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
        begin[a] = clamp(starts[i]!);
        end[a] = Math.max(begin[a]!, clamp(ends[i]!));
        stride[a] = steps[i]!;
      });
      const order = rank === 4 ? TO_NHWC : [...Array(rank).keys()];
      const pick = (v: number[]) => order.map((k) => v[k]!);
      const x = L.ref(node.inputs[0]!, node);
      if (stride.every((v) => v === 1)) L.emit({ kind: 'slice', x, out: out0, begin: pick(begin), size: pick(end.map((e, k) => e - begin[k]!)) });
      else L.emit({ kind: 'stridedSlice', x, out: out0, begin: pick(begin), end: pick(end), strides: pick(stride) });
      return;
    }
    case 'Pad': {
      const rank = inShape().length;
      const pads = attrInts(node, 'pads');
      const mode = attrString(node, 'mode', 'constant');
      const x = L.ref(node.inputs[0]!, node);
      if (pads.every((v) => v === 0)) {
        L.setAlias(out0, x);
        return;
      }
      if (mode !== 'constant' && mode !== 'reflect') throw new TfjsConversionError(`Pad mode '${mode}' has no tfjs op`, node);
      const paddings: Pair[] = [...Array(rank).keys()].map((a) => [pads[a]!, pads[a + rank]!]);
      const ordered = rank === 4 ? TO_NHWC.map((k) => paddings[k]!) : paddings;
      L.emit({ kind: 'pad', x, out: out0, paddings: ordered, value: attrFloat(node, 'value', 0), mode });
      return;
    }
    case 'Reshape':
    case 'Flatten':
    case 'Squeeze':
    case 'Unsqueeze': {
      const src = L.nchwOf(node.inputs[0]!, node);
      const target = outShape();
      if (target.length === 4) L.fromNchw(src, out0, target);
      else L.emit({ kind: 'reshape', x: src, out: out0, shape: [...target] });
      return;
    }
    case 'Transpose': {
      const rank = inShape().length;
      const perm = node.attrs['perm'] !== undefined ? attrInts(node, 'perm') : [...Array(rank).keys()].reverse();
      // NHWC in -> NCHW -> perm -> NHWC out, composed into one transpose where ranks allow.
      const inMap = rank === 4 ? TO_NCHW : [...Array(rank).keys()];
      const outMap = rank === 4 ? TO_NHWC : [...Array(rank).keys()];
      L.emit({ kind: 'transpose', x: L.ref(node.inputs[0]!, node), out: out0, perm: outMap.map((i) => inMap[perm[i]!]!) });
      return;
    }
    case 'Softmax': {
      const rank = inShape().length;
      const axis = normAxis(attrInt(node, 'axis', -1), rank);
      if (axis !== rank - 1 || rank === 4) throw new TfjsConversionError(`Softmax is lowered on the last axis of a rank < 4 input only`, node);
      L.emit({ kind: 'softmax', x: L.ref(node.inputs[0]!, node), out: out0 });
      return;
    }
    case 'Resize':
      return lowerResize(L, node);
    case 'Identity':
    case 'Dropout':
      L.setAlias(out0, L.ref(node.inputs[0]!, node));
      return;
    default:
      throw new TfjsConversionError(`op has no TF.js lowering in the benchmark`, node);
  }
}

/** Lowers an (already optimised) graph with one 4-D or 2-D float input and one output. */
export function lowerToTfjs(graph: Graph, passes = 'none'): LoweredModel {
  const inputs = graph.inputs.filter((i) => !graph.initializers.has(i.name));
  if (inputs.length !== 1 || graph.outputs.length !== 1) throw new TfjsConversionError(`the benchmark lowers graphs with one input and one output (got ${inputs.length} / ${graph.outputs.length})`);
  const L = new Lowering(graph);
  const input = inputs[0]!;
  const inShape = L.shape(input.name);
  const feed = 'input#nchw';
  if (inShape.length === 4) L.emit({ kind: 'transpose', x: feed, out: input.name, perm: TO_NHWC });
  else L.setAlias(input.name, feed);
  const ops: Record<string, number> = {};
  graph.nodes.forEach((node, i) => {
    ops[node.op] = (ops[node.op] ?? 0) + 1;
    if (!L.isFusedAway(node)) lowerNode(L, node, i);
  });
  const outName = graph.outputs[0]!.name;
  const outShape = L.shape(outName);
  let result = L.ref(outName, graph.nodes[0]!);
  if (outShape.length === 4) {
    L.emit({ kind: 'transpose', x: result, out: 'output#nchw', perm: TO_NCHW });
    result = 'output#nchw';
  }
  return {
    program: { input: { name: feed, shape: [...inShape] }, output: { name: result, shape: [...outShape] }, steps: L.steps, weights: L.weights, passes, ops },
    weights: L.blob(),
  };
}

/** ONNX bytes -> Tessera graph -> tfjsPasses -> tfjs program. */
export function tfjsProgramFromOnnx(onnx: Uint8Array): LoweredModel {
  return lowerToTfjs(tfjsPasses(importOnnx(onnx)), TFJS_PASSES_TEXT);
}
