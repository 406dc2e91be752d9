/**
 * Pass: fold per-channel constant arithmetic on a Conv / Gemm output into its weights and bias (float64 math).
 *
 *   conv * k, k * conv        W' = W * k[o],  B' = B * k[o]       (stochastic-depth survival probability, ...)
 *   conv / k                  W' = W / k[o],  B' = B / k[o]
 *   conv + b, b + conv        B' = B + b[o]
 *   conv - b                  B' = B - b[o]
 *   b - conv                  W' = -W,        B' = b[o] - B
 * k / b must be float constants that vary along the channel axis only (scalars, [C], [C,1,1], [1,C,1,1], ...;
 * for Gemm: [N] or [1, N]). The conv/gemm output must have no other use and not be a graph output.
 */
import { attrInt, type Graph, type Node } from '../ir.js';
import {
  NameGenerator,
  cloneGraph,
  f32From,
  floatConstant,
  graphOutputNames,
  hasSingleUse,
  perChannelValues,
  producersOf,
  usesOf,
} from './graph_utils.js';
import { gemmBiasRows, gemmOutputChannels, scaleGemmWeights, storeGemmBias } from './gemm_utils.js';

/** y' = scale[c] * y + shift[c] applied to the producer's output. */
interface ChannelAffine {
  scale?: Float64Array;
  shift?: Float64Array;
}

/** The affine map an arithmetic node applies to operand `xIndex`, or undefined if not foldable. */
function affineOf(node: Node, xIndex: number, c: Float64Array): ChannelAffine | undefined {
  const ones = (sign: number) => new Float64Array(c.length).fill(sign);
  switch (node.op) {
    case 'Mul':
      return { scale: c };
    case 'Div':
      if (xIndex !== 0 || c.some((v) => v === 0)) return undefined;
      return { scale: c.map((v) => 1 / v) };
    case 'Add':
      return { shift: c };
    case 'Sub':
      return xIndex === 0 ? { shift: c.map((v) => -v) } : { scale: ones(-1), shift: c };
    default:
      return undefined;
  }
}

/** Output channel count and rank of a foldable producer (Conv / Gemm with constant weights). */
function producerGeometry(graph: Graph, producer: Node): { channels: number; rank: number } | undefined {
  const w = graph.initializers.get(producer.inputs[1] ?? '');
  if (!w || (w.dtype !== 'f32' && w.dtype !== 'f16')) return undefined;
  if (producer.op === 'Conv' && w.shape.length >= 3) return { channels: w.shape[0]!, rank: w.shape.length };
  if (producer.op === 'Gemm' && w.shape.length === 2) return { channels: gemmOutputChannels(w, attrInt(producer, 'transB', 0) !== 0), rank: 2 };
  return undefined;
}

function applyToConv(graph: Graph, names: NameGenerator, conv: Node, a: ChannelAffine): boolean {
  const w = floatConstant(graph, conv.inputs[1]!)!;
  const cout = w.tensor.shape[0]!;
  const hasBias = (conv.inputs[2] ?? '') !== '';
  const bias = hasBias ? floatConstant(graph, conv.inputs[2]!) : undefined;
  if (hasBias && (!bias || bias.values.length !== cout)) return false;
  const inputs = [...conv.inputs];
  if (a.scale) {
    const perOut = w.values.length / cout;
    const w2 = w.values.map((v, i) => v * a.scale![Math.floor(i / perOut)]!);
    inputs[1] = names.fresh(`${conv.inputs[1]}_scaled`);
    graph.initializers.set(inputs[1], f32From(w.tensor.shape, w2));
  }
  if (bias || a.shift) {
    const b2 = new Float64Array(cout);
    for (let o = 0; o < cout; o++) b2[o] = (bias?.values[o] ?? 0) * (a.scale?.[o] ?? 1) + (a.shift?.[o] ?? 0);
    inputs[2] = names.fresh(`${conv.name}_bias_folded`);
    graph.initializers.set(inputs[2], f32From([cout], b2));
  }
  conv.inputs = inputs;
  return true;
}

function applyToGemm(graph: Graph, names: NameGenerator, gemm: Node, a: ChannelAffine): boolean {
  const b = floatConstant(graph, gemm.inputs[1]!)!;
  const transB = attrInt(gemm, 'transB', 0) !== 0;
  const n = gemmOutputChannels(b.tensor, transB);
  const bias = gemmBiasRows(graph, gemm, n);
  if (!bias) return false;
  const inputs = [...gemm.inputs];
  if (a.scale) {
    inputs[1] = names.fresh(`${gemm.inputs[1]}_scaled`);
    graph.initializers.set(inputs[1], scaleGemmWeights(b, transB, a.scale));
  }
  const hadBias = (gemm.inputs[2] ?? '') !== '';
  if (hadBias || a.shift) {
    const { rows, values } = bias;
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < n; j++) values[r * n + j] = values[r * n + j]! * (a.scale?.[j] ?? 1) + (a.shift?.[j] ?? 0);
    inputs[2] = names.fresh(`${gemm.name}_bias_folded`);
    graph.initializers.set(inputs[2], storeGemmBias(rows, n, values));
    gemm.attrs = { ...gemm.attrs, beta: 1 };
  }
  gemm.inputs = inputs;
  return true;
}

const FOLDABLE_ARITHMETIC = new Set(['Mul', 'Div', 'Add', 'Sub']);

export function foldConstantArithmetic(input: Graph): Graph {
  const graph = cloneGraph(input);
  const names = new NameGenerator(graph);
  const uses = usesOf(graph);
  const outputs = graphOutputNames(graph);
  const producers = producersOf(graph);
  const removed = new Set<Node>();
  for (const node of graph.nodes) {
    if (!FOLDABLE_ARITHMETIC.has(node.op) || node.inputs.length !== 2) continue;
    for (const xIndex of [0, 1]) {
      const x = node.inputs[xIndex]!;
      const constant = floatConstant(graph, node.inputs[1 - xIndex]!);
      const producer = producers.get(x);
      if (!constant || !producer || removed.has(producer) || !hasSingleUse(x, uses, outputs)) continue;
      const geometry = producerGeometry(graph, producer);
      if (!geometry) continue;
      const values = perChannelValues(constant, geometry.rank, 1, geometry.channels);
      const affine = values && affineOf(node, xIndex, values);
      if (!affine) continue;
      const ok = producer.op === 'Conv' ? applyToConv(graph, names, producer, affine) : applyToGemm(graph, names, producer, affine);
      if (!ok) continue;
      producer.outputs = [node.outputs[0]!];
      producers.set(node.outputs[0]!, producer);
      removed.add(node);
      break;
    }
  }
  graph.nodes = graph.nodes.filter((n) => !removed.has(n));
  return graph;
}

