// Bindings are touched only through generated accessors (x_at, w_at4, y_set...; ProgramSpec.accessors in
// src/backends/webgpu/program.ts): they add the element offset of views (in-place Concat) and read f16 weights.
//
// 2-D convolution as an implicit GEMM, NCHW: M = output pixels, N = output channels, K = C_in/group x KH x KW. The
// im2col matrix is never built: each thread reads its input rows directly (clamped index + select at the borders).
// Register tile per thread: PX output columns of one row (8, or 4 when PX8 == 0) x OCB output channels (8, or 4 when
// OC8 == 0), held in vec4 accumulators (a* = channels 0-3, b* = channels 4-7, index = column). Per K step the thread
// loads PX inputs and OCB/4 weight vec4s for PX x OCB multiply-adds. No workgroup memory or barriers (costly on
// SwiftShader / CPU-like devices; the tile lives in registers on GPUs too). Consecutive threads take consecutive
// column blocks of the same channel block, so their weight reads coincide and their input reads are adjacent.
// Weights are repacked at load to [C_in/group, KH, KW, group x C_out/group padded to OCB] (see conv_gemm.ts):
// one vec4 = 4 output channels of one tap, and a channel block never straddles two groups.
// TRANSPOSED: the same tile loop runs ConvTranspose (conv_transpose.ts) as its sub-pixel decomposition: see main().
fn xat(row: u32, iw: i32) -> f32 {
  let v = x_at(row + u32(clamp(iw, 0, i32(u.in_w) - 1)));
  return select(0.0, v, iw >= 0 && iw < i32(u.in_w));
}

// Epilogue for 4 channels (starting at padded column col0 of group g) of one output pixel.
fn store4(n: u32, g: u32, local0: u32, oh: u32, ow: u32, acc: vec4<f32>) {
  if (ow >= u.out_w || oh >= u.out_h) { return; } // rows past out_h: the last row of a ConvTranspose stride phase
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

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let owb = i % u.ow_blocks;
  var t = i / u.ow_blocks;
  let gh = t % u.grid_h; // tile row: an output row (Conv), or row jh of stride phase ph (ConvTranspose)
  t = t / u.grid_h;
  let ocb = t % u.oc_blocks;
  let n = t / u.oc_blocks;
  let col0 = ocb * OCB; // padded column: group g, channel local0 of that group
  let g = col0 / u.oc_per_group_pad;
  let local0 = col0 % u.oc_per_group_pad;
  // Conv: the tile is output row gh, columns ow0 .. ow0 + PX - 1, its window at (gh, ow0) * stride - pad.
  var oh = gh;
  var ow0 = owb * PX;
  var ow_step = 1u;
  var ih0 = i32(gh * u.stride_h) - u.pad_top;
  var iw0 = i32(ow0 * u.stride_w) - u.pad_left;
  var wbase = col0 / 4u;
  // ConvTranspose: output phase (ph, pw), i.e. positions (ph + s_h * jh, pw + s_w * jw), only receives the taps k with
  // (ph + pad - k * d) % s == 0, and from input (jh, jw) + const: a stride-1 correlation of x with those taps (flipped
  // and zero-padded to KH x KW, packed per phase at load) whose window starts at (jh, jw) + phase_base. The host sets
  // stride = 1 and dilation = d / gcd(d, s); only the output coordinates are strided (out_step = s).
  let ph = gh / u.phase_rows; // @if TRANSPOSED
  let jh = gh % u.phase_rows; // @if TRANSPOSED
  let pw = owb / u.phase_col_blocks; // @if TRANSPOSED
  let jw0 = (owb % u.phase_col_blocks) * PX; // @if TRANSPOSED
  oh = ph + jh * u.out_step_h; // @if TRANSPOSED
  ow0 = pw + jw0 * u.out_step_w; // @if TRANSPOSED
  ow_step = u.out_step_w; // @if TRANSPOSED
  ih0 = i32(jh) + lane_i(u.phase_base_h[ph / 4u], ph); // @if TRANSPOSED
  iw0 = i32(jw0) + lane_i(u.phase_base_w[pw / 4u], pw); // @if TRANSPOSED
  wbase += (ph * u.phase_count_w + pw) * u.phase_wsize; // @if TRANSPOSED
  let sw = i32(u.stride_w);
  let wstep = u.cols_padded / 4u;
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
      var widx = ((ic * KH + kh) * KW) * wstep + wbase;
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
  // The epilogue runs once per thread: a loop over the accumulators instead of PX x OCB / 4 inlined copies of store4
  // keeps the shader small, which is what SwiftShader's pipeline compile time scales with.
  var acc: array<vec4<f32>, 16>;
  acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
  acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7; // @if PX8
  acc[PX] = b0; acc[PX + 1u] = b1; acc[PX + 2u] = b2; acc[PX + 3u] = b3; // @if OC8
  acc[PX + 4u] = b4; acc[PX + 5u] = b5; acc[PX + 6u] = b6; acc[PX + 7u] = b7; // @if PX8_OC8
  for (var k = 0u; k < PX * OCB / 4u; k++) { store4(n, g, local0 + 4u * (k / PX), oh, ow0 + (k % PX) * ow_step, acc[k]); }
}
