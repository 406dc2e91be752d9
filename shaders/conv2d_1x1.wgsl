// Bindings are touched only through generated accessors (x_at, w_at4, y_set...; ProgramSpec.accessors in
// src/backends/webgpu/program.ts): they add the element offset of views (in-place Concat) and read f16 weights.
//
// 1x1 convolution (stride 1, no padding, group 1) as a plain GEMM, NCHW: Y[n, oc, p] = sum_ic W[oc, ic] X[n, ic, p]
// over the H*W pixels p. Register tile per thread: 16 pixels of a contiguous input row (4 vec4 loads when X4, i.e.
// H*W % 4 == 0; else 16 scalar loads at offsets clamped once to the last pixel) x 8 output channels (2 vec4 loads of
// the weights, repacked at load to [C_in, C_out padded to 8]) for 128 multiply-adds per input channel. Accumulators
// are vec4 over 4 pixels: c<oc><quad>. No workgroup memory, no barriers. Consecutive threads take consecutive pixel
// blocks of the same channel block.
fn store_q(n: u32, oc: u32, p: u32, acc: vec4<f32>) {
  if (oc >= u.out_c) { return; }
  let base = (n * u.out_c + oc) * u.hw;
  for (var e = 0u; e < 4u; e++) {
    if (p + e < u.hw) {
      let idx = base + p + e;
      var v = acc[e];
      v += bias_at(oc); // @if HAS_BIAS
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
  let pb = i % u.p_blocks;
  let t = i / u.p_blocks;
  let ocb = t % u.oc_blocks;
  let n = t / u.oc_blocks;
  let p0 = pb * 16u;
  let quads = u.hw / 4u; // @if X4
  // Pixels past the end re-read the last one (their results are never stored).
  let q0 = min(p0 / 4u, quads - 1u); // @if X4
  let q1 = min(p0 / 4u + 1u, quads - 1u); // @if X4
  let q2 = min(p0 / 4u + 2u, quads - 1u); // @if X4
  let q3 = min(p0 / 4u + 3u, quads - 1u); // @if X4
  let last = u.hw - 1u; // @if X1
  let e0 = vec4<u32>(min(p0, last), min(p0 + 1u, last), min(p0 + 2u, last), min(p0 + 3u, last)); // @if X1
  let e1 = vec4<u32>(min(p0 + 4u, last), min(p0 + 5u, last), min(p0 + 6u, last), min(p0 + 7u, last)); // @if X1
  let e2 = vec4<u32>(min(p0 + 8u, last), min(p0 + 9u, last), min(p0 + 10u, last), min(p0 + 11u, last)); // @if X1
  let e3 = vec4<u32>(min(p0 + 12u, last), min(p0 + 13u, last), min(p0 + 14u, last), min(p0 + 15u, last)); // @if X1
  let wstep = u.cols_padded / 4u;
  var c00 = vec4<f32>(0.0); var c01 = vec4<f32>(0.0); var c02 = vec4<f32>(0.0); var c03 = vec4<f32>(0.0);
  var c10 = vec4<f32>(0.0); var c11 = vec4<f32>(0.0); var c12 = vec4<f32>(0.0); var c13 = vec4<f32>(0.0);
  var c20 = vec4<f32>(0.0); var c21 = vec4<f32>(0.0); var c22 = vec4<f32>(0.0); var c23 = vec4<f32>(0.0);
  var c30 = vec4<f32>(0.0); var c31 = vec4<f32>(0.0); var c32 = vec4<f32>(0.0); var c33 = vec4<f32>(0.0);
  var c40 = vec4<f32>(0.0); var c41 = vec4<f32>(0.0); var c42 = vec4<f32>(0.0); var c43 = vec4<f32>(0.0);
  var c50 = vec4<f32>(0.0); var c51 = vec4<f32>(0.0); var c52 = vec4<f32>(0.0); var c53 = vec4<f32>(0.0);
  var c60 = vec4<f32>(0.0); var c61 = vec4<f32>(0.0); var c62 = vec4<f32>(0.0); var c63 = vec4<f32>(0.0);
  var c70 = vec4<f32>(0.0); var c71 = vec4<f32>(0.0); var c72 = vec4<f32>(0.0); var c73 = vec4<f32>(0.0);
  var xq = n * u.in_c * quads; // @if X4
  var xr = n * u.in_c * u.hw; // @if X1
  var widx = ocb * 2u;
  let xs_base = n * u.xs_batch_stride; // @if IN_SCALE
  for (var ic = 0u; ic < u.in_c; ic++) {
    var x0 = x_at4(xq + q0); // @if X4
    var x1 = x_at4(xq + q1); // @if X4
    var x2 = x_at4(xq + q2); // @if X4
    var x3 = x_at4(xq + q3); // @if X4
    xq += quads; // @if X4
    var x0 = vec4<f32>(x_at(xr + e0.x), x_at(xr + e0.y), x_at(xr + e0.z), x_at(xr + e0.w)); // @if X1
    var x1 = vec4<f32>(x_at(xr + e1.x), x_at(xr + e1.y), x_at(xr + e1.z), x_at(xr + e1.w)); // @if X1
    var x2 = vec4<f32>(x_at(xr + e2.x), x_at(xr + e2.y), x_at(xr + e2.z), x_at(xr + e2.w)); // @if X1
    var x3 = vec4<f32>(x_at(xr + e3.x), x_at(xr + e3.y), x_at(xr + e3.z), x_at(xr + e3.w)); // @if X1
    xr += u.hw; // @if X1
    // BatchNormConv: the input prologue x * a[ic] + b[ic] (BN's float32 terms, the CPU reference's), then ReLU.
    let bn_a = bn_ab_at(ic); // @if IN_BN
    let bn_b = bn_ab_at(u.in_c + ic); // @if IN_BN
    x0 = x0 * bn_a + bn_b; x1 = x1 * bn_a + bn_b; x2 = x2 * bn_a + bn_b; x3 = x3 * bn_a + bn_b; // @if IN_BN
    x0 = max(x0, vec4<f32>(0.0)); x1 = max(x1, vec4<f32>(0.0)); x2 = max(x2, vec4<f32>(0.0)); x3 = max(x3, vec4<f32>(0.0)); // @if IN_RELU
    var wa = w_at4(widx);
    var wb = w_at4(widx + 1u);
    // ChannelScaleConv: the input's per-(n, ic) scale, folded into this channel's weights (@if IN_SCALE).
    let sc = xs_at(xs_base + ic * u.xs_channel_stride); // @if IN_SCALE
    wa *= sc; wb *= sc; // @if IN_SCALE
    widx += wstep;
    c00 += x0 * wa.x; c01 += x1 * wa.x; c02 += x2 * wa.x; c03 += x3 * wa.x;
    c10 += x0 * wa.y; c11 += x1 * wa.y; c12 += x2 * wa.y; c13 += x3 * wa.y;
    c20 += x0 * wa.z; c21 += x1 * wa.z; c22 += x2 * wa.z; c23 += x3 * wa.z;
    c30 += x0 * wa.w; c31 += x1 * wa.w; c32 += x2 * wa.w; c33 += x3 * wa.w;
    c40 += x0 * wb.x; c41 += x1 * wb.x; c42 += x2 * wb.x; c43 += x3 * wb.x;
    c50 += x0 * wb.y; c51 += x1 * wb.y; c52 += x2 * wb.y; c53 += x3 * wb.y;
    c60 += x0 * wb.z; c61 += x1 * wb.z; c62 += x2 * wb.z; c63 += x3 * wb.z;
    c70 += x0 * wb.w; c71 += x1 * wb.w; c72 += x2 * wb.w; c73 += x3 * wb.w;
  }
  // The epilogue runs once per thread: a loop over the 32 accumulators instead of 32 inlined copies of store_q keeps
  // the shader small, which is what SwiftShader's compile time scales with (~6x faster pipeline creation).
  let acc = array<vec4<f32>, 32>(c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33,
    c40, c41, c42, c43, c50, c51, c52, c53, c60, c61, c62, c63, c70, c71, c72, c73);
  let oc0 = ocb * 8u;
  for (var k = 0u; k < 32u; k++) { store_q(n, oc0 + (k >> 2u), p0 + 4u * (k & 3u), acc[k]); }
}
