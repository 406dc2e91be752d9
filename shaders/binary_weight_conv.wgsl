// Binary-weight (BWN) 2-D convolution: float activations, weights as sign bits (same packed layout as
// binary_conv: vec4 of u32 words = 4 output channels, word j holds input channels 32j..32j+31).
// Each thread computes 4 output channels x 4 output columns; y = activate(alpha[oc] * sum(+-x) + bias[oc]), with
// the optional residual added before (RES_BEFORE) or after (RES_AFTER) the activation.
// Zero padding (PyTorch semantics): taps outside the image contribute nothing.
fn xat(row: u32, iw: i32) -> f32 {
  let v = x[row + u32(clamp(iw, 0, i32(u.in_w) - 1))];
  return select(0.0, v, iw >= 0 && iw < i32(u.in_w));
}

fn store(n: u32, oc0: u32, oh: u32, ow: u32, acc: vec4<f32>) {
  if (ow >= u.out_w) { return; }
  for (var k = 0u; k < 4u; k++) {
    let oc = oc0 + k;
    if (oc < u.out_c) {
      var v = alpha[oc] * acc[k];
      v += bias[oc]; // @if HAS_BIAS
      let idx = ((n * u.out_c + oc) * u.out_h + oh) * u.out_w + ow;
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
  let ow0 = owb * 4u;
  let ih0 = i32(oh * u.stride_h) - u.pad_top;
  let iw0 = i32(ow0 * u.stride_w) - u.pad_left;
  let sw = i32(u.stride_w);
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var ic = 0u; ic < u.in_c; ic++) {
    let xbase = (n * u.in_c + ic) * u.in_h * u.in_w;
    let j = ic >> 5u;
    let b = vec4<u32>(ic & 31u);
    for (var kh = 0u; kh < KH; kh++) {
      let ih = ih0 + i32(kh * u.dil_h);
      if (ih < 0 || ih >= i32(u.in_h)) { continue; }
      let xrow = xbase + u32(ih) * u.in_w;
      for (var kw = 0u; kw < KW; kw++) {
        let wv = bitcast<vec4<u32>>(w[((ocb * KH + kh) * KW + kw) * WORDS + j]);
        let sg = vec4<f32>((wv >> b) & vec4<u32>(1u)) * 2.0 - 1.0;
        let iw = iw0 + i32(kw * u.dil_w);
        acc0 += xat(xrow, iw) * sg;
        acc1 += xat(xrow, iw + sw) * sg;
        acc2 += xat(xrow, iw + 2 * sw) * sg;
        acc3 += xat(xrow, iw + 3 * sw) * sg;
      }
    }
  }
  let oc0 = ocb * 4u;
  store(n, oc0, oh, ow0, acc0);
  store(n, oc0, oh, ow0 + 1u, acc1);
  store(n, oc0, oh, ow0 + 2u, acc2);
  store(n, oc0, oh, ow0 + 3u, acc3);
}
