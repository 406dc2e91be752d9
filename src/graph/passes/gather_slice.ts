/**
 * Pass: Gather of ONE constant index becomes a Slice (plus a Reshape that drops the axis for a scalar index).
 *
 * Transformers pick q, k and v out of one qkv tensor with Gather(qkv, 0 / 1 / 2) (Swin, 36 per model) and ViT its class
 * token with Gather(x, 0, axis 1). A Gather is a copy on every backend; a Slice whose block is contiguous is a view
 * of its input in the memory plan (no dispatch at all), and a Reshape is always an alias. Same values bit for bit.
 * Needs the input shape (to make a negative index positive and to write the Reshape's target).
 */
import { sizeOf, tensorToNumbers, type Graph, type Node } from '../ir.js';
import { NameGenerator, cloneGraph } from './graph_utils.js';
import { indexGraph } from './patterns.js';

export function gatherToSlice(input: Graph): Graph {
  if (!input.nodes.some((n) => n.op === 'Gather')) return input;
  const graph = cloneGraph(input);
  const ix = indexGraph(graph);
  const names = new NameGenerator(graph);
  graph.nodes = graph.nodes.flatMap((node): Node[] => {
    if (node.op !== 'Gather' || node.inputs.length !== 2) return [node];
    const [x, idx] = node.inputs as [string, string];
    const t = graph.initializers.get(idx);
    const xShape = ix.shapes.get(x);
    const outShape = ix.shapes.get(node.outputs[0]!);
    if (!t || sizeOf(t.shape) !== 1 || t.shape.length > 1 || !xShape || !outShape || outShape.some((d) => d < 0)) return [node];
    const rank = xShape.length;
    const axisAttr = Number(node.attrs['axis'] ?? 0);
    const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
    const dim = xShape[axis];
    if (dim === undefined || dim < 0) return [node];
    let i = Number(tensorToNumbers(t)[0]);
    if (i < 0) i += dim;
    if (!Number.isInteger(i) || i < 0 || i >= dim) return [node]; // out of range: the Gather reports it
    const slice: Node = { name: names.fresh(`${node.name}_slice`), op: 'Slice', inputs: [x], outputs: [node.outputs[0]!], attrs: { starts: [i], ends: [i + 1], axes: [axis], steps: [1] } };
    if (t.shape.length === 1) return [slice]; // indices [1]: the axis stays, size 1
    const sliced = names.fresh(`${node.outputs[0]}_slice`);
    slice.outputs = [sliced];
    return [slice, { name: names.fresh(`${node.name}_squeeze`), op: 'Reshape', inputs: [sliced], outputs: [node.outputs[0]!], attrs: { shape: [...outShape] } }];
  });
  return graph;
}
