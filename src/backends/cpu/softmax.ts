/** Softmax along one axis (default -1), numerically stable (max subtracted), computed in float64. */
import { attrInt } from '../../graph/ir.js';
import type { CpuKernel } from './types.js';
import { f32Tensor, floatData, floatInput, normAxis } from './util.js';

export const softmax: CpuKernel = (node, inputs) => {
  const xT = floatInput(node, inputs, 0);
  const rank = xT.shape.length;
  if (rank === 0) return [f32Tensor([], Float32Array.of(1))];
  const axis = normAxis(node, attrInt(node, 'axis', -1), rank);
  const len = xT.shape[axis]!;
  const inner = xT.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = xT.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const x = floatData(node, xT);
  const out = f32Tensor(xT.shape);
  const y = out.data as Float32Array;
  const e = new Float64Array(len);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let max = -Infinity;
      for (let k = 0; k < len; k++) max = Math.max(max, x[base + k * inner]!);
      let sum = 0;
      for (let k = 0; k < len; k++) {
        // all -Infinity row: max - max is NaN; return NaN like other runtimes rather than inventing a value
        const v = Math.exp(x[base + k * inner]! - max);
        e[k] = v;
        sum += v;
      }
      for (let k = 0; k < len; k++) y[base + k * inner] = e[k]! / sum;
    }
  }
  return [out];
};
