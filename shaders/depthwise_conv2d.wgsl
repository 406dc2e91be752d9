// Bindings are touched only through generated accessors (x_at, w_at, y_set...; ProgramSpec.accessors in
// src/backends/webgpu/program.ts): they add the element offset of views (in-place Concat) and read f16 weights.
//
// Depthwise 2-D convolution (group == C_in == C_out), NCHW, register-blocked along W: each thread computes 8
// consecutive output columns of one row of one channel (two vec4 accumulators), reading each of its KH x KW weights
// once. With WIN3 (3 taps wide, stride 1, dilation 1) a row of 10 inputs is loaded once and reused by the 3 taps
// (10 loads for 24 multiply-adds instead of 24); otherwise each tap loads its 8 inputs. Borders: clamped index + select.
fn xat(row: u32, iw: i32) -> f32 {
  let v = x_at(row + u32(clamp(iw, 0, i32(u.in_w) - 1)));
  return select(0.0, v, iw >= 0 && iw < i32(u.in_w));
}

fn store1(idx: u32, c: u32, ow: u32, acc: f32) {
  if (ow >= u.out_w) { return; }
  var v = acc;
  v += bias_at(c); // @if HAS_BIAS
  v += res_at(idx); // @if RES_BEFORE
  v = activate(v);
  v += res_at(idx); // @if RES_AFTER
  y_set(idx, v);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let owb = i % u.ow_blocks;
  var t = i / u.ow_blocks;
  let oh = t % u.out_h;
  let nc = t / u.out_h; // n * C + c
  let c = nc % u.out_c;
  let ow0 = owb * 8u;
  let ih0 = i32(oh * u.stride_h) - u.pad_top;
  let iw0 = i32(ow0 * u.stride_w) - u.pad_left;
  let sw = i32(u.stride_w);
  let xbase = nc * u.in_h * u.in_w;
  let wbase = c * KH * KW;
  var lo = vec4<f32>(0.0);
  var hi = vec4<f32>(0.0);
  for (var kh = 0u; kh < KH; kh++) {
    let ih = ih0 + i32(kh * u.dil_h);
    if (ih < 0 || ih >= i32(u.in_h)) { continue; }
    let row = xbase + u32(ih) * u.in_w;
    let wk = wbase + kh * KW;
    let w0 = w_at(wk); // @if WIN3
    let w1 = w_at(wk + 1u); // @if WIN3
    let w2 = w_at(wk + 2u); // @if WIN3
    let x0 = xat(row, iw0); // @if WIN3
    let x1 = xat(row, iw0 + 1); // @if WIN3
    let x2 = xat(row, iw0 + 2); // @if WIN3
    let x3 = xat(row, iw0 + 3); // @if WIN3
    let x4 = xat(row, iw0 + 4); // @if WIN3
    let x5 = xat(row, iw0 + 5); // @if WIN3
    let x6 = xat(row, iw0 + 6); // @if WIN3
    let x7 = xat(row, iw0 + 7); // @if WIN3
    let x8 = xat(row, iw0 + 8); // @if WIN3
    let x9 = xat(row, iw0 + 9); // @if WIN3
    lo += vec4<f32>(x0, x1, x2, x3) * w0 + vec4<f32>(x1, x2, x3, x4) * w1 + vec4<f32>(x2, x3, x4, x5) * w2; // @if WIN3
    hi += vec4<f32>(x4, x5, x6, x7) * w0 + vec4<f32>(x5, x6, x7, x8) * w1 + vec4<f32>(x6, x7, x8, x9) * w2; // @if WIN3
    for (var kw = 0u; kw < KW; kw++) { // @if GENERIC
      let wv = w_at(wk + kw); // @if GENERIC
      let iw = iw0 + i32(kw * u.dil_w); // @if GENERIC
      lo += vec4<f32>(xat(row, iw), xat(row, iw + sw), xat(row, iw + 2 * sw), xat(row, iw + 3 * sw)) * wv; // @if GENERIC
      hi += vec4<f32>(xat(row, iw + 4 * sw), xat(row, iw + 5 * sw), xat(row, iw + 6 * sw), xat(row, iw + 7 * sw)) * wv; // @if GENERIC
    } // @if GENERIC
  }
  let ybase = (nc * u.out_h + oh) * u.out_w + ow0;
  store1(ybase, c, ow0, lo.x);
  store1(ybase + 1u, c, ow0 + 1u, lo.y);
  store1(ybase + 2u, c, ow0 + 2u, lo.z);
  store1(ybase + 3u, c, ow0 + 3u, lo.w);
  store1(ybase + 4u, c, ow0 + 4u, hi.x);
  store1(ybase + 5u, c, ow0 + 5u, hi.y);
  store1(ybase + 6u, c, ow0 + 6u, hi.z);
  store1(ybase + 7u, c, ow0 + 7u, hi.w);
}
