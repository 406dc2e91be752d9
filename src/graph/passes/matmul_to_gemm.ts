/**
 * Pass: MatMul(A, B) with a 2-D A and a constant 2-D float B becomes Gemm(A, B) (alpha = beta = 1), the same math.
 * Classifier heads exported as MatMul + Add then get their bias folded into C and their activation fused like any
 * Gemm. Needs shape inference to know A's rank; when shapes cannot be inferred the graph is returned unchanged.
 */
import type { Graph, ValueInfo } from '../ir.js';
import { inferShapes } from '../infer.js';
import { cloneGraph } from './graph_utils.js';

export function matMulToGemm(input: Graph): Graph {
  const graph = cloneGraph(input);
  if (!graph.nodes.some((n) => n.op === 'MatMul')) return graph;
  let shapes: Map<string, ValueInfo>;
  try {
    shapes = inferShapes(graph);
  } catch {
    return graph;
  }
  for (const node of graph.nodes) {
    if (node.op !== 'MatMul' || node.inputs.length !== 2) continue;
    const b = graph.initializers.get(node.inputs[1]!);
    const a = shapes.get(node.inputs[0]!);
    if (!b || (b.dtype !== 'f32' && b.dtype !== 'f16') || b.shape.length !== 2 || !a || a.shape.length !== 2) continue;
    if (a.dtype !== 'f32' && a.dtype !== 'f16') continue;
    node.op = 'Gemm';
    node.attrs = { alpha: 1, beta: 1, transA: 0, transB: 0 };
  }
  return graph;
}
