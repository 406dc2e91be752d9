/**
 * Passes: fold inference BatchNormalization into neighbouring linear ops. All arithmetic is float64, stored as f32.
 *
 * BN(y) = s * (y - mean) + beta with s = scale / sqrt(var + eps) (per channel, axis 1).
 *
 * `foldBatchNormBackward` — BN whose input is produced by (and only used by):
 *   - Conv:   W'[o] = W[o] * s[o],  B'[o] = (B[o] - mean[o]) * s[o] + beta[o]
 *   - ConvTranspose: the same per output channel o = (group, W's axis 1)
 *   - Gemm:   B' scaled along N,    C' = s * (beta_gemm * C - mean) + beta, and Gemm beta := 1
 *   - MatMul with a constant 2-D right operand and a 2-D left operand: becomes a Gemm as above.
 * `foldBatchNormForward` — BN whose output is only used as X of a Conv (pre-activation nets, no nonlinearity in
 *   between): W'[o, c] = W[o, c] * s[c], B'[o] = B[o] + sum_{c,k} W[o, c, k] * t[c] with t = beta - mean * s.
 *   Only exact when the conv has no padding: with padding the original conv sees zeros *after* BN, while the
 *   folded conv would see zeros *before* BN (i.e. t after BN) at the borders. So we fold forward only when every
 *   pad is 0 and auto_pad is NOTSET/VALID.
 * A BatchNormalization that can be folded neither way stays as is (it is a canonical op every backend runs as one
 * per-channel affine pass, cheaper than a Mul + Add pair).
 */
import { attrFloat, attrInt, attrInts, attrString, type Graph, type Node, type Tensor } from '../ir.js';
import { inferShapes } from '../infer.js';
import {
  NameGenerator,
  cloneGraph,
  f32From,
  floatConstant,
  graphOutputNames,
  hasSingleUse,
  producersOf,
  usesOf,
} from './graph_utils.js';
import { gemmBiasRows, gemmOutputChannels, scaleGemmWeights, storeGemmBias } from './gemm_utils.js';

interface BnAffine {
  /** Per-channel multiplier s. */
  scale: Float64Array;
  /** Per-channel shift t = beta - mean * s. */
  shift: Float64Array;
  mean: Float64Array;
  beta: Float64Array;
}

/** Per-channel s and t of a BN node whose four parameters are constants of length `channels`. */
function bnAffine(graph: Graph, bn: Node, channels: number): BnAffine | undefined {
  const params = bn.inputs.slice(1, 5).map((name) => floatConstant(graph, name));
  if (params.length !== 4 || params.some((p) => !p || p.values.length !== channels || p.tensor.shape.length !== 1)) return undefined;
  const [gamma, beta, mean, variance] = params.map((p) => p!.values) as [Float64Array, Float64Array, Float64Array, Float64Array];
  const eps = attrFloat(bn, 'epsilon', 1e-5);
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = gamma[c]! / Math.sqrt(variance[c]! + eps);
    shift[c] = beta[c]! - mean[c]! * scale[c]!;
  }
  return { scale, shift, mean, beta };
}

function isBn(node: Node): boolean {
  return node.op === 'BatchNormalization' && node.outputs.filter((o) => o !== '').length === 1;
}

// ---------------------------------------------------------------------------------------------------------------
// Backward folding

/**
 * Output channel of every weight element. Conv: W [C_out, ...], channel = i / perOut. ConvTranspose: W [C_in,
 * C_out/group, k...], channel = group(ic) * C_out/group + W's axis-1 index (its output is still linear per channel).
 */
function weightOutputChannels(conv: Node, shape: readonly number[]): { cout: number; channelOf: (i: number) => number } | undefined {
  if (conv.op === 'Conv') {
    const perOut = shape.slice(1).reduce((a, b) => a * b, 1);
    return { cout: shape[0]!, channelOf: (i) => Math.floor(i / perOut) };
  }
  const group = attrInt(conv, 'group', 1);
  const [cin, coutPerGroup] = [shape[0]!, shape[1]!];
  if (group < 1 || cin % group !== 0) return undefined;
  const taps = shape.slice(2).reduce((a, b) => a * b, 1);
  const cinPerGroup = cin / group;
  return { cout: coutPerGroup * group, channelOf: (i) => Math.floor(i / (coutPerGroup * taps * cinPerGroup)) * coutPerGroup + (Math.floor(i / taps) % coutPerGroup) };
}

/**
 * Initializers whose array only they hold, for in-place folding: none of them shares its buffer with another
 * initializer (a constant-folded Reshape may alias its input's array).
 */
function unsharedInitializers(graph: Graph): Set<string> {
  const holders = new Map<ArrayBufferLike, string[]>();
  for (const [name, t] of graph.initializers) {
    const list = holders.get(t.data.buffer);
    if (list) list.push(name);
    else holders.set(t.data.buffer, [name]);
  }
  return new Set([...holders.values()].filter((names) => names.length === 1).flat());
}

/** May `node` overwrite its input `slot`: a weight array it alone holds and reads (once), not a graph output? */
function ownedBy(node: Node, slot: number, uses: Map<string, { node: Node }[]>, outputs: Set<string>, unshared: Set<string>): boolean {
  const name = node.inputs[slot] ?? '';
  return unshared.has(name) && !outputs.has(name) && uses.get(name)?.length === 1;
}

/**
 * Conv or ConvTranspose followed by BN: scale the weights per output channel and fold the shift into the bias.
 * `inPlace`: W may be overwritten (its array is the graph's own and this conv its only reader).
 */
function foldIntoConv(graph: Graph, names: NameGenerator, conv: Node, bn: Node, inPlace = false): boolean {
  const wt = graph.initializers.get(conv.inputs[1] ?? '');
  if (!wt || (wt.dtype !== 'f32' && wt.dtype !== 'f16') || wt.shape.length < 3) return false;
  // float64 values only when needed (not for the common f32 Conv): converting the weights costs as much as folding
  const w = { tensor: wt, values: () => floatConstant(graph, conv.inputs[1]!)!.values };
  const layout = weightOutputChannels(conv, w.tensor.shape);
  if (!layout) return false;
  const cout = layout.cout;
  const affine = bnAffine(graph, bn, cout);
  if (!affine) return false;
  const hasBias = (conv.inputs[2] ?? '') !== '';
  const bias = hasBias ? floatConstant(graph, conv.inputs[2]!) : undefined;
  if (hasBias && (!bias || bias.values.length !== cout)) return false;

  // w * scale in float64, rounded once to f32 when stored. Conv W [C_out, ...] f32 is scaled block by block straight
  // into the new f32 array (the per-element float64 form costs ~0.5 s on a ResNet-50 at load)
  let wTensor: Tensor;
  if (conv.op === 'Conv' && w.tensor.dtype === 'f32') {
    const src = w.tensor.data as Float32Array;
    const out = inPlace ? src : new Float32Array(src.length);
    const per = src.length / cout;
    for (let o = 0; o < cout; o++) {
      const s = affine.scale[o]!;
      for (let i = o * per, end = i + per; i < end; i++) out[i] = src[i]! * s;
    }
    wTensor = { dtype: 'f32', shape: [...w.tensor.shape], data: out };
  } else {
    const values = w.values();
    const w2 = new Float64Array(values.length);
    for (let i = 0; i < w2.length; i++) w2[i] = values[i]! * affine.scale[layout.channelOf(i)]!;
    wTensor = f32From(w.tensor.shape, w2);
  }
  const b2 = new Float64Array(cout);
  for (let o = 0; o < cout; o++) b2[o] = ((bias?.values[o] ?? 0) - affine.mean[o]!) * affine.scale[o]! + affine.beta[o]!;

  const wName = names.fresh(`${conv.inputs[1]}_bnfold`);
  const bName = names.fresh(`${conv.name}_bias_bnfold`);
  graph.initializers.set(wName, wTensor);
  graph.initializers.set(bName, f32From([cout], b2));
  conv.inputs = [conv.inputs[0]!, wName, bName];
  conv.outputs = [bn.outputs[0]!];
  return true;
}

function foldIntoGemm(graph: Graph, names: NameGenerator, gemm: Node, bn: Node): boolean {
  const b = floatConstant(graph, gemm.inputs[1] ?? '');
  if (!b || b.tensor.shape.length !== 2) return false;
  const transB = attrInt(gemm, 'transB', 0) !== 0;
  const n = gemmOutputChannels(b.tensor, transB);
  const affine = bnAffine(graph, bn, n);
  if (!affine) return false;
  const bias = gemmBiasRows(graph, gemm, n);
  if (!bias) return false;
  const { rows, values } = bias;
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < n; j++) values[r * n + j] = (values[r * n + j]! - affine.mean[j]!) * affine.scale[j]! + affine.beta[j]!;
  const bName = names.fresh(`${gemm.inputs[1]}_bnfold`);
  graph.initializers.set(bName, scaleGemmWeights(b, transB, affine.scale));
  const cName = names.fresh(`${gemm.name}_bias_bnfold`);
  graph.initializers.set(cName, storeGemmBias(rows, n, values));
  gemm.inputs = [gemm.inputs[0]!, bName, cName];
  gemm.attrs = { ...gemm.attrs, beta: 1 };
  gemm.outputs = [bn.outputs[0]!];
  return true;
}

/** MatMul(A [M, K], constant B [K, N]) followed by BN over N: rewrite as a Gemm, then fold. */
function foldIntoMatMul(graph: Graph, names: NameGenerator, matmul: Node, bn: Node, rankOf: (t: string) => number | undefined): boolean {
  const b = floatConstant(graph, matmul.inputs[1] ?? '');
  if (!b || b.tensor.shape.length !== 2 || rankOf(matmul.inputs[0] ?? '') !== 2) return false;
  const asGemm: Node = { ...matmul, op: 'Gemm', attrs: { alpha: 1, beta: 1, transA: 0, transB: 0 }, inputs: matmul.inputs.slice(0, 2) };
  if (!foldIntoGemm(graph, names, asGemm, bn)) return false;
  Object.assign(matmul, asGemm);
  return true;
}

/**
 * `inPlace`: the graph's weight arrays are the caller's to overwrite (OptimizeOptions.ownsWeights): a Conv's f32 W
 * read by that conv alone is scaled where it lies instead of into a copy.
 */
export function foldBatchNormBackward(input: Graph, options: { inPlace?: boolean } = {}): Graph {
  const graph = cloneGraph(input);
  const names = new NameGenerator(graph);
  const uses = usesOf(graph);
  const outputs = graphOutputNames(graph);
  const producers = producersOf(graph);
  let ranks: Map<string, number> | null | undefined;
  const rankOf = (t: string): number | undefined => {
    if (ranks === undefined) {
      try {
        ranks = new Map([...inferShapes(graph)].map(([k, v]) => [k, v.shape.length]));
      } catch {
        ranks = null; // shapes unavailable (unknown op...): MatMul folding is skipped
      }
    }
    return ranks?.get(t);
  };
  const removed = new Set<Node>();
  let unshared: Set<string> | undefined;
  for (const bn of graph.nodes) {
    if (!isBn(bn)) continue;
    const x = bn.inputs[0] ?? '';
    const producer = producers.get(x);
    if (!producer || removed.has(producer) || !hasSingleUse(x, uses, outputs) || producer.outputs.length !== 1) continue;
    let folded = false;
    if (producer.op === 'Conv' || producer.op === 'ConvTranspose') folded = foldIntoConv(graph, names, producer, bn, options.inPlace === true && ownedBy(producer, 1, uses, outputs, (unshared ??= unsharedInitializers(graph))));
    else if (producer.op === 'Gemm') folded = foldIntoGemm(graph, names, producer, bn);
    else if (producer.op === 'MatMul') folded = foldIntoMatMul(graph, names, producer, bn, rankOf);
    if (folded) {
      removed.add(bn);
      producers.set(bn.outputs[0]!, producer);
    }
  }
  graph.nodes = graph.nodes.filter((n) => !removed.has(n));
  return graph;
}

// ---------------------------------------------------------------------------------------------------------------
// Forward folding (BN -> Conv without padding)

function convHasNoPadding(conv: Node): boolean {
  const autoPad = attrString(conv, 'auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') return false;
  return attrInts(conv, 'pads', []).every((p) => p === 0);
}

function foldForwardIntoConv(graph: Graph, names: NameGenerator, bn: Node, conv: Node): boolean {
  if (!convHasNoPadding(conv)) return false;
  const w = floatConstant(graph, conv.inputs[1] ?? '');
  if (!w || w.tensor.shape.length < 3) return false;
  const group = attrInt(conv, 'group', 1);
  const [cout, cinPerGroup] = [w.tensor.shape[0]!, w.tensor.shape[1]!];
  const cin = cinPerGroup * group;
  const affine = bnAffine(graph, bn, cin);
  if (!affine || cout % group !== 0) return false;
  const hasBias = (conv.inputs[2] ?? '') !== '';
  const bias = hasBias ? floatConstant(graph, conv.inputs[2]!) : undefined;
  if (hasBias && (!bias || bias.values.length !== cout)) return false;

  const kernelSize = w.values.length / (cout * cinPerGroup);
  const outPerGroup = cout / group;
  const w2 = new Float64Array(w.values.length);
  const b2 = new Float64Array(cout);
  for (let o = 0; o < cout; o++) {
    let acc = bias?.values[o] ?? 0;
    const firstChannel = Math.floor(o / outPerGroup) * cinPerGroup;
    for (let ci = 0; ci < cinPerGroup; ci++) {
      const c = firstChannel + ci;
      const base = (o * cinPerGroup + ci) * kernelSize;
      for (let k = 0; k < kernelSize; k++) {
        const v = w.values[base + k]!;
        w2[base + k] = v * affine.scale[c]!;
        acc += v * affine.shift[c]!;
      }
    }
    b2[o] = acc;
  }
  const wName = names.fresh(`${conv.inputs[1]}_bnfold`);
  const bName = names.fresh(`${conv.name}_bias_bnfold`);
  graph.initializers.set(wName, f32From(w.tensor.shape, w2));
  graph.initializers.set(bName, f32From([cout], b2));
  conv.inputs = [bn.inputs[0]!, wName, bName];
  return true;
}

export function foldBatchNormForward(input: Graph): Graph {
  const graph = cloneGraph(input);
  const names = new NameGenerator(graph);
  const uses = usesOf(graph);
  const outputs = graphOutputNames(graph);
  const removed = new Set<Node>();
  for (const bn of graph.nodes) {
    if (!isBn(bn)) continue;
    const y = bn.outputs[0]!;
    if (!hasSingleUse(y, uses, outputs)) continue;
    const use = uses.get(y)![0]!;
    if (use.node.op !== 'Conv' || use.index !== 0) continue;
    if (foldForwardIntoConv(graph, names, bn, use.node)) removed.add(bn);
  }
  graph.nodes = graph.nodes.filter((n) => !removed.has(n));
  return graph;
}

