/**
 * Pass: channels-last islands between two Transposes, as ConvNeXt exports them, run in NCHW without the Transposes.
 *
 *   t = Transpose(x, [0, 2, .., r−1, 1])                       NCHW -> channels last
 *   ... LayerNormalization(axis −1) | Reshape to [P, C] -> Gemm(const B) [-> Add(const [C'])] [-> unary ops]
 *       -> Reshape back to [N, .., C'] | unary ops | Add/Sub/Mul/Div with a per-channel constant ...
 *   y = Transpose(·, [0, r−1, 1, .., r−2])                      back to NCHW
 *
 * becomes, on x itself: ChannelLayerNorm (src/graph/ops/channel_layer_norm.ts) for the LayerNorm, a 1×1 Conv for each
 * Linear (weights Bᵀ as [C', C, 1, 1], alpha / beta folded in), the same unary ops, and the per-channel constants
 * reshaped to [C, 1, 1]. The Transposes (two full copies per block) go; the convs then take the layer scale
 * (foldConstants), GELU and the residual Add (fuseEpilogue) like any conv: a ConvNeXt block becomes depthwise conv,
 * ChannelLayerNorm, 1×1 conv + GELU, 1×1 conv + residual.
 *
 * Every value inside the island must be private to it (read once, not a graph output) and every shape known; an
 * island with anything else (a Gemm with per-row C, a Reshape that is not the [P, C] view, another op) is left as it
 * is. Exact on the CPU: ChannelLayerNorm is the LayerNorm reference on the transposed view, a 1×1 conv computes the
 * same f64 dot products as the Gemm (same operand order), and elementwise ops commute with the permutation.
 */
import { attrFloat, attrInt, attrInts, sizeOf, tensorToNumbers, type Graph, type Node, type Tensor } from '../ir.js';
import { NameGenerator, cloneGraph, replaceMatches } from './graph_utils.js';
import { indexGraph, type GraphIndex } from './patterns.js';

const UNARY = new Set(['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Clip', 'Neg', 'Abs', 'Exp', 'Sqrt', 'Erf', 'Gelu', 'Softplus', 'Elu', 'Selu']);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div']);

const eq = (a: readonly number[] | undefined, b: readonly number[]) => !!a && a.length === b.length && a.every((d, i) => d === b[i]);
const toLastPerm = (r: number) => [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1];
const toFirstPerm = (r: number) => [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)];

/** The single reader of `tensor` when it is private (one use, not a graph output). */
function soleReader(ix: GraphIndex, tensor: string): Node | undefined {
  const uses = ix.uses.get(tensor) ?? [];
  return uses.length === 1 && !ix.outputs.has(tensor) ? uses[0]!.node : undefined;
}

/** A float constant as f32 values, or undefined. */
function f32Constant(ix: GraphIndex, name: string): { tensor: Tensor; values: Float32Array } | undefined {
  const t = name === '' ? undefined : ix.graph.initializers.get(name);
  if (!t || (t.dtype !== 'f32' && t.dtype !== 'f16')) return undefined;
  return { tensor: t, values: t.data instanceof Float32Array ? t.data : Float32Array.from(tensorToNumbers(t)) };
}

/** Size of a constant that varies only along the last axis of a rank-`rank` channels-last value (or is one element). */
function perChannel(ix: GraphIndex, name: string, rank: number): number | undefined {
  const t = f32Constant(ix, name)?.tensor;
  if (!t || t.shape.length > rank) return undefined;
  const size = sizeOf(t.shape);
  return t.shape.slice(0, -1).every((d) => d === 1) ? size : undefined;
}

interface Island {
  nodes: Node[];
  /** New nodes in NCHW, in order; the last one's output is renamed to the closing Transpose's output. */
  rewritten: Node[];
  inits: [string, Tensor][];
  close: Node;
}

function matchIsland(ix: GraphIndex, open: Node, names: NameGenerator): Island | undefined {
  const xShape = ix.shapes.get(open.inputs[0]!);
  if (open.op !== 'Transpose' || !xShape || xShape.length < 3 || xShape.some((d) => d < 0)) return undefined;
  const r = xShape.length;
  if (!eq(attrInts(open, 'perm', []), toLastPerm(r))) return undefined;
  const spatial = xShape.slice(2);
  const positions = xShape[0]! * sizeOf(spatial);
  const nodes: Node[] = [open];
  const rewritten: Node[] = [];
  const inits: [string, Tensor][] = [];
  let cur = open.inputs[0]!; // the NCHW value that equals the channels-last value `v`, permuted
  let v = open.outputs[0]!;
  let channels = xShape[1]!;
  let flat = false; // v is the [positions, C] view
  const emit = (op: string, inputs: string[], attrs: Node['attrs'], from: Node): void => {
    const out = names.fresh(`${from.name}_nchw`);
    rewritten.push({ name: names.fresh(`${from.name}_nchw`), op, inputs: [cur, ...inputs], outputs: [out], attrs });
    cur = out;
  };
  const constant = (values: Float32Array, shape: number[], from: Node): string => {
    const name = names.fresh(`${from.name}_nchw_const`);
    inits.push([name, { dtype: 'f32', shape, data: values }]);
    return name;
  };
  for (;;) {
    const n = soleReader(ix, v);
    if (!n || n.outputs.length !== 1 || n.inputs[0] !== v) {
      // binary ops may read v as their second operand
      if (!n || !BINARY.has(n.op) || n.inputs[1] !== v) return undefined;
    }
    nodes.push(n);
    const outShape = ix.shapes.get(n.outputs[0]!);
    if (n.op === 'Transpose' && !flat) {
      if (!eq(attrInts(n, 'perm', []), toFirstPerm(r))) return undefined;
      return { nodes, rewritten, inits, close: n };
    } else if (n.op === 'LayerNormalization' && !flat) {
      const axis = attrInt(n, 'axis', -1);
      if (axis !== -1 && axis !== r - 1) return undefined;
      for (const p of n.inputs.slice(1)) if (p !== '' && !f32Constant(ix, p)) return undefined;
      emit('ChannelLayerNorm', n.inputs.slice(1).filter((p, i) => i === 0 || p !== ''), { epsilon: attrFloat(n, 'epsilon', 1e-5) }, n);
    } else if (n.op === 'Reshape' && !flat) {
      if (!eq(outShape, [positions, channels])) return undefined;
      flat = true;
    } else if (n.op === 'Reshape' && flat) {
      if (!eq(outShape, [xShape[0]!, ...spatial, channels])) return undefined;
      flat = false;
    } else if (n.op === 'Gemm' && flat) {
      if (attrInt(n, 'transA', 0) !== 0) return undefined;
      const b = f32Constant(ix, n.inputs[1]!);
      if (!b || b.tensor.shape.length !== 2) return undefined;
      const transB = attrInt(n, 'transB', 0) !== 0;
      const [k, out] = transB ? [b.tensor.shape[1]!, b.tensor.shape[0]!] : [b.tensor.shape[0]!, b.tensor.shape[1]!];
      if (k !== channels) return undefined;
      const alpha = attrFloat(n, 'alpha', 1);
      const w = new Float32Array(out * k);
      for (let o = 0; o < out; o++) for (let i = 0; i < k; i++) w[o * k + i] = alpha * b.values[transB ? o * k + i : i * out + o]!;
      const inputs = [constant(w, [out, k, 1, 1], n)];
      if ((n.inputs[2] ?? '') !== '') {
        const c = f32Constant(ix, n.inputs[2]!);
        const size = c && perChannel(ix, n.inputs[2]!, 2);
        if (!c || (size !== out && size !== 1)) return undefined;
        const beta = attrFloat(n, 'beta', 1);
        inputs.push(constant(Float32Array.from({ length: out }, (_, o) => beta * c.values[size === 1 ? 0 : o]!), [out], n));
      }
      emit('Conv', inputs, { kernel_shape: spatial.map(() => 1), strides: spatial.map(() => 1), pads: [...spatial, ...spatial].map(() => 0), dilations: spatial.map(() => 1), group: 1 }, n);
      channels = out;
    } else if (UNARY.has(n.op) && n.inputs.length === 1) {
      emit(n.op, [], { ...n.attrs }, n);
    } else if (BINARY.has(n.op) && n.inputs.length === 2) {
      const slot = n.inputs[0] === v ? 1 : 0;
      const other = n.inputs[slot]!;
      const size = perChannel(ix, other, flat ? 2 : r);
      if (size !== channels && size !== 1) return undefined;
      if (!eq(outShape, ix.shapes.get(v)!)) return undefined; // the constant must not broadcast v up
      const c = constant(f32Constant(ix, other)!.values.slice(), size === 1 ? [1] : [channels, ...spatial.map(() => 1)], n);
      const out = names.fresh(`${n.name}_nchw`);
      rewritten.push({ name: names.fresh(`${n.name}_nchw`), op: n.op, inputs: slot === 1 ? [cur, c] : [c, cur], outputs: [out], attrs: {} });
      cur = out;
    } else {
      return undefined;
    }
    v = n.outputs[0]!;
  }
}

export function channelsLastToNchw(input: Graph): Graph {
  const graph = cloneGraph(input);
  const ix = indexGraph(graph);
  const names = new NameGenerator(graph);
  const dead = new Set<Node>();
  const placed = new Map<Node, Node[]>();
  for (const node of graph.nodes) {
    if (node.op !== 'Transpose' || dead.has(node)) continue;
    const island = matchIsland(ix, node, names);
    if (!island || island.nodes.some((n) => dead.has(n))) continue;
    for (const n of island.nodes) dead.add(n);
    for (const [name, t] of island.inits) graph.initializers.set(name, t);
    const out = island.close.outputs[0]!;
    if (island.rewritten.length === 0) {
      // Transpose then its inverse: an Identity (removeIdentity / the memory plan alias it)
      placed.set(island.close, [{ name: names.fresh(`${island.close.name}_identity`), op: 'Identity', inputs: [node.inputs[0]!], outputs: [out], attrs: {} }]);
      continue;
    }
    island.rewritten[island.rewritten.length - 1]!.outputs = [out];
    // at the closing Transpose's position: every input (x, constants) exists there
    placed.set(island.close, island.rewritten);
  }
  replaceMatches(graph, dead, placed);
  return graph;
}

