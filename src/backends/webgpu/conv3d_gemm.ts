/**
 * 3-D (NCDHW) conv variants, the rule that picks one per shape, and the register-tiled builders:
 *  - conv3d_gemm / conv3d_gemm4 (shaders/conv3d_gemm.wgsl, conv3d_gemm_win3.wgsl): implicit GEMM, 8 (or 4) output
 *    channels x 8 (or 4) output columns per thread, constant weights repacked at load to vec4s over C_out (the 2-D
 *    conv2d_gemm design with a depth loop). Any kernel size, stride, dilation, pads and groups; 3-wide stride-1 rows
 *    take the window shader.
 *  - conv3d_1x1: 1x1x1 / stride 1 / no pad / group 1 is a plain GEMM over D*H*W, run by the 2-D conv2d_1x1 shader.
 *  - conv3d_direct (volume.ts): one output per thread; runtime (non-constant) weights.
 */
import { groupsFor, type KernelPlan } from './program.js';
import { WG } from './kernel_util.js';
import { commonSpec, epilogueInputs, weightValues, type ConvNode } from './conv_common.js';
import { packWeightsGrouped, pointwisePlan } from './conv_gemm.js';
import type { Tensor } from '../../graph/ir.js';
import type { FusedEpilogue } from './fused.js';

/** Geometry of one 3-D conv, NCDHW; triples are (depth, height, width). */
export interface Conv3dShape {
  n: number;
  cin: number;
  cout: number;
  /** Input D, H, W. */
  in: [number, number, number];
  /** Output D, H, W. */
  out: [number, number, number];
  k: [number, number, number];
  stride: [number, number, number];
  dil: [number, number, number];
  /** Begin (front, top, left) then end pads. */
  pads: [number, number, number, number, number, number];
  group: number;
  /** Weights are an initializer (they can be repacked at load). */
  constWeights: boolean;
}

/** What the 3-D builders get: the parsed node (as the 2-D ConvNode, with a 3-D shape). */
export interface Conv3dNode {
  node: ConvNode['node'];
  shape: Conv3dShape;
  hasBias: boolean;
  act: FusedEpilogue;
  weight?: Tensor;
}

export const CONV3D_VARIANTS = [
  'conv3d_direct', // one output per thread: anything (runtime weights)
  'conv3d_gemm', // implicit GEMM, 8 channels x 8 columns per thread; 3-wide stride-1 rows use the window shader
  'conv3d_gemm4', // implicit GEMM, 4 channels x 8 columns (4 or 12 channels per group, small C_out)
  'conv3d_1x1', // 1x1x1 / stride 1 / no pad / group 1: plain GEMM over D*H*W (the 2-D conv2d_1x1 shader)
  'conv3d_gemm_generic', // conv3d_gemm without the window shader (bench / tests)
] as const;
export type Conv3dVariant = (typeof CONV3D_VARIANTS)[number];

function isPointwise3d(s: Conv3dShape): boolean {
  return s.group === 1 && s.k.every((v) => v === 1) && s.stride.every((v) => v === 1) && s.pads.every((p) => p === 0);
}

function hasWindow3(s: Conv3dShape): boolean {
  return s.k[2] === 3 && s.stride[2] === 1 && s.dil[2] === 1;
}

/** Every variant that computes `s` correctly; conv3d_direct always does. */
export function conv3dVariantsFor(s: Conv3dShape): Conv3dVariant[] {
  const out: Conv3dVariant[] = ['conv3d_direct'];
  if (!s.constWeights) return out;
  out.push('conv3d_gemm', 'conv3d_gemm4');
  if (isPointwise3d(s)) out.push('conv3d_1x1');
  if (hasWindow3(s)) out.push('conv3d_gemm_generic');
  return out;
}

/**
 * The rule (same reasoning and measurements as the 2-D one in conv_select.ts): runtime weights → direct;
 * 1x1x1 stride 1 unpadded group 1 → conv3d_1x1; otherwise the implicit GEMM with 8-channel blocks unless padding
 * each group's channels to 8 wastes more than padding to 4 → conv3d_gemm4.
 */
export function defaultConv3dVariant(s: Conv3dShape): Conv3dVariant {
  const valid = conv3dVariantsFor(s);
  if (valid.includes('conv3d_1x1')) return 'conv3d_1x1';
  if (!valid.includes('conv3d_gemm')) return 'conv3d_direct';
  const cpg = s.cout / s.group;
  return Math.ceil(cpg / 8) * 8 === Math.ceil(cpg / 4) * 4 && cpg >= 8 ? 'conv3d_gemm' : 'conv3d_gemm4';
}

export type Conv3dVariantOverride = (s: Conv3dShape) => Conv3dVariant | undefined;
let override: Conv3dVariantOverride | undefined;

/** Forces a variant (bench, tests); invalid choices fall back to the rule. Returns the previous override. */
export function setConv3dVariantOverride(fn: Conv3dVariantOverride | undefined): Conv3dVariantOverride | undefined {
  const prev = override;
  override = fn;
  return prev;
}

export function selectConv3dVariant(s: Conv3dShape): Conv3dVariant {
  const forced = override?.(s);
  if (forced && conv3dVariantsFor(s).includes(forced)) return forced;
  return defaultConv3dVariant(s);
}

export function conv3dMacs(s: Conv3dShape): number {
  return s.n * s.cout * s.out[0] * s.out[1] * s.out[2] * (s.cin / s.group) * s.k[0] * s.k[1] * s.k[2];
}

/** The 3-D node as a 2-D ConvNode (same node, epilogue and weights) whose H is `h` (D*H for the GEMM views). */
function asPlanar(c: Conv3dNode, h: number, oh: number): ConvNode {
  const s = c.shape;
  return {
    node: c.node,
    hasBias: c.hasBias,
    act: c.act,
    weight: c.weight,
    shape: {
      n: s.n, cin: s.cin, cout: s.cout, ih: h, iw: s.in[2], oh, ow: s.out[2], kh: s.k[0] * s.k[1], kw: s.k[2],
      sh: 1, sw: s.stride[2], dh: 1, dw: s.dil[2], pads: [0, s.pads[2], 0, s.pads[5]], group: s.group, constWeights: s.constWeights,
    },
  };
}

/** conv3d_gemm (8 channels per thread) or conv3d_gemm4 (4); 3-wide stride-1 rows use the window shader unless `generic`. */
export function gemm3dPlan(c: Conv3dNode, channels: 8 | 4, generic = false): KernelPlan {
  const s = c.shape;
  const [od, oh, ow] = s.out;
  const taps = s.k[0] * s.k[1] * s.k[2];
  const cpgPad = Math.ceil(s.cout / s.group / channels) * channels;
  const cols = s.group * cpgPad;
  const packedName = `\u0000conv3d_pack_g${s.group}_b${channels}:${c.node.inputs[1]}`;
  const packed = packWeightsGrouped(weightValues(c.weight!), s.cout, s.group, s.cin / s.group, taps, channels);
  const px = ow > 4 ? 8 : 4;
  const ocBlocks = cols / channels;
  const owBlocks = Math.ceil(ow / px);
  const threads = s.n * ocBlocks * od * oh * owBlocks;
  const win3 = hasWindow3(s) && !generic;
  const base = channels === 8 ? 'conv3d_gemm' : 'conv3d_gemm4';
  const planar = asPlanar(c, s.in[0] * s.in[1], od * oh);
  const common = commonSpec(planar);
  const name = `${base}_${px}x${channels}${win3 ? '_win3' : ''}${c.act.residual ? '_res' : ''}`;
  return {
    constants: [{ name: packedName, data: packed }],
    programs: [
      {
        ...common,
        macs: conv3dMacs(s),
        name,
        shader: win3 ? 'conv3d_gemm_win3' : 'conv3d_gemm',
        defines: { ...common.defines, KD: s.k[0], KH: s.k[1], KW: s.k[2], PX: px, OCB: channels, PX8: px === 8 ? 1 : 0, OC8: channels === 8 ? 1 : 0, PX8_OC8: px === 8 && channels === 8 ? 1 : 0 },
        inputs: [{ wgsl: 'x', tensor: c.node.inputs[0]! }, { wgsl: 'w', tensor: packedName, vec4: true }, ...epilogueInputs(planar)],
        uniforms: [
          { name: 'total', type: 'u32', value: threads },
          { name: 'in_c', type: 'u32', value: s.cin },
          { name: 'in_d', type: 'u32', value: s.in[0] },
          { name: 'in_h', type: 'u32', value: s.in[1] },
          { name: 'in_w', type: 'u32', value: s.in[2] },
          { name: 'out_c', type: 'u32', value: s.cout },
          { name: 'out_d', type: 'u32', value: od },
          { name: 'out_h', type: 'u32', value: oh },
          { name: 'out_w', type: 'u32', value: ow },
          { name: 'stride_d', type: 'u32', value: s.stride[0] },
          { name: 'stride_h', type: 'u32', value: s.stride[1] },
          { name: 'stride_w', type: 'u32', value: s.stride[2] },
          { name: 'dil_d', type: 'u32', value: s.dil[0] },
          { name: 'dil_h', type: 'u32', value: s.dil[1] },
          { name: 'dil_w', type: 'u32', value: s.dil[2] },
          { name: 'pad_front', type: 'i32', value: s.pads[0] },
          { name: 'pad_top', type: 'i32', value: s.pads[1] },
          { name: 'pad_left', type: 'i32', value: s.pads[2] },
          { name: 'in_c_per_group', type: 'u32', value: s.cin / s.group },
          { name: 'out_c_per_group', type: 'u32', value: s.cout / s.group },
          { name: 'oc_blocks', type: 'u32', value: ocBlocks },
          { name: 'oc_per_group_pad', type: 'u32', value: cpgPad },
          { name: 'cols_padded', type: 'u32', value: cols },
          { name: 'ow_blocks', type: 'u32', value: owBlocks },
          ...c.act.uniforms,
        ],
        workgroups: groupsFor(threads, WG),
      },
    ],
  };
}

/**
 * conv3d_1x1: with a 1x1x1 kernel, unit strides and no pads the conv is a GEMM over the D*H*W positions, exactly a
 * 2-D 1x1 conv whose "H" is D*H, so the tuned conv2d_1x1 program runs it (renamed, so profiles show the 3-D op).
 */
export function pointwise3dPlan(c: Conv3dNode): KernelPlan {
  const s = c.shape;
  const plan = pointwisePlan(asPlanar(c, s.in[0] * s.in[1], s.out[0] * s.out[1]));
  return { ...plan, programs: plan.programs.map((p) => ({ ...p, name: p.name.replace(/^conv2d_/, 'conv3d_') })) };
}
