/**
 * BatchNormalization (inference only). Inputs: X [N, C, ...], scale [C], B [C], mean [C], var [C].
 * Attribute: epsilon (1e-5). One output, same shape as X. Training outputs (running mean/var) are not supported.
 */
import { fail, fmtShape, requireFloat, requireInput } from './common.js';
import type { ShapeRule } from './types.js';

const PARAM_NAMES = ['scale', 'B', 'mean', 'var'] as const;

export const batchNormRule: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  requireFloat(node, x, 'X');
  if (x.shape.length < 2) fail(node, `X must have rank >= 2, got shape ${fmtShape(x.shape)}`);
  if (node.outputs.filter((o) => o !== '').length > 1) fail(node, `only inference mode (one output) is supported`);
  const c = x.shape[1]!;
  PARAM_NAMES.forEach((what, i) => {
    const p = requireInput(node, inputs, i + 1, what);
    requireFloat(node, p, what);
    if (p.shape.length !== 1 || (c >= 0 && p.shape[0] !== c))
      fail(node, `${what} shape ${fmtShape(p.shape)} does not match channel count ${c} of X ${fmtShape(x.shape)}`);
  });
  return [{ dtype: 'f32', shape: [...x.shape] }];
};
