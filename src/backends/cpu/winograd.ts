/**
 * CPU reference for the Winograd F(2×2, 3×3) ops (definitions and matrices: src/graph/ops/winograd.ts). Plain loops,
 * float64 arithmetic inside each op, f32 storage between ops (as on the GPU), so the lowered graph can be checked on
 * this backend against the plain Conv it replaces.
 */
import { sizeOf } from '../../graph/ir.js';
import { activationFn, readEpilogue } from '../../graph/ops/fused.js';
import {
  WINOGRAD_ELEMS,
  paddedChannels,
  winogradOutputShape,
  winogradPads,
  winogradTiles,
  winogradWeights,
} from '../../graph/ops/winograd.js';
import type { CpuKernel } from './types.js';
import { f32Tensor, fail, floatData, floatInput } from './util.js';

/** V = Bᵀ d B of every tile's 4×4 input patch (zero outside the image); padding tiles stay zero. */
const winogradInput: CpuKernel = (node, inputs) => {
  const [top, left, bottom, right] = winogradPads(node);
  const xt = floatInput(node, inputs, 0);
  if (xt.shape.length !== 4) fail(node, `X must be 4-D [N, C, H, W], got [${xt.shape.join(', ')}]`);
  const [n, c, h, w] = xt.shape as [number, number, number, number];
  const oh = h + top + bottom - 2;
  const ow = w + left + right - 2;
  if (oh < 1 || ow < 1) fail(node, `X [${xt.shape.join(', ')}] is smaller than the 3×3 kernel`);
  const x = floatData(node, xt);
  const t = winogradTiles(n, oh, ow);
  const out = new Float32Array(WINOGRAD_ELEMS * c * t.tilesPadded);
  const d = new Float64Array(16);
  const r = new Float64Array(16);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++) {
      const plane = (b * c + ch) * h * w;
      for (let ty = 0; ty < t.th; ty++)
        for (let tx = 0; tx < t.tw; tx++) {
          const tile = (b * t.th + ty) * t.tw + tx;
          for (let i = 0; i < 4; i++)
            for (let j = 0; j < 4; j++) {
              const y = 2 * ty - top + i;
              const xx = 2 * tx - left + j;
              d[4 * i + j] = y >= 0 && y < h && xx >= 0 && xx < w ? x[plane + y * w + xx]! : 0;
            }
          // Bᵀ d (rows), then (Bᵀ d) B (columns).
          for (let j = 0; j < 4; j++) {
            const [d0, d1, d2, d3] = [d[j]!, d[4 + j]!, d[8 + j]!, d[12 + j]!];
            r[j] = d0 - d2;
            r[4 + j] = d1 + d2;
            r[8 + j] = d2 - d1;
            r[12 + j] = d1 - d3;
          }
          for (let i = 0; i < 4; i++) {
            const [r0, r1, r2, r3] = [r[4 * i]!, r[4 * i + 1]!, r[4 * i + 2]!, r[4 * i + 3]!];
            const v = [r0 - r2, r1 + r2, r2 - r1, r1 - r3];
            for (let j = 0; j < 4; j++) out[((4 * i + j) * c + ch) * t.tilesPadded + tile] = v[j]!;
          }
        }
    }
  return [f32Tensor([WINOGRAD_ELEMS, c, t.tilesPadded], out)];
};

/** M[e] = Vᵀ[e] U[e] with U = G g Gᵀ computed from the OIHW weights (float64 sums, f32 result). */
const winogradGemm: CpuKernel = (node, inputs) => {
  const vt = floatInput(node, inputs, 0);
  const wt = floatInput(node, inputs, 1);
  if (vt.shape.length !== 3 || vt.shape[0] !== WINOGRAD_ELEMS) fail(node, `V must be [16, C, Tp], got [${vt.shape.join(', ')}]`);
  const [, c, tp] = vt.shape as [number, number, number];
  if (wt.shape.length !== 4 || wt.shape[1] !== c || wt.shape[2] !== 3 || wt.shape[3] !== 3) fail(node, `W must be [K, ${c}, 3, 3], got [${wt.shape.join(', ')}]`);
  const k = wt.shape[0]!;
  const kp = paddedChannels(k);
  const u = winogradWeights(floatData(node, wt), k, c);
  const v = floatData(node, vt);
  const out = new Float32Array(WINOGRAD_ELEMS * tp * kp);
  const acc = new Float64Array(k);
  for (let e = 0; e < WINOGRAD_ELEMS; e++)
    for (let t = 0; t < tp; t++) {
      acc.fill(0);
      for (let ch = 0; ch < c; ch++) {
        const a = v[(e * c + ch) * tp + t]!;
        if (a === 0) continue;
        const ub = (e * c + ch) * k;
        for (let oc = 0; oc < k; oc++) acc[oc] += a * u[ub + oc]!;
      }
      out.set(acc, (e * tp + t) * kp);
    }
  return [f32Tensor([WINOGRAD_ELEMS, tp, kp], out)];
};

/** Y = Aᵀ M A per tile (cropped to OH × OW), then bias, residual and activation in FusedConv's order. */
const winogradOutput: CpuKernel = (node, inputs) => {
  const epi = readEpilogue(node);
  const act = activationFn(epi);
  const [n, k, oh, ow] = winogradOutputShape(node);
  const mt = floatInput(node, inputs, 0);
  const t = winogradTiles(n, oh, ow);
  const kp = paddedChannels(k);
  if (mt.shape.length !== 3 || mt.shape[0] !== WINOGRAD_ELEMS || mt.shape[1] !== t.tilesPadded || mt.shape[2] !== kp)
    fail(node, `M must be [16, ${t.tilesPadded}, ${kp}], got [${mt.shape.join(', ')}]`);
  const m = floatData(node, mt);
  const bias = inputs[1] ? floatData(node, inputs[1]) : undefined;
  const res = inputs[2] ? floatData(node, inputs[2]) : undefined;
  if (bias && bias.length !== k) fail(node, `bias B must have ${k} values, got ${bias.length}`);
  const outShape = [n, k, oh, ow];
  if (res && res.length !== sizeOf(outShape)) fail(node, `residual R must be [${outShape.join(', ')}]`);
  const out = new Float32Array(sizeOf(outShape));
  const mm = new Float64Array(16);
  for (let b = 0; b < n; b++)
    for (let ty = 0; ty < t.th; ty++)
      for (let tx = 0; tx < t.tw; tx++) {
        const tile = (b * t.th + ty) * t.tw + tx;
        for (let oc = 0; oc < k; oc++) {
          for (let e = 0; e < 16; e++) mm[e] = m[(e * t.tilesPadded + tile) * kp + oc]!;
          // Aᵀ m: two rows of 4; then (Aᵀ m) A: two columns.
          const s0 = [0, 1, 2, 3].map((j) => mm[j]! + mm[4 + j]! + mm[8 + j]!);
          const s1 = [0, 1, 2, 3].map((j) => mm[4 + j]! - mm[8 + j]! - mm[12 + j]!);
          const y = [s0[0]! + s0[1]! + s0[2]!, s0[1]! - s0[2]! - s0[3]!, s1[0]! + s1[1]! + s1[2]!, s1[1]! - s1[2]! - s1[3]!];
          for (let q = 0; q < 4; q++) {
            const row = 2 * ty + (q >> 1);
            const col = 2 * tx + (q & 1);
            if (row >= oh || col >= ow) continue;
            const idx = ((b * k + oc) * oh + row) * ow + col;
            let v = Math.fround(y[q]!);
            if (bias) v = Math.fround(v + bias[oc]!);
            if (res && !epi.residualAfterActivation) v = Math.fround(v + res[idx]!);
            v = Math.fround(act(v));
            if (res && epi.residualAfterActivation) v = Math.fround(v + res[idx]!);
            out[idx] = v;
          }
        }
      }
  return [f32Tensor(outShape, out)];
};

export const winogradCpuKernels: Record<string, CpuKernel> = { WinogradInput: winogradInput, WinogradGemm: winogradGemm, WinogradOutput: winogradOutput };
