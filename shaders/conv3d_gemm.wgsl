// Bindings are touched only through generated accessors (x_at, w_at4, y_set...; see src/backends/webgpu/program.ts).
//
// 3-D convolution (NCDHW) as an implicit GEMM, the volumetric twin of conv2d_gemm.wgsl: M = output positions,
// N = output channels, K = C_in/group x KD x KH x KW; the im2col matrix is never built. Register tile per thread:
// PX output columns of one (depth, row) line (8, or 4 when PX8 == 0) x OCB output channels (8, or 4 when OC8 == 0) in
// vec4 accumulators (a* = channels 0-3, b* = channels 4-7, index = column). Per K step: PX inputs and OCB/4 weight
// vec4s for PX x OCB multiply-adds. No workgroup memory or barriers (slow on SwiftShader / CPU-like adapters).
// Consecutive threads take consecutive column blocks of one channel block, so their weight reads coincide.
// Weights are repacked at load to [C_in/group, KD, KH, KW, group x C_out/group padded to OCB] (conv3d_gemm.ts): one
// vec4 = 4 output channels of one tap; a channel block never straddles two groups. Any kernel size, stride,
// dilation, pads and groups; conv3d_gemm_win3.wgsl is the faster path for 3-wide stride-1 rows.
fn xat(row: u32, iw: i32) -> f32 {
  let v = x_at(row + u32(clamp(iw, 0, i32(u.in_w) - 1)));
  return select(0.0, v, iw >= 0 && iw < i32(u.in_w));
}

// Epilogue for 4 channels (local0.. of group g) of one output position.
fn store4(n: u32, g: u32, local0: u32, od: u32, oh: u32, ow: u32, acc: vec4<f32>) {
  if (ow >= u.out_w) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (local0 + j < u.out_c_per_group) {
      let oc = g * u.out_c_per_group + local0 + j;
      let idx = (((n * u.out_c + oc) * u.out_d + od) * u.out_h + oh) * u.out_w + ow;
      var v = acc[j];
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
  let owb = i % u.ow_blocks;
  var t = i / u.ow_blocks;
  let oh = t % u.out_h;
  t = t / u.out_h;
  let od = t % u.out_d;
  t = t / u.out_d;
  let ocb = t % u.oc_blocks;
  let n = t / u.oc_blocks;
  let col0 = ocb * OCB; // padded column: group g, channel local0 of that group
  let g = col0 / u.oc_per_group_pad;
  let local0 = col0 % u.oc_per_group_pad;
  let ow0 = owb * PX;
  let id0 = i32(od * u.stride_d) - u.pad_front;
  let ih0 = i32(oh * u.stride_h) - u.pad_top;
  let iw0 = i32(ow0 * u.stride_w) - u.pad_left;
  let sw = i32(u.stride_w);
  let wstep = u.cols_padded / 4u;
  let plane = u.in_h * u.in_w;
  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  var a4 = vec4<f32>(0.0); // @if PX8
  var a5 = vec4<f32>(0.0); // @if PX8
  var a6 = vec4<f32>(0.0); // @if PX8
  var a7 = vec4<f32>(0.0); // @if PX8
  var b0 = vec4<f32>(0.0); // @if OC8
  var b1 = vec4<f32>(0.0); // @if OC8
  var b2 = vec4<f32>(0.0); // @if OC8
  var b3 = vec4<f32>(0.0); // @if OC8
  var b4 = vec4<f32>(0.0); // @if PX8_OC8
  var b5 = vec4<f32>(0.0); // @if PX8_OC8
  var b6 = vec4<f32>(0.0); // @if PX8_OC8
  var b7 = vec4<f32>(0.0); // @if PX8_OC8
  for (var ic = 0u; ic < u.in_c_per_group; ic++) {
    let xbase = (n * u.in_c + g * u.in_c_per_group + ic) * u.in_d * plane;
    for (var kd = 0u; kd < KD; kd++) {
      let id = id0 + i32(kd * u.dil_d);
      if (id < 0 || id >= i32(u.in_d)) { continue; }
      let xplane = xbase + u32(id) * plane;
      for (var kh = 0u; kh < KH; kh++) {
        let ih = ih0 + i32(kh * u.dil_h);
        if (ih < 0 || ih >= i32(u.in_h)) { continue; }
        let xrow = xplane + u32(ih) * u.in_w;
        var widx = (((ic * KD + kd) * KH + kh) * KW) * wstep + col0 / 4u;
        for (var kw = 0u; kw < KW; kw++) {
          let wa = w_at4(widx);
          let wb = w_at4(widx + 1u); // @if OC8
          widx += wstep;
          let iw = iw0 + i32(kw * u.dil_w);
          let x0 = xat(xrow, iw);
          let x1 = xat(xrow, iw + sw);
          let x2 = xat(xrow, iw + 2 * sw);
          let x3 = xat(xrow, iw + 3 * sw);
          let x4 = xat(xrow, iw + 4 * sw); // @if PX8
          let x5 = xat(xrow, iw + 5 * sw); // @if PX8
          let x6 = xat(xrow, iw + 6 * sw); // @if PX8
          let x7 = xat(xrow, iw + 7 * sw); // @if PX8
          a0 += x0 * wa;
          a1 += x1 * wa;
          a2 += x2 * wa;
          a3 += x3 * wa;
          a4 += x4 * wa; // @if PX8
          a5 += x5 * wa; // @if PX8
          a6 += x6 * wa; // @if PX8
          a7 += x7 * wa; // @if PX8
          b0 += x0 * wb; // @if OC8
          b1 += x1 * wb; // @if OC8
          b2 += x2 * wb; // @if OC8
          b3 += x3 * wb; // @if OC8
          b4 += x4 * wb; // @if PX8_OC8
          b5 += x5 * wb; // @if PX8_OC8
          b6 += x6 * wb; // @if PX8_OC8
          b7 += x7 * wb; // @if PX8_OC8
        }
      }
    }
  }
  store4(n, g, local0, od, oh, ow0, a0);
  store4(n, g, local0, od, oh, ow0 + 1u, a1);
  store4(n, g, local0, od, oh, ow0 + 2u, a2);
  store4(n, g, local0, od, oh, ow0 + 3u, a3);
  store4(n, g, local0, od, oh, ow0 + 4u, a4); // @if PX8
  store4(n, g, local0, od, oh, ow0 + 5u, a5); // @if PX8
  store4(n, g, local0, od, oh, ow0 + 6u, a6); // @if PX8
  store4(n, g, local0, od, oh, ow0 + 7u, a7); // @if PX8
  store4(n, g, local0 + 4u, od, oh, ow0, b0); // @if OC8
  store4(n, g, local0 + 4u, od, oh, ow0 + 1u, b1); // @if OC8
  store4(n, g, local0 + 4u, od, oh, ow0 + 2u, b2); // @if OC8
  store4(n, g, local0 + 4u, od, oh, ow0 + 3u, b3); // @if OC8
  store4(n, g, local0 + 4u, od, oh, ow0 + 4u, b4); // @if PX8_OC8
  store4(n, g, local0 + 4u, od, oh, ow0 + 5u, b5); // @if PX8_OC8
  store4(n, g, local0 + 4u, od, oh, ow0 + 6u, b6); // @if PX8_OC8
  store4(n, g, local0 + 4u, od, oh, ow0 + 7u, b7); // @if PX8_OC8
}
