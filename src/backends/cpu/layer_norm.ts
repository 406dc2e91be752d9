/**
 * LayerNormalization (src/graph/ops/layer_norm.ts). Every step is computed in float64 from f32 operands and rounded
 * to f32, in the order of the decomposition converters emit (ReduceMean, Sub, Pow 2, ReduceMean, Add ε, Sqrt, Div,
 * Mul Scale, Add B) and with the same sums (float64, element order), so `fuseLayerNorm` is bit-exact on the CPU.
 */
import { attrFloat, sizeOf } from '../../graph/ir.js';
import { layerNormGeometry } from '../../graph/ops/layer_norm.js';
import type { CpuKernel } from './types.js';
import { floatData, need } from './util.js';

const f = Math.fround;

export const layerNorm: CpuKernel = (node, inputs) => {
  const x = need(node, inputs, 0);
  const scaleT = need(node, inputs, 1);
  const { rowLength: n, rows } = layerNormGeometry(node, x.shape);
  const src = floatData(node, x);
  const scale = floatData(node, scaleT);
  const bias = inputs[2] ? floatData(node, inputs[2]) : undefined;
  const eps = f(attrFloat(node, 'epsilon', 1e-5));
  const out = new Float32Array(sizeOf(x.shape));
  const d = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += src[base + i]!;
    const mean = f(sum / n);
    let sq = 0;
    for (let i = 0; i < n; i++) {
      d[i] = f(src[base + i]! - mean);
      sq += f(d[i]! ** 2);
    }
    const std = f(Math.sqrt(f(f(sq / n) + eps)));
    for (let i = 0; i < n; i++) {
      let y = f(f(d[i]! / std) * scale[scale.length === 1 ? 0 : i]!);
      if (bias) y = f(y + bias[bias.length === 1 ? 0 : i]!);
      out[base + i] = y;
    }
  }
  return [{ dtype: 'f32', shape: [...x.shape], data: out }];
};
