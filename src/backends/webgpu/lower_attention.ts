/**
 * WebGPU-only rewrite: an Attention node (src/graph/ops/attention.ts) back into its parts — [Transpose K], MatMul,
 * [Mul scale], [Add bias], Softmax, MatMul — for adapters where the one-dispatch kernel (attention.ts) is the slower
 * way. Measured on SwiftShader (docs/passes.md, "Attention"): its invocations are CPU SIMD lanes, and a thread that
 * keeps a whole query row and output row in private arrays runs them from memory, lane by lane, while the tiled
 * batched MatMul keeps its 16×8 tile in registers: the fused kernel was the slower path there by a wide margin. On
 * hardware adapters the fused kernel stays (no score matrix in memory, one dispatch per layer).
 */
import type { Graph, Node } from '../../graph/ir.js';
import { attrFloat, attrString } from '../../graph/ir.js';
import { inferShapes } from '../../graph/infer.js';
import { NameGenerator } from '../../graph/passes/graph_utils.js';

export type AttentionLowering = 'fused' | 'unfused';

/** Returns a graph whose Attention nodes are MatMul / Softmax chains; the input graph is not changed. */
export function unfuseAttention(graph: Graph, inputShapes?: Record<string, number[]>): Graph {
  if (!graph.nodes.some((n) => n.op === 'Attention')) return graph;
  const shapes = inferShapes(graph, inputShapes);
  const names = new NameGenerator(graph);
  const initializers = new Map(graph.initializers);
  const nodes: Node[] = [];
  for (const node of graph.nodes) {
    if (node.op !== 'Attention') {
      nodes.push(node);
      continue;
    }
    const [q, k, v, bias] = node.inputs as [string, string, string, string | undefined];
    const step = (op: string, inputs: string[], attrs: Node['attrs'] = {}, output?: string): string => {
      const out = output ?? names.fresh(`${node.name}/${op.toLowerCase()}`);
      nodes.push({ name: names.fresh(`${node.name}/${op}`), op, inputs, outputs: [out], attrs });
      return out;
    };
    let kt = k;
    if (attrString(node, 'k_layout', 'kt') === 'k') {
      const r = shapes.get(k)!.shape.length;
      kt = step('Transpose', [k], { perm: [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2] });
    }
    let s = step('MatMul', [q, kt]);
    const scale = attrFloat(node, 'scale', 1);
    if (scale !== 1) {
      const c = names.fresh(`${node.name}/scale`);
      initializers.set(c, { dtype: 'f32', shape: [], data: Float32Array.of(scale) });
      s = step('Mul', [s, c]);
    }
    if (bias) s = step('Add', [s, bias]);
    const p = step('Softmax', [s], { axis: -1 });
    step('MatMul', [p, v], {}, node.outputs[0]!);
  }
  return { ...graph, nodes, initializers };
}
