/**
 * The WGSL of the small-output / split-K variants (conv2d_splitk in conv_select.ts, matmul_splitk in
 * matmul_select.ts), for layers whose outputs make few tiles while K is long: ResNet-50's 7×7 stage (49 positions ×
 * 2048 channels, K up to 4608), classifier GEMMs with M = 1 (K 1024-2048). The register-tiled kernels give such a
 * layer a few hundred invocations, each walking all of K alone; here one workgroup of WG invocations owns a tile of
 * SLOTS outputs × 4 channels (a vec4) and splits K across its invocations (invocation `lid` takes k = lid, lid + WG,
 * ...); the partial sums meet in workgroup memory in the same dispatch (reduce_wgsl.ts splitKFold: no second pass, no
 * partial-sum buffer, no atomics), then SLOTS invocations run the epilogue. Built from shared snippets: store4 and the
 * shell of conv_wgsl.ts, matmul_wgsl.ts's epilogue, the fold of reduce_wgsl.ts.
 */
import { BN_PROLOGUE, precisionAlias, shaderText, store4, type Precision } from './conv_wgsl.js';
import { splitKFold } from './reduce_wgsl.js';
import { matmulStore4 } from './matmul_wgsl.js';

/** Output positions (conv) or rows (matmul, M > 1) per workgroup tile; a tile is SLOTS × 4 output channels. */
export const SPLITK_SLOTS = 4;

/** Per-invocation partial sums (in `ft`), then converted to f32 and folded over the workgroup. */
function foldPartials(): string[] {
  return ['var acc: array<vec4<f32>, SLOTS>;', 'for (var j = 0u; j < SLOTS; j++) { acc[j] = vec4<f32>(part[j]); }', ...splitKFold().lines];
}

const tileDecode = ['let tile = flat_group(wid, nwg);', 'if (tile >= u.m_tiles * u.n_tiles) { return; } // workgroup-uniform: barriers stay valid'];

/**
 * conv2d_splitk: implicit GEMM (M = positions n·oh·ow flattened, N = padded output channels, K = C_in/group × taps)
 * with weights packed in 4-channel blocks per group (conv_gemm.ts packWeightsGrouped), any kernel / stride / dilation
 * / pads / groups. An invocation decodes its tile's SLOTS positions once, then per k reads one weight vec4 and SLOTS
 * inputs (clamped index + select at the borders).
 */
export function convSplitKWgsl(precision: Precision = 'f32'): string {
  const main = [
    ...tileDecode,
    'let tm = tile % u.m_tiles;',
    'let col0 = (tile / u.m_tiles) * 4u; // padded column: group g, channel local0 of that group',
    'let g = col0 / u.oc_per_group_pad;',
    'let local0 = col0 % u.oc_per_group_pad;',
    'let kg = u.in_c_per_group * KH * KW;',
    'let wrow = u.cols_padded / 4u;',
    'let plane = u.in_h * u.in_w;',
    'var ih0: array<i32, SLOTS>;',
    'var iw0: array<i32, SLOTS>;',
    'var xb: array<u32, SLOTS>;',
    'for (var p = 0u; p < SLOTS; p++) {',
    '  let m = min(tm * SLOTS + p, u.total_m - 1u); // positions past the end recompute the last one (never stored)',
    '  let t = m / u.out_w;',
    '  ih0[p] = i32((t % u.out_h) * u.stride_h) - u.pad_top;',
    '  iw0[p] = i32((m % u.out_w) * u.stride_w) - u.pad_left;',
    '  xb[p] = ((t / u.out_h) * u.in_c + g * u.in_c_per_group) * plane;',
    '}',
    'var part: array<vec4<ft>, SLOTS>;',
    'for (var k = lid; k < kg; k += WG) {',
    '  let ic = k / (KH * KW);',
    '  let tap = k % (KH * KW);',
    '  let dh = i32((tap / KW) * u.dil_h);',
    '  let dw = i32((tap % KW) * u.dil_w);',
    '  let w = vec4<ft>(w_at4(k * wrow + col0 / 4u));',
    '  for (var p = 0u; p < SLOTS; p++) {',
    '    let ih = ih0[p] + dh;',
    '    let iw = iw0[p] + dw;',
    '    let inside = ih >= 0 && ih < i32(u.in_h) && iw >= 0 && iw < i32(u.in_w);',
    '    var v = x_at(xb[p] + ic * plane + u32(clamp(ih, 0, i32(u.in_h) - 1)) * u.in_w + u32(clamp(iw, 0, i32(u.in_w) - 1)));',
    '    v = bn_in(v, g * u.in_c_per_group + ic); // @if IN_BN',
    '    part[p] += ft(select(0.0, v, inside)) * w;',
    '  }',
    '}',
    ...foldPartials(),
    'if (lid < SLOTS) {',
    '  let m = tm * SLOTS + lid;',
    '  if (m < u.total_m) {',
    '    let t = m / u.out_w;',
    '    store4(t / u.out_h, g, local0, t % u.out_h, m % u.out_w, sk_part[lid * WG]);',
    '  }',
    '}',
  ];
  return shaderText(
    `2-D conv, split-K in one workgroup${precision === 'f16' ? ', f16 arithmetic' : ''}`,
    [precisionAlias(precision), ...store4('u.out_h', false), ...BN_PROLOGUE, splitKFold().decl],
    main,
    'splitk_wgsl.ts',
  );
}

/**
 * matmul_splitk: y = activate(alpha·A·B + beta·C (+ residual)) without batch dims, SLOTS rows (1 when M = 1, else 4)
 * × 4 columns per workgroup. B is read as a vec4 per k: from the 8-column panels of a constant B (PANEL), from dense
 * rows with N % 4 == 0 (B_ROWS), else as 4 strided scalars (B_SCALAR); A through its strides (transposed A is free).
 */
export function matmulSplitKWgsl(precision: Precision = 'f32'): string {
  const main = [
    ...tileDecode,
    'let row0 = (tile % u.m_tiles) * SLOTS;',
    'let col0 = (tile / u.m_tiles) * 4u;',
    'let last_row = u.m - 1u;',
    'let last_col = u.n - 1u;',
    'var ar: array<u32, SLOTS>;',
    'for (var r = 0u; r < SLOTS; r++) { ar[r] = min(row0 + r, last_row) * u.a_stride_m; }',
    'let bs = vec4<u32>(min(col0, last_col), min(col0 + 1u, last_col), min(col0 + 2u, last_col), min(col0 + 3u, last_col)) * u.b_stride_n; // @if B_SCALAR',
    'var part: array<vec4<ft>, SLOTS>;',
    'for (var k = lid; k < u.k; k += WG) {',
    '  let b = b_at4((col0 / 8u) * u.k * 2u + k * 2u + (col0 % 8u) / 4u); // @if PANEL',
    '  let b = b_at4(k * u.b_row_vec4s + col0 / 4u); // @if B_ROWS',
    '  let bk = k * u.b_stride_k; // @if B_SCALAR',
    '  let b = vec4<f32>(b_at(bk + bs.x), b_at(bk + bs.y), b_at(bk + bs.z), b_at(bk + bs.w)); // @if B_SCALAR',
    '  let bf = vec4<ft>(b);',
    '  for (var r = 0u; r < SLOTS; r++) { part[r] += ft(a_at(ar[r] + k * u.a_stride_k)) * bf; }',
    '}',
    ...foldPartials(),
    'if (lid < SLOTS) { store4(0u, row0 + lid, col0, sk_part[lid * WG]); }',
  ];
  return shaderText(
    `Gemm / MatMul, split-K in one workgroup${precision === 'f16' ? ', f16 arithmetic' : ''}`,
    [precisionAlias(precision), ...matmulStore4(), splitKFold().decl],
    main,
    'splitk_wgsl.ts',
  );
}

export const SPLITK_SHADERS = {
  conv2d_splitk: convSplitKWgsl(),
  conv2d_splitk_f16: convSplitKWgsl('f16'),
  matmul_splitk: matmulSplitKWgsl(),
  matmul_splitk_f16: matmulSplitKWgsl('f16'),
} as const;
