/**
 * Residual views: a fused node reads its residual R through an index map instead of at the output's own index
 * (pass foldResidualViews, src/graph/passes/fold_residual_view.ts). CIFAR ResNets' option-A shortcut adds
 * `F.pad(x[:, :, ::2, ::2], channels)` to the conv branch; with a view R is x itself, and neither the strided Slice
 * nor the channel Pad runs (on WebGPU: two dispatches fewer per downsampling block).
 *
 * Attributes of FusedConv and ChannelScale (SE-ResNets add the shortcut in the SE gate's node), and of WinogradOutput
 * (which WebGPU lowers a FusedConv into); r = the output's rank; a node has a view when any of the three is present:
 *   residual_pads    [2r] begins then ends (ONNX Pad layout), each >= 0: output coordinate o_d reads R only inside
 *                    [pads[d], out_d - pads[r + d]); elsewhere the residual is 0          (default all 0)
 *   residual_starts  [r]  the R coordinate read at o_d = pads[d]                          (default all 0)
 *   residual_steps   [r]  R coordinate step per output step; non-zero, negative reverses  (default all 1)
 * Inside the region R's coordinate d is starts[d] + steps[d] · (o_d − pads[d]), and every such coordinate must lie in
 * [0, R_d) (checked wherever shapes are known). That is Pad(Slice(R), pads) with constant 0, what the unfused graph
 * computed, so the fused node reproduces it bit for bit on the CPU reference (R values are gathered, +0 outside).
 */
import { GraphError, type Node, type Shape } from '../ir.js';
import { fmtShape } from './common.js';

export const RESIDUAL_VIEW_ATTRS = ['residual_pads', 'residual_starts', 'residual_steps'] as const;

export interface ResidualView {
  /** 2r: begins then ends. */
  pads: number[];
  starts: number[];
  steps: number[];
}

/** Input index of the residual R: FusedConv's 4th input; WinogradOutput's (M, [B], [R]) and ChannelScale's (X, S, [R]) 3rd. */
export const residualSlot = (node: Node): number => (node.op === 'WinogradOutput' || node.op === 'ChannelScale' ? 2 : 3);

/** Whether the node reads its residual through a view (any view attribute present). */
export function hasResidualView(node: Node): boolean {
  return RESIDUAL_VIEW_ATTRS.some((k) => node.attrs[k] !== undefined);
}

function intsAttr(node: Node, key: string, length: number, dflt: number): number[] {
  const v = node.attrs[key];
  if (v === undefined) return new Array<number>(length).fill(dflt);
  if (!Array.isArray(v) || v.length !== length || !v.every((x) => typeof x === 'number' && Number.isSafeInteger(x)))
    throw new GraphError(`${key} must be a list of ${length} integers`, node.name, node.op);
  return v as number[];
}

/** The node's residual view for an output of rank `rank`, or undefined when it has none (throws on malformed ones). */
export function readResidualView(node: Node, rank: number): ResidualView | undefined {
  if (!hasResidualView(node)) return undefined;
  const view = { pads: intsAttr(node, 'residual_pads', 2 * rank, 0), starts: intsAttr(node, 'residual_starts', rank, 0), steps: intsAttr(node, 'residual_steps', rank, 1) };
  if (view.pads.some((p) => p < 0)) throw new GraphError(`residual_pads [${view.pads.join(', ')}] must be >= 0`, node.name, node.op);
  if (view.steps.some((s) => s === 0)) throw new GraphError(`residual_steps [${view.steps.join(', ')}] must be non-zero`, node.name, node.op);
  return view;
}

const isIdentityAxis = (v: ResidualView, d: number, rank: number) => v.pads[d] === 0 && v.pads[rank + d] === 0 && v.starts[d] === 0 && v.steps[d] === 1;

/**
 * Checks a view against R's and the output's shapes (unknown dims, -1, allowed only on axes the view leaves alone,
 * where R's dim must then match the output's as without a view). Throws a GraphError naming the node and axis.
 */
export function checkResidualView(node: Node, view: ResidualView, rShape: Shape, outShape: Shape): void {
  const rank = outShape.length;
  const bad = (msg: string) => new GraphError(`residual view of R ${fmtShape(rShape)} onto output ${fmtShape(outShape)}: ${msg}`, node.name, node.op);
  if (rShape.length !== rank) throw bad(`ranks differ`);
  for (let d = 0; d < rank; d++) {
    const o = outShape[d]!;
    const r = rShape[d]!;
    if (o < 0 || r < 0) {
      if (!isIdentityAxis(view, d, rank)) throw bad(`axis ${d} has an unknown extent but is sliced or padded`);
      if (o >= 0 && r >= 0 && o !== r) throw bad(`axis ${d}`);
      continue;
    }
    const count = o - view.pads[d]! - view.pads[rank + d]!;
    if (count < 0) throw bad(`pads (${view.pads[d]}, ${view.pads[rank + d]}) exceed axis ${d}`);
    if (count === 0) continue;
    const first = view.starts[d]!;
    const last = first + view.steps[d]! * (count - 1);
    if (first < 0 || first >= r || last < 0 || last >= r) throw bad(`axis ${d} reads R coordinates ${first}..${last}, outside [0, ${r})`);
  }
}

/** A view as flat-index arithmetic: per output axis its extent, region [lo, lo + count) and R-element step; R's element at the region's origin. */
export interface ResidualAffine {
  dims: number[];
  lo: number[];
  count: number[];
  /** R flat index step per output step along each axis (steps · R strides; may be negative). */
  mul: number[];
  /** R flat index of the element read at o = lo on every axis. */
  base: number;
}

/** The flat-index form of a checked view at concrete shapes (what the CPU gather and the WebGPU accessor compute). */
export function residualAffine(node: Node, view: ResidualView, rShape: Shape, outShape: Shape): ResidualAffine {
  checkResidualView(node, view, rShape, outShape);
  if ([...rShape, ...outShape].some((d) => d < 0)) throw new GraphError(`residual view needs concrete shapes, got R ${fmtShape(rShape)}, output ${fmtShape(outShape)}`, node.name, node.op);
  const rank = outShape.length;
  const strides = new Array<number>(rank);
  for (let d = rank - 1, s = 1; d >= 0; s *= rShape[d]!, d--) strides[d] = s;
  const lo = view.pads.slice(0, rank);
  const count = outShape.map((o, d) => o - lo[d]! - view.pads[rank + d]!);
  const mul = view.steps.map((s, d) => s * strides[d]!);
  const base = view.starts.reduce((acc, s, d) => acc + s * strides[d]!, 0);
  return { dims: [...outShape], lo, count, mul, base };
}

/** R read through the view, as a dense array of the output's shape (0 outside the region). */
export function gatherResidual(a: ResidualAffine, r: ArrayLike<number>): Float32Array {
  const rank = a.dims.length;
  const total = a.dims.reduce((x, y) => x * y, 1);
  const out = new Float32Array(total);
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < total; i++) {
    let e = a.base;
    let inside = true;
    for (let d = 0; d < rank; d++) {
      const q = coord[d]! - a.lo[d]!;
      if (q < 0 || q >= a.count[d]!) inside = false;
      e += q * a.mul[d]!;
    }
    if (inside) out[i] = r[e]!;
    for (let d = rank - 1; d >= 0 && ++coord[d]! === a.dims[d]; d--) coord[d] = 0;
  }
  return out;
}
