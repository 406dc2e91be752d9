/**
 * ConvTranspose 1-D / 2-D / 3-D (NCW, NCHW, NCDHW), with groups, strides, dilations, pads, output_padding,
 * auto_pad / output_shape (resolved by `convTransposeParams`) and bias.
 *
 * Method: the scatter form, the op's definition: each input value x[n, ic, i] adds x * W[ic, oc, k] to
 * y[n, oc, i * stride + k * dilation - pad_begin] when that position is inside the output. Sums are accumulated in
 * float64 and rounded to float32 once, so the reference does not depend on summation order (it is the oracle for the
 * WebGPU kernel, which sums in another order). Every conv is treated as 3-D (missing leading dims have size 1).
 */
import { convTransposeParams } from '../../graph/ops/conv_transpose.js';
import type { CpuKernel } from './types.js';
import { f32Tensor, fail, floatData, floatInput } from './util.js';

/** Pads a spatial vector to 3-D from the front (1-D: [W] → [fill, fill, W]). */
function to3d(v: readonly number[], fill: number): [number, number, number] {
  const out = [...new Array<number>(3 - v.length).fill(fill), ...v];
  return [out[0]!, out[1]!, out[2]!];
}

export const convTranspose: CpuKernel = (node, inputs) => {
  const xt = floatInput(node, inputs, 0);
  const wt = floatInput(node, inputs, 1);
  const bt = inputs[2];
  const p = convTransposeParams(node, xt.shape, wt.shape);
  const r = p.spatialRank;
  const [N, C] = [xt.shape[0]!, xt.shape[1]!];
  if (wt.shape[0] !== C || C % p.group !== 0) fail(node, `W.shape[0] ${wt.shape[0]} must equal the input channels ${C}, divisible by group ${p.group}`);
  const cinG = C / p.group;
  const coutG = wt.shape[1]!;
  const cout = coutG * p.group;
  const [D, H, W] = to3d(xt.shape.slice(2), 1);
  const [OD, OH, OW] = to3d(p.outSpatial, 1);
  if (OD < 1 || OH < 1 || OW < 1) fail(node, `output spatial size [${p.outSpatial.join(', ')}] is empty`);
  const [KD, KH, KW] = to3d(p.kernel, 1);
  const [sd, sh, sw] = to3d(p.strides, 1);
  const [dd, dh, dw] = to3d(p.dilations, 1);
  const [pd, ph, pw] = to3d(p.pads.slice(0, r), 0);
  const x = floatData(node, xt);
  const w = floatData(node, wt);
  const taps = KD * KH * KW;
  const plane = OD * OH * OW;
  const acc = new Float64Array(N * cout * plane);
  for (let n = 0; n < N; n++)
    for (let ic = 0; ic < C; ic++) {
      const g = Math.floor(ic / cinG);
      const xOff = (n * C + ic) * D * H * W;
      for (let oc = 0; oc < coutG; oc++) {
        const wOff = (ic * coutG + oc) * taps;
        const yOff = (n * cout + g * coutG + oc) * plane;
        for (let z = 0; z < D; z++)
          for (let kz = 0; kz < KD; kz++) {
            const oz = z * sd + kz * dd - pd;
            if (oz < 0 || oz >= OD) continue;
            for (let y = 0; y < H; y++)
              for (let ky = 0; ky < KH; ky++) {
                const oy = y * sh + ky * dh - ph;
                if (oy < 0 || oy >= OH) continue;
                const xRow = xOff + (z * H + y) * W;
                const yRow = yOff + (oz * OH + oy) * OW;
                const wRow = wOff + (kz * KH + ky) * KW;
                for (let kx = 0; kx < KW; kx++) {
                  const wv = w[wRow + kx]!;
                  for (let xi = 0; xi < W; xi++) {
                    const ox = xi * sw + kx * dw - pw;
                    if (ox >= 0 && ox < OW) acc[yRow + ox] += x[xRow + xi]! * wv;
                  }
                }
              }
          }
      }
    }
  const out = f32Tensor([N, cout, ...p.outSpatial]);
  const y = out.data as Float32Array;
  const bias = bt ? floatData(node, bt) : undefined;
  for (let i = 0; i < y.length; i++) y[i] = acc[i]! + (bias ? bias[Math.floor(i / plane) % cout]! : 0);
  return [out];
};
