/**
 * Attention (src/graph/ops/attention.ts) as one dispatch per layer: `shaders/attention.wgsl`, one query row per
 * thread with an online softmax over the keys (no N×M score matrix in memory). Every operand is read through its
 * strides, so K in either layout ('kt' [..., D, M] or 'k' [..., M, D]) and broadcast batch dims cost nothing.
 */
import { stridesOf, type Shape } from '../../graph/ir.js';
import { attentionDims } from '../../graph/ops/attention.js';
import { WebGPUKernelError, type Kernel } from './program.js';
import { WG, broadcastStrides, inputShape, product } from './kernel_util.js';

const MAX_BATCH_RANK = 4;
/** Head sizes the private arrays take (Q row + output row per thread); larger heads would spill badly. */
const MAX_HEAD = 256;

/** Strides (elements) of a [...b, r, c] operand over the output batch dims (0 where broadcast), then its r and c. */
function operandStrides(shape: Shape, batch: readonly number[]): { batch: number[]; r: number; c: number } {
  const s = stridesOf(shape);
  const matrix = product(shape.slice(-2));
  return {
    batch: broadcastStrides(shape.slice(0, -2), batch).map((x) => x * matrix),
    r: shape[shape.length - 2] === 1 ? 0 : s[s.length - 2]!,
    c: shape[shape.length - 1] === 1 ? 0 : s[s.length - 1]!,
  };
}

export const attentionKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const [q, k, v] = [0, 1, 2].map((i) => inputShape(ctx, i));
  const hasBias = (node.inputs[3] ?? '') !== '';
  const biasShape = hasBias ? inputShape(ctx, 3) : undefined;
  const dims = attentionDims(node, q!, k!, v!, biasShape);
  // drop size-1 batch dims: they index nothing
  const keep = dims.batch.map((d, i) => (d !== 1 ? i : -1)).filter((i) => i >= 0);
  if (keep.length > MAX_BATCH_RANK)
    throw new WebGPUKernelError(`${keep.length} batch dims exceed the attention kernel's ${MAX_BATCH_RANK}`, node.name, node.op);
  if (dims.d > MAX_HEAD || dims.dv > MAX_HEAD)
    throw new WebGPUKernelError(`head size ${Math.max(dims.d, dims.dv)} exceeds the attention kernel's ${MAX_HEAD}`, node.name, node.op);
  const pick = (xs: number[]) => keep.map((i) => xs[i]!);
  const qs = operandStrides(q!, dims.batch);
  const ks = operandStrides(k!, dims.batch);
  const vs = operandStrides(v!, dims.batch);
  // K 'kt' is [D, M] per batch (rows = d, cols = m); 'k' is [M, D]
  const [kStrideD, kStrideM] = dims.kLayout === 'kt' ? [ks.r, ks.c] : [ks.c, ks.r];
  let biasBatch = new Array<number>(dims.batch.length).fill(0);
  let biasN = 0;
  let biasM = 0;
  if (biasShape) {
    const full = broadcastStrides(biasShape, [...dims.batch, dims.n, dims.m]);
    biasBatch = full.slice(0, -2);
    [biasN, biasM] = full.slice(-2) as [number, number];
  }
  const rows = product(dims.batch) * dims.n;
  const pad = (xs: number[]) => (xs.length ? xs : [0]);
  const inputs = [
    { wgsl: 'q', tensor: node.inputs[0]! },
    { wgsl: 'k', tensor: node.inputs[1]! },
    { wgsl: 'v', tensor: node.inputs[2]! },
    ...(hasBias ? [{ wgsl: 'bias', tensor: node.inputs[3]! }] : []),
  ];
  return {
    programs: [
      {
        name: hasBias ? 'attention_bias' : 'attention',
        shader: 'attention',
        accessors: true,
        defines: { WG, D: Math.max(1, dims.d), DV: Math.max(1, dims.dv), BATCH_RANK: keep.length, HAS_BIAS: hasBias ? 1 : 0 },
        inputs,
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'rows', type: 'u32', value: rows },
          { name: 'n', type: 'u32', value: dims.n },
          { name: 'm', type: 'u32', value: dims.m },
          { name: 'q_stride_n', type: 'u32', value: qs.r },
          { name: 'q_stride_d', type: 'u32', value: qs.c },
          { name: 'k_stride_d', type: 'u32', value: kStrideD },
          { name: 'k_stride_m', type: 'u32', value: kStrideM },
          { name: 'v_stride_m', type: 'u32', value: vs.r },
          { name: 'v_stride_d', type: 'u32', value: vs.c },
          { name: 'bias_stride_n', type: 'u32', value: biasN },
          { name: 'bias_stride_m', type: 'u32', value: biasM },
          { name: 'scale', type: 'f32', value: dims.scale },
          { name: 'batch_shape', type: 'u32', value: pad(pick(dims.batch)) },
          { name: 'q_batch', type: 'u32', value: pad(pick(qs.batch)) },
          { name: 'k_batch', type: 'u32', value: pad(pick(ks.batch)) },
          { name: 'v_batch', type: 'u32', value: pad(pick(vs.batch)) },
          { name: 'bias_batch', type: 'u32', value: pad(pick(biasBatch)) },
        ],
        workgroups: Math.ceil(rows / WG),
        macs: rows * dims.m * (dims.d + dims.dv),
      },
    ],
  };
};
