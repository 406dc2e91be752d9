/**
 * Pass: remove nodes whose outputs reach no graph output, then initializers no remaining node reads.
 * (Graph outputs that are initializers are kept.)
 */
import type { Graph, Node } from '../ir.js';
import { cloneGraph } from './graph_utils.js';

export function removeDeadCode(input: Graph): Graph {
  const graph = cloneGraph(input);
  const live = new Set(graph.outputs.map((o) => o.name));
  const kept: Node[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!node.outputs.some((o) => o !== '' && live.has(o))) continue;
    kept.push(node);
    for (const name of node.inputs) if (name !== '') live.add(name);
  }
  graph.nodes = kept.reverse();
  for (const name of [...graph.initializers.keys()]) if (!live.has(name)) graph.initializers.delete(name);
  return graph;
}
