/** CPU reference for Im2col (definition: src/graph/ops/im2col.ts): plain loops, a pure copy (bit-exact). */
import { sizeOf } from '../../graph/ir.js';
import { im2colParams, im2colShape } from '../../graph/ops/im2col.js';
import type { CpuKernel } from './types.js';
import { f32Tensor, fail, floatData, floatInput } from './util.js';

const im2col: CpuKernel = (node, inputs) => {
  const p = im2colParams(node);
  const xt = floatInput(node, inputs, 0);
  if (xt.shape.length !== 4) fail(node, `X must be 4-D [N, C, H, W], got [${xt.shape.join(', ')}]`);
  const outShape = im2colShape(xt.shape, p);
  if (typeof outShape === 'string') fail(node, outShape);
  const [n, c, h, w] = xt.shape as [number, number, number, number];
  const [, , oh, ow] = outShape as [number, number, number, number];
  const [kh, kw] = p.kernel;
  const x = floatData(node, xt);
  const out = new Float32Array(sizeOf(outShape));
  let o = 0;
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let ky = 0; ky < kh; ky++)
        for (let kx = 0; kx < kw; kx++)
          for (let oy = 0; oy < oh; oy++) {
            const iy = oy * p.strides[0] - p.pads[0] + ky * p.dilations[0];
            for (let ox = 0; ox < ow; ox++, o++) {
              const ix = ox * p.strides[1] - p.pads[1] + kx * p.dilations[1];
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) out[o] = x[((b * c + ch) * h + iy) * w + ix]!;
            }
          }
  return [f32Tensor(outShape, out)];
};

export const im2colCpuKernels: Record<string, CpuKernel> = { Im2col: im2col };
