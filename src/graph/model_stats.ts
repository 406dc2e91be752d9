/**
 * Per-layer figures for `inspect`, `convert` and the demo's model facts: graphStats, with the binary layers counted like the float layers
 * they replace. graphStats counts a binary weight tensor by its padded bit layout ([M, KH, KW, 32·ceil(C/32)]) and
 * knows no MAC rule for the binary ops; here a binary layer counts its M·C·KH·KW logical weights and one
 * multiply-accumulate (an XNOR-popcount term) per weight and output pixel, so a model's totals do not change
 * when `binarize` rewrites it.
 */
import type { Graph, Node, ValueInfo } from './ir.js';
import { binaryConvInput, binaryConvParams } from './ops/binary.js';
import { convOutputSpatial } from './ops/conv.js';
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
    const outElems = convOutputElements(node, shapes) ?? countOf(row.outputShape.map((d) => (d < 0 ? 1 : d)));
    return { ...row, params, macs: outElems * perOutput };
  });
  const totals = rows.reduce((acc, r) => ({ params: acc.params + r.params, macs: acc.macs + r.macs }), { params: 0, macs: 0 });
  return { rows, totals, binary };
}

const countOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Output elements of a binary conv BEFORE any fused pooling (BinaryConvBits writes the pooled, bit-packed map, whose
 * shape [N, OH, OW, M32] says neither the conv's pixel count nor its channel count); undefined for Gemms.
 */
function convOutputElements(node: Node, shapes: Map<string, ValueInfo>): number | undefined {
  if (node.op === 'BinaryGemm') return undefined;
  const x = shapes.get(node.inputs[0] ?? '');
  const w = shapes.get(node.inputs[1] ?? '');
  if (!x || !w) return undefined;
  const { nchw } = binaryConvInput(node, x);
  const spatial = convOutputSpatial(nchw, binaryConvParams(node));
  return countOf([Math.max(1, nchw[0]!), w.shape[0]!, ...spatial]);
}

function firstReader(graph: Graph, tensor: string): string | undefined {
  return graph.nodes.find((n) => n.inputs.includes(tensor))?.name;
}
