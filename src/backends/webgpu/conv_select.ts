/**
 * Conv kernel variants and the rule that picks one per shape (the only place that decides).
 *
 * `convVariantsFor(shape)` lists every variant that can run a shape correctly; `selectConvVariant(shape)` picks one
 * by the fixed rule below unless a tuning override (bench, tests, a future autotuner) names another valid variant.
 * The rule was set by measurement (bench/kernels/conv.ts; numbers in docs/webgpu.md "Conv kernels").
 */
import { variantChoice, type VariantChooser } from './variant_choice.js';

/** Geometry of one 2-D conv (1-D convs arrive as H = 1), NCHW. */
export interface ConvShape {
  n: number;
  cin: number;
  ih: number;
  iw: number;
  cout: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  /** Top / left / bottom / right pads. */
  pads: [number, number, number, number];
  group: number;
  /** Weights are an initializer (they can be repacked at load). */
  constWeights: boolean;
}

export const CONV_VARIANTS = [
  'conv2d_direct', // one output per thread: anything (runtime weights, odd groups)
  'conv2d_gemm', // implicit GEMM: 8 channels x 8 columns per thread (register tile), weights vec4 over C_out
  'conv2d_gemm4', // implicit GEMM: 4 channels x 8 columns (small C_out, or groups with 4 or fewer channels: ResNeXt)
  'conv2d_1x1', // 1x1 / stride 1 / no pad / group 1: plain GEMM, 8 channels x 16 pixels (vec4 loads when H*W % 4 == 0)
  'conv2d_gemm_generic', // conv2d_gemm without its 3-wide window shader (bench / autotuning reference)
  'depthwise', // groups == C_in == C_out: 8 columns per thread, 3-wide input window reused across taps
  'winograd', // 3x3 / stride 1 / dilation 1 / group 1, pads <= 2: Winograd F(2x2,3x3) as 3 nodes (lower.ts lowerWinograd)
  'winograd4', // the same shapes as Winograd F(4x4,3x3): 36 instead of 16 GEMMs over 4x fewer tiles (4x fewer multiplies than direct)
  'im2col', // strided k x k (k > 1), group 1: explicit Im2col + conv2d_1x1 on the columns (lower.ts lowerIm2col)
  // Real-GPU candidates (docs/webgpu.md "Real-GPU conv variants"): never the rule's choice, timed by the autotuner.
  'conv2d_rt4x4', // the implicit GEMM's register tile at 4 columns x 4 channels per thread, 64-thread workgroups
  'conv2d_rt8x4', // 8 columns x 4 channels per thread, 128-thread workgroups
  'conv2d_wgm', // implicit GEMM through workgroup memory: 8x8 threads, 4x4 outputs each, K tiles of 32, vec4 weights
  'conv2d_wgm_8x16', // the same with 8x16 threads: 32 positions x 64 channels per workgroup (ORT's wider form)
  'depthwise_4x4', // one input channel per group: 4 columns x 4 channels per thread, weights vec4 over channels
  'conv2d_splitk', // small outputs: a workgroup per 4 positions x 4 channels, K split over its 64 threads, one dispatch
] as const;
export type ConvVariant = (typeof CONV_VARIANTS)[number];

/**
 * The variants written for hardware GPUs (register tiles of ~16-32 accumulators, workgroup memory): valid for every
 * constant-weight conv, never picked by defaultConvVariant (on SwiftShader they lose to the rule's kernels), so only a
 * tuning table or an override selects them.
 */
export const REAL_GPU_CONV_VARIANTS = ['conv2d_rt4x4', 'conv2d_rt8x4', 'conv2d_wgm', 'conv2d_wgm_8x16', 'depthwise_4x4', 'conv2d_splitk'] as const satisfies readonly ConvVariant[];

/**
 * Output positions (n·oh·ow) up to which conv2d_splitk is listed: the 7×7 (49) and 14×14 (196) stages and 1×1
 * classifier convs, where the register tiles leave a GPU with a few hundred threads each walking all of K. Larger
 * maps have tiles enough for every core.
 */
export const SPLITK_MAX_POSITIONS = 1024;

/** One input channel per group (depthwise, channel multipliers included): what depthwise_4x4 runs. */
export function isChannelwise(s: ConvShape): boolean {
  return s.cin === s.group;
}

export function isDepthwise(s: ConvShape): boolean {
  return s.group > 1 && s.group === s.cin && s.group === s.cout;
}

export function isPointwise(s: ConvShape): boolean {
  return s.kh === 1 && s.kw === 1 && s.sh === 1 && s.sw === 1 && s.pads.every((p) => p === 0);
}

/** Every variant that computes `s` correctly. `conv2d_direct` always does. */
export function convVariantsFor(s: ConvShape): ConvVariant[] {
  const out: ConvVariant[] = ['conv2d_direct'];
  if (isDepthwise(s)) out.push('depthwise'); // reads OIHW weights as they are: runtime weights too
  if (!s.constWeights) return out;
  // The GEMM variants pad each group's output channels to their channel block, so they run any group count.
  out.push('conv2d_gemm', 'conv2d_gemm4');
  out.push('conv2d_rt4x4', 'conv2d_rt8x4', 'conv2d_wgm', 'conv2d_wgm_8x16');
  if (isChannelwise(s)) out.push('depthwise_4x4');
  if (s.n * s.oh * s.ow <= SPLITK_MAX_POSITIONS) out.push('conv2d_splitk');
  if (s.group === 1 && isPointwise(s)) out.push('conv2d_1x1');
  if (s.kw === 3 && s.sw === 1 && s.dw === 1) out.push('conv2d_gemm_generic');
  if (isWinogradShape(s)) out.push('winograd');
  if (isWinogradShape(s, 4)) out.push('winograd4');
  if (isIm2colShape(s)) out.push('im2col');
  return out;
}

/** Largest Im2col output P [N, C·kh·kw, OH, OW] (bytes): WebGPU's default maxStorageBufferBindingSize. */
const IM2COL_MAX_BINDING_BYTES = 128 * 1024 * 1024;

/**
 * Strided (s > 1) convs with a kernel larger than 1×1, group 1 (constant weights checked by the caller), whose column
 * matrix P fits one default binding: the shapes lower.ts `lowerIm2col` rewrites into Im2col + a 1×1 conv.
 */
export function isIm2colShape(s: ConvShape): boolean {
  if (s.group !== 1 || s.kh * s.kw <= 1 || (s.sh === 1 && s.sw === 1)) return false;
  return 4 * s.n * s.cin * s.kh * s.kw * s.oh * s.ow <= IM2COL_MAX_BINDING_BYTES;
}

/** WebGPU's default maxStorageBufferBindingSize: Winograd's V and M must each fit one binding on any adapter. */
const WINOGRAD_MAX_BINDING_BYTES = 128 * 1024 * 1024;

/** Winograd output tile edge: 2 for F(2×2, 3×3) ('winograd'), 4 for F(4×4, 3×3) ('winograd4'). */
export type WinogradTileSize = 2 | 4;

/** The tile edge of a Winograd variant, or undefined for the other variants. */
export function winogradTileOf(v: ConvVariant): WinogradTileSize | undefined {
  return v === 'winograd' ? 2 : v === 'winograd4' ? 4 : undefined;
}

/**
 * m×m output tiles of a Winograd conv, padded to the GEMM's 16-row block, output channels padded to 8, and the
 * transformed elements per tile ((m + 2)²: one GEMM each).
 */
function winogradWork(s: ConvShape, m: WinogradTileSize): { tiles: number; tilesPadded: number; coutPadded: number; elems: number } {
  const tiles = s.n * Math.ceil(s.oh / m) * Math.ceil(s.ow / m);
  return { tiles, tilesPadded: Math.ceil(tiles / 16) * 16, coutPadded: Math.ceil(s.cout / 8) * 8, elems: (m + 2) * (m + 2) };
}

/**
 * 3x3 / stride 1 / dilation 1 / group 1 with pads of at most 2 (constant weights are checked by the caller), whose
 * transformed input V [E, C_in, Tp] and products M [E, Tp, C_out→8] fit the default 128 MiB binding (E = (m + 2)²).
 */
export function isWinogradShape(s: ConvShape, m: WinogradTileSize = 2): boolean {
  if (!(s.kh === 3 && s.kw === 3 && s.sh === 1 && s.sw === 1 && s.dh === 1 && s.dw === 1 && s.group === 1 && s.pads.every((p) => p <= 2))) return false;
  const w = winogradWork(s, m);
  return 4 * w.elems * w.tilesPadded * Math.max(s.cin, w.coutPadded) <= WINOGRAD_MAX_BINDING_BYTES;
}

/**
 * Where Winograd beat the implicit GEMM in bench/kernels/conv.ts (docs/webgpu.md "Winograd"): at least 16 input and 8
 * output channels (3→16@32 and 8→8@16 lost by 5–15 %: the transforms outweigh the 2.25× fewer multiplies), and the
 * GEMM's padding (tiles to 16, channels to 8) at most doubling Winograd's multiplies over the direct conv's, i.e.
 * 16·Tp·C_out→8 ≤ 2 · 36·T·C_out (256@4: 4 tiles padded to 16 still won, 1.48 vs 1.31 GFLOP/s; 512@2: 1 tile, lost).
 */
function winogradPays(s: ConvShape): boolean {
  if (s.cin < 16 || s.cout < 8) return false;
  const w = winogradWork(s, 2);
  return 36 * w.tiles * s.cout >= 0.5 * 16 * w.tilesPadded * w.coutPadded;
}

/**
 * F(4×4)'s error grows with C_in (rel L2 vs the direct conv, He-scaled weights: 1.1e-6 at 16, 2.2e-6 at 128, 3.5e-6 at
 * 256, 5e-6 at 512; F(2×2): 1.7e-7 … 7e-7); its 256-channel layers gained only 6 % from it, so the speed rule keeps
 * them on F(2×2).
 */
const WINOGRAD4_MAX_CIN = 128;

/**
 * Whether the fixed rule uses winograd4Pays at all. Off: with it, ResNet-50 ends 3.08e-5 from PyTorch (F(2×2) only:
 * 1.78e-5; zoo bound 1e-4, margin wanted ≤ 3e-5), from its 64@56 / 128@28 layers alone (capping C_in at 128 changed
 * 3.12e-5 to 3.08e-5). ResNet-18 (2.7e-6), DenseNet-121 (4.1e-6) and ResNet-20 (4.3e-7) stay far inside. F(4×4) stays
 * a listed variant: the autotuner times it, and a tuned table picks it where it is faster (docs/webgpu.md "Winograd").
 */
const WINOGRAD4_BY_DEFAULT = false;

/**
 * Where F(4×4) beat F(2×2) in one run of bench/kernels/conv.ts (docs/webgpu.md "Winograd"): when its padded GEMM
 * (36·Tp₄, 4×4 tiles rounded up to 16) has at most 3/4 of F(2×2)'s multiplies (16·Tp₂). Maps of 13 and more give
 * 0.56–0.69 and won 1.06–3.9× (ResNet 64@56 … 256@14, DenseNet @56/@28/@14, SqueezeNet @55/@13, ResNet-20 @32/@16);
 * maps of 8 or less give ≥ 2.25 (a handful of 4×4 tiles padded to 16) and lost 1.9–2.3× (64@8, 512@7, 128→32@7, 256@4).
 */
export function winograd4Pays(s: ConvShape): boolean {
  if (s.cin > WINOGRAD4_MAX_CIN) return false;
  return 36 * winogradWork(s, 4).tilesPadded <= 0.75 * 16 * winogradWork(s, 2).tilesPadded;
}

/**
 * Where im2col beat conv2d_gemm's stride-2 window shader by > 15 % in bench/kernels/conv.ts (docs/webgpu.md "im2col"):
 * 3×3 / stride 2 / dilation 1 with 64–512 channels in and out (ResNet-18 / ResNet-50 downsampling: 1.58–1.80×).
 * The 7×7/2 RGB stem gained only 11 % and the 3-channel 3×3/2 stems were not measured: they stay on the implicit GEMM
 * (the autotuner still times 'im2col' there).
 */
export function im2colPays(s: ConvShape): boolean {
  return s.kh === 3 && s.kw === 3 && s.sh === 2 && s.sw === 2 && s.dh === 1 && s.dw === 1 && s.cin >= 64 && s.cout >= 64;
}

/**
 * The fixed rule (measured on SwiftShader with bench/kernels/conv.ts; see docs/webgpu.md "Conv kernels"):
 *   runtime weights → conv2d_direct (depthwise excepted); depthwise → depthwise; 1x1 / stride 1 / no pad / group 1
 *   → conv2d_1x1; 3x3 / stride 1 / group 1 with ≥ 16 input and ≥ 8 output channels and enough 2×2 tiles to fill the
 *   GEMM's 16-tile blocks (winogradPays) → winograd (lowered into 3 nodes by lower.ts; winograd4 where 4×4 tiles
 *   fill them too, winograd4Pays, only if WINOGRAD4_BY_DEFAULT); 3x3 / stride 2 with ≥ 64 channels in and out
 *   (im2colPays) → im2col (Im2col + conv2d_1x1, lowered by lower.ts); otherwise the implicit GEMM,
 *   8-channel blocks (conv2d_gemm) unless padding each group's channels to 8 wastes more than padding to 4 (4 or 12 per group, fewer than 8) → conv2d_gemm4. conv2d_gemm itself takes the
 *   3-wide window shader for stride-1 / dilation-1 3-wide kernels.
 */
export function defaultConvVariant(s: ConvShape): ConvVariant {
  const valid = convVariantsFor(s);
  const has = (v: ConvVariant) => valid.includes(v);
  if (has('depthwise')) return 'depthwise';
  if (has('conv2d_1x1')) return 'conv2d_1x1';
  // winogradPays is the channel / padding gate of both (F(4×4) is offered on larger maps than F(2×2): smaller V).
  if (WINOGRAD4_BY_DEFAULT && has('winograd4') && winogradPays(s) && winograd4Pays(s)) return 'winograd4';
  if (has('winograd') && winogradPays(s)) return 'winograd';
  if (has('im2col') && im2colPays(s)) return 'im2col';
  if (!has('conv2d_gemm')) return 'conv2d_direct';
  // 8-channel blocks unless padding each group to 8 wastes more than padding to 4 (e.g. 4 or 12 per group).
  const cpg = s.cout / s.group;
  return Math.ceil(cpg / 8) * 8 === Math.ceil(cpg / 4) * 4 && cpg >= 8 ? 'conv2d_gemm' : 'conv2d_gemm4';
}

/** Returns a variant name to force for a shape, or undefined to keep the rule's choice. */
export type ConvVariantOverride = VariantChooser<ConvShape, ConvVariant>;
const choice = variantChoice<ConvShape, ConvVariant>(convVariantsFor);

/** Installs (or, with undefined, removes) an override; invalid choices fall back to the rule. Returns the previous one. */
export function setConvVariantOverride(fn: ConvVariantOverride | undefined): ConvVariantOverride | undefined {
  return choice.setOverride(fn);
}

/**
 * The variant that runs `s`: the per-session choice (`local`, e.g. an autotuned table) if it names a valid variant,
 * else the global override's, else the fixed rule's.
 */
export function selectConvVariant(s: ConvShape, local?: ConvVariantOverride): ConvVariant {
  return explicitConvVariant(s, local) ?? defaultConvVariant(s);
}

/** The valid variant a per-session chooser or the global override names for `s`, or undefined (the rule decides). */
export function explicitConvVariant(s: ConvShape, local?: ConvVariantOverride): ConvVariant | undefined {
  return choice.explicit(s, undefined, local);
}
