/** Gemm (Y = alpha * A' * B' + beta * C) and MatMul (numpy semantics: batched, broadcast, 1-D promotion). */
import { attrFloat, attrInt, sizeOf, stridesOf } from '../../graph/ir.js';
import type { CpuKernel } from './types.js';
import { broadcastShapes, broadcastStrides, f32Tensor, fail, floatData, floatInput } from './util.js';

/**
 * out[outOff + i*N + j] = scale * sum_k A(i, k) * B(k, j), float64 accumulation, where
 * A(i, k) = a[aOff + i*as0 + k*as1] and B(k, j) = b[bOff + k*bs0 + j*bs1].
 */
function matmulInto(
  a: Float32Array, aOff: number, as0: number, as1: number,
  b: Float32Array, bOff: number, bs0: number, bs1: number,
  M: number, K: number, N: number, scale: number,
  out: Float32Array, outOff: number, acc: Float64Array,
): void {
  for (let i = 0; i < M; i++) {
    const aRow = aOff + i * as0;
    if (bs1 === 1) {
      // B rows contiguous: accumulate scaled rows of B into one output row.
      acc.fill(0, 0, N);
      for (let k = 0; k < K; k++) {
        const av = a[aRow + k * as1]!;
        if (av === 0) continue;
        const bRow = bOff + k * bs0;
        for (let j = 0; j < N; j++) acc[j]! += av * b[bRow + j]!;
      }
      for (let j = 0; j < N; j++) out[outOff + i * N + j] = acc[j]! * scale;
    } else {
      // B columns contiguous (e.g. Gemm transB=1, the usual Linear layer): dot products.
      for (let j = 0; j < N; j++) {
        const bCol = bOff + j * bs1;
        let s = 0;
        for (let k = 0; k < K; k++) s += a[aRow + k * as1]! * b[bCol + k * bs0]!;
        out[outOff + i * N + j] = s * scale;
      }
    }
  }
}

const gemm: CpuKernel = (node, inputs) => {
  const aT = floatInput(node, inputs, 0);
  const bT = floatInput(node, inputs, 1);
  const cT = inputs[2] !== undefined ? floatInput(node, inputs, 2) : undefined;
  if (aT.shape.length !== 2 || bT.shape.length !== 2) fail(node, `A and B must be 2-D, got [${aT.shape.join(', ')}] and [${bT.shape.join(', ')}]`);
  const alpha = attrFloat(node, 'alpha', 1);
  const beta = attrFloat(node, 'beta', 1);
  const transA = attrInt(node, 'transA', 0) !== 0;
  const transB = attrInt(node, 'transB', 0) !== 0;
  const [ar, ac] = aT.shape as [number, number];
  const [br, bc] = bT.shape as [number, number];
  const [M, K] = transA ? [ac, ar] : [ar, ac];
  const [K2, N] = transB ? [bc, br] : [br, bc];
  if (K !== K2) fail(node, `inner dims differ: A' is [${M}, ${K}], B' is [${K2}, ${N}]`);
  const out = f32Tensor([M, N]);
  const y = out.data as Float32Array;
  matmulInto(
    floatData(node, aT), 0, transA ? 1 : ac, transA ? ac : 1,
    floatData(node, bT), 0, transB ? 1 : bc, transB ? bc : 1,
    M, K, N, alpha, y, 0, new Float64Array(N),
  );
  if (cT && beta !== 0) {
    const cs = broadcastShapes(node, [cT.shape, [M, N]]);
    if (cs.length !== 2 || cs[0] !== M || cs[1] !== N) fail(node, `C of shape [${cT.shape.join(', ')}] does not broadcast to [${M}, ${N}]`);
    const [s0, s1] = broadcastStrides(cT.shape, [M, N]) as [number, number];
    const c = floatData(node, cT);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) y[i * N + j] = y[i * N + j]! + beta * c[i * s0 + j * s1]!;
  }
  return [out];
};

const matMul: CpuKernel = (node, inputs) => {
  const aT = floatInput(node, inputs, 0);
  const bT = floatInput(node, inputs, 1);
  if (aT.shape.length === 0 || bT.shape.length === 0) fail(node, 'MatMul inputs must have rank ≥ 1');
  // 1-D promotion: A [K] -> [1, K], B [K] -> [K, 1]; the added dim is removed from the output.
  const aShape = aT.shape.length === 1 ? [1, aT.shape[0]!] : [...aT.shape];
  const bShape = bT.shape.length === 1 ? [bT.shape[0]!, 1] : [...bT.shape];
  const M = aShape[aShape.length - 2]!;
  const K = aShape[aShape.length - 1]!;
  const N = bShape[bShape.length - 1]!;
  if (bShape[bShape.length - 2] !== K) fail(node, `inner dims differ: [${aT.shape.join(', ')}] x [${bT.shape.join(', ')}]`);
  const batchShape = broadcastShapes(node, [aShape.slice(0, -2), bShape.slice(0, -2)]);
  const aBatchStrides = broadcastStrides(aShape.slice(0, -2), batchShape).map((s) => s * M * K);
  const bBatchStrides = broadcastStrides(bShape.slice(0, -2), batchShape).map((s) => s * K * N);
  const outShape = [...batchShape, M, N];
  const out = f32Tensor(outShape);
  const y = out.data as Float32Array;
  const a = floatData(node, aT);
  const b = floatData(node, bT);
  const acc = new Float64Array(N);
  const batches = sizeOf(batchShape);
  const batchIdxStrides = stridesOf(batchShape);
  for (let t = 0; t < batches; t++) {
    let aOff = 0;
    let bOff = 0;
    for (let d = 0; d < batchShape.length; d++) {
      const i = Math.floor(t / batchIdxStrides[d]!) % batchShape[d]!;
      aOff += i * aBatchStrides[d]!;
      bOff += i * bBatchStrides[d]!;
    }
    matmulInto(a, aOff, K, 1, b, bOff, N, 1, M, K, N, 1, y, t * M * N, acc);
  }
  const finalShape = [...batchShape];
  if (aT.shape.length > 1) finalShape.push(M);
  if (bT.shape.length > 1) finalShape.push(N);
  out.shape = finalShape;
  return [out];
};

export const gemmKernels: Record<string, CpuKernel> = { Gemm: gemm, MatMul: matMul };
