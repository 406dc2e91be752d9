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

/**
 * The reference arithmetic of one BatchNormalization channel, y = fround(x·a + b), with a and b the float32 values
 * PyTorch's CPU kernel computes (the models come from PyTorch, and a binarised net's sign of a BN output flips on
 * the last bit of these values: matching them makes Tessera's XNOR-Net predictions PyTorch's, image for image):
 *   a = fround(fround(1 / fround(sqrt(fround(var + fround(eps))))) · scale),   b = fround(B − mean·a) (fused)
 * and y = fround(x·a + b) (fused multiply-add). Every step is float32-correctly rounded (float64 then fround is exact
 * for +, ×, ÷, sqrt of float32 operands; the fused steps round twice, which differs from a true fma only when the
 * float64 sum lands exactly halfway between two float32 values). Checked bit for bit against PyTorch 1.13 by
 * tests/backends/cpu/batchnorm.test.ts (fixture values) and tools/ (make_fixtures).
 */
export function batchNormLinearTerms(scale: number, bias: number, mean: number, variance: number, epsilon: number): [number, number] {
  const fr = Math.fround;
  const invstd = fr(1 / fr(Math.sqrt(fr(variance + fr(epsilon)))));
  const a = fr(invstd * scale);
  return [a, fr(bias - mean * a)];
}
