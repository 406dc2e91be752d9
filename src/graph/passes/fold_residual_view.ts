/**
 * Pass foldResidualViews: a FusedConv (or ChannelScale: SE-ResNets add the shortcut in the SE gate) whose residual R
 * is `Pad(Slice(x))` (constant 0 padding, constant Slice attributes; either one alone also) reads x through a residual
 * view instead (src/graph/ops/residual_view.ts), and the Slice and Pad go. CIFAR ResNets' option-A shortcut
 * `F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, C/2, C/2))`, which mergeSlices made one Slice, was two dispatches per
 * downsampling block on WebGPU besides the conv; now it is the conv's residual read. Bit-identical on the CPU reference (the view gathers the same values, 0 where Pad put 0).
 *
 * Taken only when: the Pad / Slice output is private to the chain (one reader, not a graph output); Pad has mode
 * 'constant', value 0, pads >= 0, no runtime inputs; Slice has constant attributes (one input) and x's extent is
 * known on every sliced axis; the node has no view yet. Runs after fuseEpilogue and fuseChannelScale (which make the
 * Add a residual).
 *
 * expandResidualViews is the inverse, for backends whose kernels read a residual only at the output's own index
 * (the WASM conv kernels): each view becomes Slice → Pad again (the graph before this pass, up to names).
 */
import { attrFloat, attrString, GraphError, type Graph, type Node, type Shape } from '../ir.js';
import { inferShapes } from '../infer.js';
import { normalizeSlice } from '../ops/shape_ops.js';
import { hasResidualView, readResidualView, RESIDUAL_VIEW_ATTRS, residualSlot } from '../ops/residual_view.js';
import { cloneGraph, NameGenerator } from './graph_utils.js';
import { indexGraph, privateProducer, type GraphIndex } from './patterns.js';

/** Pad's begins / ends when it is a constant-0 pad of non-negative amounts with attribute pads only. */
function zeroPads(pad: Node, rank: number): number[] | undefined {
  if (pad.inputs.length !== 1 || pad.attrs['axes'] !== undefined) return undefined;
  if (attrString(pad, 'mode', 'constant') !== 'constant' || attrFloat(pad, 'value', 0) !== 0) return undefined;
  const pads = pad.attrs['pads'];
  if (!Array.isArray(pads) || pads.length !== 2 * rank || !pads.every((p) => typeof p === 'number' && Number.isSafeInteger(p) && p >= 0)) return undefined;
  return pads as number[];
}

/** A constant Slice of a tensor of known `shape` on its sliced axes: per axis its first index and step (clamped bounds). */
function sliceWindow(ix: GraphIndex, slice: Node): { starts: number[]; steps: number[]; shape: Shape } | undefined {
  const shape = ix.shapes.get(slice.inputs[0] ?? '');
  if (slice.inputs.length !== 1 || !shape) return undefined;
  let s;
  try {
    s = normalizeSlice(shape, slice.attrs);
  } catch {
    return undefined; // the op's own shape rule reports it
  }
  // A sliced axis of unknown extent keeps its raw bounds (not resolvable here); an empty slice gains nothing.
  const sliced = (i: number) => s.starts[i] !== 0 || s.steps[i] !== 1 || s.ends[i] !== shape[i];
  if (s.shape.some((d, i) => d === 0 || (shape[i]! < 0 && sliced(i)))) return undefined;
  return { starts: s.starts, steps: s.steps, shape: s.shape };
}

/** Nodes whose kernels read a residual through a view. */
const VIEW_READERS: ReadonlySet<string> = new Set(['FusedConv', 'ChannelScale']);

const residualOf = (n: Node): string => (VIEW_READERS.has(n.op) ? (n.inputs[residualSlot(n)] ?? '') : '');

export function foldResidualViews(input: Graph): Graph {
  if (!input.nodes.some((n) => residualOf(n) !== '') || !input.nodes.some((n) => n.op === 'Pad' || n.op === 'Slice')) return input;
  const graph = cloneGraph(input);
  const ix = indexGraph(graph);
  const dead = new Set<Node>();
  for (const node of graph.nodes) {
    const r = residualOf(node);
    if (r === '' || hasResidualView(node)) continue;
    const rank = ix.shapes.get(r)?.length;
    if (rank === undefined) continue;
    let x = r;
    const pad = privateProducer(ix, x, 'Pad');
    const pads = pad && zeroPads(pad, rank);
    if (pad && pads) x = pad.inputs[0]!;
    const slice = privateProducer(ix, x, 'Slice');
    const window = slice && sliceWindow(ix, slice);
    if (slice && window) x = slice.inputs[0]!;
    if (x === r) continue;
    node.inputs = node.inputs.map((name, k) => (k === residualSlot(node) ? x : name));
    const view = {
      residual_pads: pads ?? new Array<number>(2 * rank).fill(0),
      residual_starts: window?.starts ?? new Array<number>(rank).fill(0),
      residual_steps: window?.steps ?? new Array<number>(rank).fill(1),
    };
    // A Slice that keeps everything (GhostNet's `[:, :oup]` at oup = C) reads x as it is: no view needed.
    const identity = view.residual_pads.every((p) => p === 0) && view.residual_starts.every((v) => v === 0) && view.residual_steps.every((v) => v === 1);
    const rShape = ix.shapes.get(r)!;
    const xShape = ix.shapes.get(x);
    if (!(identity && xShape && xShape.length === rShape.length && xShape.every((d, i) => d === rShape[i]))) node.attrs = { ...node.attrs, ...view };
    if (pad && pads) dead.add(pad);
    if (slice && window) dead.add(slice);
  }
  if (!dead.size) return input;
  graph.nodes = graph.nodes.filter((n) => !dead.has(n));
  return graph;
}

/** Below any extent: an ONNX Slice end that clamps to "before index 0" for a negative step. */
const BEFORE_START = Number.MIN_SAFE_INTEGER;

/**
 * Residual views back to Slice → Pad nodes reading R (placed right before their node), for backends that do not read
 * views. `inputShapes` pins the graph inputs as the backend runs them (the Slice ends need the output's extents).
 */
export function expandResidualViews(input: Graph, inputShapes?: Record<string, number[]>): Graph {
  if (!input.nodes.some(hasResidualView)) return input;
  const shapes = inferShapes(input, inputShapes);
  const names = new NameGenerator(input);
  const nodes: Node[] = [];
  for (const node of input.nodes) {
    const slot = residualSlot(node);
    const r = node.inputs[slot] ?? '';
    const out = shapes.get(node.outputs[0] ?? '')?.shape;
    if (!hasResidualView(node) || r === '') {
      nodes.push(node);
      continue;
    }
    if (!out || out.some((d) => d < 0)) throw new GraphError('a residual view needs the output shape (pin the input shapes)', node.name, node.op);
    const view = readResidualView(node, out.length)!;
    const rank = out.length;
    const count = out.map((o, d) => o - view.pads[d]! - view.pads[rank + d]!);
    const axes = count.map((_, d) => d).filter((d) => view.starts[d] !== 0 || view.steps[d] !== 1 || count[d] !== shapes.get(r)!.shape[d]);
    let x = r;
    if (axes.length) {
      const sliced = names.fresh(`${node.name}/residual_slice_output`);
      const ends = axes.map((d) => view.starts[d]! + view.steps[d]! * count[d]!);
      nodes.push({
        name: names.fresh(`${node.name}/residual_slice`),
        op: 'Slice',
        inputs: [x],
        outputs: [sliced],
        attrs: { starts: axes.map((d) => view.starts[d]!), ends: ends.map((e) => (e < 0 ? BEFORE_START : e)), axes, steps: axes.map((d) => view.steps[d]!) },
      });
      x = sliced;
    }
    if (view.pads.some((p) => p !== 0)) {
      const padded = names.fresh(`${node.name}/residual_pad_output`);
      nodes.push({ name: names.fresh(`${node.name}/residual_pad`), op: 'Pad', inputs: [x], outputs: [padded], attrs: { pads: [...view.pads], mode: 'constant', value: 0 } });
      x = padded;
    }
    const attrs = { ...node.attrs };
    for (const k of RESIDUAL_VIEW_ATTRS) delete attrs[k];
    nodes.push({ ...node, inputs: node.inputs.map((name, k) => (k === slot ? x : name)), attrs });
  }
  return { ...input, nodes };
}
