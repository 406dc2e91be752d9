// Bindings are touched only through generated accessors (x_at, w_at4, y_set...; ProgramSpec.accessors in
// src/backends/webgpu/program.ts): they add the element offset of views (in-place Concat) and read f16 weights.
//
// conv2d_gemm (see conv2d_gemm.wgsl: implicit GEMM, PX columns x OCB channels per thread, same weight packing and
// thread order) specialised for 3-wide kernels at stride 2, dilation 1 (the downsampling 3x3 convs of ResNets):
// output column j reads input columns 2j, 2j+1, 2j+2, so PX outputs need the 2 PX + 1 input columns from iw0 on
// (17 for PX = 8, 9 for PX = 4). Their clamped offsets and 0/1 border masks are computed once per thread; each
// (input channel, kernel row) then loads 2 PX + 1 inputs (instead of 3 x PX, each with its own border test) and feeds
// the 3 taps from them.
fn store4(n: u32, g: u32, local0: u32, oh: u32, ow: u32, acc: vec4<f32>) {
  if (ow >= u.out_w) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (local0 + j < u.out_c_per_group) {
      let oc = g * u.out_c_per_group + local0 + j;
      let idx = ((n * u.out_c + oc) * u.out_h + oh) * u.out_w + ow;
      var v = acc[j];
      v += bias_at(oc); // @if HAS_BIAS
      v += res_at(idx); // @if RES_BEFORE
      v = activate(v);
      v += res_at(idx); // @if RES_AFTER
      y_set(idx, v);
    }
  }
}

fn col_of(iw: i32) -> u32 {
  return u32(clamp(iw, 0, i32(u.in_w) - 1));
}
fn mask_of(iw: i32) -> f32 {
  return select(0.0, 1.0, iw >= 0 && iw < i32(u.in_w));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let owb = i % u.ow_blocks;
  var t = i / u.ow_blocks;
  let oh = t % u.out_h;
  t = t / u.out_h;
  let ocb = t % u.oc_blocks;
  let n = t / u.oc_blocks;
  let col0 = ocb * OCB;
  let g = col0 / u.oc_per_group_pad;
  let local0 = col0 % u.oc_per_group_pad;
  let ow0 = owb * PX;
  let ih0 = i32(oh * u.stride_h) - u.pad_top;
  let iw0 = i32(2u * ow0) - u.pad_left;
  let wstep = u.cols_padded / 4u;
  let c0 = col_of(iw0 + 0); let m0 = mask_of(iw0 + 0);
  let c1 = col_of(iw0 + 1); let m1 = mask_of(iw0 + 1);
  let c2 = col_of(iw0 + 2); let m2 = mask_of(iw0 + 2);
  let c3 = col_of(iw0 + 3); let m3 = mask_of(iw0 + 3);
  let c4 = col_of(iw0 + 4); let m4 = mask_of(iw0 + 4);
  let c5 = col_of(iw0 + 5); let m5 = mask_of(iw0 + 5);
  let c6 = col_of(iw0 + 6); let m6 = mask_of(iw0 + 6);
  let c7 = col_of(iw0 + 7); let m7 = mask_of(iw0 + 7);
  let c8 = col_of(iw0 + 8); let m8 = mask_of(iw0 + 8);
  let c9 = col_of(iw0 + 9); let m9 = mask_of(iw0 + 9); // @if PX8
  let c10 = col_of(iw0 + 10); let m10 = mask_of(iw0 + 10); // @if PX8
  let c11 = col_of(iw0 + 11); let m11 = mask_of(iw0 + 11); // @if PX8
  let c12 = col_of(iw0 + 12); let m12 = mask_of(iw0 + 12); // @if PX8
  let c13 = col_of(iw0 + 13); let m13 = mask_of(iw0 + 13); // @if PX8
  let c14 = col_of(iw0 + 14); let m14 = mask_of(iw0 + 14); // @if PX8
  let c15 = col_of(iw0 + 15); let m15 = mask_of(iw0 + 15); // @if PX8
  let c16 = col_of(iw0 + 16); let m16 = mask_of(iw0 + 16); // @if PX8
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
    let xbase = (n * u.in_c + g * u.in_c_per_group + ic) * u.in_h * u.in_w;
    for (var kh = 0u; kh < KH; kh++) {
      let ih = ih0 + i32(kh * u.dil_h);
      if (ih < 0 || ih >= i32(u.in_h)) { continue; }
      let xrow = xbase + u32(ih) * u.in_w;
      let widx = ((ic * KH + kh) * 3u) * wstep + col0 / 4u;
      let x0 = x_at(xrow + c0) * m0;
      let x1 = x_at(xrow + c1) * m1;
      let x2 = x_at(xrow + c2) * m2;
      let x3 = x_at(xrow + c3) * m3;
      let x4 = x_at(xrow + c4) * m4;
      let x5 = x_at(xrow + c5) * m5;
      let x6 = x_at(xrow + c6) * m6;
      let x7 = x_at(xrow + c7) * m7;
      let x8 = x_at(xrow + c8) * m8;
      let x9 = x_at(xrow + c9) * m9; // @if PX8
      let x10 = x_at(xrow + c10) * m10; // @if PX8
      let x11 = x_at(xrow + c11) * m11; // @if PX8
      let x12 = x_at(xrow + c12) * m12; // @if PX8
      let x13 = x_at(xrow + c13) * m13; // @if PX8
      let x14 = x_at(xrow + c14) * m14; // @if PX8
      let x15 = x_at(xrow + c15) * m15; // @if PX8
      let x16 = x_at(xrow + c16) * m16; // @if PX8
      let wa0 = w_at4(widx + 0u * wstep);
      let wb0 = w_at4(widx + 0u * wstep + 1u); // @if OC8
      let wa1 = w_at4(widx + 1u * wstep);
      let wb1 = w_at4(widx + 1u * wstep + 1u); // @if OC8
      let wa2 = w_at4(widx + 2u * wstep);
      let wb2 = w_at4(widx + 2u * wstep + 1u); // @if OC8
      a0 += x0 * wa0 + x1 * wa1 + x2 * wa2;
      a1 += x2 * wa0 + x3 * wa1 + x4 * wa2;
      a2 += x4 * wa0 + x5 * wa1 + x6 * wa2;
      a3 += x6 * wa0 + x7 * wa1 + x8 * wa2;
      a4 += x8 * wa0 + x9 * wa1 + x10 * wa2; // @if PX8
      a5 += x10 * wa0 + x11 * wa1 + x12 * wa2; // @if PX8
      a6 += x12 * wa0 + x13 * wa1 + x14 * wa2; // @if PX8
      a7 += x14 * wa0 + x15 * wa1 + x16 * wa2; // @if PX8
      b0 += x0 * wb0 + x1 * wb1 + x2 * wb2; // @if OC8
      b1 += x2 * wb0 + x3 * wb1 + x4 * wb2; // @if OC8
      b2 += x4 * wb0 + x5 * wb1 + x6 * wb2; // @if OC8
      b3 += x6 * wb0 + x7 * wb1 + x8 * wb2; // @if OC8
      b4 += x8 * wb0 + x9 * wb1 + x10 * wb2; // @if PX8_OC8
      b5 += x10 * wb0 + x11 * wb1 + x12 * wb2; // @if PX8_OC8
      b6 += x12 * wb0 + x13 * wb1 + x14 * wb2; // @if PX8_OC8
      b7 += x14 * wb0 + x15 * wb1 + x16 * wb2; // @if PX8_OC8
    }
  }
  // The epilogue runs once per thread: a loop over the accumulators keeps the shader small (SwiftShader's pipeline
  // compile time scales with code size).
  var acc: array<vec4<f32>, 16>;
  acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
  acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7; // @if PX8
  acc[PX] = b0; acc[PX + 1u] = b1; acc[PX + 2u] = b2; acc[PX + 3u] = b3; // @if OC8
  acc[PX + 4u] = b4; acc[PX + 5u] = b5; acc[PX + 6u] = b6; acc[PX + 7u] = b7; // @if PX8_OC8
  for (var k = 0u; k < PX * OCB / 4u; k++) { store4(n, g, local0 + 4u * (k / PX), oh, ow0 + k % PX, acc[k]); }
}
