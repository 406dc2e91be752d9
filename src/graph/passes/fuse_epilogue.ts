/**
 * Pass: fuse what follows a Conv / Gemm / ConvTranspose into its epilogue, producing FusedConv / FusedGemm /
 * FusedConvTranspose (src/graph/ops/fused.ts).
 *
 * Starting at each Conv / Gemm, we walk down the chain of single consumers and absorb, in this order of legality:
 *   - Add of a per-channel float constant (before any activation): merged into the bias B / C;
 *   - Add of a non-constant tensor R with the output's exact shape (residual). Before the activation it is
 *     `act(y + R)` (post-activation ResNet, the activation is absorbed next); after an activation it is
 *     `act(y) + R` and the walk stops. The fused node normally stays at the conv's position; when R is produced
 *     after the conv (e.g. a shortcut computed after the main branch: option-A Slice/Pad shortcuts, downsample
 *     convs exported last), the fused node moves to the Add's position instead, which is valid because nothing
 *     but the absorbed chain reads the conv's output;
 *   - one activation: Relu, Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid, Tanh, Gelu (fuse_gelu.ts), SiLU written as
 *     Mul(y, Sigmoid(y)), and HardSwish written as Mul(y, HardSigmoid(y)) with HardSwish's own constants
 *     (alpha = 1/6 to f32 precision, beta = 0.5: how PyTorch exports nn.Hardswish below opset 14, e.g. every
 *     MobileNetV3 activation), either operand order.
 * Every absorbed intermediate must have a single use and not be a graph output. Nothing is rewritten for a
 * conv with nothing to absorb (it stays a plain Conv / Gemm).
 */
import { attrFloat, attrInt, type Attrs, type Graph, type Node, type ValueInfo } from '../ir.js';
import { tryInferShapes } from '../infer.js';
import type { Activation } from '../ops/fused.js';
import { geluApproximation } from '../ops/gelu.js';
import {
  NameGenerator,
  cloneGraph,
  f32From,
  floatConstant,
  graphOutputNames,
  hasSingleUse,
  perChannelValues,
  producersOf,
  usesOf,
  type Use,
} from './graph_utils.js';
import { gemmBiasRows, gemmOutputChannels, storeGemmBias } from './gemm_utils.js';
import { isHardSwishGate } from './fuse_hard_activations.js';

export interface FuseEpilogueOptions {
  /** Absorb residual Adds (default true). */
  residual?: boolean;
}

/** Epilogue attributes for a single-input activation node, or undefined when `node` is not one. */
export function activationAttrs(node: Node): { activation: Activation } & Attrs | undefined {
  switch (node.op) {
    case 'Relu':
      return { activation: 'relu' };
    case 'Clip':
      return { activation: 'clip', act_min: attrFloat(node, 'min', -Infinity), act_max: attrFloat(node, 'max', Infinity) };
    case 'LeakyRelu':
      return { activation: 'leaky_relu', act_alpha: attrFloat(node, 'alpha', 0.01) };
    case 'HardSigmoid':
      return { activation: 'hard_sigmoid', act_alpha: attrFloat(node, 'alpha', 0.2), act_beta: attrFloat(node, 'beta', 0.5) };
    case 'HardSwish':
      return { activation: 'hard_swish' };
    case 'Sigmoid':
      return { activation: 'sigmoid' };
    case 'Tanh':
      return { activation: 'tanh' };
    case 'Gelu':
      return { activation: geluApproximation(node) === 'tanh' ? 'gelu_tanh' : 'gelu' };
    default:
      return undefined;
  }
}

/**
 * A gated activation written as Mul(y, gate(y)) — SiLU (gate = Sigmoid) or HardSwish (gate = HardSigmoid with
 * alpha 1/6, beta 1/2): the two nodes and the activation when `uses` of y are exactly that pattern.
 */
function gatedPattern(y: string, uses: Use[], allUses: Map<string, Use[]>, outputs: Set<string>): { nodes: Node[]; activation: Activation } | undefined {
  if (uses.length !== 2) return undefined;
  const mul = uses.find((u) => u.node.op === 'Mul')?.node;
  const gate = uses.find((u) => u.node.op === 'Sigmoid' || (u.node.op === 'HardSigmoid' && isHardSwishGate(u.node)))?.node;
  if (!gate || !mul || gate === mul || gate.inputs.length !== 1) return undefined;
  const s = gate.outputs[0]!;
  if (!hasSingleUse(s, allUses, outputs)) return undefined;
  const operands = [...mul.inputs].sort();
  if (operands.length !== 2 || operands.join('\u0000') !== [y, s].sort().join('\u0000')) return undefined;
  return { nodes: [gate, mul], activation: gate.op === 'Sigmoid' ? 'silu' : 'hard_swish' };
}

interface Fusion {
  attrs: Attrs;
  residual?: string;
  /** New bias (name of a fresh initializer) when constant Adds were merged. */
  bias?: string;
  output: string;
  absorbed: Node[];
  /** Absorbed node whose position the fused node takes (when R is produced after the conv). */
  placeAt?: Node;
}

function sameShape(a: ValueInfo | undefined, b: ValueInfo | undefined): boolean {
  return !!a && !!b && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

/** Bias after adding per-channel `v` (Conv: B [C]; Gemm: beta * C + v with beta := 1). */
function addToBias(graph: Graph, names: NameGenerator, node: Node, currentBias: string, v: Float64Array): string | undefined {
  if (node.op !== 'Gemm') {
    const old = currentBias === '' ? undefined : floatConstant(graph, currentBias);
    if (currentBias !== '' && (!old || old.values.length !== v.length)) return undefined;
    const name = names.fresh(`${node.name}_bias_fused`);
    graph.initializers.set(name, f32From([v.length], v.map((x, i) => x + (old?.values[i] ?? 0))));
    return name;
  }
  const rows = gemmBiasRows(graph, { ...node, inputs: [node.inputs[0]!, node.inputs[1]!, currentBias] }, v.length);
  if (!rows) return undefined;
  for (let i = 0; i < rows.values.length; i++) rows.values[i]! += v[i % v.length]!;
  const name = names.fresh(`${node.name}_bias_fused`);
  graph.initializers.set(name, storeGemmBias(rows.rows, v.length, rows.values));
  return name;
}

const FUSED_OP: Record<string, string> = { Conv: 'FusedConv', Gemm: 'FusedGemm', ConvTranspose: 'FusedConvTranspose' };

export function fuseEpilogues(input: Graph, options: FuseEpilogueOptions = {}): Graph {
  const allowResidual = options.residual ?? true;
  const graph = cloneGraph(input);
  const names = new NameGenerator(graph);
  const uses = usesOf(graph);
  const outputs = graphOutputNames(graph);
  const producers = producersOf(graph);
  const position = new Map(graph.nodes.map((n, i) => [n, i]));
  // Without shapes, residual equality cannot be proven: residual fusion is skipped.
  const shapes = allowResidual ? tryInferShapes(graph) : undefined;
  const availableBefore = (tensor: string, index: number): boolean => {
    if (graph.initializers.has(tensor) || graph.inputs.some((i) => i.name === tensor)) return true;
    const p = producers.get(tensor);
    return p !== undefined && position.get(p)! < index;
  };

  const absorbedAll = new Set<Node>();
  /** Absorbed node -> fused node to emit in its place. */
  const moved = new Map<Node, Node>();
  for (const node of graph.nodes) {
    if (!Object.hasOwn(FUSED_OP, node.op) || absorbedAll.has(node) || node.outputs.length !== 1) continue;
    const weights = graph.initializers.get(node.inputs[1] ?? '');
    const channels =
      node.op === 'Conv'
        ? weights?.shape[0]
        : node.op === 'ConvTranspose' // W [C_in, C_out/group, k...]
          ? weights && weights.shape.length >= 3 ? weights.shape[1]! * attrInt(node, 'group', 1) : undefined
          : weights && weights.shape.length === 2 ? gemmOutputChannels(weights, attrInt(node, 'transB', 0) !== 0) : undefined;
    const rank = node.op === 'Gemm' ? 2 : weights?.shape.length;
    const index = position.get(node)!;
    const fusion: Fusion = { attrs: { activation: 'none' }, output: node.outputs[0]!, absorbed: [] };
    let bias = node.inputs[2] ?? '';
    let hasActivation = false;

    for (;;) {
      const y = fusion.output;
      if (outputs.has(y)) break;
      const yUses = uses.get(y) ?? [];
      const gated = hasActivation ? undefined : gatedPattern(y, yUses, uses, outputs);
      if (gated) {
        fusion.attrs = { ...fusion.attrs, activation: gated.activation };
        fusion.absorbed.push(...gated.nodes);
        fusion.output = gated.nodes[1]!.outputs[0]!;
        hasActivation = true;
        continue;
      }
      if (!hasSingleUse(y, uses, outputs)) break;
      const { node: next, index: slot } = yUses[0]!;
      if (absorbedAll.has(next)) break;
      const act = activationAttrs(next);
      if (act) {
        if (hasActivation) break;
        fusion.attrs = { ...fusion.attrs, ...act };
        hasActivation = true;
      } else if (next.op === 'Add' && next.inputs.length === 2) {
        const other = next.inputs[1 - slot]!;
        const constant = floatConstant(graph, other);
        const perChannel = constant && channels !== undefined && rank !== undefined ? perChannelValues(constant, rank, 1, channels) : undefined;
        if (perChannel) {
          if (hasActivation) break;
          const newBias = addToBias(graph, names, node, bias, perChannel);
          if (!newBias) break;
          bias = fusion.bias = newBias;
        } else {
          const shapeOk = shapes && sameShape(shapes.get(other), shapes.get(y)) && sameShape(shapes.get(next.outputs[0]!), shapes.get(y));
          if (!allowResidual || fusion.residual !== undefined || other === y || !shapeOk) break;
          fusion.residual = other;
          if (!availableBefore(other, index)) fusion.placeAt = next;
          if (hasActivation) fusion.attrs = { ...fusion.attrs, residual_after_activation: 1 };
        }
      } else {
        break;
      }
      fusion.absorbed.push(next);
      fusion.output = next.outputs[0]!;
      if (fusion.attrs['residual_after_activation'] === 1) break;
    }

    if (fusion.absorbed.length === 0) continue;
    for (const n of fusion.absorbed) absorbedAll.add(n);
    const fusedOp = FUSED_OP[node.op]!;
    const inputs = [node.inputs[0]!, node.inputs[1]!, bias];
    if (fusion.residual !== undefined) inputs.push(fusion.residual);
    while (inputs[inputs.length - 1] === '') inputs.pop();
    const attrs: Attrs = { ...node.attrs, ...fusion.attrs };
    if (fusedOp === 'FusedGemm' && fusion.bias !== undefined) attrs['beta'] = 1;
    node.op = fusedOp;
    node.inputs = inputs;
    node.attrs = attrs;
    node.outputs = [fusion.output];
    producers.set(fusion.output, node);
    if (fusion.placeAt) moved.set(fusion.placeAt, node);
  }
  const movedNodes = new Set(moved.values());
  graph.nodes = graph.nodes.flatMap((n) => {
    const arriving = moved.get(n);
    if (arriving) return [arriving];
    return absorbedAll.has(n) || movedNodes.has(n) ? [] : [n];
  });
  return graph;
}
