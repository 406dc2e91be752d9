/**
 * Pass: `Add(Resize(x), y)` (either operand order) becomes one `FusedResize` node (src/graph/ops/resize.ts): the
 * Resize's inputs and attributes plus y as the last input, y = resize(x) + y in one dispatch. The FPN top-down step
 * (a coarse feature upsampled, nearest ×2 or bilinear to the lateral's size, added to the lateral).
 *
 * Taken: a Resize with one output that is not a graph output and has exactly one reader, a two-input Add whose
 * other operand is a non-constant activation with exactly the Add's output shape (no broadcasting; shapes from
 * inferShapes, and nothing is fused when they cannot be inferred) and is not the Resize's own output. Any
 * Resize geometry: the residual is added at the shader's store, fast path or generic. The resize value is rounded
 * to f32 and then summed in f32 (CPU reference and shader), so the result is bit-identical to Resize then Add.
 * The fused node takes the Add's place (y may be produced between the Resize and the Add) and output name.
 */
import type { Graph, Node, ValueInfo } from '../ir.js';
import { inferShapes } from '../infer.js';
import { cloneGraph, graphOutputNames, hasSingleUse, producersOf, usesOf } from './graph_utils.js';

const sameShape = (a: ValueInfo | undefined, b: ValueInfo | undefined): boolean =>
  !!a && !!b && a.shape.length === b.shape.length && a.shape.every((d, i) => d >= 0 && d === b.shape[i]);

export function fuseResizeAdd(input: Graph): Graph {
  if (!input.nodes.some((n) => n.op === 'Resize')) return input;
  let shapes: Map<string, ValueInfo>;
  try {
    shapes = inferShapes(input);
  } catch {
    return input;
  }
  const graph = cloneGraph(input);
  const uses = usesOf(graph);
  const producers = producersOf(graph);
  const outputs = graphOutputNames(graph);
  const absorbed = new Set<Node>();
  for (const add of graph.nodes) {
    if (add.op !== 'Add' || add.inputs.length !== 2 || add.outputs.length !== 1 || add.outputs[0] === '') continue;
    for (const k of [0, 1]) {
      const r = add.inputs[k]!;
      const other = add.inputs[1 - k]!;
      const resize = producers.get(r);
      if (!resize || resize.op !== 'Resize' || absorbed.has(resize) || resize.outputs.length !== 1) continue;
      if (!hasSingleUse(r, uses, outputs) || other === '' || other === r || graph.initializers.has(other)) continue;
      const out = shapes.get(add.outputs[0]!);
      if (!sameShape(shapes.get(other), out) || !sameShape(shapes.get(r), out)) continue;
      const rs = shapes.get(r)!;
      if (rs.dtype !== 'f32' || shapes.get(other)!.dtype !== 'f32') continue;
      add.op = 'FusedResize';
      add.attrs = { ...resize.attrs };
      add.inputs = [...resize.inputs, other];
      add.name = resize.name;
      absorbed.add(resize);
      break;
    }
  }
  if (absorbed.size === 0) return input;
  graph.nodes = graph.nodes.filter((n) => !absorbed.has(n));
  return graph;
}
