/**
 * Reduction kernel variants (global pooling, the SE block's pooling, Softmax, LayerNorm, ChannelLayerNorm) and the
 * rule that picks one per shape, shaped like conv_select.ts: `reductionVariantsFor` lists every variant that runs a
 * shape on a device, `defaultReductionVariant` is the fixed rule, `selectReductionVariant` honours a per-session
 * chooser or the global override when it names a valid variant.
 */
import { variantChoice, type VariantChooser } from './variant_choice.js';

export type ReductionOp = 'GlobalPool' | 'Softmax' | 'LayerNorm' | 'ChannelLayerNorm';

/** One reduction problem: `lines` independent reductions of `length` values each. */
export interface ReductionShape {
  op: ReductionOp;
  lines: number;
  length: number;
}

export const REDUCTION_VARIANTS = [
  'reduce_thread', // one invocation per line (global_pool, softmax, channel_layer_norm): no barriers
  'reduce_wg', // one workgroup per line, partial results combined by a tree in workgroup memory
  'reduce_subgroup', // one workgroup per line, subgroupAdd / subgroupMax per subgroup, one barrier (needs `subgroups`)
] as const;
export type ReductionVariant = (typeof REDUCTION_VARIANTS)[number];

/** What the device offers the reductions (GpuFeatures.subgroups). */
export interface ReductionDevice {
  subgroups: boolean;
}

/**
 * Written for hardware GPUs, where one invocation per line leaves most of the GPU idle on a few long lines (a 7×7
 * map's 2048 channels, ViT's 1000-class softmax): never the rule's choice here (SwiftShader's lanes are CPU SIMD lanes
 * and barriers stop them all), only a tuning table's or an override's. reduce_wg stays the rule for long LayerNorm rows.
 */
export const REAL_GPU_REDUCTION_VARIANTS = ['reduce_wg', 'reduce_subgroup'] as const satisfies readonly ReductionVariant[];

export function reductionVariantsFor(s: ReductionShape, device: ReductionDevice): ReductionVariant[] {
  return device.subgroups ? ['reduce_thread', 'reduce_wg', 'reduce_subgroup'] : ['reduce_thread', 'reduce_wg'];
}

/** LayerNormalization rows up to this long run one per invocation when there are at least MANY_ROWS of them. */
export const SHORT_ROW = 1024;
const MANY_ROWS = 64;

/**
 * The fixed rule (SwiftShader-measured): one invocation per line, except LayerNormalization rows that are long or few
 * (a workgroup per row; layer_norm.ts has the measurement behind SHORT_ROW).
 */
export function defaultReductionVariant(s: ReductionShape): ReductionVariant {
  if (s.op === 'LayerNorm') return s.length <= SHORT_ROW && s.lines >= MANY_ROWS ? 'reduce_thread' : 'reduce_wg';
  return 'reduce_thread';
}

/** Returns a variant to force for a shape, or undefined to keep the rule's choice. */
export type ReductionVariantOverride = VariantChooser<ReductionShape, ReductionVariant>;
const choice = variantChoice<ReductionShape, ReductionVariant, ReductionDevice>(reductionVariantsFor);

/** Installs (or, with undefined, removes) the global override; invalid choices fall back to the rule. Returns the previous one. */
export function setReductionVariantOverride(fn: ReductionVariantOverride | undefined): ReductionVariantOverride | undefined {
  return choice.setOverride(fn);
}

/** The per-session choice (`local`), else the global override's, when valid on `device`; else the rule's. */
export function selectReductionVariant(s: ReductionShape, device: ReductionDevice, local?: ReductionVariantOverride): ReductionVariant {
  return choice.explicit(s, device, local) ?? defaultReductionVariant(s);
}

/** The per-line shader of each reduction (reduce_wgsl.ts), by variant. */
const LINE_SHADERS = {
  global_pool: { reduce_wg: 'global_pool_wg', reduce_subgroup: 'global_pool_sg' },
  softmax: { reduce_wg: 'softmax_wg', reduce_subgroup: 'softmax_sg' },
  layer_norm: { reduce_wg: 'layer_norm', reduce_subgroup: 'layer_norm_sg' },
} as const;

/**
 * The ProgramSpec fields of a one-workgroup-per-line variant: its shader, one workgroup per line, `enable subgroups;`
 * for the subgroup form, and the program-name suffix the profile shows (`_wg` / `_sg`).
 */
export function lineReductionFields(family: keyof typeof LINE_SHADERS, v: Exclude<ReductionVariant, 'reduce_thread'>, lines: number) {
  return {
    shader: LINE_SHADERS[family][v],
    workgroups: lines,
    suffix: v === 'reduce_wg' ? '_wg' : '_sg',
    ...(v === 'reduce_subgroup' ? { extensions: ['subgroups' as const] } : {}),
  };
}
