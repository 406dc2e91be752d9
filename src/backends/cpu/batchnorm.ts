/**
 * BatchNormalization, inference form: y = (x - mean) / sqrt(var + epsilon) * scale + B, per channel (dim 1), computed
 * as PyTorch's CPU kernel does (src/graph/ops/batchnorm.ts batchNormLinearTerms).
 */
import { attrFloat } from '../../graph/ir.js';
import { batchNormLinearTerms } from '../../graph/ops/batchnorm.js';
import type { CpuKernel } from './types.js';
import { f32Tensor, fail, floatData, floatInput } from './util.js';

export const batchNormalization: CpuKernel = (node, inputs) => {
  const xT = floatInput(node, inputs, 0);
  if (xT.shape.length < 2) fail(node, `X must have rank ≥ 2, got [${xT.shape.join(', ')}]`);
  const C = xT.shape[1]!;
  const params = [1, 2, 3, 4].map((i) => {
    const t = floatInput(node, inputs, i);
    if (t.data.length !== C) fail(node, `input ${i} must have ${C} elements (one per channel), got ${t.data.length}`);
    return floatData(node, t);
  });
  const [scale, bias, mean, variance] = params as [Float32Array, Float32Array, Float32Array, Float32Array];
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const x = floatData(node, xT);
  const out = f32Tensor(xT.shape);
  const y = out.data as Float32Array;
  const N = xT.shape[0]!;
  const inner = xT.shape.slice(2).reduce((a, b) => a * b, 1);
  for (let c = 0; c < C; c++) {
    // y = fround(x * a + b) with PyTorch's float32 a and b (see batchNormLinearTerms).
    const [a, b] = batchNormLinearTerms(scale[c]!, bias[c]!, mean[c]!, variance[c]!, eps);
    for (let n = 0; n < N; n++) {
      const off = (n * C + c) * inner;
      for (let i = off, end = off + inner; i < end; i++) y[i] = x[i]! * a + b;
    }
  }
  return [out];
};
