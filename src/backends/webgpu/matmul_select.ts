/**
 * Gemm / MatMul kernel variants and the rule that picks one per shape, shaped like conv_select.ts:
 * `matmulVariantsFor` lists every variant that runs a shape, `defaultMatmulVariant` is the fixed rule,
 * `selectMatmulVariant` honours a per-session chooser (ExecutorOptions.matmulVariant) or the global override when it
 * names a valid variant.
 */
import { variantChoice, type VariantChooser } from './variant_choice.js';

/** One product after matmul.ts has simplified it: [batch…] × [M, K] × [K, N]. */
export interface MatmulShape {
  m: number;
  n: number;
  k: number;
  /** Batch dims left after folding (0: a plain 2-D product). */
  batchRank: number;
  /** B is an initializer with batch dims of its own (only the strided one-output-per-thread `matmul` runs it). */
  constBatchedB: boolean;
}

export const MATMUL_VARIANTS = [
  'matmul_tiled', // register tile of 16 (or 4) rows x 8 columns per thread, no workgroup memory (matmul_wgsl.ts)
  'matmul_naive', // one output per thread, strided operands: a constant B with batch dims of its own
  'matmul_splitk', // small outputs: a workgroup per 1 or 4 rows x 4 columns, K split over its 64 threads, one dispatch
] as const;
export type MatmulVariant = (typeof MATMUL_VARIANTS)[number];

/** Never the rule's choice (SwiftShader keeps its kernels); a tuning table's or an override's on hardware. */
export const REAL_GPU_MATMUL_VARIANTS = ['matmul_splitk'] as const satisfies readonly MatmulVariant[];

/**
 * Rows up to which matmul_splitk is listed: classifier GEMMs (M = batch, often 1) and the small-M products where the
 * 16 × 8 tiles leave a GPU with few threads, each walking all of K.
 */
export const SPLITK_MAX_ROWS = 64;

export function matmulVariantsFor(s: MatmulShape): MatmulVariant[] {
  if (s.m === 0 || s.n === 0 || s.constBatchedB) return ['matmul_naive'];
  const out: MatmulVariant[] = ['matmul_tiled', 'matmul_naive'];
  if (s.batchRank === 0 && s.m <= SPLITK_MAX_ROWS) out.push('matmul_splitk');
  return out;
}

/** The fixed rule: the tiled kernel wherever it runs (measured on SwiftShader, docs/webgpu.md "Kernels"). */
export function defaultMatmulVariant(s: MatmulShape): MatmulVariant {
  return matmulVariantsFor(s)[0]!;
}

/** Returns a variant to force for a shape, or undefined to keep the rule's choice. */
export type MatmulVariantOverride = VariantChooser<MatmulShape, MatmulVariant>;
const choice = variantChoice<MatmulShape, MatmulVariant>(matmulVariantsFor);

/** Installs (or, with undefined, removes) the global override; invalid choices fall back to the rule. Returns the previous one. */
export function setMatmulVariantOverride(fn: MatmulVariantOverride | undefined): MatmulVariantOverride | undefined {
  return choice.setOverride(fn);
}

/** The per-session choice (`local`), else the global override's, when valid; else the rule's. */
export function selectMatmulVariant(s: MatmulShape, local?: MatmulVariantOverride): MatmulVariant {
  return choice.explicit(s, undefined, local) ?? defaultMatmulVariant(s);
}
