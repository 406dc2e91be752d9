/**
 * MaxPool / AveragePool (1-D, 2-D, 3-D) and GlobalAveragePool / GlobalMaxPool.
 *
 * Canonical attributes: kernel_shape (required), strides (1s), pads ([b..., e...], 0s), dilations (1s),
 * ceil_mode (0), count_include_pad (0, AveragePool), auto_pad ('NOTSET'). MaxPool's Indices output is unsupported.
 *
 * ceil_mode follows ONNX / PyTorch: the output length is ceil((in + pb + pe - effK) / s) + 1, minus one when the
 * last window would start beyond the input and the left padding. Windows that run past the end are clipped by
 * backends; with count_include_pad, AveragePool still divides by the window area that lies inside input + pads.
 */
import { attrInt, attrInts, attrString, type Node, type Shape } from '../ir.js';
import { fail, fmtShape, requireFloat, requireInput, withNode } from './common.js';
import type { ShapeRule } from './types.js';
import { autoPads, parseAutoPad, windowOutputSize } from './window.js';

export interface PoolParams {
  spatialRank: number;
  kernel: number[];
  strides: number[];
  /** Explicit, auto_pad already resolved: [b..., e...]. */
  pads: number[];
  dilations: number[];
  ceilMode: boolean;
  countIncludePad: boolean;
}

/** Output length of one pooled axis (see the file comment for the ceil_mode rule). */
export function poolOutputSize(
  size: number,
  kernel: number,
  stride: number,
  padBegin: number,
  padEnd: number,
  dilation = 1,
  ceilMode = false,
): number {
  return windowOutputSize(size, kernel, stride, padBegin, padEnd, dilation, ceilMode);
}

function listOf(node: Node, key: string, n: number, dflt?: number[]): number[] {
  const v = attrInts(node, key, dflt);
  if (v.length !== n) fail(node, `attribute '${key}' has ${v.length} values, expected ${n}`);
  return v;
}

/** Normalised pooling parameters with pads made explicit. `inputShape` is the full X shape [N, C, ...spatial]. */
export function poolParams(node: Node, inputShape: Shape): PoolParams {
  const spatialRank = inputShape.length - 2;
  if (spatialRank < 1 || spatialRank > 3) fail(node, `X must be 3-D, 4-D or 5-D, got shape ${fmtShape(inputShape)}`);
  const ones = new Array<number>(spatialRank).fill(1);
  const kernel = listOf(node, 'kernel_shape', spatialRank);
  const strides = listOf(node, 'strides', spatialRank, ones);
  const dilations = listOf(node, 'dilations', spatialRank, ones);
  const explicit = listOf(node, 'pads', 2 * spatialRank, new Array<number>(2 * spatialRank).fill(0));
  if (kernel.some((k) => k < 1)) fail(node, `kernel_shape ${fmtShape(kernel)} must be positive`);
  if (strides.some((s) => s < 1)) fail(node, `strides ${fmtShape(strides)} must be positive`);
  if (dilations.some((d) => d < 1)) fail(node, `dilations ${fmtShape(dilations)} must be positive`);
  if (explicit.some((p) => p < 0)) fail(node, `pads ${fmtShape(explicit)} must be non-negative`);
  const autoPad = withNode(node, () => parseAutoPad(attrString(node, 'auto_pad', 'NOTSET')));
  const pads = autoPads(autoPad, inputShape.slice(2), kernel, strides, dilations, explicit);
  for (let i = 0; i < spatialRank; i++) {
    // ONNX / PyTorch: a pad must be smaller than the window, otherwise a window may see only padding.
    const effK = (kernel[i]! - 1) * dilations[i]! + 1;
    if (pads[i]! >= effK || pads[i + spatialRank]! >= effK)
      fail(node, `pads ${fmtShape(pads)} must be smaller than the kernel extent ${effK} on axis ${i + 2}`);
  }
  return {
    spatialRank,
    kernel,
    strides,
    pads,
    dilations,
    ceilMode: attrInt(node, 'ceil_mode', 0) !== 0,
    countIncludePad: attrInt(node, 'count_include_pad', 0) !== 0,
  };
}

export function poolOutputSpatial(inputShape: Shape, p: PoolParams): number[] {
  const out: number[] = [];
  for (let i = 0; i < p.spatialRank; i++) {
    out.push(
      poolOutputSize(inputShape[i + 2]!, p.kernel[i]!, p.strides[i]!, p.pads[i]!, p.pads[i + p.spatialRank]!, p.dilations[i]!, p.ceilMode),
    );
  }
  return out;
}

export const poolRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  requireFloat(node, x, 'X');
  if (node.op === 'MaxPool' && node.outputs.length > 1 && node.outputs[1] !== '')
    fail(node, `the Indices output of MaxPool is not supported`);
  const p = poolParams(node, x.shape);
  const spatial = poolOutputSpatial(x.shape, p);
  if (spatial.some((s) => s === 0))
    fail(node, `output spatial size ${fmtShape(spatial)} is empty for input ${fmtShape(x.shape)} (kernel ${fmtShape(p.kernel)})`);
  return [{ dtype: 'f32', shape: [x.shape[0]!, x.shape[1]!, ...spatial] }];
};

export const globalPoolRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  requireFloat(node, x, 'X');
  if (x.shape.length < 3) fail(node, `X must have at least one spatial dim, got shape ${fmtShape(x.shape)}`);
  return [{ dtype: 'f32', shape: [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)] }];
};
