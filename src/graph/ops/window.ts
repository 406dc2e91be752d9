/**
 * Sliding-window arithmetic shared by Conv and the pooling ops: auto_pad resolution and output sizes.
 * Sizes of -1 (unknown) propagate as -1.
 */
import { GraphError } from '../ir.js';

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

export function parseAutoPad(value: string): AutoPad {
  // Older exporters wrote an empty string for NOTSET.
  if (value === '' || value === 'NOTSET') return 'NOTSET';
  if (value === 'SAME_UPPER' || value === 'SAME_LOWER' || value === 'VALID') return value;
  throw new GraphError(`unknown auto_pad '${value}'`);
}

/** Extent covered by one window: (k - 1) * d + 1. */
export function effectiveKernel(kernel: number, dilation: number): number {
  return (kernel - 1) * dilation + 1;
}

/**
 * Explicit pads [b..., e...] for auto_pad over the given spatial sizes.
 * SAME_*: output = ceil(in / stride); the total padding is split in half, the odd one going at the end (UPPER)
 * or the beginning (LOWER). VALID: no padding. Unknown spatial sizes get 0 pads (the output is unknown anyway).
 */
export function autoPads(
  autoPad: AutoPad,
  spatial: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
  explicitPads: readonly number[],
): number[] {
  const n = spatial.length;
  if (autoPad === 'NOTSET') return [...explicitPads];
  const pads = new Array<number>(2 * n).fill(0);
  if (autoPad === 'VALID') return pads;
  for (let i = 0; i < n; i++) {
    const size = spatial[i]!;
    if (size < 0) continue;
    const out = Math.ceil(size / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + effectiveKernel(kernel[i]!, dilations[i]!) - size);
    const small = Math.floor(total / 2);
    const big = total - small;
    pads[i] = autoPad === 'SAME_UPPER' ? small : big;
    pads[i + n] = autoPad === 'SAME_UPPER' ? big : small;
  }
  return pads;
}

/**
 * Output length of a sliding window along one axis.
 * floor mode: floor((in + pb + pe - effK) / s) + 1.
 * ceil mode (ONNX / PyTorch rule): ceil(...) + 1, but the last window must start inside the input or the left
 * padding, i.e. drop it when (out - 1) * s >= in + pb.
 */
export function windowOutputSize(
  size: number,
  kernel: number,
  stride: number,
  padBegin: number,
  padEnd: number,
  dilation: number,
  ceilMode = false,
): number {
  if (size < 0) return -1;
  const span = size + padBegin + padEnd - effectiveKernel(kernel, dilation);
  // In ceil mode a window larger than the padded input still yields one output (PyTorch and onnxruntime agree).
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceilMode && out > 0 && (out - 1) * stride >= size + padBegin) out--;
  return Math.max(out, 0);
}
