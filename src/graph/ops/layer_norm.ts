/**
 * LayerNormalization (ONNX opset 17): inputs X, Scale, [B]; attrs axis (-1), epsilon (1e-5).
 * Each "row" is the trailing block X[..., axis:]; with n its size:
 *   mean = Σ x / n;  d = x − mean;  var = Σ d² / n;  y = d / √(var + ε) · Scale + B
 * Scale and B have the row's size (the normalised dims, or any shape with that many elements that broadcasts as the
 * trailing dims: leading 1s allowed), or one element. The CPU reference (backends/cpu/layer_norm.ts) rounds to f32
 * after every step exactly as the decomposed ReduceMean / Sub / Pow / ReduceMean / Add / Sqrt / Div / Mul / Add graph
 * does on the CPU, so `fuseLayerNorm` is bit-exact there.
 */
import { attrInt, sizeOf, type Node } from '../ir.js';
import { fail, fmtShape, normalizeAxis, requireFloat, requireInput } from './common.js';
import type { InputInfo, ShapeRule } from './types.js';

/** The normalised axis and the row length for an input shape. */
export function layerNormGeometry(node: Node, shape: readonly number[]): { axis: number; rowLength: number; rows: number } {
  const axis = normalizeAxis(node, attrInt(node, 'axis', -1), shape.length);
  const rowLength = sizeOf(shape.slice(axis));
  return { axis, rowLength, rows: sizeOf(shape.slice(0, axis)) };
}

function checkParam(node: Node, p: InputInfo | undefined, what: string, normalized: readonly number[]): void {
  if (!p) return;
  requireFloat(node, p, what);
  const size = sizeOf(p.shape);
  if (size === 1 || p.shape.some((d) => d < 0) || normalized.some((d) => d < 0)) return;
  const trimmed = p.shape.slice(p.shape.findIndex((d) => d !== 1));
  const tail = normalized.slice(normalized.length - trimmed.length);
  if (trimmed.length > normalized.length || trimmed.some((d, i) => d !== tail[i]) || size !== sizeOf(normalized))
    fail(node, `${what} ${fmtShape(p.shape)} must have the normalised shape ${fmtShape(normalized)} (or one element)`);
}

export const layerNormRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  requireFloat(node, x, 'X');
  const axis = normalizeAxis(node, attrInt(node, 'axis', -1), x.shape.length);
  const normalized = x.shape.slice(axis);
  checkParam(node, requireInput(node, inputs, 1, 'Scale'), 'Scale', normalized);
  checkParam(node, inputs[2], 'B', normalized);
  return [{ dtype: 'f32', shape: [...x.shape] }];
};
