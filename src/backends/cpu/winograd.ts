/**
 * CPU reference for the Winograd F(m×m, 3×3) ops, m = 2 or 4 (definitions and matrices: src/graph/ops/winograd.ts).
 * Plain loops over the matrices, float64 arithmetic inside each op, f32 storage between ops (as on the GPU), so the
 * lowered graph can be checked on this backend against the plain Conv it replaces.
 */
import { sizeOf } from '../../graph/ir.js';
import { activationFn, readEpilogue } from '../../graph/ops/fused.js';
import {
  WINOGRAD_MATRICES,
  paddedChannels,
  winogradElems,
  winogradOutputShape,
  winogradPads,
  winogradTile,
  winogradTiles,
  winogradWeights,
} from '../../graph/ops/winograd.js';
import { residualValues } from './fused.js';
import type { CpuKernel } from './types.js';
import { f32Tensor, fail, floatData, floatInput } from './util.js';

/** out = L · X · Lᵀ for X (cols × cols, row-major) and L (rows × cols); float64. */
function sandwich(l: number[][], x: Float64Array, out: Float64Array, tmp: Float64Array): void {
  const rows = l.length;
  const cols = l[0]!.length;
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let q = 0; q < cols; q++) s += l[i]![q]! * x[q * cols + j]!;
      tmp[i * cols + j] = s;
    }
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < rows; j++) {
      let s = 0;
      for (let q = 0; q < cols; q++) s += tmp[i * cols + q]! * l[j]![q]!;
      out[i * rows + j] = s;
    }
}

/** V = Bᵀ d B of every tile's α×α input patch (zero outside the image); padding tiles stay zero. */
const winogradInput: CpuKernel = (node, inputs) => {
  const m = winogradTile(node);
  const a = m + 2;
  const e = winogradElems(m);
  const [top, left, bottom, right] = winogradPads(node);
  const xt = floatInput(node, inputs, 0);
  if (xt.shape.length !== 4) fail(node, `X must be 4-D [N, C, H, W], got [${xt.shape.join(', ')}]`);
  const [n, c, h, w] = xt.shape as [number, number, number, number];
  const oh = h + top + bottom - 2;
  const ow = w + left + right - 2;
  if (oh < 1 || ow < 1) fail(node, `X [${xt.shape.join(', ')}] is smaller than the 3×3 kernel`);
  const x = floatData(node, xt);
  const t = winogradTiles(n, oh, ow, m);
  const bt = WINOGRAD_MATRICES[m].bt;
  const out = new Float32Array(e * c * t.tilesPadded);
  const d = new Float64Array(e);
  const v = new Float64Array(e);
  const tmp = new Float64Array(e);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++) {
      const plane = (b * c + ch) * h * w;
      for (let ty = 0; ty < t.th; ty++)
        for (let tx = 0; tx < t.tw; tx++) {
          const tile = (b * t.th + ty) * t.tw + tx;
          for (let i = 0; i < a; i++)
            for (let j = 0; j < a; j++) {
              const y = m * ty - top + i;
              const xx = m * tx - left + j;
              d[a * i + j] = y >= 0 && y < h && xx >= 0 && xx < w ? x[plane + y * w + xx]! : 0;
            }
          sandwich(bt, d, v, tmp);
          for (let q = 0; q < e; q++) out[(q * c + ch) * t.tilesPadded + tile] = v[q]!;
        }
    }
  return [f32Tensor([e, c, t.tilesPadded], out)];
};

/** M[e] = Vᵀ[e] U[e] with U = G g Gᵀ computed from the OIHW weights (float64 sums, f32 result). */
const winogradGemm: CpuKernel = (node, inputs) => {
  const m = winogradTile(node);
  const elems = winogradElems(m);
  const vt = floatInput(node, inputs, 0);
  const wt = floatInput(node, inputs, 1);
  if (vt.shape.length !== 3 || vt.shape[0] !== elems) fail(node, `V must be [${elems}, C, Tp], got [${vt.shape.join(', ')}]`);
  const [, c, tp] = vt.shape as [number, number, number];
  if (wt.shape.length !== 4 || wt.shape[1] !== c || wt.shape[2] !== 3 || wt.shape[3] !== 3) fail(node, `W must be [K, ${c}, 3, 3], got [${wt.shape.join(', ')}]`);
  const k = wt.shape[0]!;
  const kp = paddedChannels(k);
  const u = winogradWeights(floatData(node, wt), k, c, m);
  const v = floatData(node, vt);
  const out = new Float32Array(elems * tp * kp);
  const acc = new Float64Array(k);
  for (let e = 0; e < elems; e++)
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
  return [f32Tensor([elems, tp, kp], out)];
};

/** Y = Aᵀ M A per tile (cropped to OH × OW), then bias, residual and activation in FusedConv's order. */
const winogradOutput: CpuKernel = (node, inputs) => {
  const tileM = winogradTile(node);
  const elems = winogradElems(tileM);
  const epi = readEpilogue(node);
  const act = activationFn(epi);
  const [n, k, oh, ow] = winogradOutputShape(node);
  const mt = floatInput(node, inputs, 0);
  const t = winogradTiles(n, oh, ow, tileM);
  const kp = paddedChannels(k);
  if (mt.shape.length !== 3 || mt.shape[0] !== elems || mt.shape[1] !== t.tilesPadded || mt.shape[2] !== kp)
    fail(node, `M must be [${elems}, ${t.tilesPadded}, ${kp}], got [${mt.shape.join(', ')}]`);
  const m = floatData(node, mt);
  const bias = inputs[1] ? floatData(node, inputs[1]) : undefined;
  const outShape = [n, k, oh, ow];
  const res = inputs[2] ? residualValues(node, inputs[2], outShape) : undefined;
  if (bias && bias.length !== k) fail(node, `bias B must have ${k} values, got ${bias.length}`);
  if (res && res.length !== sizeOf(outShape)) fail(node, `residual R must be [${outShape.join(', ')}]`);
  const at = WINOGRAD_MATRICES[tileM].at;
  const out = new Float32Array(sizeOf(outShape));
  const mm = new Float64Array(elems);
  const y = new Float64Array(tileM * tileM);
  const tmp = new Float64Array(elems);
  for (let b = 0; b < n; b++)
    for (let ty = 0; ty < t.th; ty++)
      for (let tx = 0; tx < t.tw; tx++) {
        const tile = (b * t.th + ty) * t.tw + tx;
        for (let oc = 0; oc < k; oc++) {
          for (let e = 0; e < elems; e++) mm[e] = m[(e * t.tilesPadded + tile) * kp + oc]!;
          sandwich(at, mm, y, tmp);
          for (let q = 0; q < tileM * tileM; q++) {
            const row = tileM * ty + Math.floor(q / tileM);
            const col = tileM * tx + (q % tileM);
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
