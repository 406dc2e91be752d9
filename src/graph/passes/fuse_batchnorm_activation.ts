/**
 * Pass: a BatchNormalization whose output is read only by one activation becomes one `FusedBatchNorm` node
 * (src/graph/ops/fused_batchnorm.ts) carrying the activation as the FusedConv epilogue attributes.
 *
 * Runs after the BN folding passes, so only BNs that could fold neither backward (their input is a concat, a
 * residual sum, a graph input...) nor forward (a ReLU sits between them and the next conv) remain: the BN → ReLU of
 * pre-activation nets (DenseNet, pre-activation ResNets), one dispatch instead of two.
 *
 * Taken: a BatchNormalization with one output (inference form) that is not a graph output and has exactly one
 * reader, an activation node (Relu, Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid, Tanh: `activationAttrs`, the
 * table fuseEpilogue uses) whose only input is that output. The fused node keeps the BN's name and position (every
 * reader of the activation comes after the activation, hence after the BN) and the activation's output name.
 * A BN read by anything else (Sign / Greater of a binarised net, several readers, a conv) stays a
 * BatchNormalization, so the binarize pass still sees its `BatchNormalization → Sign / Where` pattern.
 */
import type { Graph, Node } from '../ir.js';
import { activationAttrs } from './fuse_epilogue.js';
import { cloneGraph, graphOutputNames, hasSingleUse, usesOf } from './graph_utils.js';

function isInferenceBn(node: Node): boolean {
  return node.op === 'BatchNormalization' && node.outputs.length === 1 && node.outputs[0] !== '' && node.inputs.length === 5;
}

export function fuseBatchNormActivation(input: Graph): Graph {
  const graph = cloneGraph(input);
  const uses = usesOf(graph);
  const outputs = graphOutputNames(graph);
  const absorbed = new Set<Node>();
  for (const bn of graph.nodes) {
    if (!isInferenceBn(bn)) continue;
    const y = bn.outputs[0]!;
    if (!hasSingleUse(y, uses, outputs)) continue;
    const act = uses.get(y)![0]!.node;
    const attrs = activationAttrs(act);
    // Only unary activations: a Clip with min / max still as inputs is not in the attribute form we read.
    if (!attrs || act.inputs.length !== 1 || act.outputs.length !== 1 || act.outputs[0] === '') continue;
    bn.op = 'FusedBatchNorm';
    bn.attrs = { ...bn.attrs, ...attrs };
    bn.outputs = [act.outputs[0]!];
    absorbed.add(act);
  }
  if (absorbed.size > 0) graph.nodes = graph.nodes.filter((n) => !absorbed.has(n));
  return graph;
}
