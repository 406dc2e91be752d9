/** What every conv variant builder gets: the parsed node (shape, epilogue, bindings) and shared uniform fields. */
import { tensorToNumbers, type Node, type Tensor } from '../../graph/ir.js';
import type { ProgramInput, ProgramSpec, UniformField } from './program.js';
import type { FusedEpilogue } from './fused.js';
import { residualDefines } from './fused.js';
import type { ConvShape } from './conv_select.js';
import { WG } from './kernel_util.js';

export interface ConvNode {
  node: Node;
  shape: ConvShape;
  hasBias: boolean;
  act: FusedEpilogue;
  /** Constant weights (OIHW), when an initializer. */
  weight?: Tensor;
}

/** Bias and residual bindings (after x and w). */
export function epilogueInputs(c: ConvNode): ProgramInput[] {
  return [...(c.hasBias ? [{ wgsl: 'bias', tensor: c.node.inputs[2]! }] : []), ...(c.act.residual ? [{ wgsl: 'res', tensor: c.act.residual }] : [])];
}

/** Fields every conv shader's uniforms start with (after `total`). */
export function geometryUniforms(s: ConvShape): UniformField[] {
  return [
    { name: 'in_c', type: 'u32', value: s.cin },
    { name: 'in_h', type: 'u32', value: s.ih },
    { name: 'in_w', type: 'u32', value: s.iw },
    { name: 'out_c', type: 'u32', value: s.cout },
    { name: 'out_h', type: 'u32', value: s.oh },
    { name: 'out_w', type: 'u32', value: s.ow },
    { name: 'k_h', type: 'u32', value: s.kh },
    { name: 'k_w', type: 'u32', value: s.kw },
    { name: 'stride_h', type: 'u32', value: s.sh },
    { name: 'stride_w', type: 'u32', value: s.sw },
    { name: 'dil_h', type: 'u32', value: s.dh },
    { name: 'dil_w', type: 'u32', value: s.dw },
    { name: 'pad_top', type: 'i32', value: s.pads[0] },
    { name: 'pad_left', type: 'i32', value: s.pads[1] },
    { name: 'in_c_per_group', type: 'u32', value: s.cin / s.group },
    { name: 'out_c_per_group', type: 'u32', value: s.cout / s.group },
  ];
}

export function convMacs(s: ConvShape): number {
  return s.n * s.cout * s.oh * s.ow * (s.cin / s.group) * s.kh * s.kw;
}

/** The parts of a ProgramSpec shared by every variant: accessors, epilogue defines, output, MACs. */
export function commonSpec(c: ConvNode): Pick<ProgramSpec, 'accessors' | 'defines' | 'activation' | 'outputs' | 'macs'> {
  return {
    accessors: true, // shaders use the generated accessors (views at element offsets, f16 weights): see program.ts
    defines: { WG, HAS_BIAS: c.hasBias ? 1 : 0, ...residualDefines(c.act) },
    activation: c.act.activation,
    outputs: [{ wgsl: 'y', tensor: c.node.outputs[0]! }],
    macs: convMacs(c.shape),
  };
}

/** Program name: variant, with `_res` when a residual is fused (the profile tells them apart). */
export function variantName(base: string, c: ConvNode): string {
  return c.act.residual ? `${base}_res` : base;
}

export function weightValues(weight: Tensor): Float32Array {
  return weight.data instanceof Float32Array ? weight.data : Float32Array.from(tensorToNumbers(weight));
}
