/**
 * Static memory planner: `planMemory(graph, shapes, options)` -> MemoryPlan (types.ts), `describePlan(plan)`.
 *
 * Steps: (1) decide views (views.ts: concat-in-place, reshape / slice / split aliases); (2) live range of every
 * tensor from the node order, and of every root as the union over the tensors stored in it; (3) greedy-by-size
 * best-fit interval allocation of the roots (allocate.ts); (4) resolve every tensor to (buffer, byte offset,
 * strides). `shapes` must be concrete (inferShapes with the input shapes pinned): a -1 dim is a PlanError.
 */
import { bytesPerElement, sizeOf, stridesOf, type Graph, type ValueInfo } from '../graph/ir.js';
import { allocate, type AllocationRequest } from './allocate.js';
import { PlanError, type MemoryPlan, type PlanOptions, type TensorPlacement } from './types.js';
import { decideViews, isContiguous } from './views.js';

export * from './types.js';
export { DEFAULT_SLICE_WRITERS, RESHAPE_OPS, isContiguous } from './views.js';

const DEFAULT_ALIGNMENT = 256;
const DEFAULT_MAX_BUFFER_BYTES = 256 * 1024 * 1024;

function dataBytes(info: ValueInfo): number {
  return Math.ceil(sizeOf(info.shape) * bytesPerElement(info.dtype));
}

const roundUp4 = (x: number) => Math.ceil(x / 4) * 4;

/** Live ranges [def, lastUse] of every activation (graph inputs and node outputs). */
function liveRanges(graph: Graph): Map<string, { def: number; lastUse: number }> {
  const ranges = new Map<string, { def: number; lastUse: number }>();
  for (const input of graph.inputs) if (!graph.initializers.has(input.name)) ranges.set(input.name, { def: -1, lastUse: -1 });
  graph.nodes.forEach((node, step) => {
    for (const name of node.inputs) {
      const r = ranges.get(name);
      if (r) r.lastUse = Math.max(r.lastUse, step);
    }
    for (const name of node.outputs) if (name !== '' && !graph.initializers.has(name)) ranges.set(name, { def: step, lastUse: step });
  });
  for (const out of graph.outputs) {
    const r = ranges.get(out.name);
    if (r) r.lastUse = graph.nodes.length;
  }
  return ranges;
}

export function planMemory(graph: Graph, shapes: Map<string, ValueInfo>, options: PlanOptions = {}): MemoryPlan {
  const alignment = options.alignment ?? DEFAULT_ALIGNMENT;
  const maxBufferBytes = options.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES;
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 4 !== 0) throw new PlanError(`alignment ${alignment} must be a positive multiple of 4`);

  const ranges = liveRanges(graph);
  for (const name of ranges.keys()) {
    const info = shapes.get(name);
    if (!info) throw new PlanError('has no inferred shape (run inferShapes on this graph)', name);
    if (info.shape.some((d) => !Number.isInteger(d) || d < 0))
      throw new PlanError(`shape [${info.shape.join(', ')}] is not concrete; pin the input shapes when inferring`, name);
  }

  const { views, elided, concatInPlace } = decideViews(graph, shapes, options);

  // Root live ranges: union over every tensor stored in the root.
  const rootRange = new Map<string, { start: number; end: number }>();
  for (const [name, r] of ranges) {
    const root = views.get(name)?.loc.root ?? name;
    const cur = rootRange.get(root);
    if (!cur) rootRange.set(root, { start: r.def, end: r.lastUse });
    else rootRange.set(root, { start: Math.min(cur.start, r.def), end: Math.max(cur.end, r.lastUse) });
  }
  const requests: AllocationRequest[] = [...rootRange].map(([name, r]) => ({ name, bytes: roundUp4(dataBytes(shapes.get(name)!)), ...r }));
  const { placements, bufferBytes } = allocate(requests, alignment, maxBufferBytes);
  if (bufferBytes.length === 0) bufferBytes.push(4);

  const tensors = new Map<string, TensorPlacement>();
  for (const [name, r] of ranges) {
    const info = shapes.get(name)!;
    const view = views.get(name);
    const root = view?.loc.root ?? name;
    const at = placements.get(root)!;
    const strides = view ? view.loc.strides : stridesOf(info.shape);
    tensors.set(name, {
      name,
      dtype: info.dtype,
      shape: [...info.shape],
      bytes: dataBytes(info),
      buffer: at.buffer,
      offset: at.offset + (view ? view.loc.elementOffset * bytesPerElement(info.dtype) : 0),
      strides: [...strides],
      contiguous: isContiguous(info.shape, strides),
      view: view && { kind: view.kind, parent: view.parent, root, elementOffset: view.loc.elementOffset },
      def: r.def,
      lastUse: r.lastUse,
    });
  }

  // Lower bound: the most bytes of roots live at one step.
  let lowerBoundBytes = 0;
  for (let step = -1; step <= graph.nodes.length; step++) {
    let live = 0;
    for (const req of requests) if (req.start <= step && step <= req.end) live += req.bytes;
    lowerBoundBytes = Math.max(lowerBoundBytes, live);
  }

  const read = new Set(graph.nodes.flatMap((n) => n.inputs));
  let weightBytes = 0;
  for (const [name, t] of graph.initializers) if (read.has(name)) weightBytes += Math.ceil(sizeOf(t.shape) * bytesPerElement(t.dtype));

  return {
    alignment,
    buffers: bufferBytes.map((bytes, id) => ({ id, bytes })),
    tensors,
    elidedNodes: elided,
    concatInPlace,
    weightBytes,
    peakActivationBytes: bufferBytes.reduce((a, b) => a + b, 0),
    lowerBoundBytes,
    steps: graph.nodes.length,
  };
}

function fmtBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

/** Human-readable summary and per-tensor table (sorted by buffer, offset). */
export function describePlan(plan: MemoryPlan, options: { maxRows?: number } = {}): string {
  const lines = [
    `weights ${fmtBytes(plan.weightBytes)}; activations ${fmtBytes(plan.peakActivationBytes)} in ${plan.buffers.length} buffer(s) ` +
      `[${plan.buffers.map((b) => fmtBytes(b.bytes)).join(', ')}]; lower bound ${fmtBytes(plan.lowerBoundBytes)} ` +
      `(${plan.lowerBoundBytes > 0 ? ((plan.peakActivationBytes / plan.lowerBoundBytes) * 100).toFixed(1) : '100.0'}%)`,
    `${plan.tensors.size} tensors, ${[...plan.tensors.values()].filter((t) => t.view).length} views, ` +
      `${plan.elidedNodes.size} elided nodes, ${plan.concatInPlace.size} partially in-place concats`,
  ];
  const rows = [...plan.tensors.values()].sort((a, b) => a.buffer - b.buffer || a.offset - b.offset || a.def - b.def);
  const limit = options.maxRows ?? rows.length;
  for (const t of rows.slice(0, limit)) {
    const where = `buf${t.buffer}@${t.offset}`.padEnd(16);
    const life = `[${t.def}, ${t.lastUse}]`.padEnd(12);
    const view = t.view ? ` ${t.view.kind} of ${t.view.parent}${t.view.parent !== t.view.root ? ` (root ${t.view.root})` : ''}${t.contiguous ? '' : ', strided'}` : '';
    lines.push(`  ${where} ${fmtBytes(t.bytes).padStart(10)} ${life} ${t.name} ${t.dtype}[${t.shape.join('x')}]${view}`);
  }
  if (rows.length > limit) lines.push(`  ... ${rows.length - limit} more`);
  return lines.join('\n');
}
