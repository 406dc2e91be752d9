/**
 * Per-node cost figures for `tessera inspect`.
 *
 * - params: elements of the initializers a node reads. Each initializer is counted once, at its first consumer,
 *   so totals equal the model's weight count even when weights are shared.
 * - macs: multiply-accumulates of the matrix-like ops only:
 *     Conv      N * Cout * prod(spatialOut) * (Cin / group) * prod(kernel)   (bias not counted)
 *     Gemm      M * N * K                                                     (alpha/beta/C not counted)
 *     MatMul    prod(batch dims of the output) * M * N * K
 *   Every other op (BN, activations, pooling, data movement) reports 0: they are memory-bound and foldable or
 *   negligible next to the convolutions. FusedConv / FusedGemm count as Conv / Gemm. Passes can add entries to
 *   `macRules` for their own ops.
 * - Unknown dims (-1, dynamic batch) count as 1, i.e. figures are per sample unless the caller pins the batch
 *   through `inferShapes(graph, { input: [n, ...] })`.
 */
import { sizeOf, type Graph, type Node, type Shape, type ValueInfo } from './ir.js';

export interface NodeStats {
  node: string;
  op: string;
  outputShape: number[];
  params: number;
  macs: number;
}

export interface GraphStats {
  rows: NodeStats[];
  totals: { params: number; macs: number };
}

type ShapeOf = (name: string) => Shape | undefined;
export type MacRule = (node: Node, shapeOf: ShapeOf) => number;

const known = (shape: Shape): number[] => shape.map((d) => (d < 0 ? 1 : d));

export const macRules: Record<string, MacRule> = {
  Conv(node, shapeOf) {
    const w = shapeOf(node.inputs[1]!);
    const y = shapeOf(node.outputs[0]!);
    if (!w || !y) return 0;
    const [n, cout, ...spatial] = known(y);
    const [, cinPerGroup, ...kernel] = known(w);
    return n! * cout! * sizeOf(spatial) * cinPerGroup! * sizeOf(kernel);
  },
  Gemm(node, shapeOf) {
    const a = shapeOf(node.inputs[0]!);
    const y = shapeOf(node.outputs[0]!);
    if (!a || !y || a.length !== 2) return 0;
    const k = (node.attrs['transA'] ?? 0) !== 0 ? a[0]! : a[1]!;
    return sizeOf(known(y)) * Math.max(k, 1);
  },
  MatMul(node, shapeOf) {
    const a = shapeOf(node.inputs[0]!);
    const y = shapeOf(node.outputs[0]!);
    if (!a || !y || a.length === 0) return 0;
    // Every output element is a dot product of length K.
    return sizeOf(known(y)) * Math.max(a[a.length - 1]!, 1);
  },
};

// Fused ops (src/graph/ops/fused.ts) cost what their base op costs; the epilogue is elementwise.
macRules['FusedConv'] = macRules['Conv']!;
macRules['FusedGemm'] = macRules['Gemm']!;
// ConvTranspose: every input pixel meets every tap once (W is [C_in, C_out/group, k...]); taps cropped off by pads
// still count, as in onnxruntime's and PyTorch's MAC counts.
macRules['ConvTranspose'] = (node, shapeOf) => {
  const x = shapeOf(node.inputs[0]!);
  const w = shapeOf(node.inputs[1]!);
  if (!x || !w) return 0;
  const [n, cin, ...spatial] = known(x);
  const [, coutPerGroup, ...kernel] = known(w);
  return n! * cin! * sizeOf(spatial) * coutPerGroup! * sizeOf(kernel);
};
macRules['FusedConvTranspose'] = macRules['ConvTranspose']!;

export function graphStats(graph: Graph, shapes: Map<string, ValueInfo>): GraphStats {
  const shapeOf: ShapeOf = (name) => shapes.get(name)?.shape ?? graph.initializers.get(name)?.shape;
  const counted = new Set<string>();
  const rows: NodeStats[] = graph.nodes.map((node) => {
    let params = 0;
    for (const name of node.inputs) {
      const t = graph.initializers.get(name);
      if (!t || counted.has(name)) continue;
      counted.add(name);
      params += sizeOf(t.shape);
    }
    const rule = Object.hasOwn(macRules, node.op) ? macRules[node.op] : undefined;
    const out = node.outputs[0] ? shapeOf(node.outputs[0]) : undefined;
    return { node: node.name, op: node.op, outputShape: out ? [...out] : [], params, macs: rule ? rule(node, shapeOf) : 0 };
  });
  const totals = rows.reduce((acc, r) => ({ params: acc.params + r.params, macs: acc.macs + r.macs }), { params: 0, macs: 0 });
  return { rows, totals };
}
