import { describe, expect, it } from 'vitest';
import { poolKernels } from '../../../src/backends/cpu/pool.js';
import type { Tensor } from '../../../src/graph/ir.js';
import { expectClose, f32, node, randInt, randomF32, rng } from './helpers.js';

interface PoolCfg {
  shape: number[]; kernel: number[]; strides: number[]; dilations: number[]; pads: number[];
  ceil: boolean; includePad: boolean;
}

function outLen(len: number, k: number, s: number, d: number, pb: number, pe: number, ceil: boolean): number {
  const span = len + pb + pe - (k - 1) * d - 1;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= len + pb) out--; // a window may not start in the right padding
  return out;
}

/** Window by window, with explicit checks of which taps are real and which lie in input + pads. */
function naivePool(x: Tensor, cfg: PoolCfg, isMax: boolean): { shape: number[]; data: number[] } {
  const r = cfg.kernel.length;
  const sp = cfg.shape.slice(2);
  const outSp = sp.map((len, i) => outLen(len, cfg.kernel[i]!, cfg.strides[i]!, cfg.dilations[i]!, cfg.pads[i]!, cfg.pads[i + r]!, cfg.ceil));
  const enumerate = (dims: number[]): number[][] => {
    let all: number[][] = [[]];
    for (const d of dims) all = all.flatMap((p) => Array.from({ length: d }, (_, i) => [...p, i]));
    return all;
  };
  const planeSize = sp.reduce((a, b) => a * b, 1);
  const data: number[] = [];
  for (let plane = 0; plane < cfg.shape[0]! * cfg.shape[1]!; plane++) {
    for (const o of enumerate(outSp)) {
      let acc = isMax ? -Infinity : 0;
      let real = 0;
      let padded = 0;
      for (const t of enumerate(cfg.kernel)) {
        const pos = o.map((v, i) => v * cfg.strides[i]! - cfg.pads[i]! + t[i]! * cfg.dilations[i]!);
        if (pos.every((p, i) => p >= -cfg.pads[i]! && p < sp[i]! + cfg.pads[i + r]!)) padded++;
        if (pos.some((p, i) => p < 0 || p >= sp[i]!)) continue;
        real++;
        const v = x.data[plane * planeSize + pos.reduce((a, p, i) => a * sp[i]! + p, 0)] as number;
        acc = isMax ? Math.max(acc, v) : acc + v;
      }
      data.push(isMax ? acc : acc / (cfg.includePad ? padded : real));
    }
  }
  return { shape: [cfg.shape[0]!, cfg.shape[1]!, ...outSp], data };
}

function attrsOf(cfg: PoolCfg) {
  return {
    kernel_shape: cfg.kernel, strides: cfg.strides, dilations: cfg.dilations, pads: cfg.pads,
    ceil_mode: cfg.ceil ? 1 : 0, count_include_pad: cfg.includePad ? 1 : 0,
  };
}

describe('MaxPool / AveragePool (CPU)', () => {
  it('2x2 stride-2 max pool, by hand', () => {
    const x = f32([1, 1, 4, 4], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    const [y] = poolKernels.MaxPool!(node('MaxPool', { kernel_shape: [2, 2], strides: [2, 2] }), [x]);
    expectClose(y!, [1, 1, 2, 2], [6, 8, 14, 16]);
  });

  it('ceil_mode and count_include_pad, by hand (values checked against PyTorch)', () => {
    const x = f32([1, 1, 4], [1, 2, 3, 4]);
    const attrs = { kernel_shape: [3], strides: [2], pads: [1, 1], ceil_mode: 1 };
    // windows start at -1, 1, 3; the last one covers 4 and one pad cell; the third tap (index 5) is past the pads
    const [inc] = poolKernels.AveragePool!(node('AveragePool', { ...attrs, count_include_pad: 1 }), [x]);
    expectClose(inc!, [1, 1, 3], [3 / 3, 9 / 3, 4 / 2]);
    const [exc] = poolKernels.AveragePool!(node('AveragePool', { ...attrs, count_include_pad: 0 }), [x]);
    expectClose(exc!, [1, 1, 3], [3 / 2, 9 / 3, 4 / 1]);
    const [clipped] = poolKernels.AveragePool!(
      node('AveragePool', { kernel_shape: [2], strides: [2], ceil_mode: 1, count_include_pad: 1 }),
      [f32([1, 1, 5], [1, 2, 3, 4, 5])],
    );
    expectClose(clipped!, [1, 1, 3], [1.5, 3.5, 5]);
  });

  it('drops a ceil_mode window that would start in the right padding', () => {
    const x = f32([1, 1, 5], [1, 5, 2, 4, 3]);
    const [y] = poolKernels.MaxPool!(node('MaxPool', { kernel_shape: [2], strides: [2], pads: [1, 1], ceil_mode: 1 }), [x]);
    expectClose(y!, [1, 1, 3], [1, 5, 4]);
  });

  for (const rank of [1, 2, 3]) {
    it(`matches the naive ${rank}-D pools on seeded random configurations`, () => {
      for (let s = 0; s < 30; s++) {
        const r = rng(700 * rank + s);
        const kernel = Array.from({ length: rank }, () => randInt(r, 1, 3));
        const dilations = Array.from({ length: rank }, () => (r() < 0.3 ? 2 : 1));
        const eff = kernel.map((k, i) => (k - 1) * dilations[i]! + 1);
        const pads = [...eff, ...eff].map((e) => randInt(r, 0, e - 1)); // ONNX: pad < window extent
        const cfg: PoolCfg = {
          shape: [randInt(r, 1, 2), randInt(r, 1, 3), ...eff.map((e) => e + randInt(r, 0, rank === 3 ? 3 : 6))],
          kernel, dilations, pads,
          strides: Array.from({ length: rank }, () => randInt(r, 1, 3)),
          ceil: r() < 0.5, includePad: r() < 0.5,
        };
        const x = randomF32(r, cfg.shape);
        for (const op of ['MaxPool', 'AveragePool'] as const) {
          const [y] = poolKernels[op]!(node(op, attrsOf(cfg)), [x]);
          const ref = naivePool(x, cfg, op === 'MaxPool');
          expectClose(y!, ref.shape, ref.data, 1e-6);
        }
      }
    });
  }

  it('resolves auto_pad SAME_UPPER', () => {
    // len 5, k 2, s 1 -> total pad 1, at the end
    const [y] = poolKernels.MaxPool!(node('MaxPool', { kernel_shape: [2], auto_pad: 'SAME_UPPER' }), [f32([1, 1, 5], [1, 5, 2, 4, 3])]);
    expectClose(y!, [1, 1, 5], [5, 5, 4, 4, 3]);
  });

  it('global pools keep spatial dims as 1 and work per plane', () => {
    const x = f32([2, 2, 1, 3], [1, 2, 3, -4, -5, -6, 0, 0, 9, 7, 7, 7]);
    const [avg] = poolKernels.GlobalAveragePool!(node('GlobalAveragePool'), [x]);
    expectClose(avg!, [2, 2, 1, 1], [2, -5, 3, 7]);
    const [max] = poolKernels.GlobalMaxPool!(node('GlobalMaxPool'), [x]);
    expectClose(max!, [2, 2, 1, 1], [3, -4, 9, 7]);
  });

  it('errors name the node', () => {
    expect(() => poolKernels.MaxPool!(node('MaxPool', { kernel_shape: [2, 2] }), [f32([1, 1, 4], [1, 2, 3, 4])])).toThrow(/test_MaxPool/);
  });
});
