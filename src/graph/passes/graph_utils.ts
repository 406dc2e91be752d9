/**
 * Helpers shared by the optimisation passes: copying a graph without touching the input, use/def maps,
 * fresh names, and reading constants as float64 so weight rewrites keep full precision until the final f32 store.
 */
import { tensorToNumbers, type Graph, type Node, type Tensor } from '../ir.js';

/**
 * A copy that passes may edit freely: new node objects (with copied input/output arrays and attrs), a new
 * initializer map and new input/output lists. Tensors themselves are shared; passes never write into tensor data,
 * they create new initializers instead.
 */
export function cloneGraph(graph: Graph): Graph {
  return {
    inputs: graph.inputs.map((v) => ({ ...v, shape: [...v.shape] })),
    outputs: graph.outputs.map((v) => ({ ...v, shape: [...v.shape] })),
    nodes: graph.nodes.map(cloneNode),
    initializers: new Map(graph.initializers),
    metadata: { ...graph.metadata },
  };
}

export function cloneNode(node: Node): Node {
  return { name: node.name, op: node.op, inputs: [...node.inputs], outputs: [...node.outputs], attrs: { ...node.attrs } };
}

/** One use of a tensor: the consuming node and the input slot. */
export interface Use {
  node: Node;
  index: number;
}

/** Every use of every tensor (empty names skipped). */
export function usesOf(graph: Graph): Map<string, Use[]> {
  const uses = new Map<string, Use[]>();
  for (const node of graph.nodes) {
    node.inputs.forEach((name, index) => {
      if (name === '') return;
      let list = uses.get(name);
      if (!list) uses.set(name, (list = []));
      list.push({ node, index });
    });
  }
  return uses;
}

/** The node producing each tensor. */
export function producersOf(graph: Graph): Map<string, Node> {
  const producers = new Map<string, Node>();
  for (const node of graph.nodes) for (const out of node.outputs) if (out !== '') producers.set(out, node);
  return producers;
}

export function graphOutputNames(graph: Graph): Set<string> {
  return new Set(graph.outputs.map((o) => o.name));
}

/**
 * True when `tensor` feeds exactly one node input and is not a graph output, i.e. a pass may absorb the consumer
 * into the producer without anybody else observing the intermediate value.
 */
export function hasSingleUse(tensor: string, uses: Map<string, Use[]>, outputs: Set<string>): boolean {
  return !outputs.has(tensor) && (uses.get(tensor)?.length ?? 0) === 1;
}

/** Replace every use of `from` by `to` (graph outputs are not touched). */
export function replaceUses(graph: Graph, from: string, to: string): void {
  for (const node of graph.nodes) {
    for (let i = 0; i < node.inputs.length; i++) if (node.inputs[i] === from) node.inputs[i] = to;
  }
}

/** Generates names not yet used by any tensor or node of the graph. */
export class NameGenerator {
  private readonly used = new Set<string>();
  constructor(graph: Graph) {
    for (const v of graph.inputs) this.used.add(v.name);
    for (const v of graph.outputs) this.used.add(v.name);
    for (const name of graph.initializers.keys()) this.used.add(name);
    for (const node of graph.nodes) {
      this.used.add(node.name);
      for (const t of [...node.inputs, ...node.outputs]) this.used.add(t);
    }
  }
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

/** Float constants read as float64, or undefined when the tensor is not a float initializer. */
export function floatConstant(graph: Graph, name: string): { tensor: Tensor; values: Float64Array } | undefined {
  if (name === '') return undefined;
  const tensor = graph.initializers.get(name);
  if (!tensor || (tensor.dtype !== 'f32' && tensor.dtype !== 'f16')) return undefined;
  // f32: one typed-array conversion (no intermediate number[]: weights run to tens of millions of values)
  if (tensor.dtype === 'f32') return { tensor, values: new Float64Array(tensor.data as Float32Array) };
  return { tensor, values: Float64Array.from(tensorToNumbers(tensor)) };
}

/** Store float64 values as an f32 tensor. */
export function f32From(shape: readonly number[], values: ArrayLike<number>): Tensor {
  // a typed array converts in one step (Float32Array.from goes through the iterator protocol)
  const data = ArrayBuffer.isView(values) ? new Float32Array(values as Float64Array) : Float32Array.from(values);
  return { dtype: 'f32', shape: [...shape], data };
}

/**
 * The per-channel vector of a constant that broadcasts against an activation of rank `outRank` along
 * `channelAxis` only (scalars and all-ones shapes count as uniform). Returns `channels` float64 values,
 * or undefined when the constant varies along another axis or would widen the activation's rank.
 */
export function perChannelValues(
  constant: { tensor: Tensor; values: Float64Array },
  outRank: number,
  channelAxis: number,
  channels: number,
): Float64Array | undefined {
  const shape = constant.tensor.shape;
  if (shape.length > outRank) return undefined;
  const padded = [...new Array<number>(outRank - shape.length).fill(1), ...shape];
  for (let axis = 0; axis < outRank; axis++) {
    const d = padded[axis]!;
    if (d === 1) continue;
    if (axis !== channelAxis || d !== channels) return undefined;
  }
  const out = new Float64Array(channels);
  const varies = padded[channelAxis] === channels && channels !== 1;
  for (let c = 0; c < channels; c++) out[c] = constant.values[varies ? c : 0]!;
  return out;
}

/** Remove a set of nodes (by identity), keeping the order of the others. */
export function withoutNodes(graph: Graph, dead: Set<Node>): void {
  graph.nodes = graph.nodes.filter((n) => !dead.has(n));
}

/**
 * Apply the matches of a pattern pass: each node of `placed` is replaced by its new node(s), at its position (the
 * last node of its match, where every input of the replacement exists); the other `dead` nodes are removed.
 */
export function replaceMatches(graph: Graph, dead: Set<Node>, placed: Map<Node, Node | Node[]>): void {
  graph.nodes = graph.nodes.flatMap((n) => placed.get(n) ?? (dead.has(n) ? [] : [n]));
}
