/**
 * Pass foldBatchNormIntoConv: a FusedBatchNorm (BN + activation that could fold nowhere: DenseNet's
 * concat → BN → ReLU) whose only reader is a pointwise conv becomes that conv's input prologue, one `BatchNormConv`
 * node (src/graph/ops/batchnorm_conv.ts) instead of two: the normalised tensor never exists in memory.
 *
 * Taken: a FusedBatchNorm with 5 inputs whose output is not a graph output and has exactly one reader, a Conv /
 * FusedConv reading it at slot 0, with a 4-D input, constant weights, 1x1 kernel, strides 1, dilations 1, group 1 and
 * no padding (a padded conv's zeros must stay zeros, not BN(0)). The fused node takes the conv's name, position
 * and output and keeps its epilogue. A BN with other readers stays as it is (its readers would each need it).
 * Runs after fuseEpilogue and fuseBatchNormActivation, so both the conv's epilogue and the BN's activation are known.
 *
 * expandBatchNormConvs is the inverse (FusedBatchNorm → FusedConv again, through a fresh intermediate value), for
 * the WASM backend and for the WebGPU conv variants that do not apply the prologue.
 */
import type { Graph, Node } from '../ir.js';
import { PROLOGUE_ATTRS, convOf, prologueOf } from '../ops/batchnorm_conv.js';
import { convOperands, foldIntoPointwiseConvs } from './fold_into_pointwise_conv.js';
import { macRules } from '../stats.js';
import { NameGenerator } from './graph_utils.js';

// A BatchNormConv costs what its conv costs (W is input 1, as for Conv); the BN adds a few operations per input.
macRules['BatchNormConv'] = macRules['Conv']!;

export function foldBatchNormIntoConv(input: Graph): Graph {
  const qualifies = (n: Node): boolean => n.op === 'FusedBatchNorm' && n.inputs.length === 5;
  return foldIntoPointwiseConvs(input, qualifies, (bn, conv) => {
    const attrs = { ...conv.attrs };
    if (bn.attrs['epsilon'] !== undefined) attrs['epsilon'] = bn.attrs['epsilon'];
    for (const [bnKey, convKey] of PROLOGUE_ATTRS) if (bn.attrs[bnKey] !== undefined) attrs[convKey] = bn.attrs[bnKey]!;
    conv.op = 'BatchNormConv';
    conv.inputs = [bn.inputs[0]!, ...convOperands(conv), ...bn.inputs.slice(1, 5)];
    conv.attrs = attrs;
  });
}

/**
 * The BatchNormConv nodes for which `expand` says so (all by default) become FusedBatchNorm → FusedConv again;
 * a new graph (the input is not changed), or the input itself when there is nothing to expand.
 */
export function expandBatchNormConvs(graph: Graph, expand: (node: Node) => boolean = () => true): Graph {
  if (!graph.nodes.some((n) => n.op === 'BatchNormConv' && expand(n))) return graph;
  const names = new NameGenerator(graph);
  const nodes = graph.nodes.flatMap((node) => {
    if (node.op !== 'BatchNormConv' || !expand(node)) return [node];
    const normalized = names.fresh(`${node.outputs[0]}/bn_input`);
    return [{ ...prologueOf(node, normalized), name: names.fresh(`${node.name}/bn`) }, convOf(node, normalized)];
  });
  return { ...graph, nodes };
}
