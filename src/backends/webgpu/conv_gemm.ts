/**
 * Implicit-GEMM conv variants (constant weights, repacked at load):
 *  - conv2d_gemm / conv2d_gemm4 (shaders/conv2d_gemm.wgsl): any kernel size, stride, dilation, pads and groups;
 *    8 (or 4) output channels x 8 (or 4) output columns per thread. Groups are vectorized over their output channels:
 *    each group's channels are padded to the channel block, so a block never mixes groups (ResNeXt: 4 per group).
 *  - conv2d_1x1 (shaders/conv2d_1x1.wgsl): 1x1 / stride 1 / no pad / group 1 with H*W % 4 == 0, a plain GEMM with
 *    vec4 loads of both operands, 8 channels x 16 pixels per thread.
 */
import { groupsFor, type KernelPlan, type UniformField } from './program.js';
import { WG } from './kernel_util.js';
import { commonSpec, epilogueInputs, geometryUniforms, variantName, weightValues, type ConvNode } from './conv_common.js';

/**
 * OIHW weights → [C_in/group, KH*KW, group × (C_out/group padded to `block`)]: one vec4 = 4 output channels of one
 * tap, and a block of `block` columns lies inside one group. Padding columns are zero.
 */
export function packWeightsGrouped(w: Float32Array, cout: number, group: number, cinPerGroup: number, taps: number, block: number): Float32Array {
  const cpg = cout / group;
  const cpgPad = Math.ceil(cpg / block) * block;
  const cols = group * cpgPad;
  const out = new Float32Array(cinPerGroup * taps * cols);
  for (let g = 0; g < group; g++)
    for (let l = 0; l < cpg; l++) {
      const oc = g * cpg + l;
      for (let ic = 0; ic < cinPerGroup; ic++)
        for (let t = 0; t < taps; t++) out[(ic * taps + t) * cols + g * cpgPad + l] = w[(oc * cinPerGroup + ic) * taps + t]!;
    }
  return out;
}

/** A repacked weight constant: its executor name, data, columns (group × padded channels) and padded channels per group. */
export interface PackedWeights {
  name: string;
  data: Float32Array;
  cols: number;
  cpgPad: number;
}

/**
 * ConvTranspose on the implicit-GEMM shader (conv_transpose.ts): the stride phases' taps are packed one phase after
 * the other, the thread grid is phase-major (rows `gridH`, column blocks `owBlocks`), `uniforms` carry the phase
 * tables (TRANSPOSED lines of conv2d_gemm.wgsl).
 */
export interface PhaseGrid {
  packed: PackedWeights;
  px: 4 | 8;
  gridH: number;
  owBlocks: number;
  uniforms: UniformField[];
  macs: number;
}

function packedConstant(c: ConvNode, block: number): PackedWeights {
  const s = c.shape;
  const cpgPad = Math.ceil(s.cout / s.group / block) * block;
  const name = `\u0000conv_pack_g${s.group}_b${block}:${c.node.inputs[1]}`;
  return { name, data: packWeightsGrouped(weightValues(c.weight!), s.cout, s.group, s.cin / s.group, s.kh * s.kw, block), cols: s.group * cpgPad, cpgPad };
}

/**
 * Switches for benchmarks that compare a window shader with the generic one in the same run (bench/kernels/conv.ts,
 * its `gemm_s2_generic` column). Production code never changes them.
 */
export const convGemmSwitches = { stride2Window: true };

/**
 * conv2d_gemm (8 channels per thread) or conv2d_gemm4 (4). 3-wide kernels at dilation 1 use a window-reuse shader
 * unless `generic`: conv2d_gemm_win3.wgsl at stride 1, conv2d_gemm_win3s2.wgsl at stride 2 (any vertical stride).
 * With `phases`, the same tile loop runs a ConvTranspose (conv_transpose.ts): `c.shape` is then the per-phase
 * stride-1 correlation and the phase tables replace the packing, the grid and the output mapping.
 */
export function gemmConvPlan(c: ConvNode, channels: 8 | 4, generic = false, phases?: PhaseGrid): KernelPlan {
  const s = c.shape;
  const common = commonSpec(c);
  const px = phases?.px ?? (s.ow > 4 ? 8 : 4);
  const packed = phases?.packed ?? packedConstant(c, channels);
  const ocBlocks = packed.cols / channels;
  const owBlocks = phases?.owBlocks ?? Math.ceil(s.ow / px);
  const gridH = phases?.gridH ?? s.oh;
  const threads = s.n * ocBlocks * gridH * owBlocks;
  const base = phases ? (channels === 8 ? 'conv_transpose_gemm' : 'conv_transpose_gemm4') : channels === 8 ? 'conv2d_gemm' : 'conv2d_gemm4';
  // Window shaders: 3-wide rows at stride 1 (PX + 2 loads per row) or stride 2 (2 PX + 1 loads), dilation 1.
  const win3 = s.kw === 3 && s.sw === 1 && s.dw === 1 && !generic && !phases;
  const win3s2 = s.kw === 3 && s.sw === 2 && s.dw === 1 && !generic && !phases && convGemmSwitches.stride2Window;
  return {
    constants: [{ name: packed.name, data: packed.data }],
    programs: [
      {
        ...common,
        ...(phases ? { macs: phases.macs } : {}),
        name: variantName(`${base}_${px}x${channels}${win3 ? '_win3' : win3s2 ? '_win3s2' : ''}`, c),
        shader: win3 ? 'conv2d_gemm_win3' : win3s2 ? 'conv2d_gemm_win3s2' : 'conv2d_gemm',
        defines: {
          ...common.defines,
          KH: s.kh, KW: s.kw, PX: px, OCB: channels, PX8: px === 8 ? 1 : 0, OC8: channels === 8 ? 1 : 0, PX8_OC8: px === 8 && channels === 8 ? 1 : 0,
          ...(phases ? { TRANSPOSED: 1 } : {}),
        },
        inputs: [{ wgsl: 'x', tensor: c.node.inputs[0]! }, { wgsl: 'w', tensor: packed.name, vec4: true }, ...epilogueInputs(c)],
        uniforms: [
          { name: 'total', type: 'u32', value: threads },
          ...geometryUniforms(s),
          { name: 'oc_blocks', type: 'u32', value: ocBlocks },
          { name: 'oc_per_group_pad', type: 'u32', value: packed.cpgPad },
          { name: 'cols_padded', type: 'u32', value: packed.cols },
          { name: 'ow_blocks', type: 'u32', value: owBlocks },
          { name: 'grid_h', type: 'u32', value: gridH },
          ...(phases?.uniforms ?? []),
          ...c.act.uniforms,
        ],
        workgroups: groupsFor(threads, WG),
      },
    ],
  };
}

/** conv2d_1x1: 1x1 / stride 1 / no pad / group 1; vec4 input loads when H*W % 4 == 0 (unless `scalarLoads`). */
export function pointwisePlan(c: ConvNode, scalarLoads = false): KernelPlan {
  const s = c.shape;
  const common = commonSpec(c);
  const x4 = (s.oh * s.ow) % 4 === 0 && !scalarLoads ? 1 : 0;
  const packed = packedConstant(c, 8);
  const hw = s.oh * s.ow;
  const ocBlocks = packed.cols / 8;
  const pBlocks = Math.ceil(hw / 16);
  const threads = s.n * ocBlocks * pBlocks;
  return {
    constants: [{ name: packed.name, data: packed.data }],
    programs: [
      {
        ...common,
        name: variantName(x4 ? 'conv2d_1x1_v4' : 'conv2d_1x1', c),
        shader: 'conv2d_1x1',
        defines: { ...common.defines, X4: x4, X1: 1 - x4 },
        inputs: [{ wgsl: 'x', tensor: c.node.inputs[0]!, vec4: x4 === 1 }, { wgsl: 'w', tensor: packed.name, vec4: true }, ...epilogueInputs(c)],
        uniforms: [
          { name: 'total', type: 'u32', value: threads },
          { name: 'in_c', type: 'u32', value: s.cin },
          { name: 'out_c', type: 'u32', value: s.cout },
          { name: 'hw', type: 'u32', value: hw },
          { name: 'oc_blocks', type: 'u32', value: ocBlocks },
          { name: 'p_blocks', type: 'u32', value: pBlocks },
          { name: 'cols_padded', type: 'u32', value: packed.cols },
          ...c.act.uniforms,
        ],
        workgroups: groupsFor(threads, WG),
      },
    ],
  };
}
