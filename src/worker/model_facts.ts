/** What a page shows about a model: size and cost figures computed from the graph (per image, batch 1). */
import { inferShapes } from '../graph/infer.js';
import type { Graph } from '../graph/ir.js';
import { modelStats } from '../graph/model_stats.js';

export interface ModelFacts {
  name: string | undefined;
  params: number;
  /** Multiply-accumulates per image (convolutions and matrix products). */
  macs: number;
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

export function modelFacts(graph: Graph): ModelFacts {
  // modelStats counts a binary layer like the float layer it replaces (logical weights, one MAC per XNOR term).
  const stats = modelStats(graph, inferShapes(graph, concreteInputShapes(graph)));
  const ops: Record<string, number> = {};
  for (const n of graph.nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
  const binaryTensors = new Set([...graph.initializers].filter(([, t]) => t.dtype === 'binary').map(([name]) => name));
  const binaryLayers = graph.nodes.filter((n) => /^(Binary|Xnor)/i.test(n.op) || n.inputs.some((i) => binaryTensors.has(i))).length;
  let weightBytes = 0;
  for (const t of graph.initializers.values()) weightBytes += t.data.byteLength;
  return { name: graph.metadata.name, params: stats.totals.params, macs: stats.totals.macs, nodes: graph.nodes.length, ops, binaryLayers, weightBytes };
}
