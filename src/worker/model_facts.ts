/** What a page shows about a model: size and cost figures computed from the graph (per image, batch 1). */
import { inferShapes } from '../graph/infer.js';
import { GraphError, sizeOf, type Graph, type ValueInfo } from '../graph/ir.js';
import { modelStats } from '../graph/model_stats.js';

export interface ModelFacts {
  name: string | undefined;
  params: number;
  /**
   * Multiply-accumulates per image (convolutions and matrix products), or null when they depend on an input size the
   * graph leaves symbolic (free height/width): the host passes the graph at the session's known shapes when it has them.
   */
  macs: number | null;
  nodes: number;
  /** Op type → node count. */
  ops: Record<string, number>;
  /** Layers computing on ±1 (bit-packed) weights: Tessera's binary ops or any node reading a 'binary' tensor. */
  binaryLayers: number;
  /** Bytes of the weights as held in memory (f32 after loading; binary packed). */
  weightBytes: number;
}

function concreteInputShapes(graph: Graph): Record<string, number[]> {
  const r: Record<string, number[]> = {};
  for (const i of graph.inputs) if (!graph.initializers.has(i.name)) r[i.name] = i.shape.map((d) => (d < 0 ? 1 : d));
  return r;
}

/** Shapes at batch 1 (free batch dims as 1), or undefined when a free height/width leaves them unknowable. */
function shapesAtBatch1(graph: Graph): Map<string, ValueInfo> | undefined {
  try {
    return inferShapes(graph, concreteInputShapes(graph));
  } catch (e) {
    // Free dims as 1 is only right for the batch: a symbolic image size set to 1 may not even run (a 3x3 stem).
    if (e instanceof GraphError) return undefined;
    throw e;
  }
}

export function modelFacts(graph: Graph): ModelFacts {
  // modelStats counts a binary layer like the float layer it replaces (logical weights, one MAC per XNOR term).
  const shapes = shapesAtBatch1(graph);
  // Without shapes: parameters are the initializers' logical element counts (a packed binary tensor keeps its
  // logical shape), MACs unknown.
  const stats = shapes
    ? modelStats(graph, shapes).totals
    : { params: [...graph.initializers.values()].reduce((s, t) => s + sizeOf(t.shape), 0), macs: null };
  const ops: Record<string, number> = {};
  for (const n of graph.nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
  const binaryTensors = new Set([...graph.initializers].filter(([, t]) => t.dtype === 'binary').map(([name]) => name));
  const binaryLayers = graph.nodes.filter((n) => /^(Binary|Xnor)/i.test(n.op) || n.inputs.some((i) => binaryTensors.has(i))).length;
  let weightBytes = 0;
  for (const t of graph.initializers.values()) weightBytes += t.data.byteLength;
  return { name: graph.metadata.name, params: stats.params, macs: stats.macs, nodes: graph.nodes.length, ops, binaryLayers, weightBytes };
}
