/**
 * Pass: scaled dot-product attention as vision transformers export it becomes one Attention node
 * (src/graph/ops/attention.ts): one dispatch per layer instead of four to seven, and no N×M score matrix in memory.
 *
 *   S = MatMul(Q, Kt)                       Kt = Transpose(K) swapping the last two axes is absorbed (k_layout 'k')
 *   [S = Mul(S, c) | Div(S, c)]             c a one-element constant -> scale (c or 1/c)
 *   [S = Add(S, bias)] ...                  any bias tensor broadcastable to S (relative-position bias)
 *   [S = Reshape(S) -> Add(S, const) -> Reshape back to S's shape]   Swin's shifted-window mask, added on a
 *                                           [B, nW, nH, N, N] view: folded with the other constant biases into one
 *                                           constant in S's own layout (at most MAX_FOLDED_BIAS elements)
 *   P = Softmax(S, last axis);  Y = MatMul(P, V)
 *
 * Every intermediate must be private to the pattern; shapes must be known (static) for the Reshape form. The torchvision
 * exports of ViT (q pre-divided by √d, so no scale), Swin (q pre-scaled, relative bias + mask) and MaxViT (k pre-scaled,
 * relative bias) all match. The CPU Attention applies the replaced reference kernels in order (bit-identical, except
 * a Div by c becomes a Mul by 1/c and folded constant biases are summed before they are added: 1-ulp level).
 */
import { sizeOf, stridesOf, tensorToNumbers, type Graph, type Node, type Tensor } from '../ir.js';
import { NameGenerator, cloneGraph, replaceMatches } from './graph_utils.js';
import { indexGraph, privateProducer, scalarOperand, type GraphIndex } from './patterns.js';

/** Largest constant bias (elements) the pass materialises when it folds Swin's reshaped mask into the bias. */
const MAX_FOLDED_BIAS = 1 << 24;

interface AttentionMatch {
  q: string;
  k: string;
  kLayout: 'k' | 'kt';
  v: string;
  scale: number;
  /** A runtime (or single constant) bias name, or constant terms to sum into one bias in S's layout. */
  bias?: string;
  constantBias: { name: string; tensor: Tensor; shape: readonly number[] }[];
  nodes: Node[];
  last: Node;
}

const sameShape = (a: readonly number[] | undefined, b: readonly number[] | undefined) =>
  !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);

function isLastAxisSoftmax(ix: GraphIndex, sm: Node): boolean {
  const rank = ix.shapes.get(sm.inputs[0]!)?.length;
  if (rank === undefined) return false;
  const axis = Number(sm.attrs['axis'] ?? -1);
  return axis === -1 || axis === rank - 1;
}

/** The other operand of a two-input Add whose operand `x` is the chain, or undefined. */
function otherOperand(node: Node, x: string): string | undefined {
  if (node.inputs.length !== 2) return undefined;
  return node.inputs[0] === x ? node.inputs[1] : node.inputs[1] === x ? node.inputs[0] : undefined;
}

function matchAt(ix: GraphIndex, sm: Node): AttentionMatch | undefined {
  if (sm.op !== 'Softmax' || !isLastAxisSoftmax(ix, sm)) return undefined;
  const p = sm.outputs[0]!;
  const uses = ix.uses.get(p) ?? [];
  if (uses.length !== 1 || ix.outputs.has(p) || uses[0]!.node.op !== 'MatMul' || uses[0]!.index !== 0) return undefined;
  const pv = uses[0]!.node;
  const sShape = ix.shapes.get(sm.inputs[0]!);
  if (!sShape || sShape.length < 2) return undefined;
  const nodes: Node[] = [sm, pv];
  const constantBias: AttentionMatch['constantBias'] = [];
  let bias: string | undefined;
  let cur = sm.inputs[0]!;
  // Walk back from the Softmax: Reshape/Add-constant/Reshape groups, Adds, then an optional scale, then the MatMul.
  for (;;) {
    const r2 = privateProducer(ix, cur, 'Reshape');
    if (r2) {
      // Add(const) on a regrouped view of S, between two Reshapes that come back to S's shape
      const add = privateProducer(ix, r2.inputs[0]!, 'Add');
      const r1 = add && [0, 1].map((i) => privateProducer(ix, add.inputs[i]!, 'Reshape')).find((r) => r !== undefined);
      const c = add && r1 && otherOperand(add, r1.outputs[0]!);
      const t = c === undefined ? undefined : ix.graph.initializers.get(c);
      const viewShape = add && ix.shapes.get(add.outputs[0]!);
      if (!r1 || !t || !viewShape || !sameShape(ix.shapes.get(r1.inputs[0]!), sShape) || !sameShape(ix.shapes.get(r2.outputs[0]!), sShape)) return undefined;
      if (!sameShape(ix.shapes.get(r1.outputs[0]!), viewShape)) return undefined; // the constant must not widen the view
      constantBias.push({ name: c!, tensor: t, shape: viewShape });
      nodes.push(r2, add!, r1);
      cur = r1.inputs[0]!;
      continue;
    }
    const add = privateProducer(ix, cur, 'Add');
    if (!add) break;
    const [a, b] = add.inputs as [string, string];
    // the chain continues through the operand that has S's shape and a producer in the pattern (MatMul/Mul/Add...)
    const chain = [a, b].find((x) => sameShape(ix.shapes.get(x), sShape) && ['MatMul', 'Mul', 'Div', 'Add', 'Reshape'].includes(ix.producers.get(x)?.op ?? ''));
    if (!chain) return undefined;
    const other = chain === a ? b : a;
    const t = ix.graph.initializers.get(other);
    if (t) constantBias.push({ name: other, tensor: t, shape: sShape });
    else if (bias === undefined) bias = other;
    else return undefined; // two runtime biases: not one Attention
    nodes.push(add);
    cur = chain;
  }
  let scale = 1;
  const scaleNode = privateProducer(ix, cur, 'Mul', 'Div');
  if (scaleNode) {
    const s = scalarOperand(ix, scaleNode, scaleNode.op === 'Div' ? 1 : undefined);
    if (!s || s.value === 0 || !Number.isFinite(s.value)) return undefined;
    scale = scaleNode.op === 'Div' ? 1 / s.value : s.value;
    nodes.push(scaleNode);
    cur = s.x;
  }
  const qk = privateProducer(ix, cur, 'MatMul');
  if (!qk) return undefined;
  nodes.push(qk);
  const [q, kt] = qk.inputs as [string, string];
  const v = pv.inputs[1]!;
  const ranks = [q, kt, v].map((x) => ix.shapes.get(x)?.length ?? 0);
  if (ranks.some((r) => r < 2)) return undefined; // 1-D operands: not attention
  if (bias !== undefined && constantBias.length > 0) return undefined; // keep it simple: one kind of bias
  let k = kt;
  let kLayout: 'k' | 'kt' = 'kt';
  const tr = privateProducer(ix, kt, 'Transpose');
  if (tr) {
    const perm = (tr.attrs['perm'] as number[] | undefined) ?? [];
    const r = perm.length;
    if (r >= 2 && perm.every((x, i) => (i < r - 2 ? x === i : i === r - 2 ? x === r - 1 : x === r - 2))) {
      k = tr.inputs[0]!;
      kLayout = 'k';
      nodes.push(tr);
    }
  }
  return { q, k, kLayout, v, scale, ...(bias !== undefined ? { bias } : {}), constantBias, nodes, last: pv };
}

/** The constant terms, each broadcast to its view shape and read back in S's row-major layout, summed (float64). */
function foldBiases(terms: AttentionMatch['constantBias'], sShape: readonly number[]): Tensor | undefined {
  const size = sizeOf(sShape);
  if (size > MAX_FOLDED_BIAS) return undefined;
  const sum = new Float64Array(size);
  for (const { tensor, shape } of terms) {
    const values = tensorToNumbers(tensor);
    const rank = shape.length;
    const tShape = [...new Array<number>(Math.max(0, rank - tensor.shape.length)).fill(1), ...tensor.shape];
    const tStrides = stridesOf(tShape).map((s, i) => (tShape[i] === 1 ? 0 : s));
    const idx = new Array<number>(rank).fill(0);
    // element i of the view (row-major over `shape`) is element i of S: the Reshapes only regroup dims
    for (let i = 0; i < size; i++) {
      let off = 0;
      for (let d = 0; d < rank; d++) off += idx[d]! * tStrides[d]!;
      sum[i] += values[off]!;
      for (let d = rank - 1; d >= 0; d--) {
        if (++idx[d]! < shape[d]!) break;
        idx[d] = 0;
      }
    }
  }
  return { dtype: 'f32', shape: [...sShape], data: Float32Array.from(sum) };
}

export function fuseAttention(input: Graph): Graph {
  const graph = cloneGraph(input);
  const ix = indexGraph(graph);
  const names = new NameGenerator(graph);
  const dead = new Set<Node>();
  const replaced = new Map<Node, Node>();
  for (const node of graph.nodes) {
    const m = matchAt(ix, node);
    if (!m || m.nodes.some((n) => dead.has(n))) continue;
    let bias = m.bias;
    if (m.constantBias.length === 1 && sameShape(m.constantBias[0]!.shape, ix.shapes.get(node.inputs[0]!)) && !m.nodes.some((n) => n.op === 'Reshape')) {
      // one constant added directly to S: use it as it is (it broadcasts like the Add did)
      bias = m.constantBias[0]!.name;
    } else if (m.constantBias.length > 0) {
      const folded = foldBiases(m.constantBias, ix.shapes.get(node.inputs[0]!)!);
      if (!folded) continue;
      bias = names.fresh(`${node.name}_attention_bias`);
      graph.initializers.set(bias, folded);
    }
    for (const n of m.nodes) dead.add(n);
    replaced.set(m.last, {
      name: names.fresh(`${node.name}_attention`),
      op: 'Attention',
      inputs: bias !== undefined ? [m.q, m.k, m.v, bias] : [m.q, m.k, m.v],
      outputs: [m.last.outputs[0]!],
      attrs: { scale: m.scale, k_layout: m.kLayout },
    });
  }
  replaceMatches(graph, dead, replaced);
  return graph;
}
