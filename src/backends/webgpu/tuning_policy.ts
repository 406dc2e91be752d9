/**
 * The default tuning policy per adapter class (docs/tuning.md), GPU-free so it is unit-tested in Node.
 *
 * Software adapters keep the fixed rule (conv_select.ts `defaultConvVariant`, measured on SwiftShader). On hardware
 * the rule's register-heavy 8x8 tiles and Winograd are not what the vendors' own WebGPU libraries use, so each layer
 * gets a **seed** from its vendor family's preference list below (a guess from published measurements:
 * ../shared/research/realgpu.md §6), and the autotuner times at most a few candidates — the first valid preferences
 * and the rule — checking each one's output against the rule's. The lists are data: a new variant is tried on a family
 * by adding its name here, nothing else.
 */
import type { AdapterClass } from './device.js';
import { convVariantsFor, defaultConvVariant, isDepthwise, type ConvShape, type ConvVariant } from './conv_select.js';

export type HardwareAdapterClass = Exclude<AdapterClass, 'software'>;

/** A family's conv variants, most promising first, per layer kind (names a shape cannot run are skipped). */
export interface FamilyPreferences {
  /** Dense and grouped convs. */
  gemm: readonly ConvVariant[];
  /**
   * Convs with at most SMALL_OUTPUT_POSITIONS output positions (7x7 stages, classifier convs): few output tiles for
   * the register-tiled kernels, so split-K comes first (TF.js's rule: M <= 128 with a long K).
   */
  smallOutput: readonly ConvVariant[];
  /**
   * Depthwise convs: the GEMM variants can run them (one channel per group, padded to their channel block) but waste
   * most of each tile, so depthwise layers only try the depthwise kernels listed here.
   */
  depthwise: readonly ConvVariant[];
}

/** Depthwise everywhere: 4 pixels x vec4 channels first (TF.js's depthwise program; -40 % on Intel), then the rule's. */
const DEPTHWISE: readonly ConvVariant[] = ['depthwise_4x4', 'depthwise'];

/** n * oh * ow at or below which a conv is a small-output layer (7x7 = 49 positions at batch 1). */
export const SMALL_OUTPUT_POSITIONS = 64;

/**
 * Conv variants per vendor family, most promising first:
 * - NVIDIA / AMD: the workgroup-memory implicit GEMM (ORT's and TF.js's 4x4-per-thread, 8x8-workgroup program), then
 *   the register tiles. NVIDIA also times its 8x16 form (128 threads: one warp per scheduler, as rt8x4).
 * - Intel: workgroup memory too (TF.js measured vec4 shared-memory conv +25 % on Intel), then explicit im2col (ORT's
 *   choice on Xe for strided / small outputs), then the 4x4 register tile.
 * - Apple, Arm Mali, Qualcomm Adreno: register tiles without workgroup memory first (Mali has no dedicated local
 *   memory; 4x4 register blocking measured 1.4-2.3x over shared-memory tiling on Mali-G715; Apple's WebGPU GEMM peak
 *   came from a no-shared-memory 4x4 kernel).
 * - other: the portable order (ggml-webgpu's sweep: 4x4 tiles with workgroup memory were the best single default).
 */
export const VENDOR_CONV_PREFERENCES: Readonly<Record<HardwareAdapterClass, FamilyPreferences>> = {
  nvidia: { gemm: ['conv2d_wgm', 'conv2d_wgm_8x16', 'conv2d_rt8x4', 'conv2d_rt4x4'], smallOutput: ['conv2d_splitk', 'conv2d_wgm', 'conv2d_rt4x4'], depthwise: DEPTHWISE },
  amd: { gemm: ['conv2d_wgm', 'conv2d_rt8x4', 'conv2d_rt4x4'], smallOutput: ['conv2d_splitk', 'conv2d_wgm', 'conv2d_rt4x4'], depthwise: DEPTHWISE },
  intel: { gemm: ['conv2d_wgm', 'im2col', 'conv2d_rt4x4'], smallOutput: ['conv2d_splitk', 'im2col', 'conv2d_wgm'], depthwise: DEPTHWISE },
  apple: { gemm: ['conv2d_rt4x4', 'conv2d_wgm', 'conv2d_rt8x4'], smallOutput: ['conv2d_splitk', 'conv2d_rt4x4', 'conv2d_wgm'], depthwise: DEPTHWISE },
  arm: { gemm: ['conv2d_rt4x4', 'conv2d_rt8x4', 'conv2d_gemm4'], smallOutput: ['conv2d_rt4x4', 'conv2d_splitk', 'conv2d_gemm4'], depthwise: DEPTHWISE },
  qualcomm: { gemm: ['conv2d_rt4x4', 'conv2d_rt8x4', 'conv2d_wgm'], smallOutput: ['conv2d_rt4x4', 'conv2d_splitk', 'conv2d_rt8x4'], depthwise: DEPTHWISE },
  other: { gemm: ['conv2d_wgm', 'conv2d_rt4x4', 'conv2d_rt8x4'], smallOutput: ['conv2d_splitk', 'conv2d_wgm', 'conv2d_rt4x4'], depthwise: DEPTHWISE },
};

/** Candidates timed per layer signature under the hardware policy, the rule included (each costs a compile). */
export const HARDWARE_MAX_CANDIDATES = 4;
/** First-load tuning budget under the hardware policy (ms): no layer starts that the last ones say would overrun it. */
export const HARDWARE_BUDGET_MS = 1500;

/** A tunable layer's candidates and, under the hardware policy, the seed it runs when it is not measured. */
export interface LayerCandidates {
  candidates: ConvVariant[];
  /** The vendor family's first valid preference (undefined: the rule). */
  seed?: ConvVariant;
}

/**
 * The hardware policy for one conv shape: the family's valid preferences (at most `max - 1`) plus the rule, which is
 * always timed because every candidate's output is checked against it. Winograd F(4x4) is never added (less accurate;
 * it stays a rule-only / exhaustive-tuning choice) and conv2d_direct only as the rule (the correctness fallback).
 */
export function hardwareCandidates(cls: AdapterClass, s: ConvShape, max = HARDWARE_MAX_CANDIDATES): LayerCandidates {
  const family: HardwareAdapterClass = cls === 'software' ? 'other' : cls;
  const valid = convVariantsFor(s);
  const rule = defaultConvVariant(s);
  const prefs = VENDOR_CONV_PREFERENCES[family];
  const list = isDepthwise(s) ? prefs.depthwise : s.n * s.oh * s.ow <= SMALL_OUTPUT_POSITIONS ? prefs.smallOutput : prefs.gemm;
  const preferred = list.filter((v) => valid.includes(v));
  const candidates = [...new Set([...preferred.slice(0, Math.max(1, max - 1)), rule])];
  return { candidates, seed: preferred[0] ?? rule };
}

/** How autotuning picks candidates: 'auto' resolves per adapter class. */
export type TuningPolicy = 'auto' | 'hardware' | 'all';

/**
 * 'hardware' on a hardware adapter, 'all' (every valid variant: the exhaustive tuning of `autotune: true` before
 * adapter classes existed) on a software one; an explicit policy wins.
 */
export function resolvePolicy(policy: TuningPolicy, cls: AdapterClass): Exclude<TuningPolicy, 'auto'> {
  if (policy !== 'auto') return policy;
  return cls === 'software' ? 'all' : 'hardware';
}
