/**
 * Fused epilogues (FusedConv / FusedGemm, see src/graph/ops/fused.ts): `activation` is one of a fixed list of
 * lowercase names, mapped here onto the ACTIVATIONS table, so model text never reaches WGSL. Parameters travel as
 * the uniforms act_a / act_b. The optional residual input R (index 3) is bound as `res`.
 */
import type { Node } from '../../graph/ir.js';
import { readEpilogue } from '../../graph/ops/fused.js';
import type { UniformField } from './program.js';

const EPILOGUE_TO_ACTIVATION: Record<string, string> = {
  none: 'none',
  relu: 'Relu',
  clip: 'Clip',
  leaky_relu: 'LeakyRelu',
  hard_sigmoid: 'HardSigmoid',
  hard_swish: 'HardSwish',
  sigmoid: 'Sigmoid',
  silu: 'Silu',
  tanh: 'Tanh',
  gelu: 'Gelu',
  gelu_tanh: 'GeluTanh',
};

export interface FusedEpilogue {
  activation: string;
  uniforms: UniformField[];
  /** Residual tensor name, when present. */
  residual?: string;
  residualAfterActivation: boolean;
}

export function fusedEpilogue(node: Node): FusedEpilogue {
  const isFused = node.op === 'FusedConv' || node.op === 'FusedGemm' || node.op === 'FusedConvTranspose';
  if (!isFused) {
    return {
      activation: 'none',
      uniforms: [
        { name: 'act_a', type: 'f32', value: 0 },
        { name: 'act_b', type: 'f32', value: 0 },
      ],
      residualAfterActivation: false,
    };
  }
  const e = readEpilogue(node);
  const activation = EPILOGUE_TO_ACTIVATION[e.activation]!;
  const [a, b] = e.activation === 'clip' ? [e.min, e.max] : [e.alpha, e.beta];
  const r = node.inputs[3];
  return {
    activation,
    uniforms: [
      { name: 'act_a', type: 'f32', value: a },
      { name: 'act_b', type: 'f32', value: b },
    ],
    residual: r !== undefined && r !== '' ? r : undefined,
    residualAfterActivation: e.residualAfterActivation,
  };
}

/** Defines for the residual lines of a shader (`// @if RES_BEFORE` / `// @if RES_AFTER`). */
export function residualDefines(e: FusedEpilogue): { RES_BEFORE: number; RES_AFTER: number } {
  return { RES_BEFORE: e.residual && !e.residualAfterActivation ? 1 : 0, RES_AFTER: e.residual && e.residualAfterActivation ? 1 : 0 };
}
