/**
 * Pass: remove Identity and Dropout (inference-time identities), and Pads that pad nothing (all pads 0: Swin pads
 * every window partition by (window − size % window) % window, which is 0 at 224²; each was a full copy).
 *
 * Consumers are rewired to the node's input. When the node's output is a graph output, its name must survive, so
 * the producer of the input is renamed to produce the output name instead — possible only when the input is an
 * ordinary intermediate value (not a graph input, initializer or another graph output); otherwise the node stays.
 * A Dropout whose mask output is used is kept.
 */
import type { Graph, Node } from '../ir.js';
import { cloneGraph, graphOutputNames, producersOf, replaceUses, usesOf } from './graph_utils.js';

const IDENTITY_OPS = new Set(['Identity', 'Dropout']);

/** Pad with every pad 0 (any mode): its output is its input. */
function isEmptyPad(node: Node): boolean {
  const pads = node.attrs['pads'];
  return node.op === 'Pad' && Array.isArray(pads) && pads.length > 0 && pads.every((p) => p === 0);
}

function isRemovableIdentity(node: Node, graph: Graph): boolean {
  if (!IDENTITY_OPS.has(node.op) && !isEmptyPad(node)) return false;
  const extraOutputsUsed = node.outputs.slice(1).some((o) => o !== '' && graph.nodes.some((n) => n.inputs.includes(o)));
  return !extraOutputsUsed && node.inputs[0] !== undefined && node.inputs[0] !== '' && node.outputs[0] !== undefined && node.outputs[0] !== '';
}

export function removeIdentityOps(input: Graph): Graph {
  const graph = cloneGraph(input);
  const removed = new Set<Node>();
  for (const node of graph.nodes) {
    if (!isRemovableIdentity(node, graph)) continue;
    const src = node.inputs[0]!;
    const dst = node.outputs[0]!;
    const outputs = graphOutputNames(graph);
    if (!outputs.has(dst)) {
      replaceUses(graph, dst, src);
      removed.add(node);
      continue;
    }
    // dst is a graph output: rename src to dst, if src is a plain intermediate.
    const producer = producersOf(graph).get(src);
    if (!producer || outputs.has(src) || graph.initializers.has(src)) continue;
    producer.outputs = producer.outputs.map((o) => (o === src ? dst : o));
    replaceUses(graph, src, dst);
    removed.add(node);
    // `node` itself now reads dst; it is dropped below, so the self-reference does not matter.
  }
  graph.nodes = graph.nodes.filter((n) => !removed.has(n));
  return graph;
}
