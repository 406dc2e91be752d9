/**
 * Tessera op `Im2col`, introduced by the WebGPU lowering (src/backends/webgpu/lower.ts `lowerIm2col`) for strided
 * k×k convs (3×3/2, the 7×7/2 stem) with constant weights and group 1: it gathers every output pixel's receptive
 * field into one column so the conv becomes a 1×1 / stride 1 conv (a plain GEMM over pixels, `conv2d_1x1`).
 *
 *   Im2col  X [N, C, H, W]   attrs kernel_shape [kh, kw], strides [sh, sw], pads [top, left, bottom, right],
 *                            dilations [dh, dw] (default 1)
 *           → P [N, C·kh·kw, OH, OW]: P[n, (c·kh + ky)·kw + kx, oy, ox] = X[n, c, oy·sh - top + ky·dh,
 *             ox·sw - left + kx·dw], zero outside the image (the conv's zero padding)
 *
 * OH = floor((H + top + bottom - dh·(kh - 1) - 1) / sh) + 1, OW likewise. Row order (c, ky, kx) is OIHW's, so the
 * conv's weight [K, C, kh, kw] read as [K, C·kh·kw, 1, 1] is the 1×1 conv's weight without any repacking.
 */
import { attrInts, type Node } from '../ir.js';
import { fail, fmtShape, isFloat } from './common.js';
import type { ShapeRule } from './types.js';

export interface Im2colParams {
  kernel: [number, number];
  strides: [number, number];
  /** top, left, bottom, right */
  pads: [number, number, number, number];
  dilations: [number, number];
}

function pair(node: Node, name: string, fallback: number[] | undefined, min: number): [number, number] {
  const v = attrInts(node, name, fallback);
  if (v.length !== 2 || v.some((d) => !Number.isInteger(d) || d < min)) fail(node, `attribute ${name} must be 2 integers ≥ ${min}, got [${v.join(', ')}]`);
  return [v[0]!, v[1]!];
}

/** The validated attributes of an Im2col node. */
export function im2colParams(node: Node): Im2colParams {
  if (node.attrs['kernel_shape'] === undefined) fail(node, 'missing attribute kernel_shape');
  const kernel = pair(node, 'kernel_shape', undefined, 1);
  const strides = pair(node, 'strides', [1, 1], 1);
  const dilations = pair(node, 'dilations', [1, 1], 1);
  const pads = attrInts(node, 'pads', [0, 0, 0, 0]);
  if (pads.length !== 4 || pads.some((p) => !Number.isInteger(p) || p < 0)) fail(node, `attribute pads must be 4 integers ≥ 0 [top, left, bottom, right], got [${pads.join(', ')}]`);
  return { kernel, strides, dilations, pads: [pads[0]!, pads[1]!, pads[2]!, pads[3]!] };
}

/** Output [N, C·kh·kw, OH, OW] of Im2col on X [N, C, H, W], or a message when the window does not fit. */
export function im2colShape(x: readonly number[], p: Im2colParams): number[] | string {
  const [n, c, h, w] = x as [number, number, number, number];
  const oh = Math.floor((h + p.pads[0] + p.pads[2] - p.dilations[0] * (p.kernel[0] - 1) - 1) / p.strides[0]) + 1;
  const ow = Math.floor((w + p.pads[1] + p.pads[3] - p.dilations[1] * (p.kernel[1] - 1) - 1) / p.strides[1]) + 1;
  if (oh < 1 || ow < 1) return `X ${fmtShape(x)} with pads [${p.pads.join(', ')}] is smaller than the ${p.kernel[0]}×${p.kernel[1]} window`;
  return [n, c * p.kernel[0] * p.kernel[1], oh, ow];
}

const im2colRule: ShapeRule = (node, inputs) => {
  const p = im2colParams(node);
  const x = inputs[0];
  if (!x) fail(node, 'missing required input X (index 0)');
  if (!isFloat(x.dtype)) fail(node, `X must be a float tensor, got ${x.dtype}`);
  if (x.shape.length !== 4 || x.shape.some((d) => d < 1)) fail(node, `X must be a known 4-D shape [N, C, H, W], got ${fmtShape(x.shape)}`);
  if (inputs.length > 1) fail(node, `takes 1 input (X), got ${inputs.length}`);
  const out = im2colShape(x.shape, p);
  if (typeof out === 'string') fail(node, out);
  return [{ dtype: 'f32', shape: out }];
};

export const im2colShapeRules: Record<string, ShapeRule> = { Im2col: im2colRule };
