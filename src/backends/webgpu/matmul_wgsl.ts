/**
 * The WGSL of `matmul_tiled` (Gemm / FusedGemm / MatMul, matmul.ts), generated so the f32 shader and its opt-in f16
 * arithmetic form (`matmul_tiled_f16`) are one text, and its epilogue `store4` is shared with matmul_splitk
 * (splitk_wgsl.ts). The f32 text after the `// @if` pass is the former shaders/matmul_tiled.wgsl line for line, but
 * for the `ft` conversions (identities in f32).
 *
 * Matrix product y = activate(alpha * A B + beta * C (+ residual)), register-tiled without workgroup memory: each
 * thread computes TM rows (16, or 4 when R16 == 0) x 8 columns, reading per k step TM scalars of A (any strides:
 * transposed A is free) and 8 values of B: 2 vec4s when B is a constant (repacked at load into 8-column panels,
 * [N / 8, K, 8], so a thread's B reads are one sequential stream) or a runtime B with contiguous rows and N % 4 == 0,
 * else (B_SCALAR) 8 strided scalars. 16 x 8 was the fastest tile measured on SwiftShader (docs/webgpu.md); no barriers.
 * Rows / columns past the edge re-read the last valid one and are never stored.
 * BATCHED: numpy-broadcast batch dims (MatMul of [.., M, K] x [.., K, N]); threads are (batch, row block, column
 * block), each batch index adding its A / B offsets (0 along a broadcast dim) and M * N to the output offset. The
 * shapes and strides are uniforms, so one pipeline serves every shape.
 */
import { precisionAlias, residualActivateStore, shaderText, type Precision } from './conv_wgsl.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, k) => k);
/** Rows 4..15 exist only in the 16-row tile. */
const r16 = (r: number) => (r >= 4 ? ' // @if R16' : '');

/** The epilogue for 4 columns of one output row (alpha, beta·C, residual before / after the activation). */
export function matmulStore4(): string[] {
  return [
    'fn store4(obase: u32, row: u32, col: u32, acc: vec4<f32>) {',
    '  if (row >= u.m) { return; }',
    '  for (var e = 0u; e < 4u; e++) {',
    '    let c = col + e;',
    '    if (c < u.n) {',
    '      let idx = obase + row * u.n + c;',
    '      var v = acc[e] * u.alpha;',
    '      v += u.beta * cmat_at(row * u.c_stride_m + c * u.c_stride_n); // @if HAS_C',
    ...residualActivateStore('      '),
    '    }',
    '  }',
    '}',
  ];
}

export function matmulTiledWgsl(precision: Precision = 'f32'): string {
  const bs = (j: number) => `let bs${j} = bbase + min(col0 + ${j}u, last_col) * u.b_stride_n;`;
  const main = [
    'let i = flat_group(wid, nwg) * WG + lid;',
    'if (i >= u.total) { return; }',
    'let cb = i % u.col_blocks;',
    'var rb = i / u.col_blocks;',
    'var abase = 0u;',
    'var bbase = 0u;',
    'var obase = 0u;',
    'var t = rb / u.row_blocks; // @if BATCHED',
    'rb = rb % u.row_blocks; // @if BATCHED',
    'obase = t * u.m * u.n; // @if BATCHED',
    'for (var d = 0u; d < BATCH_RANK; d++) { let bd = BATCH_RANK - 1u - d; let dim = lane(u.batch_shape[bd >> 2u], bd); let coord = t % dim; t = t / dim; abase += coord * lane(u.a_batch_strides[bd >> 2u], bd); bbase += coord * lane(u.b_batch_strides[bd >> 2u], bd); } // @if BATCHED',
    'let row0 = rb * TM;',
    'let col0 = cb * 8u;',
    '// Runtime B: rows of b_row_vec4s vec4s (a partial last block re-reads its last vec4). Constant B (PANEL): packed',
    '// as [N / 8 panels, K, 8] so each thread streams one contiguous panel.',
    'let last_q = u.b_row_vec4s - 1u;',
    'var q0 = bbase / 4u + min(col0 / 4u, last_q);',
    'var q1 = bbase / 4u + min(col0 / 4u + 1u, last_q);',
    'var bstep = u.b_row_vec4s;',
    'q0 = cb * u.k * 2u; // @if PANEL',
    'q1 = q0 + 1u; // @if PANEL',
    'bstep = 2u; // @if PANEL',
    '// B_SCALAR: column offsets of the 8 columns (clamped to the last one), rows b_stride_k apart.',
    'let last_col = u.n - 1u; // @if B_SCALAR',
    ...range(4).map((p) => `${bs(2 * p)} ${bs(2 * p + 1)} // @if B_SCALAR`),
    'let last_row = u.m - 1u;',
    ...range(16).map((r) => `let ar${r} = min(row0 + ${r}u, last_row) * u.a_stride_m;${r16(r)}`),
    ...range(16).map((r) => `var c${r}a = vec4<ft>(0.0); var c${r}b = vec4<ft>(0.0);${r16(r)}`),
    'var ak = abase;',
    'var bk = 0u;',
    'for (var k = 0u; k < u.k; k++) {',
    '  let b0 = vec4<ft>(b_at4(bk + q0)); // @if B_VEC',
    '  let b1 = vec4<ft>(b_at4(bk + q1)); // @if B_VEC',
    '  bk += bstep; // @if B_VEC',
    '  let b0 = vec4<ft>(vec4<f32>(b_at(bk + bs0), b_at(bk + bs1), b_at(bk + bs2), b_at(bk + bs3))); // @if B_SCALAR',
    '  let b1 = vec4<ft>(vec4<f32>(b_at(bk + bs4), b_at(bk + bs5), b_at(bk + bs6), b_at(bk + bs7))); // @if B_SCALAR',
    '  bk += u.b_stride_k; // @if B_SCALAR',
    ...range(16).map((r) => `  let a${r} = ft(a_at(ar${r} + ak)); c${r}a += a${r} * b0; c${r}b += a${r} * b1;${r16(r)}`),
    '  ak += u.a_stride_k;',
    '}',
    // The epilogue is one loop over the 2 * TM accumulators, not 2 * TM inlined store4 calls: SwiftShader compiles
    // every inlined copy (each with its activation, GELU's erf polynomial included), ~80 % of the pipeline's compile
    // time (0.4–1.1 s -> 0.1 s of CPU per 16x8 pipeline; docs/webgpu.md "Compile cost"); run time measured unchanged.
    'let acc = array<vec4<f32>, 2u * TM>(',
    ...range(16).map((r) => `  vec4<f32>(c${r}a), vec4<f32>(c${r}b),${r16(r)}`),
    ');',
    'for (var h = 0u; h < 2u * TM; h++) { store4(obase, row0 + (h >> 1u), col0 + 4u * (h & 1u), acc[h]); }',
  ];
  return shaderText(`Register-tiled Gemm / MatMul${precision === 'f16' ? ', f16 arithmetic' : ''}`, [precisionAlias(precision), ...matmulStore4()], main, 'matmul_wgsl.ts');
}

export const MATMUL_SHADERS = {
  matmul_tiled: matmulTiledWgsl(),
  matmul_tiled_f16: matmulTiledWgsl('f16'),
} as const;
