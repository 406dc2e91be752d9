// Bindings are touched only through generated accessors (a_at, b_at4, y_set...; ProgramSpec.accessors in
// src/backends/webgpu/program.ts): they add the element offset of views and read f16 weights.
//
// Matrix product y = activate(alpha * A B + beta * C (+ residual)), register-tiled without workgroup memory:
// each thread computes TM rows (16, or 4 when R16 == 0) x 8 columns, reading per k step TM scalars of A (any strides:
// transposed A is free) and 8 values of B: 2 vec4s when B is a constant (repacked at load into 8-column panels,
// [N / 8, K, 8], so a thread's B reads are one sequential stream) or a runtime B with contiguous rows and N % 4 == 0,
// else (B_SCALAR) 8 strided scalars. 16 x 8 was the fastest tile measured on SwiftShader (docs/webgpu.md); no barriers.
// Rows / columns past the edge re-read the last valid one and are never stored.
// BATCHED: numpy-broadcast batch dims (MatMul of [.., M, K] x [.., K, N]); threads are (batch, row block, column
// block), each batch index adding its A / B offsets (0 along a broadcast dim) and M * N to the output offset. The
// shapes and strides are uniforms, so one pipeline serves every shape.
fn store4(obase: u32, row: u32, col: u32, acc: vec4<f32>) {
  if (row >= u.m) { return; }
  for (var e = 0u; e < 4u; e++) {
    let c = col + e;
    if (c < u.n) {
      let idx = obase + row * u.n + c;
      var v = acc[e] * u.alpha;
      v += u.beta * cmat_at(row * u.c_stride_m + c * u.c_stride_n); // @if HAS_C
      v += res_at(idx); // @if RES_BEFORE
      v = activate(v);
      v += res_at(idx); // @if RES_AFTER
      y_set(idx, v);
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let cb = i % u.col_blocks;
  var rb = i / u.col_blocks;
  var abase = 0u;
  var bbase = 0u;
  var obase = 0u;
  var t = rb / u.row_blocks; // @if BATCHED
  rb = rb % u.row_blocks; // @if BATCHED
  obase = t * u.m * u.n; // @if BATCHED
  for (var d = 0u; d < BATCH_RANK; d++) { let bd = BATCH_RANK - 1u - d; let dim = lane(u.batch_shape[bd >> 2u], bd); let coord = t % dim; t = t / dim; abase += coord * lane(u.a_batch_strides[bd >> 2u], bd); bbase += coord * lane(u.b_batch_strides[bd >> 2u], bd); } // @if BATCHED
  let row0 = rb * TM;
  let col0 = cb * 8u;
  // Runtime B: rows of b_row_vec4s vec4s (a partial last block re-reads its last vec4). Constant B (PANEL): packed
  // as [N / 8 panels, K, 8] so each thread streams one contiguous panel.
  let last_q = u.b_row_vec4s - 1u;
  var q0 = bbase / 4u + min(col0 / 4u, last_q);
  var q1 = bbase / 4u + min(col0 / 4u + 1u, last_q);
  var bstep = u.b_row_vec4s;
  q0 = cb * u.k * 2u; // @if PANEL
  q1 = q0 + 1u; // @if PANEL
  bstep = 2u; // @if PANEL
  // B_SCALAR: column offsets of the 8 columns (clamped to the last one), rows b_stride_k apart.
  let last_col = u.n - 1u; // @if B_SCALAR
  let bs0 = bbase + min(col0 + 0u, last_col) * u.b_stride_n; let bs1 = bbase + min(col0 + 1u, last_col) * u.b_stride_n; // @if B_SCALAR
  let bs2 = bbase + min(col0 + 2u, last_col) * u.b_stride_n; let bs3 = bbase + min(col0 + 3u, last_col) * u.b_stride_n; // @if B_SCALAR
  let bs4 = bbase + min(col0 + 4u, last_col) * u.b_stride_n; let bs5 = bbase + min(col0 + 5u, last_col) * u.b_stride_n; // @if B_SCALAR
  let bs6 = bbase + min(col0 + 6u, last_col) * u.b_stride_n; let bs7 = bbase + min(col0 + 7u, last_col) * u.b_stride_n; // @if B_SCALAR
  let last_row = u.m - 1u;
  let ar0 = min(row0 + 0u, last_row) * u.a_stride_m;
  let ar1 = min(row0 + 1u, last_row) * u.a_stride_m;
  let ar2 = min(row0 + 2u, last_row) * u.a_stride_m;
  let ar3 = min(row0 + 3u, last_row) * u.a_stride_m;
  let ar4 = min(row0 + 4u, last_row) * u.a_stride_m; // @if R16
  let ar5 = min(row0 + 5u, last_row) * u.a_stride_m; // @if R16
  let ar6 = min(row0 + 6u, last_row) * u.a_stride_m; // @if R16
  let ar7 = min(row0 + 7u, last_row) * u.a_stride_m; // @if R16
  let ar8 = min(row0 + 8u, last_row) * u.a_stride_m; // @if R16
  let ar9 = min(row0 + 9u, last_row) * u.a_stride_m; // @if R16
  let ar10 = min(row0 + 10u, last_row) * u.a_stride_m; // @if R16
  let ar11 = min(row0 + 11u, last_row) * u.a_stride_m; // @if R16
  let ar12 = min(row0 + 12u, last_row) * u.a_stride_m; // @if R16
  let ar13 = min(row0 + 13u, last_row) * u.a_stride_m; // @if R16
  let ar14 = min(row0 + 14u, last_row) * u.a_stride_m; // @if R16
  let ar15 = min(row0 + 15u, last_row) * u.a_stride_m; // @if R16
  var c0a = vec4<f32>(0.0); var c0b = vec4<f32>(0.0);
  var c1a = vec4<f32>(0.0); var c1b = vec4<f32>(0.0);
  var c2a = vec4<f32>(0.0); var c2b = vec4<f32>(0.0);
  var c3a = vec4<f32>(0.0); var c3b = vec4<f32>(0.0);
  var c4a = vec4<f32>(0.0); var c4b = vec4<f32>(0.0); // @if R16
  var c5a = vec4<f32>(0.0); var c5b = vec4<f32>(0.0); // @if R16
  var c6a = vec4<f32>(0.0); var c6b = vec4<f32>(0.0); // @if R16
  var c7a = vec4<f32>(0.0); var c7b = vec4<f32>(0.0); // @if R16
  var c8a = vec4<f32>(0.0); var c8b = vec4<f32>(0.0); // @if R16
  var c9a = vec4<f32>(0.0); var c9b = vec4<f32>(0.0); // @if R16
  var c10a = vec4<f32>(0.0); var c10b = vec4<f32>(0.0); // @if R16
  var c11a = vec4<f32>(0.0); var c11b = vec4<f32>(0.0); // @if R16
  var c12a = vec4<f32>(0.0); var c12b = vec4<f32>(0.0); // @if R16
  var c13a = vec4<f32>(0.0); var c13b = vec4<f32>(0.0); // @if R16
  var c14a = vec4<f32>(0.0); var c14b = vec4<f32>(0.0); // @if R16
  var c15a = vec4<f32>(0.0); var c15b = vec4<f32>(0.0); // @if R16
  var ak = abase;
  var bk = 0u;
  for (var k = 0u; k < u.k; k++) {
    let b0 = b_at4(bk + q0); // @if B_VEC
    let b1 = b_at4(bk + q1); // @if B_VEC
    bk += bstep; // @if B_VEC
    let b0 = vec4<f32>(b_at(bk + bs0), b_at(bk + bs1), b_at(bk + bs2), b_at(bk + bs3)); // @if B_SCALAR
    let b1 = vec4<f32>(b_at(bk + bs4), b_at(bk + bs5), b_at(bk + bs6), b_at(bk + bs7)); // @if B_SCALAR
    bk += u.b_stride_k; // @if B_SCALAR
    let a0 = a_at(ar0 + ak); c0a += a0 * b0; c0b += a0 * b1;
    let a1 = a_at(ar1 + ak); c1a += a1 * b0; c1b += a1 * b1;
    let a2 = a_at(ar2 + ak); c2a += a2 * b0; c2b += a2 * b1;
    let a3 = a_at(ar3 + ak); c3a += a3 * b0; c3b += a3 * b1;
    let a4 = a_at(ar4 + ak); c4a += a4 * b0; c4b += a4 * b1; // @if R16
    let a5 = a_at(ar5 + ak); c5a += a5 * b0; c5b += a5 * b1; // @if R16
    let a6 = a_at(ar6 + ak); c6a += a6 * b0; c6b += a6 * b1; // @if R16
    let a7 = a_at(ar7 + ak); c7a += a7 * b0; c7b += a7 * b1; // @if R16
    let a8 = a_at(ar8 + ak); c8a += a8 * b0; c8b += a8 * b1; // @if R16
    let a9 = a_at(ar9 + ak); c9a += a9 * b0; c9b += a9 * b1; // @if R16
    let a10 = a_at(ar10 + ak); c10a += a10 * b0; c10b += a10 * b1; // @if R16
    let a11 = a_at(ar11 + ak); c11a += a11 * b0; c11b += a11 * b1; // @if R16
    let a12 = a_at(ar12 + ak); c12a += a12 * b0; c12b += a12 * b1; // @if R16
    let a13 = a_at(ar13 + ak); c13a += a13 * b0; c13b += a13 * b1; // @if R16
    let a14 = a_at(ar14 + ak); c14a += a14 * b0; c14b += a14 * b1; // @if R16
    let a15 = a_at(ar15 + ak); c15a += a15 * b0; c15b += a15 * b1; // @if R16
    ak += u.a_stride_k;
  }
  store4(obase, row0 + 0u, col0, c0a); store4(obase, row0 + 0u, col0 + 4u, c0b);
  store4(obase, row0 + 1u, col0, c1a); store4(obase, row0 + 1u, col0 + 4u, c1b);
  store4(obase, row0 + 2u, col0, c2a); store4(obase, row0 + 2u, col0 + 4u, c2b);
  store4(obase, row0 + 3u, col0, c3a); store4(obase, row0 + 3u, col0 + 4u, c3b);
  store4(obase, row0 + 4u, col0, c4a); store4(obase, row0 + 4u, col0 + 4u, c4b); // @if R16
  store4(obase, row0 + 5u, col0, c5a); store4(obase, row0 + 5u, col0 + 4u, c5b); // @if R16
  store4(obase, row0 + 6u, col0, c6a); store4(obase, row0 + 6u, col0 + 4u, c6b); // @if R16
  store4(obase, row0 + 7u, col0, c7a); store4(obase, row0 + 7u, col0 + 4u, c7b); // @if R16
  store4(obase, row0 + 8u, col0, c8a); store4(obase, row0 + 8u, col0 + 4u, c8b); // @if R16
  store4(obase, row0 + 9u, col0, c9a); store4(obase, row0 + 9u, col0 + 4u, c9b); // @if R16
  store4(obase, row0 + 10u, col0, c10a); store4(obase, row0 + 10u, col0 + 4u, c10b); // @if R16
  store4(obase, row0 + 11u, col0, c11a); store4(obase, row0 + 11u, col0 + 4u, c11b); // @if R16
  store4(obase, row0 + 12u, col0, c12a); store4(obase, row0 + 12u, col0 + 4u, c12b); // @if R16
  store4(obase, row0 + 13u, col0, c13a); store4(obase, row0 + 13u, col0 + 4u, c13b); // @if R16
  store4(obase, row0 + 14u, col0, c14a); store4(obase, row0 + 14u, col0 + 4u, c14b); // @if R16
  store4(obase, row0 + 15u, col0, c15a); store4(obase, row0 + 15u, col0 + 4u, c15b); // @if R16
}
