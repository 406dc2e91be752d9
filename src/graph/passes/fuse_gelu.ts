/**
 * Pass: GELU written out in elementwise ops (how PyTorch exports nn.GELU below opset 20, and how hand-written
 * "new GELU" code spells it) becomes the single op Gelu (src/graph/ops/gelu.ts), which fuseEpilogue then folds into
 * a preceding Conv / Gemm as the epilogue activation 'gelu' / 'gelu_tanh':
 *
 *   erf form   G(x) = 1 + Erf(x / √2)                                     (or Erf(x · 1/√2))
 *   tanh form  G(x) = 1 + Tanh(√(2/π) · (x + 0.044715 · x³))              (x³ = Pow(x, 3), x · (x · x), (x · x) · x)
 *   GELU(x)    = (x · G(x)) · ½  |  x · (G(x) · ½)  |  (x · ½) · G(x)      -> Gelu(x, approximate = 'none' / 'tanh')
 *
 * Add and Mul take either operand order (Mul by ½ also as Div by 2). Constants are one-element floats that cannot
 * widen x's rank, equal to the exact value within REL_TOLERANCE (exporters round √2, √(2/π), 0.044715 to f32 or to
 * fewer digits); every intermediate is private to the pattern (one reader, not a graph output). The last node keeps
 * its name, output and position, so x is available there.
 *
 * Exactness (CPU reference): Gelu computes in f64 and rounds once; the idiom rounds after each of its 5 to 9 nodes,
 * so the two differ by a few f32 ulp of the result (tests bound it).
 */
import type { Graph, Node } from '../ir.js';
import { SQRT_2_OVER_PI, GELU_TANH_CUBIC } from '../ops/gelu.js';
import { cloneGraph, withoutNodes } from './graph_utils.js';
import { indexGraph, privateProducer, scalarOperand, type GraphIndex } from './patterns.js';

/** Relative tolerance on the idiom's constants: 1.41421 (6 digits) passes, a different constant does not. */
const REL_TOLERANCE = 1e-5;

function near(value: number, target: number): boolean {
  return Math.abs(value - target) <= REL_TOLERANCE * Math.abs(target);
}

/** x when `node` is a two-input op `op` of x and a scalar constant near `target` (either slot, unless `slot`). */
function withScalar(ix: GraphIndex, node: Node | undefined, op: string, target: number, slot?: 0 | 1): string | undefined {
  if (!node || node.op !== op) return undefined;
  const found = scalarOperand(ix, node, slot);
  return found && near(found.value, target) ? found.x : undefined;
}

interface Gate {
  x: string;
  nodes: Node[];
  approximate: 'none' | 'tanh';
}

/** The private cube x³ of x, or undefined: Pow(x, 3), Mul(x, Mul(x, x)) or Mul(Mul(x, x), x). */
function cubeNodes(ix: GraphIndex, cube: string, x: string): Node[] | undefined {
  const pow = privateProducer(ix, cube, 'Pow');
  if (pow) return withScalar(ix, pow, 'Pow', 3, 1) === x ? [pow] : undefined;
  const mul = privateProducer(ix, cube, 'Mul');
  if (!mul || mul.inputs.length !== 2) return undefined;
  for (const slot of [0, 1]) {
    if (mul.inputs[slot] !== x) continue;
    const sq = privateProducer(ix, mul.inputs[1 - slot]!, 'Mul');
    if (sq && sq.inputs.length === 2 && sq.inputs[0] === x && sq.inputs[1] === x) return [sq, mul];
  }
  return undefined;
}

/** u = √(2/π) · (x + 0.044715 · x³): x and the nodes. */
function tanhArgument(ix: GraphIndex, u: string): { x: string; nodes: Node[] } | undefined {
  const scale = privateProducer(ix, u, 'Mul');
  const v = withScalar(ix, scale, 'Mul', SQRT_2_OVER_PI);
  const add = v === undefined ? undefined : privateProducer(ix, v, 'Add');
  if (!add || add.inputs.length !== 2) return undefined;
  for (const slot of [0, 1]) {
    const x = add.inputs[slot]!;
    const w = privateProducer(ix, add.inputs[1 - slot]!, 'Mul');
    const cube = withScalar(ix, w, 'Mul', GELU_TANH_CUBIC);
    const cubed = cube === undefined ? undefined : cubeNodes(ix, cube, x);
    if (cubed) return { x, nodes: [...cubed, w!, add, scale!] };
  }
  return undefined;
}

/** g = 1 + Erf(x / √2) or 1 + Tanh(u(x)), g private: x, the nodes and the form. */
function gateOf(ix: GraphIndex, g: string): Gate | undefined {
  const add = privateProducer(ix, g, 'Add');
  const f = withScalar(ix, add, 'Add', 1);
  const fn = f === undefined ? undefined : privateProducer(ix, f, 'Erf', 'Tanh');
  if (!fn) return undefined;
  if (fn.op === 'Tanh') {
    const arg = tanhArgument(ix, fn.inputs[0]!);
    return arg && { x: arg.x, nodes: [...arg.nodes, fn, add!], approximate: 'tanh' };
  }
  const scaled = privateProducer(ix, fn.inputs[0]!, 'Div', 'Mul');
  const x = scaled && (scaled.op === 'Div' ? withScalar(ix, scaled, 'Div', Math.SQRT2, 1) : withScalar(ix, scaled, 'Mul', Math.SQRT1_2));
  return x === undefined ? undefined : { x, nodes: [scaled!, fn, add!], approximate: 'none' };
}

/** v = a · ½ (Mul by 0.5, either order, or Div by 2): a. */
function halfOf(ix: GraphIndex, node: Node | undefined): string | undefined {
  return withScalar(ix, node, 'Mul', 0.5) ?? withScalar(ix, node, 'Div', 2, 1);
}

/** Mul(p, q) of `node` as [x, gate] in either order, where gate(t) recognises q (or p) given the other operand. */
function product(node: Node, match: (x: string, other: string) => Gate | undefined): Gate | undefined {
  if (node.op !== 'Mul' || node.inputs.length !== 2) return undefined;
  for (const slot of [0, 1]) {
    const m = match(node.inputs[slot]!, node.inputs[1 - slot]!);
    if (m) return m;
  }
  return undefined;
}

/** The GELU idiom ending at `node`: x, every node but `node`, the form. */
function matchAt(ix: GraphIndex, node: Node): Gate | undefined {
  // (x · G) · ½
  const a = halfOf(ix, node);
  const inner = a === undefined ? undefined : privateProducer(ix, a, 'Mul');
  const xg = inner && product(inner, (x, g) => {
    const gate = gateOf(ix, g);
    return gate && gate.x === x ? gate : undefined;
  });
  if (xg) return { ...xg, nodes: [...xg.nodes, inner!] };
  // x · (G · ½)  and  (x · ½) · G
  return product(node, (p, q) => {
    const halfG = privateProducer(ix, q, 'Mul', 'Div');
    const g = halfOf(ix, halfG);
    const gate1 = g === undefined ? undefined : gateOf(ix, g);
    if (gate1 && gate1.x === p) return { ...gate1, nodes: [...gate1.nodes, halfG!] };
    const halfX = privateProducer(ix, p, 'Mul', 'Div');
    const x = halfOf(ix, halfX);
    const gate2 = x === undefined ? undefined : gateOf(ix, q);
    return gate2 && gate2.x === x ? { ...gate2, nodes: [...gate2.nodes, halfX!] } : undefined;
  });
}

export function fuseGelu(input: Graph): Graph {
  const graph = cloneGraph(input);
  if (!graph.nodes.some((n) => n.op === 'Erf' || n.op === 'Tanh')) return graph;
  const ix = indexGraph(graph);
  const dead = new Set<Node>();
  for (const node of graph.nodes) {
    const found = matchAt(ix, node);
    if (!found || found.nodes.some((n) => dead.has(n))) continue;
    for (const n of found.nodes) dead.add(n);
    node.op = 'Gelu';
    node.inputs = [found.x];
    node.attrs = { approximate: found.approximate };
  }
  withoutNodes(graph, dead);
  return graph;
}
