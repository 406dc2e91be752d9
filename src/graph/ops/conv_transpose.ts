/**
 * ConvTranspose (1-D, 2-D, 3-D), NCHW / NCDHW: the gradient of Conv with respect to its input, i.e. every input pixel
 * i scatters x[i] * W[c_in, c_out, k] to output position o = i * stride + k * dilation - pad_begin.
 *
 * Canonical attributes (ONNX's own): kernel_shape (defaults to W.shape[2:]), strides (1s), pads ([b..., e...], 0s),
 * output_padding (0s), dilations (1s), group (1), auto_pad ('NOTSET'), output_shape (spatial dims, optional).
 * Inputs: X [N, C_in, ...spatial], W [C_in, C_out/group, ...kernel], [B [C_out]].
 * `convTransposeParams` is the one place that turns auto_pad / output_shape into explicit pads and output sizes; the
 * CPU reference and the WebGPU kernel both read it.
 */
import { attrInt, attrInts, attrString, type Node, type Shape } from '../ir.js';
import { fail, fmtShape, requireFloat, requireInput, withNode } from './common.js';
import { checkLength, kernelOf, requireConvInputs } from './conv.js';
import type { ShapeRule } from './types.js';
import { parseAutoPad } from './window.js';

export interface ConvTransposeParams {
  spatialRank: number;
  kernel: number[];
  strides: number[];
  dilations: number[];
  outputPadding: number[];
  group: number;
  /**
   * What is cropped off the full output [b..., e...] (auto_pad / output_shape already resolved). An end entry is
   * negative when output_shape asks for more than the full output: the extra positions receive no tap (bias only).
   */
  pads: number[];
  /** Output spatial dims (-1 where the input's is unknown). */
  outSpatial: number[];
}

/** Full (uncropped) output length along one axis: stride * (in - 1) + output_padding + (k - 1) * dilation + 1. */
export function convTransposeFullSize(size: number, kernel: number, stride: number, dilation: number, outputPadding: number): number {
  return stride * (size - 1) + outputPadding + (kernel - 1) * dilation + 1;
}

/** Normalised ConvTranspose parameters for X of shape [N, C, ...spatial] (and W's shape when known). */
export function convTransposeParams(node: Node, inputShape: Shape, weightShape?: Shape): ConvTransposeParams {
  const spatialRank = inputShape.length - 2;
  if (spatialRank < 1 || spatialRank > 3) fail(node, `X must be 3-D, 4-D or 5-D, got shape ${fmtShape(inputShape)}`);
  const kernel = kernelOf(node, spatialRank, weightShape);
  const ones = new Array<number>(spatialRank).fill(1);
  const zeros = new Array<number>(spatialRank).fill(0);
  const strides = checkLength(node, 'strides', attrInts(node, 'strides', ones), spatialRank);
  const dilations = checkLength(node, 'dilations', attrInts(node, 'dilations', ones), spatialRank);
  if (strides.some((s) => s < 1)) fail(node, `attribute 'strides' ${fmtShape(strides)} must be positive`);
  if (dilations.some((d) => d < 1)) fail(node, `attribute 'dilations' ${fmtShape(dilations)} must be positive`);
  const explicit = checkLength(node, 'pads', attrInts(node, 'pads', [...zeros, ...zeros]), 2 * spatialRank);
  if (explicit.some((p) => p < 0)) fail(node, `attribute 'pads' ${fmtShape(explicit)} must be non-negative`);
  const outputPadding = checkLength(node, 'output_padding', attrInts(node, 'output_padding', zeros), spatialRank);
  for (let i = 0; i < spatialRank; i++) {
    const op = outputPadding[i]!;
    // onnxruntime's rule (the spec says "less than stride or dilation"): a larger value would add outputs no tap reaches.
    if (op < 0 || op >= Math.max(strides[i]!, dilations[i]!))
      fail(node, `attribute 'output_padding' ${fmtShape(outputPadding)}: entry ${i} must be in [0, max(stride, dilation)) = [0, ${Math.max(strides[i]!, dilations[i]!)})`);
  }
  const group = attrInt(node, 'group', 1);
  if (group < 1) fail(node, `attribute 'group' ${group} must be positive`);
  const autoPad = withNode(node, () => parseAutoPad(attrString(node, 'auto_pad', 'NOTSET')));
  const outputShape = node.attrs['output_shape'] !== undefined ? attrInts(node, 'output_shape') : undefined;
  if (outputShape) {
    checkLength(node, 'output_shape', outputShape, spatialRank);
    if (outputShape.some((d) => d < 1)) fail(node, `attribute 'output_shape' ${fmtShape(outputShape)} must be positive`);
  }
  const pads = [...zeros, ...zeros];
  const outSpatial: number[] = [];
  for (let i = 0; i < spatialRank; i++) {
    const size = inputShape[i + 2]!;
    const full = size < 0 ? -1 : convTransposeFullSize(size, kernel[i]!, strides[i]!, dilations[i]!, outputPadding[i]!);
    // ONNX: output_shape overrides pads; SAME_* aims at in * stride. The total crop is split in half, the odd one at
    // the end for SAME_UPPER and at the beginning otherwise (onnxruntime 1.30 agrees, tests/backends/cpu).
    const target = outputShape ? outputShape[i]! : autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER' ? (size < 0 ? -1 : size * strides[i]!) : undefined;
    if (target !== undefined) {
      outSpatial.push(target);
      if (full < 0) continue;
      const total = full - target;
      const begin = total < 0 ? 0 : autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
      pads[i] = begin;
      pads[i + spatialRank] = total - begin;
    } else if (autoPad === 'VALID') {
      outSpatial.push(full);
    } else {
      pads[i] = explicit[i]!;
      pads[i + spatialRank] = explicit[i + spatialRank]!;
      outSpatial.push(full < 0 ? -1 : full - explicit[i]! - explicit[i + spatialRank]!);
    }
  }
  return { spatialRank, kernel, strides, dilations, outputPadding, group, pads, outSpatial };
}

export const convTransposeRule: ShapeRule = (node, inputs) => {
  const { x, w } = requireConvInputs(node, inputs);
  const p = convTransposeParams(node, x.shape, w.shape);
  const [cin, coutPerGroup] = [w.shape[0]!, w.shape[1]!];
  if (cin % p.group !== 0) fail(node, `attribute 'group' ${p.group}: W.shape[0] (input channels ${cin}) is not divisible by it`);
  if (x.shape[1]! >= 0 && x.shape[1] !== cin) fail(node, `input channels ${x.shape[1]} != W.shape[0] (${cin})`);
  const cout = coutPerGroup * p.group;
  const b = inputs[2];
  if (b) {
    requireFloat(node, b, 'B');
    if (b.shape.length !== 1 || b.shape[0] !== cout) fail(node, `bias shape ${fmtShape(b.shape)} must be [${cout}]`);
  }
  if (p.outSpatial.some((s) => s !== -1 && s < 1))
    fail(node, `output spatial size ${fmtShape(p.outSpatial)} is empty for input ${fmtShape(x.shape)} (kernel ${fmtShape(p.kernel)}, attribute 'pads' ${fmtShape(p.pads)})`);
  return [{ dtype: 'f32', shape: [x.shape[0]!, cout, ...p.outSpatial] }];
};
