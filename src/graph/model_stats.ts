/**
 * Per-layer figures for `inspect`, `convert` and the demo's model facts: graphStats, with the binary layers counted like the float layers
 * they replace. graphStats counts a binary weight tensor by its padded bit layout ([M, KH, KW, 32·ceil(C/32)]) and
 * knows no MAC rule for the binary ops; here a binary layer counts its M·C·KH·KW logical weights and one
 * multiply-accumulate (an XNOR-popcount term) per weight and output pixel, so a model's totals do not change
 * when `binarize` rewrites it.
 */
import type { Graph, ValueInfo } from './ir.js';
import { binarySummary, type BinarySummary } from './passes/binarize.js';
import { graphStats, type GraphStats } from './stats.js';

export interface ModelStats extends GraphStats {
  binary: BinarySummary;
}

export function modelStats(graph: Graph, shapes: Map<string, ValueInfo>): ModelStats {
  const stats = graphStats(graph, shapes);
  const binary = binarySummary(graph);
  if (binary.layers.length === 0) return { ...stats, binary };
  const layers = new Map(binary.layers.map((l) => [l.node, l]));
  const nodes = new Map(graph.nodes.map((n) => [n.name, n]));
  const rows = stats.rows.map((row) => {
    const layer = layers.get(row.node);
    const node = nodes.get(row.node);
    if (!layer || !node) return row;
    const packed = graph.initializers.get(node.inputs[1] ?? '');
    const logical = layer.weightShape.reduce((a, b) => a * b, 1);
    // graphStats added the packed tensor's element count at this row only if this row was its first reader.
    const counted = packed !== undefined && firstReader(graph, node.inputs[1]!) === node.name;
    const params = counted ? row.params - countOf(packed!.shape) + logical : row.params;
    // Per output element: one term per weight of its output channel (C·KH·KW, or K for a Gemm).
    const perOutput = logical / layer.weightShape[0]!;
    const outElems = countOf(row.outputShape.map((d) => (d < 0 ? 1 : d)));
    return { ...row, params, macs: outElems * perOutput };
  });
  const totals = rows.reduce((acc, r) => ({ params: acc.params + r.params, macs: acc.macs + r.macs }), { params: 0, macs: 0 });
  return { rows, totals, binary };
}

const countOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function firstReader(graph: Graph, tensor: string): string | undefined {
  return graph.nodes.find((n) => n.inputs.includes(tensor))?.name;
}
