/**
 * Erf and GELU: the float64 scalar definitions every backend is tested against (CPU reference kernels, fused
 * epilogue activations 'gelu' / 'gelu_tanh'), and the shape rules of the two ops.
 *
 *   Erf(X)                         X f32 -> f32, the error function
 *   Gelu(X, approximate = 'none')  X f32 -> f32, 0.5·x·(1 + erf(x/√2))                      (ONNX opset 20)
 *   Gelu(X, approximate = 'tanh')  X f32 -> f32, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
 *
 * Gelu is what the fuseGelu pass (src/graph/passes/fuse_gelu.ts) makes of the exported elementwise idioms.
 */
import { attrString, type Node } from '../ir.js';
import { fail, requireFloat, requireInput } from './common.js';
import type { ShapeRule } from './types.js';

const TWO_OVER_SQRT_PI = 1.1283791670955126;
/** erf(6) = 1 - 2·10⁻¹⁷: ±1 in float64 from here on. */
const ERF_SATURATES = 6;

/**
 * erf(x) to float64 accuracy (absolute error a few 1e-16) from the series of positive terms
 * erf(x) = 2/√π · e^(-x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)): no cancellation, so it stays accurate up to |x| = 6
 * (about 120 terms there, a handful near 0). Keeps -0 and NaN.
 */
export function erf(x: number): number {
  if (!(Math.abs(x) < ERF_SATURATES)) return Number.isNaN(x) ? x : Math.sign(x);
  if (x === 0) return x;
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 400; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/** √(2/π), the tanh form's scale. */
export const SQRT_2_OVER_PI = 0.7978845608028654;
export const GELU_TANH_CUBIC = 0.044715;

/** GELU, erf form. */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x * Math.SQRT1_2));
}

/** GELU, tanh approximation. */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * x * x * x)));
}

export const GELU_APPROXIMATIONS = ['none', 'tanh'] as const;

/** Gelu's `approximate` attribute, validated. */
export function geluApproximation(node: Node): 'none' | 'tanh' {
  const a = attrString(node, 'approximate', 'none');
  if (a !== 'none' && a !== 'tanh') fail(node, `approximate must be 'none' or 'tanh', got '${a}'`);
  return a;
}

const floatUnary: ShapeRule = (node, inputs) => {
  const x = requireInput(node, inputs, 0, 'input X');
  requireFloat(node, x, 'X');
  return [{ dtype: 'f32', shape: [...x.shape] }];
};

export const geluShapeRules: Record<string, ShapeRule> = {
  Erf: floatUnary,
  Gelu: (node, inputs) => {
    geluApproximation(node);
    return floatUnary(node, inputs);
  },
};
