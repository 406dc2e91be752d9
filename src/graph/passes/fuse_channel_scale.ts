/**
 * Pass: fuse the Squeeze-and-Excitation channel scale `x * s` (s computed per sample and channel: global pool → FC →
 * ReLU → FC → sigmoid / hard-sigmoid) with what follows it into one `ChannelScale` node
 * (src/graph/ops/channel_scale.ts).
 *
 * A Mul qualifies when one operand X has the output's shape (rank ≥ 3, f32) and the other, S, is computed (not an
 * initializer: constant per-channel factors are folded into weights by foldConstants) and varies at most along N
 * and C. From the Mul we walk down the chain of single uses (no absorbed intermediate may be a graph output) and
 * absorb, as fuseEpilogue does for convs:
 *   - one Add of a tensor R with exactly the output's shape (the residual: SE-ResNet's `relu(x * s + identity)`);
 *   - one activation (Relu, Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid, Tanh). A residual Add after the
 *     activation gives `act(x * s) + R` (residual_after_activation = 1) and ends the walk.
 * The fused node takes the position of the last absorbed node (every input of the chain, R included, is produced
 * before it) and keeps the Mul's name. A Mul with nothing to absorb still becomes a ChannelScale: the gate then
 * costs one dispatch without the generic broadcasting index arithmetic.
 *
 * Second step, `foldChannelScaleIntoConv` (after fuseEpilogue, same switch): a ChannelScale with nothing absorbed
 * whose only reader is a pointwise Conv / FusedConv (1x1, stride 1, no pads, dilation 1, group 1, constant weights,
 * 4-D input at slot 0) becomes part of that conv: `ChannelScaleConv` (X, W, [B], [R], S), the conv2d_1x1 kernel
 * scaling each input channel as it reads it. GhostNet's SE gate feeds the next Ghost module's 1x1 primary conv
 * this way and costs no dispatch of its own. Running after fuseEpilogue keeps that conv's epilogue.
 *
 * fuseChannelScale runs before fuseEpilogue so that in blocks whose shortcut is a (downsample) conv the Add + ReLU go with the
 * scale rather than into the conv's epilogue: either way one dispatch, but then no standalone Mul is left.
 */
import type { Attrs, Graph, Node, ValueInfo } from '../ir.js';
import { convOperands, foldIntoPointwiseConvs } from './fold_into_pointwise_conv.js';
import { tryInferShapes } from '../infer.js';
import { isChannelScaleShape } from '../ops/channel_scale.js';
import { activationAttrs } from './fuse_epilogue.js';
import { cloneGraph, graphOutputNames, hasSingleUse, usesOf, type Use } from './graph_utils.js';
import { macRules } from '../stats.js';

// ChannelScaleConv costs what its conv costs (W is input 1, as for Conv); ChannelScale is elementwise.
macRules['ChannelScaleConv'] = macRules['Conv']!;

function sameShape(a: ValueInfo | undefined, b: ValueInfo | undefined): boolean {
  return !!a && !!b && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

/** [X, S] of a Mul that is a per-(sample, channel) scale, or undefined. */
function scaleOperands(graph: Graph, mul: Node, shapes: Map<string, ValueInfo>): [string, string] | undefined {
  if (mul.inputs.length !== 2 || mul.outputs.length !== 1) return undefined;
  const out = shapes.get(mul.outputs[0]!);
  if (!out || out.dtype !== 'f32' || out.shape.length < 3) return undefined;
  for (const k of [0, 1]) {
    const x = mul.inputs[k]!;
    const s = mul.inputs[1 - k]!;
    const xInfo = shapes.get(x);
    const sInfo = shapes.get(s);
    if (x === s || x === '' || s === '' || graph.initializers.has(s)) continue;
    if (!xInfo || !sInfo || xInfo.dtype !== 'f32' || sInfo.dtype !== 'f32' || !sameShape(xInfo, out)) continue;
    if (isChannelScaleShape(sInfo.shape, xInfo.shape)) return [x, s];
  }
  return undefined;
}

/**
 * `Mul(y, Sigmoid(y))`, SiLU: at [N, C, 1, 1] (EfficientNet's SE squeeze conv) it also has the channel-scale shape,
 * but fuseEpilogue makes it the squeeze conv's epilogue (one dispatch), where a ChannelScale would leave the conv,
 * the Sigmoid and the scaled next conv (measured: 16 dispatches of EfficientNet-B0's 115).
 */
function isSilu(mul: Node, producers: Map<string, Node>): boolean {
  if (mul.inputs.length !== 2) return false;
  return [0, 1].some((k) => {
    const gate = producers.get(mul.inputs[k]!);
    return gate?.op === 'Sigmoid' && gate.inputs[0] === mul.inputs[1 - k];
  });
}

interface Chain {
  attrs: Attrs;
  residual?: string;
  absorbed: Node[];
  output: string;
}

/** Residual Add and activation after the Mul output `y` (single uses only). */
function absorbChain(y: string, uses: Map<string, Use[]>, outputs: Set<string>, shapes: Map<string, ValueInfo>, taken: Set<Node>): Chain {
  const chain: Chain = { attrs: { activation: 'none' }, absorbed: [], output: y };
  let hasActivation = false;
  for (;;) {
    const cur = chain.output;
    if (!hasSingleUse(cur, uses, outputs)) break;
    const { node: next, index: slot } = uses.get(cur)![0]!;
    if (taken.has(next) || next.outputs.length !== 1) break;
    const act = activationAttrs(next);
    if (act) {
      if (hasActivation) break;
      chain.attrs = { ...chain.attrs, ...act };
      hasActivation = true;
    } else if (next.op === 'Add' && next.inputs.length === 2) {
      const other = next.inputs[1 - slot]!;
      const curInfo = shapes.get(cur);
      if (chain.residual !== undefined || other === cur || other === '') break;
      if (!sameShape(shapes.get(other), curInfo) || !sameShape(shapes.get(next.outputs[0]!), curInfo) || shapes.get(other)!.dtype !== 'f32') break;
      chain.residual = other;
      if (hasActivation) chain.attrs = { ...chain.attrs, residual_after_activation: 1 };
    } else {
      break;
    }
    chain.absorbed.push(next);
    chain.output = next.outputs[0]!;
    if (chain.attrs['residual_after_activation'] === 1) break;
  }
  return chain;
}

export function fuseChannelScale(input: Graph): Graph {
  const graph = cloneGraph(input);
  const shapes = tryInferShapes(graph);
  if (!shapes) return graph; // without shapes the pattern cannot be proven: leave the graph as it is
  const uses = usesOf(graph);
  const outputs = graphOutputNames(graph);
  const producers = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const taken = new Set<Node>();
  /** Node -> the fused node emitted in its place (the last absorbed node, or the Mul itself). */
  const emitAt = new Map<Node, Node>();
  for (const node of graph.nodes) {
    if (node.op !== 'Mul' || taken.has(node) || isSilu(node, producers)) continue;
    const operands = scaleOperands(graph, node, shapes);
    if (!operands) continue;
    const chain = absorbChain(node.outputs[0]!, uses, outputs, shapes, taken);
    const fused: Node = {
      name: node.name,
      op: 'ChannelScale',
      inputs: chain.residual !== undefined ? [...operands, chain.residual] : [...operands],
      outputs: [chain.output],
      attrs: chain.attrs,
    };
    taken.add(node);
    for (const n of chain.absorbed) taken.add(n);
    emitAt.set(chain.absorbed.at(-1) ?? node, fused);
  }
  graph.nodes = graph.nodes.flatMap((n) => {
    const fused = emitAt.get(n);
    if (fused) return [fused];
    return taken.has(n) ? [] : [n];
  });
  return graph;
}

export function foldChannelScaleIntoConv(input: Graph): Graph {
  const qualifies = (n: Node): boolean => n.op === 'ChannelScale' && n.inputs.length === 2 && (n.attrs['activation'] ?? 'none') === 'none';
  return foldIntoPointwiseConvs(input, qualifies, (scale, conv) => {
    const [x, s] = scale.inputs as [string, string];
    conv.op = 'ChannelScaleConv';
    conv.inputs = [x, ...convOperands(conv), s];
  });
}
