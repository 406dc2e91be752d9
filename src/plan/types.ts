/**
 * Static memory plan types. A plan is computed once per (optimized graph, concrete input shapes) and tells a
 * backend where every activation tensor lives: which buffer, at which byte offset, with which element strides.
 *
 * Terminology
 *   root   a tensor that owns an allocation (its own interval of bytes in one buffer).
 *   view   a tensor stored inside a root's allocation: the output of a reshape-like op (same bytes), a Slice /
 *          Split output (an offset into its input), or a Concat input written by its producer directly into the
 *          concat output's slice. A view has `view` set; its `offset` / `strides` are already resolved to the root.
 * Schedule steps are node indices of graph.nodes; graph inputs are defined at step -1 and graph outputs stay live
 * until step nodes.length. Two roots may share bytes only if their live ranges [def, lastUse] are disjoint.
 */
import type { DType, Node, Shape } from '../graph/ir.js';

export type ViewKind = 'reshape' | 'slice' | 'split' | 'concat';

export interface TensorView {
  kind: ViewKind;
  /** The tensor this one was defined against (the reshape/slice input, or the concat output). */
  parent: string;
  /** The root tensor owning the bytes (follows chains of views). */
  root: string;
  /** Offset of this tensor's element 0 from the root's element 0, in elements. */
  elementOffset: number;
}

export interface TensorPlacement {
  name: string;
  dtype: DType;
  shape: Shape;
  /** Dense size of the tensor's data in bytes (not rounded). */
  bytes: number;
  /** Index into MemoryPlan.buffers. */
  buffer: number;
  /**
   * Byte offset of element 0 in the buffer. A multiple of the plan's alignment for roots; views add
   * elementOffset * element size, so they are only element-aligned (bind the root or pass an element offset).
   */
  offset: number;
  /** Element strides of this tensor in the buffer. Dense row-major for roots and contiguous views. */
  strides: number[];
  /** True when the tensor's elements form one dense row-major block starting at `offset`. */
  contiguous: boolean;
  /** Set for views (see above); absent for roots. */
  view?: TensorView;
  /** Step that writes the tensor (-1 for graph inputs). */
  def: number;
  /** Last step that reads it (nodes.length for graph outputs; def when never read). */
  lastUse: number;
}

export interface PlannedBuffer {
  id: number;
  /** Size to allocate, a multiple of 4 (WebGPU copy/binding granularity). */
  bytes: number;
}

export interface MemoryPlan {
  /** Byte alignment of every root's offset (256 = WebGPU minStorageBufferOffsetAlignment by default). */
  alignment: number;
  buffers: PlannedBuffer[];
  /** Every activation: graph inputs and node outputs (initializers are weights, not planned). */
  tensors: Map<string, TensorPlacement>;
  /**
   * Nodes with nothing to compute because their output already sits in place: reshape-like ops, Slice / Split
   * views, and Concats whose inputs were all written into the concat output by their producers.
   */
  elidedNodes: Set<string>;
  /**
   * For each Concat that is not elided but has some inputs in place: which inputs are already in their slice of
   * the output (the concat kernel copies only the others). Concats absent from both sets copy every input.
   */
  concatInPlace: Map<string, boolean[]>;
  /** Bytes of the initializers the graph reads. */
  weightBytes: number;
  /** Sum of buffer sizes: the activation memory the plan needs. */
  peakActivationBytes: number;
  /** max over steps of the bytes of simultaneously live roots (what any plan without more aliasing needs). */
  lowerBoundBytes: number;
  /** Number of schedule steps (graph.nodes.length). */
  steps: number;
}

export interface PlanOptions {
  /** Byte alignment of root offsets (default 256). Must be a multiple of 4. */
  alignment?: number;
  /** Largest buffer to create (default 256 MiB, WebGPU's default maxBufferSize); more buffers are opened as needed. */
  maxBufferBytes?: number;
  /** Let Concat inputs be written in place into the concat output (default true). */
  concatViews?: boolean;
  /** Allow non-contiguous views (Concat with N > 1, Slice of a batched tensor...) (default true). */
  stridedViews?: boolean;
  /** Alias Reshape / Flatten / Squeeze / Unsqueeze / Identity / Dropout outputs to their inputs (default true). */
  reshapeViews?: boolean;
  /** Turn Slice (step 1) and Split outputs into views of their input (default true). */
  sliceViews?: boolean;
  /**
   * Whether `node` can write its output into a view of a larger tensor (at an element offset, with the given
   * strides). Default: DEFAULT_SLICE_WRITERS ops.
   */
  canWriteSlice?: (node: Node, contiguous: boolean) => boolean;
}

/** Error for graphs / shapes the planner cannot handle (unknown shape, dynamic dim, oversized tensor). */
export class PlanError extends Error {
  override name = 'PlanError';
  constructor(
    message: string,
    readonly tensor?: string,
  ) {
    super(tensor !== undefined ? `tensor '${tensor}': ${message}` : message);
  }
}
