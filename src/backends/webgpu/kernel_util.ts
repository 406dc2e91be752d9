/** Small helpers shared by the kernel modules. */
import { stridesOf, type Node, type Shape, type Tensor } from '../../graph/ir.js';
import { WebGPUKernelError, type KernelContext } from './program.js';

/** Default workgroup size for one-thread-per-output kernels (SwiftShader and desktop GPUs both do well with 64). */
export const WG = 64;
/** Largest rank handled by the rank-generic kernels (uniform arrays hold 8 lanes; 6 keeps the loops short). */
export const MAX_RANK = 6;

export function product(dims: readonly number[]): number {
  let p = 1;
  for (const d of dims) p *= d;
  return p;
}

export function inputShape(ctx: KernelContext, index: number): Shape {
  const s = ctx.inputShapes[index];
  if (!s) throw new WebGPUKernelError(`input ${index} is missing`, ctx.node.name, ctx.node.op);
  return s;
}

export function checkRank(ctx: KernelContext, rank: number): void {
  if (rank > MAX_RANK) throw new WebGPUKernelError(`rank ${rank} exceeds the WebGPU backend's maximum of ${MAX_RANK}`, ctx.node.name, ctx.node.op);
}

/**
 * Constant input `i` of an index-taking op (Gather, ScatterND): the backend computes f32 only, so it never produces
 * indices; a runtime index tensor is a WebGPUKernelError naming the node.
 */
export function constantIndices(ctx: KernelContext, i: number): Tensor {
  const t = ctx.constant?.(ctx.node.inputs[i]!);
  if (!t)
    throw new WebGPUKernelError('indices must be a constant (the WebGPU backend computes f32 only, so it cannot produce indices)', ctx.node.name, ctx.node.op);
  return t;
}

export function normAxis(node: Node, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1)) throw new WebGPUKernelError(`axis ${axis} out of range for rank ${rank}`, node.name, node.op);
  return a;
}

/** Strides of `shape` broadcast (numpy, right-aligned) to an output of rank `rank`: 0 on broadcast dims. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const rank = outShape.length;
  const strides = stridesOf(shape);
  const out = new Array<number>(rank).fill(0);
  for (let k = 0; k < shape.length; k++) {
    const d = rank - shape.length + k;
    out[d] = shape[k] === 1 && outShape[d] !== 1 ? 0 : strides[k]!;
  }
  return out;
}

/**
 * The same strided walk over fewer dims: size-1 dims dropped, and neighbours merged where every operand steps through
 * them as one (stride[d] = stride[d+1] · shape[d+1], broadcast 0s included). MViT-V2's relative-position sum is a
 * rank-8 broadcast Add whose five leading dims are alike in both operands: rank 4 after this, within MAX_RANK.
 */
export function coalesceDims(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  shape.forEach((n, d) => {
    if (n === 1) return;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[d]! * n)) {
      outShape[last]! *= n;
      strides.forEach((s, k) => (outStrides[k]![last] = s[d]!));
      return;
    }
    outShape.push(n);
    strides.forEach((s, k) => outStrides[k]!.push(s[d]!));
  });
  return { shape: outShape, strides: outStrides };
}

/** Explicit [begin..., end...] pads from auto_pad, given the output spatial sizes. */
export function resolveAutoPads(
  autoPad: string,
  pads: number[] | undefined,
  inSpatial: readonly number[],
  outSpatial: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
): number[] {
  const n = inSpatial.length;
  if (autoPad === 'NOTSET' || autoPad === '') return pads ?? new Array<number>(2 * n).fill(0);
  if (autoPad === 'VALID') return new Array<number>(2 * n).fill(0);
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < n; i++) {
    const total = Math.max(0, (outSpatial[i]! - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - inSpatial[i]!);
    const small = Math.floor(total / 2);
    const big = total - small;
    begin.push(autoPad === 'SAME_LOWER' ? big : small);
    end.push(autoPad === 'SAME_LOWER' ? small : big);
  }
  return [...begin, ...end];
}
