/**
 * Pass: MatMul(A, B) with a constant 2-D float B becomes Gemm (alpha = beta = 1), the same math, so classifier heads
 * and transformer / ConvNeXt MLPs get their bias folded into C and their activation fused like any Gemm.
 *
 *   A 2-D:           Gemm(A, B)
 *   A [d0.., K], rank > 2 (a Linear over the last axis):
 *                    Reshape(A, [-1, K]) -> Gemm -> chain -> Reshape(back to [d0.., N])
 *   where `chain` is the run of private nodes after the MatMul that act on the last axis alone: unary elementwise
 *   ops (SINKABLE_UNARY) and Add / Sub / Mul / Div with a float constant varying along the last axis only (a bias,
 *   a layer scale). They move with the Gemm into the 2-D view (the same elements, so the same values), so that
 *   fuseEpilogue sees Gemm -> Add(bias) -> Gelu; the Reshapes are free (aliases).
 * Needs shape inference to know A's rank; when shapes cannot be inferred the graph is returned unchanged.
 */
import { sizeOf, type Graph, type Node } from '../ir.js';
import { tryInferShapes } from '../infer.js';
import { NameGenerator, cloneGraph, graphOutputNames, hasSingleUse, usesOf } from './graph_utils.js';

/** Elementwise single-input ops that may move into the Gemm's 2-D view. */
const SINKABLE_UNARY = new Set(['Relu', 'Sigmoid', 'Tanh', 'Gelu', 'Erf', 'HardSwish', 'HardSigmoid', 'LeakyRelu', 'Clip', 'Exp', 'Sqrt', 'Neg', 'Abs']);
const SINKABLE_BINARY = new Set(['Add', 'Sub', 'Mul', 'Div']);

/** The one-axis constant of a binary chain node (all dims but the last 1), or undefined. */
function lastAxisConstant(graph: Graph, node: Node, y: string, n: number, rank: number): string | undefined {
  if (node.inputs.length !== 2) return undefined;
  const other = node.inputs[node.inputs[0] === y ? 1 : 0]!;
  const c = graph.initializers.get(other);
  // rank <= 2: broadcasting it against the 2-D view must not widen the view
  if (!c || (c.dtype !== 'f32' && c.dtype !== 'f16') || c.shape.length > 2 || c.shape.length > rank || other === y) return undefined;
  const last = c.shape.length === 0 ? 1 : c.shape[c.shape.length - 1]!;
  if ((last !== 1 && last !== n) || sizeOf(c.shape) !== last) return undefined;
  return other;
}

export function matMulToGemm(input: Graph): Graph {
  const graph = cloneGraph(input);
  if (!graph.nodes.some((n) => n.op === 'MatMul')) return graph;
  const shapes = tryInferShapes(graph);
  if (!shapes) return graph; // without shapes the pattern cannot be proven: leave the graph as it is
  const uses = usesOf(graph);
  const outputs = graphOutputNames(graph);
  const names = new NameGenerator(graph);
  /** Nodes to emit instead of a node (the N-D rewrites). */
  const replaced = new Map<Node, Node[]>();
  const moved = new Set<Node>();
  for (const node of graph.nodes) {
    if (node.op !== 'MatMul' || node.inputs.length !== 2 || moved.has(node)) continue;
    const b = graph.initializers.get(node.inputs[1]!);
    const a = shapes.get(node.inputs[0]!);
    if (!b || (b.dtype !== 'f32' && b.dtype !== 'f16') || b.shape.length !== 2 || !a || a.shape.length < 2) continue;
    if (a.dtype !== 'f32' && a.dtype !== 'f16') continue;
    const attrs = { alpha: 1, beta: 1, transA: 0, transB: 0 };
    if (a.shape.length === 2) {
      node.op = 'Gemm';
      node.attrs = attrs;
      continue;
    }
    const [k, n] = b.shape as [number, number];
    const lead = a.shape.slice(0, -1);
    if (lead.filter((d) => d < 0).length > 1) continue; // the way back needs every leading dim but one
    // The chain that moves into the 2-D view with the Gemm.
    const chain: Node[] = [];
    let y = node.outputs[0]!;
    while (hasSingleUse(y, uses, outputs)) {
      const next = uses.get(y)![0]!.node;
      const ok =
        next.outputs.length === 1 &&
        ((SINKABLE_UNARY.has(next.op) && next.inputs.length === 1) ||
          (SINKABLE_BINARY.has(next.op) && lastAxisConstant(graph, next, y, n, a.shape.length) !== undefined));
      if (!ok) break;
      chain.push(next);
      y = next.outputs[0]!;
    }
    const a2d = names.fresh(`${node.inputs[0]}_2d`);
    const out = chain.length > 0 ? chain[chain.length - 1]!.outputs[0]! : node.outputs[0]!;
    const out2d = names.fresh(`${out}_2d`);
    const flatten: Node = { name: names.fresh(`${node.name}_flatten`), op: 'Reshape', inputs: [node.inputs[0]!], outputs: [a2d], attrs: { shape: [-1, k] } };
    const unflatten: Node = { name: names.fresh(`${node.name}_unflatten`), op: 'Reshape', inputs: [out2d], outputs: [out], attrs: { shape: [...lead, n] } };
    node.op = 'Gemm';
    node.attrs = attrs;
    node.inputs = [a2d, node.inputs[1]!];
    if (chain.length === 0) node.outputs = [out2d];
    else chain[chain.length - 1]!.outputs = [out2d];
    for (const c of chain) moved.add(c);
    replaced.set(node, [flatten, node, ...chain, unflatten]);
  }
  if (replaced.size > 0) graph.nodes = graph.nodes.flatMap((nd) => replaced.get(nd) ?? (moved.has(nd) ? [] : [nd]));
  return graph;
}
