/**
 * CPU reference for the Tessera fused ops FusedConv / FusedGemm / FusedConvTranspose (definition: src/graph/ops/fused.ts).
 * The conv / gemm part reuses the plain Conv / Gemm kernels; the epilogue then rounds to f32 after each step
 * exactly where the unfused graph would (after the residual Add, after the activation, after SiLU's Sigmoid),
 * so a fused graph reproduces the unfused one bit for bit on this backend.
 */
import type { Node, Shape, Tensor } from '../../graph/ir.js';
import { activationFn, baseNodeOf, readEpilogue, sigmoid, type Epilogue, type FusedBaseOp } from '../../graph/ops/fused.js';
import { gatherResidual, readResidualView, residualAffine } from '../../graph/ops/residual_view.js';
import { conv } from './conv.js';
import { convTranspose } from './conv_transpose.js';
import { gemmKernels } from './gemm.js';
import type { CpuKernel } from './types.js';
import { fail, floatData, sameShape } from './util.js';

const fround = Math.fround;

/** Element function of the activation, with the unfused graph's intermediate f32 rounding. */
export function activationF32(e: Epilogue): (y: number) => number {
  if (e.activation === 'silu') return (y) => y * fround(sigmoid(y));
  return activationFn(e);
}

/**
 * R's values at the output's indices: R itself, or R read through the node's residual view (0 outside its region;
 * src/graph/ops/residual_view.ts), which is what Pad(Slice(R)) held in the unfused graph.
 */
export function residualValues(node: Node, residual: Tensor, outShape: Shape): Float32Array {
  const view = readResidualView(node, outShape.length);
  if (view) return gatherResidual(residualAffine(node, view, residual.shape, outShape), floatData(node, residual));
  if (!sameShape(residual.shape, outShape)) fail(node, `residual R shape [${residual.shape.join(', ')}] differs from the output shape [${outShape.join(', ')}]`);
  return floatData(node, residual);
}

/** Applies the epilogue in place to `y` (the conv / gemm output including its bias). */
function applyEpilogue(node: Node, y: Tensor, residual: Tensor | undefined): Tensor {
  const e = readEpilogue(node);
  const out = y.data as Float32Array;
  const act = activationF32(e);
  if (residual === undefined) {
    if (e.activation !== 'none') for (let i = 0; i < out.length; i++) out[i] = act(out[i]!);
    return y;
  }
  const r = residualValues(node, residual, y.shape);
  if (e.residualAfterActivation) for (let i = 0; i < out.length; i++) out[i] = fround(act(out[i]!)) + r[i]!;
  else for (let i = 0; i < out.length; i++) out[i] = act(fround(out[i]! + r[i]!));
  return y;
}

function fusedKernel(baseOp: FusedBaseOp, base: CpuKernel): CpuKernel {
  return (node, inputs) => {
    const [y] = base(baseNodeOf(node, baseOp), inputs.slice(0, 3));
    if (!y || y.dtype !== 'f32') fail(node, `${baseOp} produced no f32 output`);
    return [applyEpilogue(node, y, inputs[3])];
  };
}

export const fusedCpuKernels: Record<string, CpuKernel> = {
  FusedConv: fusedKernel('Conv', conv),
  FusedGemm: fusedKernel('Gemm', gemmKernels['Gemm']!),
  FusedConvTranspose: fusedKernel('ConvTranspose', convTranspose),
};
