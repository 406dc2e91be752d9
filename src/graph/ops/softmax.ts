/** Softmax over one axis (opset 13 semantics; the importer rewrites older flatten-to-2-D models). axis (-1). */
import { attrInt } from '../ir.js';
import { normalizeAxis, requireFloat, requireInput } from './common.js';
import type { ShapeRule } from './types.js';

export const softmaxRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  requireFloat(node, x, 'X');
  normalizeAxis(node, attrInt(node, 'axis', -1), x.shape.length);
  return [{ dtype: 'f32', shape: [...x.shape] }];
};

/** The normalised (non-negative) softmax axis for an input of the given rank. */
export function softmaxAxis(node: Parameters<typeof softmaxRule>[0], rank: number): number {
  return normalizeAxis(node, attrInt(node, 'axis', -1), rank);
}
