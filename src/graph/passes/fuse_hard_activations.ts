/**
 * Pass: HardSigmoid / HardSwish written out in elementwise ops (how Keras/tf2onnx, older PyTorch and hand-written
 * exporters spell them) become the single ops, one dispatch instead of three to five:
 *
 *   HardSigmoid(x, alpha = 1/6, beta = 1/2)  <-  sixth(relu6(x + 3))
 *   HardSwish(x)                             <-  sixth(x * relu6(x + 3)),  x * sixth(relu6(x + 3)),  x * HardSigmoid(x)
 *
 * where sixth(v) is Div(v, 6) or Mul(v, 1/6) (1/6 as f64 or f32), relu6(t) is Clip(t, 0, 6) (min/max inputs are
 * attributes after import), Min(Max(t, 0), 6) or Max(Min(t, 6), 0), Add and Mul take either operand order, and the
 * HardSigmoid in the last form has HardSwish's constants (alpha = 1/6 to f32 precision, beta = 1/2: PyTorch's export
 * of nn.Hardswish below opset 14). Every constant must be a one-element float that cannot widen x's rank, and every
 * intermediate must be read only by the pattern (and not be a graph output); the last node keeps its name, output
 * and position, so x is available there.
 *
 * It runs before constant folding, which would otherwise fold the `+ 3` of a conv's HardSigmoid into its bias.
 * Exactness (f32 storage, CPU reference): the fused ops compute in f64 from x with the exact 1/6, the idioms round to
 * f32 after each node. x + 3 is exact where the clamps are not saturated near -3 (Sterbenz), so the HardSigmoid form
 * differs by at most 1 ulp (one rounding vs. one rounding of the same exact value, up to double rounding) and the
 * HardSwish forms by at most a few ulp (two or three f32 roundings of products / quotients); tests bound both.
 */
import { attrFloat, type Graph, type Node } from '../ir.js';
import { cloneGraph, withoutNodes } from './graph_utils.js';
import { indexGraph, operandWithScalar, privateProducer, type GraphIndex } from './patterns.js';

const SIXTH = [1 / 6, Math.fround(1 / 6)];

/** True when a HardSigmoid computes HardSwish's gate clamp(y/6 + 1/2, 0, 1) (alpha is often stored as f32(1/6)). */
export function isHardSwishGate(node: Node): boolean {
  if (node.op !== 'HardSigmoid') return false;
  const alpha = attrFloat(node, 'alpha', 0.2);
  const beta = attrFloat(node, 'beta', 0.5);
  return Math.abs(alpha * 6 - 1) <= 1e-6 && beta === 0.5;
}

interface Match {
  x: string;
  nodes: Node[];
}

/** v = sixth(a): a, when `node` divides by 6 or multiplies by 1/6. */
function sixthOf(ix: GraphIndex, node: Node): string | undefined {
  if (node.op === 'Div') return operandWithScalar(ix, node, [6], 1);
  if (node.op === 'Mul') return operandWithScalar(ix, node, SIXTH);
  return undefined;
}

/** c = relu6(t): t and the clamp's nodes, when c is computed privately as a clamp to [0, 6]. */
function relu6Of(ix: GraphIndex, c: string): Match | undefined {
  const clip = privateProducer(ix, c, 'Clip');
  if (clip) return attrFloat(clip, 'min', -Infinity) === 0 && attrFloat(clip, 'max', Infinity) === 6 ? { x: clip.inputs[0]!, nodes: [clip] } : undefined;
  const outer = privateProducer(ix, c, 'Min', 'Max');
  if (!outer) return undefined;
  const [outerBound, innerOp, innerBound] = outer.op === 'Min' ? [6, 'Max', 0] : [0, 'Min', 6];
  const m = operandWithScalar(ix, outer, [outerBound]);
  const inner = m === undefined ? undefined : privateProducer(ix, m, innerOp);
  const t = inner && operandWithScalar(ix, inner, [innerBound]);
  return t === undefined ? undefined : { x: t, nodes: [inner!, outer] };
}

/** g = relu6(x + 3): x and the nodes. */
function relu6PlusThreeOf(ix: GraphIndex, g: string): Match | undefined {
  const clamp = relu6Of(ix, g);
  const add = clamp && privateProducer(ix, clamp.x, 'Add');
  const x = add && operandWithScalar(ix, add, [3]);
  return x === undefined ? undefined : { x, nodes: [add!, ...clamp!.nodes] };
}

/** Mul(x, gate(x)) in either operand order, where `gate(g)` matches the private tensor g and returns its x. */
function selfGated(node: Node, gate: (g: string) => Match | undefined): Match | undefined {
  if (node.op !== 'Mul' || node.inputs.length !== 2) return undefined;
  for (const slot of [0, 1]) {
    const x = node.inputs[slot]!;
    const m = gate(node.inputs[1 - slot]!);
    if (m && m.x === x) return m;
  }
  return undefined;
}

/** The rewrite of `node` (the idiom's last node) as a single op, and the nodes it replaces. */
function matchAt(ix: GraphIndex, node: Node): { op: 'HardSigmoid' | 'HardSwish'; match: Match } | undefined {
  const a = sixthOf(ix, node);
  if (a !== undefined) {
    const sigmoid = relu6PlusThreeOf(ix, a);
    if (sigmoid) return { op: 'HardSigmoid', match: sigmoid };
    const mul = privateProducer(ix, a, 'Mul');
    const swish = mul && selfGated(mul, (g) => relu6PlusThreeOf(ix, g));
    if (swish) return { op: 'HardSwish', match: { x: swish.x, nodes: [...swish.nodes, mul!] } };
  }
  const gated = selfGated(node, (g) => {
    const p = privateProducer(ix, g, 'HardSigmoid');
    return p && isHardSwishGate(p) ? { x: p.inputs[0]!, nodes: [p] } : undefined;
  });
  return gated && { op: 'HardSwish', match: gated };
}

export function fuseHardActivations(input: Graph): Graph {
  const graph = cloneGraph(input);
  const ix = indexGraph(graph);
  const dead = new Set<Node>();
  // Source order: an inner HardSigmoid rewritten here is seen as such by the Mul(x, HardSigmoid(x)) after it.
  for (const node of graph.nodes) {
    const found = matchAt(ix, node);
    if (!found || found.match.nodes.some((n) => dead.has(n))) continue;
    for (const n of found.match.nodes) dead.add(n);
    node.op = found.op;
    node.inputs = [found.match.x];
    node.attrs = found.op === 'HardSigmoid' ? { alpha: 1 / 6, beta: 0.5 } : {};
    // x is now read by `node` instead of the removed nodes (later matches ask whether x is private to them).
    const xUses = (ix.uses.get(found.match.x) ?? []).filter((u) => !dead.has(u.node) && u.node !== node);
    ix.uses.set(found.match.x, [...xUses, { node, index: 0 }]);
  }
  withoutNodes(graph, dead);
  return graph;
}
