// Register-tiled direct 2-D convolution, NCHW: each thread computes 4 output channels x 4 output columns, so each
// input value loaded feeds 4 channels and each weight vec4 feeds 4 columns. No workgroup memory or barriers
// (barriers are costly on SwiftShader / CPU-like devices). Weights are packed at load to
// [C_in/group, KH, KW, C_out padded to 4] so one vec4 load fetches the 4 channels of a tap.
// Out-of-range input columns use a clamped index and a select (branch-free). KH/KW are baked consts so the tap
// loops unroll (one pipeline per kernel size).
fn xat(row: u32, iw: i32) -> f32 {
  let v = x[row + u32(clamp(iw, 0, i32(u.in_w) - 1))];
  return select(0.0, v, iw >= 0 && iw < i32(u.in_w));
}

fn store(n: u32, oc0: u32, oh: u32, ow: u32, acc: vec4<f32>) {
  if (ow >= u.out_w) { return; }
  for (var j = 0u; j < 4u; j++) {
    let oc = oc0 + j;
    if (oc < u.out_c) {
      let idx = ((n * u.out_c + oc) * u.out_h + oh) * u.out_w + ow;
      var v = acc[j];
      v += bias[oc]; // @if HAS_BIAS
      v += res[idx]; // @if RES_BEFORE
      v = activate(v);
      v += res[idx]; // @if RES_AFTER
      y[idx] = v;
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
  let ocb = t % u.oc_blocks;
  let n = t / u.oc_blocks;
  let oc0 = ocb * 4u;
  let g = oc0 / u.out_c_per_group;
  let ow0 = owb * 4u;
  let ih0 = i32(oh * u.stride_h) - u.pad_top;
  let iw0 = i32(ow0 * u.stride_w) - u.pad_left;
  let sw = i32(u.stride_w);
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var ic = 0u; ic < u.in_c_per_group; ic++) {
    let xbase = (n * u.in_c + g * u.in_c_per_group + ic) * u.in_h * u.in_w;
    for (var kh = 0u; kh < KH; kh++) {
      let ih = ih0 + i32(kh * u.dil_h);
      if (ih < 0 || ih >= i32(u.in_h)) { continue; }
      let xrow = xbase + u32(ih) * u.in_w;
      var widx = ((ic * KH + kh) * KW) * u.oc_blocks_padded + ocb;
      for (var kw = 0u; kw < KW; kw++) {
        let wv = w[widx];
        widx += u.oc_blocks_padded;
        let iw = iw0 + i32(kw * u.dil_w);
        acc0 += xat(xrow, iw) * wv;
        acc1 += xat(xrow, iw + sw) * wv;
        acc2 += xat(xrow, iw + 2 * sw) * wv;
        acc3 += xat(xrow, iw + 3 * sw) * wv;
      }
    }
  }
  store(n, oc0, oh, ow0, acc0);
  store(n, oc0, oh, ow0 + 1u, acc1);
  store(n, oc0, oh, ow0 + 2u, acc2);
  store(n, oc0, oh, ow0 + 3u, acc3);
}
