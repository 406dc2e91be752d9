// Bindings are touched only through generated accessors (a_at4, b_at4, y_set; see src/backends/webgpu/program.ts).
//
// Winograd F(2x2, 3x3) element-wise products as 16 independent GEMMs (src/graph/ops/winograd.ts):
// M[e, t, k] = sum_c V[e, c, t] U[e, c, k]. Register-tiled like matmul_tiled (16 rows x 8 columns per thread, no
// workgroup memory, no barriers, the fastest shape measured on SwiftShader): V is stored [16, C, Tp] so a thread's
// 16 tiles at one input channel are 4 aligned vec4 loads, and U is packed at load as [16, Kp / 8, C, 8] so each thread
// streams one contiguous panel (2 vec4 per channel). Tp and Kp are multiples of 16 and 8: no bounds checks at all.
fn store8(base: u32, lo: vec4<f32>, hi: vec4<f32>) {
  y_set(base, lo.x); y_set(base + 1u, lo.y); y_set(base + 2u, lo.z); y_set(base + 3u, lo.w);
  y_set(base + 4u, hi.x); y_set(base + 5u, hi.y); y_set(base + 6u, hi.z); y_set(base + 7u, hi.w);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let cb = i % u.col_blocks;
  let r = i / u.col_blocks;
  let rb = r % u.row_blocks;
  let e = r / u.row_blocks;
  let astep = u.tiles_padded / 4u;
  var ak = e * u.k * astep + rb * 4u;
  var bk = ((e * u.col_blocks + cb) * u.k) * 2u;
  var c0a = vec4<f32>(0.0); var c0b = vec4<f32>(0.0);
  var c1a = vec4<f32>(0.0); var c1b = vec4<f32>(0.0);
  var c2a = vec4<f32>(0.0); var c2b = vec4<f32>(0.0);
  var c3a = vec4<f32>(0.0); var c3b = vec4<f32>(0.0);
  var c4a = vec4<f32>(0.0); var c4b = vec4<f32>(0.0);
  var c5a = vec4<f32>(0.0); var c5b = vec4<f32>(0.0);
  var c6a = vec4<f32>(0.0); var c6b = vec4<f32>(0.0);
  var c7a = vec4<f32>(0.0); var c7b = vec4<f32>(0.0);
  var c8a = vec4<f32>(0.0); var c8b = vec4<f32>(0.0);
  var c9a = vec4<f32>(0.0); var c9b = vec4<f32>(0.0);
  var c10a = vec4<f32>(0.0); var c10b = vec4<f32>(0.0);
  var c11a = vec4<f32>(0.0); var c11b = vec4<f32>(0.0);
  var c12a = vec4<f32>(0.0); var c12b = vec4<f32>(0.0);
  var c13a = vec4<f32>(0.0); var c13b = vec4<f32>(0.0);
  var c14a = vec4<f32>(0.0); var c14b = vec4<f32>(0.0);
  var c15a = vec4<f32>(0.0); var c15b = vec4<f32>(0.0);
  for (var k = 0u; k < u.k; k++) {
    let b0 = b_at4(bk);
    let b1 = b_at4(bk + 1u);
    bk += 2u;
    let a0 = a_at4(ak + 0u);
    c0a += a0.x * b0; c0b += a0.x * b1;
    c1a += a0.y * b0; c1b += a0.y * b1;
    c2a += a0.z * b0; c2b += a0.z * b1;
    c3a += a0.w * b0; c3b += a0.w * b1;
    let a1 = a_at4(ak + 1u);
    c4a += a1.x * b0; c4b += a1.x * b1;
    c5a += a1.y * b0; c5b += a1.y * b1;
    c6a += a1.z * b0; c6b += a1.z * b1;
    c7a += a1.w * b0; c7b += a1.w * b1;
    let a2 = a_at4(ak + 2u);
    c8a += a2.x * b0; c8b += a2.x * b1;
    c9a += a2.y * b0; c9b += a2.y * b1;
    c10a += a2.z * b0; c10b += a2.z * b1;
    c11a += a2.w * b0; c11b += a2.w * b1;
    let a3 = a_at4(ak + 3u);
    c12a += a3.x * b0; c12b += a3.x * b1;
    c13a += a3.y * b0; c13b += a3.y * b1;
    c14a += a3.z * b0; c14b += a3.z * b1;
    c15a += a3.w * b0; c15b += a3.w * b1;
    ak += astep;
  }
  var o = (e * u.tiles_padded + rb * 16u) * u.n + cb * 8u;
  store8(o, c0a, c0b); o += u.n;
  store8(o, c1a, c1b); o += u.n;
  store8(o, c2a, c2b); o += u.n;
  store8(o, c3a, c3b); o += u.n;
  store8(o, c4a, c4b); o += u.n;
  store8(o, c5a, c5b); o += u.n;
  store8(o, c6a, c6b); o += u.n;
  store8(o, c7a, c7b); o += u.n;
  store8(o, c8a, c8b); o += u.n;
  store8(o, c9a, c9b); o += u.n;
  store8(o, c10a, c10b); o += u.n;
  store8(o, c11a, c11b); o += u.n;
  store8(o, c12a, c12b); o += u.n;
  store8(o, c13a, c13b); o += u.n;
  store8(o, c14a, c14b); o += u.n;
  store8(o, c15a, c15b);
}
