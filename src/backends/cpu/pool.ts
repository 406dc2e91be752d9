/**
 * MaxPool / AveragePool (1-D, 2-D, 3-D) and GlobalAveragePool / GlobalMaxPool.
 *
 * Geometry (auto_pad, ceil_mode output sizes) comes from `graph/ops/pool.ts`, so shapes and values agree.
 * Windows are clipped to the input; AveragePool divides by the number of real elements (count_include_pad=0) or by
 * the number of window taps inside input + pads (count_include_pad=1: a ceil_mode window running past the end
 * padding is clipped there, as in PyTorch / ONNX Runtime).
 */
import { poolOutputSpatial, poolParams } from '../../graph/ops/pool.js';
import type { CpuKernel } from './types.js';
import { f32Tensor, fail, floatData, floatInput } from './util.js';

/** Taps k in [0, K) of one axis for output position o: which land in the input, which inside input + pads. */
function axisTaps(o: number, s: number, d: number, pb: number, pe: number, K: number, len: number) {
  const start = o * s - pb;
  const inside: number[] = [];
  let padded = 0;
  for (let k = 0; k < K; k++) {
    const i = start + k * d;
    if (i >= 0 && i < len) inside.push(i);
    if (i >= -pb && i < len + pe) padded++;
  }
  return { inside, padded };
}

function windowPool(isMax: boolean): CpuKernel {
  return (node, inputs) => {
    const xT = floatInput(node, inputs, 0);
    const p = poolParams(node, xT.shape);
    const r = p.spatialRank;
    const outSpatial = poolOutputSpatial(xT.shape, p);
    if (outSpatial.some((s) => s <= 0)) fail(node, `empty output spatial size [${outSpatial.join(', ')}]`);
    const lift = (v: readonly number[], fill: number) => [...new Array<number>(3 - r).fill(fill), ...v];
    const [D, H, W] = lift(xT.shape.slice(2), 1) as [number, number, number];
    const [OD, OH, OW] = lift(outSpatial, 1) as [number, number, number];
    const [KD, KH, KW] = lift(p.kernel, 1) as [number, number, number];
    const [sd, sh, sw] = lift(p.strides, 1) as [number, number, number];
    const [dd, dh, dw] = lift(p.dilations, 1) as [number, number, number];
    const [pd, ph, pw] = lift(p.pads.slice(0, r), 0) as [number, number, number];
    const [ped, peh, pew] = lift(p.pads.slice(r), 0) as [number, number, number];
    const planes = xT.shape[0]! * xT.shape[1]!;
    const x = floatData(node, xT);
    const out = f32Tensor([xT.shape[0]!, xT.shape[1]!, ...outSpatial]);
    const y = out.data as Float32Array;
    // Per-axis tap lists are the same for every plane: compute them once.
    const tz = Array.from({ length: OD }, (_, o) => axisTaps(o, sd, dd, pd, ped, KD, D));
    const ty = Array.from({ length: OH }, (_, o) => axisTaps(o, sh, dh, ph, peh, KH, H));
    const tx = Array.from({ length: OW }, (_, o) => axisTaps(o, sw, dw, pw, pew, KW, W));
    const inPlane = D * H * W;
    let q = 0;
    for (let plane = 0; plane < planes; plane++) {
      const base = plane * inPlane;
      for (let oz = 0; oz < OD; oz++) {
        const zs = tz[oz]!;
        for (let oy = 0; oy < OH; oy++) {
          const ys = ty[oy]!;
          for (let ox = 0; ox < OW; ox++) {
            const xs = tx[ox]!;
            let acc = isMax ? -Infinity : 0;
            for (const z of zs.inside) {
              for (const yy of ys.inside) {
                const row = base + (z * H + yy) * W;
                if (isMax) {
                  for (const xx of xs.inside) {
                    const v = x[row + xx]!;
                    if (v > acc || Number.isNaN(v)) acc = v;
                  }
                } else {
                  for (const xx of xs.inside) acc += x[row + xx]!;
                }
              }
            }
            if (!isMax) {
              const count = p.countIncludePad
                ? zs.padded * ys.padded * xs.padded
                : zs.inside.length * ys.inside.length * xs.inside.length;
              acc = count > 0 ? acc / count : NaN;
            }
            y[q++] = acc;
          }
        }
      }
    }
    return [out];
  };
}

function globalPool(isMax: boolean): CpuKernel {
  return (node, inputs) => {
    const xT = floatInput(node, inputs, 0);
    if (xT.shape.length < 3) fail(node, `X must have at least one spatial dim, got [${xT.shape.join(', ')}]`);
    const planes = xT.shape[0]! * xT.shape[1]!;
    const size = xT.shape.slice(2).reduce((a, b) => a * b, 1);
    const x = floatData(node, xT);
    const out = f32Tensor([xT.shape[0]!, xT.shape[1]!, ...xT.shape.slice(2).map(() => 1)]);
    const y = out.data as Float32Array;
    for (let plane = 0; plane < planes; plane++) {
      const base = plane * size;
      if (isMax) {
        let m = -Infinity;
        for (let i = 0; i < size; i++) {
          const v = x[base + i]!;
          if (v > m || Number.isNaN(v)) m = v;
        }
        y[plane] = m;
      } else {
        let s = 0;
        for (let i = 0; i < size; i++) s += x[base + i]!;
        y[plane] = s / size;
      }
    }
    return [out];
  };
}

export const poolKernels: Record<string, CpuKernel> = {
  MaxPool: windowPool(true),
  AveragePool: windowPool(false),
  GlobalMaxPool: globalPool(true),
  GlobalAveragePool: globalPool(false),
};
