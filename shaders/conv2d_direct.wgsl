// Bindings are touched only through generated accessors (x_at, w_at4, y_set...; ProgramSpec.accessors in
// src/backends/webgpu/program.ts): they add the element offset of views (in-place Concat) and read f16 weights.
// General direct 2-D convolution, NCHW, one output element per thread.
// Handles groups, strides, dilations and asymmetric pads; weights are OIHW ([C_out, C_in/group, KH, KW]).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let ow = i % u.out_w;
  var t = i / u.out_w;
  let oh = t % u.out_h;
  t = t / u.out_h;
  let oc = t % u.out_c;
  let n = t / u.out_c;
  let g = oc / u.out_c_per_group;
  let ih0 = i32(oh * u.stride_h) - u.pad_top;
  let iw0 = i32(ow * u.stride_w) - u.pad_left;
  var acc = 0.0;
  for (var ic = 0u; ic < u.in_c_per_group; ic++) {
    let xbase = (n * u.in_c + g * u.in_c_per_group + ic) * u.in_h * u.in_w;
    let wbase = (oc * u.in_c_per_group + ic) * u.k_h * u.k_w;
    for (var kh = 0u; kh < u.k_h; kh++) {
      let ih = ih0 + i32(kh * u.dil_h);
      if (ih < 0 || ih >= i32(u.in_h)) { continue; }
      let xrow = xbase + u32(ih) * u.in_w;
      for (var kw = 0u; kw < u.k_w; kw++) {
        let iw = iw0 + i32(kw * u.dil_w);
        if (iw < 0 || iw >= i32(u.in_w)) { continue; }
        acc += x_at(xrow + u32(iw)) * w_at(wbase + kh * u.k_w + kw);
      }
    }
  }
  acc += bias_at(oc); // @if HAS_BIAS
  acc += res_at(i); // @if RES_BEFORE
  acc = activate(acc);
  acc += res_at(i); // @if RES_AFTER
  y_set(i, acc);
}
