/**
 * The walk shared by foldChannelScaleIntoConv and foldBatchNormIntoConv: a per-channel producer (a ChannelScale, a
 * FusedBatchNorm) whose only reader is a pointwise conv becomes that conv's input prologue. The caller says which
 * producers qualify and rewrites the conv in place (op, inputs, attrs); the producer is then dropped.
 *
 * Pointwise: a 2-D Conv / FusedConv that the conv2d_1x1 kernel runs (1x1, stride 1, no pads, dilation 1, group 1,
 * constant W, 4-D input), read at slot 0, by exactly one reader, and not a graph output (its value must never exist).
 */
import type { Graph, Node, ValueInfo } from '../ir.js';
import { tryInferShapes } from '../infer.js';
import { isUnpaddedPointwise } from '../ops/batchnorm_conv.js';
import { cloneGraph, graphOutputNames, hasSingleUse, usesOf } from './graph_utils.js';

export function isPointwiseConv(graph: Graph, node: Node, shapes: Map<string, ValueInfo>): boolean {
  if ((node.op !== 'Conv' && node.op !== 'FusedConv') || node.outputs.length !== 1) return false;
  const w = graph.initializers.get(node.inputs[1] ?? '');
  const x = shapes.get(node.inputs[0] ?? '');
  if (!w || w.shape.length !== 4 || !x || x.shape.length !== 4) return false;
  return isUnpaddedPointwise(node, w.shape);
}

/** The conv's W, B and R inputs, padded with '' to three so that the prologue's own inputs start at slot 4. */
export function convOperands(conv: Node): string[] {
  const rest = conv.inputs.slice(1, 4);
  while (rest.length < 3) rest.push('');
  return rest;
}

/** A new graph where each qualifying producer is folded into its pointwise reader by `fold(producer, conv)`. */
export function foldIntoPointwiseConvs(input: Graph, qualifies: (node: Node) => boolean, fold: (producer: Node, conv: Node) => void): Graph {
  if (!input.nodes.some(qualifies)) return input;
  const graph = cloneGraph(input);
  const shapes = tryInferShapes(graph);
  if (!shapes) return graph; // without shapes the pointwise conv cannot be proven: leave the graph as it is
  const uses = usesOf(graph);
  const outputs = graphOutputNames(graph);
  const dead = new Set<Node>();
  for (const producer of graph.nodes) {
    if (!qualifies(producer) || producer.outputs.length !== 1) continue;
    const y = producer.outputs[0]!;
    if (!hasSingleUse(y, uses, outputs)) continue;
    const { node: conv, index } = uses.get(y)![0]!;
    if (index !== 0 || dead.has(conv) || !isPointwiseConv(graph, conv, shapes)) continue;
    fold(producer, conv);
    if (!('activation' in conv.attrs)) conv.attrs = { ...conv.attrs, activation: 'none' };
    dead.add(producer);
  }
  if (dead.size > 0) graph.nodes = graph.nodes.filter((n) => !dead.has(n));
  return graph;
}
