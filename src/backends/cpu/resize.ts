/**
 * CPU reference of Resize, DepthToSpace and SpaceToDepth (definitions and shared geometry:
 * src/graph/ops/resize.ts).
 *
 * Resize is separable: every axis maps each output coordinate to a few input taps with weights (1 for nearest, 2
 * for linear, 4 for cubic), and an output element is the sum over the product of its axes' taps. The same code
 * handles every axis, so linear and cubic are N-D (bilinear on NCHW's H and W, trilinear on NCDHW, ...); axes whose
 * mapping is the identity contribute a single tap of weight 1. Accumulation in float64.
 */
import { sizeOf, stridesOf } from '../../graph/ir.js';
import { blocksize, cubicCoeffs, depthToSpaceMode, nearestIndex, resizeAxisIsIdentity, resizeCoord, resizeGeometry, resizeParams, type ResizeParams } from '../../graph/ops/resize.js';
import type { CpuKernel } from './types.js';
import { f32Tensor, fail, floatData, floatInput } from './util.js';

interface AxisTaps {
  /** Per output coordinate: input element offsets (index × stride) and weights; null = extrapolation_value. */
  offsets: (number[] | null)[];
  weights: number[][];
}

/** Taps of one axis: for each output coordinate, the input offsets and weights (null: outside the tf_crop_and_resize roi). */
function resizeAxisTaps(p: ResizeParams, axis: number, rank: number, inLen: number, outLen: number, scale: number, stride: number): AxisTaps {
  const offsets: (number[] | null)[] = [];
  const weights: number[][] = [];
  const roiStart = p.roi[axis]!;
  const roiEnd = p.roi[axis + rank]!;
  for (let o = 0; o < outLen; o++) {
    if (resizeAxisIsIdentity(scale, inLen, outLen)) {
      offsets.push([o * stride]);
      weights.push([1]);
      continue;
    }
    const c = resizeCoord(p.coord, o, scale, inLen, outLen, roiStart, roiEnd);
    // tf_crop_and_resize: a coordinate outside the input reads extrapolation_value (every mode, as onnxruntime).
    if (p.coord === 'tf_crop_and_resize' && (c < 0 || c > inLen - 1)) {
      offsets.push(null);
      weights.push([]);
      continue;
    }
    if (p.mode === 'nearest') {
      offsets.push([nearestIndex(p.nearest, c, scale, inLen) * stride]);
      weights.push([1]);
    } else if (p.mode === 'linear') {
      const cc = Math.min(Math.max(c, 0), inLen - 1);
      const i0 = Math.floor(cc);
      const i1 = Math.min(i0 + 1, inLen - 1);
      const t = cc - i0;
      offsets.push([i0 * stride, i1 * stride]);
      weights.push([1 - t, t]);
    } else {
      const i0 = Math.floor(c);
      const coeffs = cubicCoeffs(c - i0, p.cubicA);
      const offs: number[] = [];
      const ws: number[] = [];
      let sum = 0;
      for (let j = 0; j < 4; j++) {
        const i = i0 - 1 + j;
        const inside = i >= 0 && i < inLen;
        // exclude_outside: taps outside the input get weight 0 and the rest is renormalised; else edge padding.
        const w = p.excludeOutside && !inside ? 0 : coeffs[j]!;
        offs.push(Math.min(Math.max(i, 0), inLen - 1) * stride);
        ws.push(w);
        sum += w;
      }
      offsets.push(offs);
      weights.push(p.excludeOutside ? ws.map((w) => w / sum) : ws);
    }
  }
  return { offsets, weights };
}

const resize: CpuKernel = (node, inputs) => {
  // FusedResize: the residual is the last input; the Resize geometry sees only the ones before it.
  const fused = node.op === 'FusedResize';
  const residual = fused ? floatData(node, floatInput(node, inputs, inputs.length - 1)) : undefined;
  if (fused) inputs = inputs.slice(0, -1);
  const xt = floatInput(node, inputs, 0);
  const shape = xt.shape;
  const rank = shape.length;
  const p = resizeParams(node, rank);
  const { outShape, scales } = resizeGeometry(node, shape, (i) => inputs[i]?.shape);
  const x = floatData(node, xt);
  const out = new Float32Array(sizeOf(outShape));
  if (out.length === 0) return [f32Tensor(outShape, out)];
  if (sizeOf(shape) === 0) fail(node, `cannot resize an empty input [${shape.join(', ')}] to [${outShape.join(', ')}]`);
  const strides = stridesOf(shape);
  const taps = outShape.map((o, k) => resizeAxisTaps(p, k, rank, shape[k]!, o, scales[k]!, strides[k]!));
  const idx = new Array<number>(rank).fill(0);
  // Recursive sum over the axes' taps: `off` accumulates the input offset, `w` the product of weights.
  const gather = (k: number, off: number, w: number): number => {
    if (k === rank) return w * x[off]!;
    const offs = taps[k]!.offsets[idx[k]!]!;
    const ws = taps[k]!.weights[idx[k]!]!;
    let s = 0;
    for (let j = 0; j < offs.length; j++) if (ws[j] !== 0) s += gather(k + 1, off + offs[j]!, w * ws[j]!);
    return s;
  };
  for (let o = 0; o < out.length; o++) {
    const outside = idx.some((i, k) => taps[k]!.offsets[i] === null);
    out[o] = outside ? p.extrapolation : gather(0, 0, 1);
    // Rounded to f32 first (the store above), then the f32 sum: exactly Resize then Add.
    if (residual) out[o] = out[o]! + residual[o]!;
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k]! < outShape[k]!) break;
      idx[k] = 0;
    }
  }
  return [f32Tensor(outShape, out)];
};

/**
 * DepthToSpace: y[n, c, h·b + i, w·b + j] = x[n, ch, h, w] with ch = (i·b + j)·C' + c (DCR) or c·b² + i·b + j
 * (CRD, PyTorch's PixelShuffle). SpaceToDepth is DCR's inverse. Pure copies (bit-exact).
 */
const depthToSpace: CpuKernel = (node, inputs) => {
  const xt = floatInput(node, inputs, 0);
  if (xt.shape.length !== 4) fail(node, `X must be 4-D [N, C, H, W], got [${xt.shape.join(', ')}]`);
  const b = blocksize(node);
  const crd = depthToSpaceMode(node) === 'CRD';
  const [n, c, h, w] = xt.shape as [number, number, number, number];
  if (c % (b * b) !== 0) fail(node, `channels ${c} are not divisible by blocksize² = ${b * b}`);
  const oc = c / (b * b);
  const [oh, ow] = [h * b, w * b];
  const x = floatData(node, xt);
  const out = new Float32Array(n * c * h * w);
  let o = 0;
  for (let bn = 0; bn < n; bn++)
    for (let ch = 0; ch < oc; ch++)
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++, o++) {
          const [i, j] = [y % b, xx % b];
          const src = crd ? ch * b * b + i * b + j : (i * b + j) * oc + ch;
          out[o] = x[((bn * c + src) * h + Math.floor(y / b)) * w + Math.floor(xx / b)]!;
        }
  return [f32Tensor([n, oc, oh, ow], out)];
};

const spaceToDepth: CpuKernel = (node, inputs) => {
  const xt = floatInput(node, inputs, 0);
  if (xt.shape.length !== 4) fail(node, `X must be 4-D [N, C, H, W], got [${xt.shape.join(', ')}]`);
  const b = blocksize(node);
  const [n, c, h, w] = xt.shape as [number, number, number, number];
  if (h % b !== 0 || w % b !== 0) fail(node, `spatial size ${h}×${w} is not divisible by blocksize ${b}`);
  const [oh, ow, oc] = [h / b, w / b, c * b * b];
  const x = floatData(node, xt);
  const out = new Float32Array(n * c * h * w);
  let o = 0;
  for (let bn = 0; bn < n; bn++)
    for (let ch = 0; ch < oc; ch++) {
      const [blk, src] = [Math.floor(ch / c), ch % c];
      const [i, j] = [Math.floor(blk / b), blk % b];
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++, o++) out[o] = x[((bn * c + src) * h + y * b + i) * w + xx * b + j]!;
    }
  return [f32Tensor([n, oc, oh, ow], out)];
};

export const resizeCpuKernels: Record<string, CpuKernel> = { Resize: resize, FusedResize: resize, DepthToSpace: depthToSpace, SpaceToDepth: spaceToDepth };
