/**
 * Pass: a Slice read only by another Slice over other axes becomes one Slice.
 *
 * PyTorch exports `x[:, :, ::2, ::2]` as one Slice per axis; on WebGPU each is a strided-copy dispatch (and on real
 * GPUs a dispatch costs tens of µs whatever its size). CIFAR ResNets' option-A shortcut (`F.pad(x[:, :, ::2, ::2],
 * ...)`) has two per downsampling block. Slices over disjoint axes commute and neither changes the extent of the
 * other's axes, so their starts / ends (negative ones included) keep their meaning: the merged Slice selects the
 * same elements in the same order, bit for bit on every backend. Only constant-attribute Slices (one input) merge.
 */
import type { Graph, Node } from '../ir.js';
import { cloneGraph } from './graph_utils.js';
import { indexGraph, privateProducer } from './patterns.js';

interface SliceParts {
  starts: number[];
  ends: number[];
  axes: number[];
  steps: number[];
}

const ints = (v: unknown): number[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)) ? (v as number[]) : undefined);

/** The Slice's attributes with axes made non-negative, or undefined when they are not a well-formed constant list. */
function sliceParts(node: Node, rank: number): SliceParts | undefined {
  if (node.inputs.length !== 1) return undefined; // starts / ends given as runtime inputs
  const starts = ints(node.attrs['starts']);
  const ends = ints(node.attrs['ends']);
  if (!starts || !ends || ends.length !== starts.length) return undefined;
  const axes = ints(node.attrs['axes'] ?? starts.map((_, i) => i));
  const steps = ints(node.attrs['steps'] ?? starts.map(() => 1));
  if (!axes || !steps || axes.length !== starts.length || steps.length !== starts.length) return undefined;
  const norm = axes.map((a) => (a < 0 ? a + rank : a));
  if (norm.some((a) => a < 0 || a >= rank) || new Set(norm).size !== norm.length) return undefined; // the op reports it
  return { starts, ends, axes: norm, steps };
}

export function mergeSlices(input: Graph): Graph {
  if (input.nodes.filter((n) => n.op === 'Slice').length < 2) return input;
  const graph = cloneGraph(input);
  const ix = indexGraph(graph);
  const merged = new Set<Node>();
  for (const outer of graph.nodes) {
    if (outer.op !== 'Slice') continue;
    const inner = privateProducer(ix, outer.inputs[0] ?? '', 'Slice');
    const rank = ix.shapes.get(outer.inputs[0] ?? '')?.length;
    if (!inner || rank === undefined || merged.has(inner)) continue;
    const a = sliceParts(inner, rank);
    const b = sliceParts(outer, rank);
    if (!a || !b || a.axes.some((ax) => b.axes.includes(ax))) continue;
    // In place: a third Slice reading `outer` then merges with the combined one (nodes are in topological order).
    outer.inputs = [inner.inputs[0]!];
    outer.attrs = { ...outer.attrs, starts: [...a.starts, ...b.starts], ends: [...a.ends, ...b.ends], axes: [...a.axes, ...b.axes], steps: [...a.steps, ...b.steps] };
    merged.add(inner);
  }
  if (!merged.size) return input;
  graph.nodes = graph.nodes.filter((n) => !merged.has(n));
  return graph;
}
