// Direct 3-D convolution, NCDHW, one output element per thread (3-D ResNets, video nets). Groups, strides,
// dilations and asymmetric pads; weights OIDHW ([C_out, C_in/group, KD, KH, KW]). Fused bias / residual /
// activation epilogue as in the 2-D kernels. Spatial triples travel as one-vec4 uniform arrays (d, h, w, unused).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let ow = i % u.out_dhw[0].z;
  var t = i / u.out_dhw[0].z;
  let oh = t % u.out_dhw[0].y;
  t = t / u.out_dhw[0].y;
  let od = t % u.out_dhw[0].x;
  t = t / u.out_dhw[0].x;
  let oc = t % u.out_c;
  let n = t / u.out_c;
  let g = oc / u.out_c_per_group;
  let d0 = i32(od * u.stride[0].x) - u.pad_begin[0].x;
  let h0 = i32(oh * u.stride[0].y) - u.pad_begin[0].y;
  let w0 = i32(ow * u.stride[0].z) - u.pad_begin[0].z;
  let in_d = i32(u.in_dhw[0].x);
  let in_h = i32(u.in_dhw[0].y);
  let in_w = i32(u.in_dhw[0].z);
  let taps = u.k[0].x * u.k[0].y * u.k[0].z;
  var acc = 0.0;
  for (var ic = 0u; ic < u.in_c_per_group; ic++) {
    let xbase = (n * u.in_c + g * u.in_c_per_group + ic) * u.in_dhw[0].x * u.in_dhw[0].y * u.in_dhw[0].z;
    let wbase = (oc * u.in_c_per_group + ic) * taps;
    for (var kd = 0u; kd < u.k[0].x; kd++) {
      let id = d0 + i32(kd * u.dil[0].x);
      if (id < 0 || id >= in_d) { continue; }
      for (var kh = 0u; kh < u.k[0].y; kh++) {
        let ih = h0 + i32(kh * u.dil[0].y);
        if (ih < 0 || ih >= in_h) { continue; }
        let xrow = xbase + (u32(id) * u.in_dhw[0].y + u32(ih)) * u.in_dhw[0].z;
        let wrow = wbase + (kd * u.k[0].y + kh) * u.k[0].z;
        for (var kw = 0u; kw < u.k[0].z; kw++) {
          let iw = w0 + i32(kw * u.dil[0].z);
          if (iw < 0 || iw >= in_w) { continue; }
          acc += x_at(xrow + u32(iw)) * w_at(wrow + kw);
        }
      }
    }
  }
  acc += bias_at(oc); // @if HAS_BIAS
  acc += res_at(i); // @if RES_BEFORE
  acc = activate(acc);
  acc += res_at(i); // @if RES_AFTER
  y_set(i, acc);
}
