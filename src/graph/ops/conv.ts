/**
 * Conv (1-D, 2-D, 3-D), NCHW / NCDHW.
 *
 * Canonical attributes: kernel_shape (defaults to W.shape[2:]), strides (1s), pads ([b..., e...], 0s),
 * dilations (1s), group (1), auto_pad ('NOTSET'). Inputs: X [N, C, ...spatial], W [M, C/group, ...kernel], [B [M]].
 * Backends call `convParams` (or `resolveConvPads`) so that auto_pad is resolved in exactly one place.
 */
import { attrInt, attrInts, attrString, type Node, type Shape } from '../ir.js';
import { fail, fmtShape, requireFloat, requireInput, withNode } from './common.js';
import type { InputInfo, ShapeRule } from './types.js';
import { autoPads, parseAutoPad, windowOutputSize } from './window.js';

export interface ConvParams {
  spatialRank: number;
  kernel: number[];
  strides: number[];
  /** Explicit, auto_pad already resolved: [b..., e...]. */
  pads: number[];
  dilations: number[];
  group: number;
}

export function checkLength(node: Node, key: string, values: number[], n: number): number[] {
  if (values.length !== n) fail(node, `attribute '${key}' has ${values.length} values, expected ${n}`);
  return values;
}

export function kernelOf(node: Node, spatialRank: number, weightShape?: Shape): number[] {
  const fromW = weightShape ? [...weightShape.slice(2)] : undefined;
  const attr = node.attrs['kernel_shape'] !== undefined ? attrInts(node, 'kernel_shape') : undefined;
  if (attr && fromW && attr.join(',') !== fromW.join(','))
    fail(node, `kernel_shape ${fmtShape(attr)} does not match W spatial dims ${fmtShape(fromW)}`);
  const kernel = attr ?? fromW;
  if (!kernel) fail(node, `kernel_shape is missing and W's shape is unknown`);
  checkLength(node, 'kernel_shape', kernel, spatialRank);
  if (kernel.some((k) => k < 1)) fail(node, `kernel_shape ${fmtShape(kernel)} must be positive`);
  return kernel;
}

/** Normalised conv parameters with pads made explicit. `inputShape` is the full X shape [N, C, ...spatial]. */
export function convParams(node: Node, inputShape: Shape, weightShape?: Shape): ConvParams {
  const spatialRank = inputShape.length - 2;
  if (spatialRank < 1 || spatialRank > 3) fail(node, `X must be 3-D, 4-D or 5-D, got shape ${fmtShape(inputShape)}`);
  const kernel = kernelOf(node, spatialRank, weightShape);
  const ones = new Array<number>(spatialRank).fill(1);
  const strides = checkLength(node, 'strides', attrInts(node, 'strides', ones), spatialRank);
  const dilations = checkLength(node, 'dilations', attrInts(node, 'dilations', ones), spatialRank);
  if (strides.some((s) => s < 1)) fail(node, `strides ${fmtShape(strides)} must be positive`);
  if (dilations.some((d) => d < 1)) fail(node, `dilations ${fmtShape(dilations)} must be positive`);
  const explicit = checkLength(node, 'pads', attrInts(node, 'pads', new Array<number>(2 * spatialRank).fill(0)), 2 * spatialRank);
  if (explicit.some((p) => p < 0)) fail(node, `pads ${fmtShape(explicit)} must be non-negative`);
  const autoPad = withNode(node, () => parseAutoPad(attrString(node, 'auto_pad', 'NOTSET')));
  const pads = autoPads(autoPad, inputShape.slice(2), kernel, strides, dilations, explicit);
  const group = attrInt(node, 'group', 1);
  if (group < 1) fail(node, `group ${group} must be positive`);
  return { spatialRank, kernel, strides, pads, dilations, group };
}

/** Explicit pads [b..., e...] for this node and X shape (resolves auto_pad SAME_UPPER / SAME_LOWER / VALID). */
export function resolveConvPads(node: Node, inputShape: Shape, weightShape?: Shape): number[] {
  return convParams(node, inputShape, weightShape).pads;
}

/** Spatial output dims for given params. */
export function convOutputSpatial(inputShape: Shape, p: ConvParams): number[] {
  const out: number[] = [];
  for (let i = 0; i < p.spatialRank; i++) {
    out.push(windowOutputSize(inputShape[i + 2]!, p.kernel[i]!, p.strides[i]!, p.pads[i]!, p.pads[i + p.spatialRank]!, p.dilations[i]!));
  }
  return out;
}

/** X and W of a Conv or ConvTranspose: present, float, the same rank. */
export function requireConvInputs(node: Node, inputs: Parameters<ShapeRule>[1]): { x: InputInfo; w: InputInfo } {
  const x = requireInput(node, inputs, 0, 'input X');
  const w = requireInput(node, inputs, 1, 'weight W');
  requireFloat(node, x, 'X');
  requireFloat(node, w, 'W');
  if (w.shape.length !== x.shape.length)
    fail(node, `W rank ${w.shape.length} (shape ${fmtShape(w.shape)}) does not match X rank ${x.shape.length} (shape ${fmtShape(x.shape)})`);
  return { x, w };
}

export const convRule: ShapeRule = (node, inputs) => {
  const { x, w } = requireConvInputs(node, inputs);
  const p = convParams(node, x.shape, w.shape);
  const [cout, cinPerGroup] = [w.shape[0]!, w.shape[1]!];
  const cin = x.shape[1]!;
  if (cin >= 0 && cin !== cinPerGroup * p.group)
    fail(node, `input channels ${cin} != W.shape[1] (${cinPerGroup}) * group (${p.group})`);
  if (cout % p.group !== 0) fail(node, `output channels ${cout} not divisible by group ${p.group}`);
  const b = inputs[2];
  if (b) {
    requireFloat(node, b, 'B');
    if (b.shape.length !== 1 || b.shape[0] !== cout) fail(node, `bias shape ${fmtShape(b.shape)} must be [${cout}]`);
  }
  const spatial = convOutputSpatial(x.shape, p);
  if (spatial.some((s) => s === 0))
    fail(node, `output spatial size ${fmtShape(spatial)} is empty for input ${fmtShape(x.shape)} (kernel ${fmtShape(p.kernel)}, pads ${fmtShape(p.pads)})`);
  return [{ dtype: 'f32', shape: [x.shape[0]!, cout, ...spatial] }];
};
