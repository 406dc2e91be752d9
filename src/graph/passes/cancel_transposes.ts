/**
 * Pass: Transposes that undo each other disappear (NHWC graphs from tf2onnx / Keras converters wrap every NCHW op in
 * a Transpose pair; back-to-back layout flips cost a full read + write of the tensor each).
 *
 *   - Transpose(p) with p the identity: removed.
 *   - Transpose(q) of Transpose(p), possibly with a chain of elementwise ops in between: one Transpose with the
 *     composed permutation r[i] = p[q[i]] (out[i] = in[p[q[i]]]), applied after the chain, which now reads the first
 *     Transpose's input; when r is the identity, no Transpose is left at all. The chain ops may be unary
 *     elementwise (Relu, Clip, Sigmoid, ...) or binary elementwise with a constant operand that varies along at most
 *     one axis (a per-channel bias / scale in NHWC): that constant is re-shaped into the untransposed layout (same
 *     data, permuted shape), so it meets the same elements. Every chain intermediate, and the first Transpose's output
 *     when a chain is moved across it, must be private (one reader, not a graph output).
 *
 * Exact: elementwise ops commute with a permutation of the elements (each output element sees the same operands),
 * so the rewritten graph is bit-identical. A Transpose whose output is a graph output keeps that name; when it would
 * be the identity it becomes an Identity, which `removeIdentityOps` folds away where the producer can be renamed.
 */
import { attrInts, type Graph, type Node } from '../ir.js';
import { NameGenerator, cloneGraph, withoutNodes } from './graph_utils.js';
import { indexGraph, privateProducer, type GraphIndex } from './patterns.js';
import { removeIdentityOps } from './remove_identity.js';

const UNARY = new Set(['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Clip', 'Neg', 'Abs', 'Exp', 'Sqrt', 'Floor', 'Ceil', 'Reciprocal', 'Sign', 'Erf', 'Gelu']);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Min', 'Max']);

/** The node's permutation (ONNX default: reversed dims), or undefined when its rank is unknown. */
function permOf(ix: GraphIndex, t: Node): number[] | undefined {
  const rank = ix.shapes.get(t.inputs[0]!)?.length;
  const perm = attrInts(t, 'perm', rank === undefined ? [] : Array.from({ length: rank }, (_, i) => rank - 1 - i));
  if (perm.length === 0 || (rank !== undefined && perm.length !== rank)) return undefined;
  return perm.map((a) => (a < 0 ? a + perm.length : a));
}

const isIdentity = (perm: number[]) => perm.every((a, i) => a === i);

/**
 * For a binary op reading the transposed value at `slot` and a constant at the other slot: the constant's shape in
 * the untransposed layout, or undefined when it varies along more than one axis or broadcasts the value up.
 */
function untransposedConstantShape(ix: GraphIndex, op: Node, slot: number, perm: number[]): number[] | undefined {
  const c = ix.graph.initializers.get(op.inputs[1 - slot]!);
  const shape = ix.shapes.get(op.inputs[slot]!);
  if (!c || !shape || c.shape.length > perm.length) return undefined;
  const padded = [...new Array<number>(perm.length - c.shape.length).fill(1), ...c.shape];
  if (padded.some((d, i) => d !== 1 && d !== shape[i]) || padded.filter((d) => d !== 1).length > 1) return undefined;
  const out = new Array<number>(perm.length);
  perm.forEach((src, i) => (out[src] = padded[i]!));
  return out;
}

interface Chain {
  first: Node;
  ops: Node[];
  /** For each chain op, its constant's slot and new shape (binary ops only). */
  constants: ({ slot: number; shape: number[] } | undefined)[];
  perm: number[];
}

/** Walk up from the second Transpose through private elementwise ops to a first Transpose. */
function chainAbove(ix: GraphIndex, second: Node): Chain | undefined {
  const ops: Node[] = [];
  let tensor = second.inputs[0]!;
  for (;;) {
    const p = ix.producers.get(tensor);
    if (!p) return undefined;
    if (p.op === 'Transpose') {
      const perm = permOf(ix, p);
      if (!perm) return undefined;
      // Moving a chain across the first Transpose needs its output to be read by the chain only.
      if (ops.length && !privateProducer(ix, tensor, 'Transpose')) return undefined;
      ops.reverse();
      const constants: Chain['constants'] = [];
      let value = p.outputs[0]!;
      for (const op of ops) {
        const slot = op.inputs.indexOf(value);
        const shape = BINARY.has(op.op) ? untransposedConstantShape(ix, op, slot, perm) : undefined;
        if (BINARY.has(op.op) && !shape) return undefined;
        constants.push(shape && { slot: 1 - slot, shape });
        value = op.outputs[0]!;
      }
      return { first: p, ops, constants, perm };
    }
    if (!privateProducer(ix, tensor, p.op)) return undefined;
    if (UNARY.has(p.op) && p.inputs.length === 1) tensor = p.inputs[0]!;
    else if (BINARY.has(p.op) && p.inputs.length === 2) {
      const constants = p.inputs.map((n) => ix.graph.initializers.has(n));
      if (constants[0] === constants[1]) return undefined;
      tensor = p.inputs[constants[0] ? 1 : 0]!;
    } else return undefined;
    ops.push(p);
  }
}

/** `node` reads `to` where it read `from` (the use lists follow, so later matches see who reads what). */
function rewire(ix: GraphIndex, node: Node, from: string, to: string): void {
  node.inputs = node.inputs.map((n) => (n === from ? to : n));
  ix.uses.set(from, (ix.uses.get(from) ?? []).filter((u) => u.node !== node));
  const toUses = (ix.uses.get(to) ?? []).filter((u) => u.node !== node);
  node.inputs.forEach((n, index) => n === to && toUses.push({ node, index }));
  ix.uses.set(to, toUses);
}

export function cancelTransposes(input: Graph): Graph {
  const graph = cloneGraph(input);
  const ix = indexGraph(graph);
  const names = new NameGenerator(graph);
  const dead = new Set<Node>();
  let identities = false;
  for (const node of graph.nodes) {
    if (node.op !== 'Transpose' || dead.has(node)) continue;
    let perm = permOf(ix, node);
    if (!perm) continue;
    const chain = chainAbove(ix, node);
    if (chain) {
      const x = chain.first.inputs[0]!;
      perm = perm.map((a) => chain.perm[a]!);
      if (chain.ops.length === 0) {
        rewire(ix, node, chain.first.outputs[0]!, x);
      } else {
        // The chain now runs on the untransposed tensor; its constants are re-shaped to match.
        rewire(ix, chain.ops[0]!, chain.first.outputs[0]!, x);
        chain.ops.forEach((op, i) => {
          const xShape = ix.shapes.get(x);
          if (xShape) ix.shapes.set(op.outputs[0]!, xShape);
          else ix.shapes.delete(op.outputs[0]!);
          const constant = chain.constants[i];
          if (!constant) return;
          const { slot, shape } = constant;
          const c = graph.initializers.get(op.inputs[slot]!)!;
          const name = names.fresh(`${op.inputs[slot]}_untransposed`);
          graph.initializers.set(name, { ...c, shape });
          op.inputs[slot] = name;
        });
        dead.add(chain.first); // `node` still reads the chain's last value, now untransposed
      }
      node.attrs = { ...node.attrs, perm };
    }
    if (!isIdentity(perm)) continue;
    const src = node.inputs[0]!;
    const dst = node.outputs[0]!;
    const last = chain?.ops[chain.ops.length - 1];
    if (last) {
      last.outputs = [dst]; // the chain's last value was read only by this Transpose
      ix.producers.set(dst, last);
      dead.add(node);
    } else if (!ix.outputs.has(dst)) {
      for (const use of ix.uses.get(dst) ?? []) rewire(ix, use.node, dst, src);
      ix.uses.set(src, (ix.uses.get(src) ?? []).filter((u) => u.node !== node));
      dead.add(node);
    } else {
      node.op = 'Identity';
      node.attrs = {};
      identities = true;
    }
  }
  withoutNodes(graph, dead);
  // A first Transpose that other nodes read stays; one nobody reads any more goes.
  const read = new Set(graph.nodes.flatMap((n) => n.inputs));
  withoutNodes(graph, new Set(graph.nodes.filter((n) => n.op === 'Transpose' && !read.has(n.outputs[0]!) && !ix.outputs.has(n.outputs[0]!))));
  return identities ? removeIdentityOps(graph) : graph;
}
