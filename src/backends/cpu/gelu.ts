/** CPU reference for Erf and Gelu (definitions: src/graph/ops/gelu.ts): float64 per element, one f32 rounding. */
import type { Node } from '../../graph/ir.js';
import { erf, gelu, geluApproximation, geluTanh } from '../../graph/ops/gelu.js';
import type { CpuKernel } from './types.js';
import { floatData, need } from './util.js';

function floatUnary(fn: (node: Node) => (x: number) => number): CpuKernel {
  return (node, inputs) => {
    const t = need(node, inputs, 0);
    const x = floatData(node, t);
    const f = fn(node);
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = f(x[i]!);
    return [{ dtype: 'f32', shape: [...t.shape], data: y }];
  };
}

export const geluCpuKernels: Record<string, CpuKernel> = {
  Erf: floatUnary(() => erf),
  Gelu: floatUnary((node) => (geluApproximation(node) === 'tanh' ? geluTanh : gelu)),
};
