/**
 * ReduceMean, ReduceMax, ReduceSum. Attributes: axes (all axes when absent or empty), keepdims (1),
 * noop_with_empty_axes (0; when 1 and axes are empty the op is an identity, ONNX opset 18).
 */
import { attrInt, attrInts } from '../ir.js';
import { computeDtype, fail, isNumeric, normalizeAxes, requireInput } from './common.js';
import type { ShapeRule } from './types.js';

/** Normalised, sorted reduced axes of a Reduce* node over an input of the given rank ([] = identity). */
export function reduceAxes(node: Parameters<ShapeRule>[0], rank: number): number[] {
  const axes = attrInts(node, 'axes', []);
  if (axes.length === 0) {
    if (attrInt(node, 'noop_with_empty_axes', 0) !== 0) return [];
    return Array.from({ length: rank }, (_, i) => i);
  }
  return normalizeAxes(node, axes, rank).sort((a, b) => a - b);
}

export const reduceRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  if (!isNumeric(x.dtype)) fail(node, `X must be numeric, got ${x.dtype}`);
  if (node.op === 'ReduceMean' && computeDtype(x.dtype) !== 'f32') fail(node, `X must be a float tensor (f32), got ${x.dtype}`);
  const axes = reduceAxes(node, x.shape.length);
  const keep = attrInt(node, 'keepdims', 1) !== 0;
  const shape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d]));
  return [{ dtype: computeDtype(x.dtype), shape }];
};
