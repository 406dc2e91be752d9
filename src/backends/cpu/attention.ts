/**
 * Attention (src/graph/ops/attention.ts) on the CPU: the reference kernels of the nodes `fuseAttention` replaced,
 * applied in their order (Transpose for k_layout 'k', MatMul, Mul by scale, Add Bias, Softmax, MatMul), so the fused
 * node gives bit for bit what the unfused graph gives on the CPU.
 */
import type { Node, Tensor } from '../../graph/ir.js';
import { attentionDims } from '../../graph/ops/attention.js';
import { elementwiseKernels } from './elementwise.js';
import { gemmKernels } from './gemm.js';
import { shapeOpKernels } from './shape_ops.js';
import { softmax } from './softmax.js';
import type { CpuKernel } from './types.js';
import { need } from './util.js';

/** A stand-in node for one step (the same name, so an error still names the Attention node). */
const step = (node: Node, op: string, attrs: Node['attrs'] = {}): Node => ({ ...node, op, attrs });

export const attention: CpuKernel = (node, inputs) => {
  const q = need(node, inputs, 0);
  let k = need(node, inputs, 1);
  const v = need(node, inputs, 2);
  const bias = inputs[3];
  const dims = attentionDims(node, q.shape, k.shape, v.shape, bias?.shape);
  if (dims.kLayout === 'k') {
    const r = k.shape.length;
    const perm = [...Array(r).keys()];
    [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
    k = shapeOpKernels.Transpose!(step(node, 'Transpose', { perm }), [k])[0]!;
  }
  let s: Tensor = gemmKernels.MatMul!(step(node, 'MatMul'), [q, k])[0]!;
  if (dims.scale !== 1) {
    const c: Tensor = { dtype: 'f32', shape: [], data: Float32Array.of(dims.scale) };
    s = elementwiseKernels.Mul!(step(node, 'Mul'), [s, c])[0]!;
  }
  if (bias) s = elementwiseKernels.Add!(step(node, 'Add'), [s, bias])[0]!;
  const p = softmax(step(node, 'Softmax', { axis: -1 }), [s])[0]!;
  return gemmKernels.MatMul!(step(node, 'MatMul'), [p, v]);
};
