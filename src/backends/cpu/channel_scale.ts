/**
 * CPU reference for the Tessera op ChannelScale (definition: src/graph/ops/channel_scale.ts):
 * y = act(X * S[n, c] + R) (or act(X * S) + R). Every step rounds to f32 where the unfused Mul / Add / activation
 * nodes would, so a fused graph reproduces the unfused one bit for bit on this backend.
 */
import { sizeOf } from '../../graph/ir.js';
import { alignedScaleShape, fusedConvOf, isChannelScaleShape, readChannelScale } from '../../graph/ops/channel_scale.js';
import { activationFn } from '../../graph/ops/fused.js';
import { fusedCpuKernels, residualValues } from './fused.js';
import type { CpuKernel } from './types.js';
import { f32Tensor, fail, floatData, floatInput } from './util.js';

const fround = Math.fround;

const channelScale: CpuKernel = (node, inputs) => {
  const e = readChannelScale(node);
  const x = floatInput(node, inputs, 0);
  const s = floatInput(node, inputs, 1);
  const r = inputs[2];
  if (x.shape.length < 2) fail(node, `X must have rank ≥ 2, got [${x.shape.join(', ')}]`);
  if (!isChannelScaleShape(s.shape, x.shape)) fail(node, `S shape [${s.shape.join(', ')}] must vary only along N and C of X [${x.shape.join(', ')}]`);
  const [n, c] = x.shape as [number, number];
  const spatial = sizeOf(x.shape.slice(2));
  const sShape = alignedScaleShape(s.shape, x.shape.length)!;
  const sBatchStride = sShape[0] === 1 ? 0 : sShape[1]!;
  const sChannelStride = sShape[1] === 1 ? 0 : 1;
  const xd = floatData(node, x);
  const sd = floatData(node, s);
  const rd = r ? residualValues(node, r, x.shape) : undefined; // X's shape, or through the node's residual view
  const act = activationFn(e);
  const hasAct = e.activation !== 'none';
  const out = new Float32Array(xd.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const scale = sd[b * sBatchStride + ch * sChannelStride]!;
      const base = (b * c + ch) * spatial;
      for (let p = base; p < base + spatial; p++) {
        let v = fround(xd[p]! * scale);
        if (rd && !e.residualAfterActivation) v = fround(v + rd[p]!);
        if (hasAct) v = fround(act(v));
        if (rd && e.residualAfterActivation) v = fround(v + rd[p]!);
        out[p] = v;
      }
    }
  }
  return [f32Tensor(x.shape, out)];
};

/** ChannelScaleConv: the scaled input, rounded to f32 as the unfused Mul would, then the FusedConv reference. */
const channelScaleConv: CpuKernel = (node, inputs) => {
  const scaleNode = { name: node.name, op: 'ChannelScale', inputs: [node.inputs[0]!, node.inputs[4] ?? ''], outputs: [], attrs: {} };
  const [scaled] = channelScale(scaleNode, [inputs[0], inputs[4]]);
  return fusedCpuKernels['FusedConv']!(fusedConvOf(node), [scaled, ...inputs.slice(1, 4)]);
};

export const channelScaleCpuKernels: Record<string, CpuKernel> = { ChannelScale: channelScale, ChannelScaleConv: channelScaleConv };
