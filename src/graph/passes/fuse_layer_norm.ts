/**
 * Pass: LayerNorm written out in elementwise ops (PyTorch's export of nn.LayerNorm below opset 17, and most
 * converters) becomes one LayerNormalization node (src/graph/ops/layer_norm.ts) — one dispatch instead of 7 to 9,
 * and the row is read three times instead of once per op:
 *
 *   mean = ReduceMean(x, axes = trailing dims, keepdims = 1)
 *   d    = Sub(x, mean)
 *   var  = ReduceMean(Pow(d, 2) | Mul(d, d), same axes, keepdims = 1)
 *   y    = Div(d, Sqrt(Add(var, ε)))  [ · Scale ]  [ + B ]      (Add / Mul in either operand order)
 *
 * ε is a one-element float constant; Scale and B are float constants with the normalised shape (leading 1s allowed)
 * or one element; without a Mul, Scale is ones (y · 1 = y exactly). Every intermediate must be private to the
 * pattern (d is read by the squaring and the Div only), and x's shape must be known.
 *
 * Exact: the CPU LayerNormalization computes the same f64 sums in the same order and rounds to f32 after each step
 * where the decomposed graph does, so CPU outputs are bit-identical. WebGPU runs its own reduction order (f32,
 * tree-reduced per row) instead of the ReduceMean kernel's, within the usual float tolerance.
 */
import { attrInt, attrInts, sizeOf, type Graph, type Node } from '../ir.js';
import { NameGenerator, cloneGraph, replaceMatches } from './graph_utils.js';
import { indexGraph, privateProducer, scalarOperand, type GraphIndex } from './patterns.js';

/** The first reduced axis when `reduce` is a keepdims ReduceMean over the trailing dims of its input. */
function trailingMeanAxis(ix: GraphIndex, reduce: Node | undefined): number | undefined {
  const rank = reduce && ix.shapes.get(reduce.inputs[0]!)?.length;
  if (!reduce || reduce.op !== 'ReduceMean' || rank === undefined) return undefined;
  if (attrInt(reduce, 'keepdims', 1) !== 1 || reduce.attrs['axes'] === undefined) return undefined;
  const axes = attrInts(reduce, 'axes').map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
  if (axes.length === 0 || axes.some((a, i) => a !== rank - axes.length + i)) return undefined;
  return rank - axes.length;
}

/** A constant usable as Scale / B for rows of `normalized` dims: one element, or exactly those dims. */
function rowParameter(ix: GraphIndex, node: Node, value: string, normalized: readonly number[], rank: number): string | undefined {
  if (node.inputs.length !== 2) return undefined;
  const other = node.inputs[0] === value ? node.inputs[1]! : node.inputs[1] === value ? node.inputs[0]! : undefined;
  const t = other === undefined ? undefined : ix.graph.initializers.get(other);
  if (!t || t.dtype !== 'f32' || t.shape.length > rank) return undefined; // a higher rank would broadcast y up
  if (sizeOf(t.shape) === 1) return other;
  const trimmed = t.shape.slice(t.shape.findIndex((d) => d !== 1));
  const tail = normalized.slice(normalized.length - trimmed.length);
  return trimmed.length <= normalized.length && trimmed.every((d, i) => d === tail[i]) && sizeOf(trimmed) === sizeOf(normalized) ? other : undefined;
}

interface LayerNormMatch {
  x: string;
  axis: number;
  epsilon: number;
  scale?: string;
  bias?: string;
  nodes: Node[];
  last: Node;
}

/** The decomposition ending at Div `div` (then its optional Mul / Add), or undefined. */
function matchFromDiv(ix: GraphIndex, div: Node): LayerNormMatch | undefined {
  if (div.op !== 'Div' || div.inputs.length !== 2) return undefined;
  const [d, s] = div.inputs as [string, string];
  const sqrt = privateProducer(ix, s, 'Sqrt');
  const add = sqrt && privateProducer(ix, sqrt.inputs[0]!, 'Add');
  const eps = add && scalarOperand(ix, add);
  const varMean = eps && privateProducer(ix, eps.x, 'ReduceMean');
  const square = varMean && ix.producers.get(varMean.inputs[0]!);
  if (!square || !privateProducer(ix, square.outputs[0]!, square.op)) return undefined;
  const squares = square.op === 'Mul' ? square.inputs[0] === d && square.inputs[1] === d : square.op === 'Pow' && square.inputs[0] === d && scalarOperand(ix, square, 1)?.value === 2;
  if (!squares) return undefined;
  const sub = ix.producers.get(d);
  if (!sub || sub.op !== 'Sub' || ix.outputs.has(d)) return undefined;
  if (!(ix.uses.get(d) ?? []).every((u) => u.node === square || u.node === div)) return undefined;
  const [x, m] = sub.inputs as [string, string];
  const mean = privateProducer(ix, m, 'ReduceMean');
  const axis = mean?.inputs[0] === x ? trailingMeanAxis(ix, mean) : undefined;
  if (axis === undefined || trailingMeanAxis(ix, varMean) !== axis) return undefined;
  const xShape = ix.shapes.get(x)!;
  const normalized = xShape.slice(axis);
  if (normalized.some((dim) => dim < 0) || ix.graph.initializers.has(x)) return undefined;

  const match: LayerNormMatch = { x, axis: axis - xShape.length, epsilon: eps.value, nodes: [mean!, sub, square, varMean!, add!, sqrt!, div], last: div };
  const next = (op: string): Node | undefined => {
    const out = match.last.outputs[0]!;
    const use = ix.uses.get(out);
    return use?.length === 1 && !ix.outputs.has(out) && use[0]!.node.op === op ? use[0]!.node : undefined;
  };
  const mul = next('Mul');
  const scale = mul && rowParameter(ix, mul, match.last.outputs[0]!, normalized, xShape.length);
  if (scale) {
    match.scale = scale;
    match.nodes.push(mul!);
    match.last = mul!;
  }
  const biasAdd = next('Add');
  const bias = biasAdd && rowParameter(ix, biasAdd, match.last.outputs[0]!, normalized, xShape.length);
  if (bias) {
    match.bias = bias;
    match.nodes.push(biasAdd!);
    match.last = biasAdd!;
  }
  return match;
}

export function fuseLayerNorm(input: Graph): Graph {
  const graph = cloneGraph(input);
  const ix = indexGraph(graph);
  const names = new NameGenerator(graph);
  const dead = new Set<Node>();
  const replaced = new Map<Node, Node>();
  for (const node of graph.nodes) {
    const m = matchFromDiv(ix, node);
    if (!m || m.nodes.some((n) => dead.has(n))) continue;
    let scale = m.scale;
    if (!scale) {
      const n = sizeOf(ix.shapes.get(m.x)!.slice(m.axis));
      scale = names.fresh(`${node.name}_ones`);
      graph.initializers.set(scale, { dtype: 'f32', shape: [n], data: new Float32Array(n).fill(1) });
    }
    for (const n of m.nodes) dead.add(n);
    // Emitted where the last node was: every input (x, constants) is available there.
    replaced.set(m.last, {
      name: names.fresh(`${node.name}_layernorm`),
      op: 'LayerNormalization',
      inputs: m.bias ? [m.x, scale, m.bias] : [m.x, scale],
      outputs: [m.last.outputs[0]!],
      attrs: { axis: m.axis, epsilon: m.epsilon },
    });
  }
  replaceMatches(graph, dead, replaced);
  return graph;
}
