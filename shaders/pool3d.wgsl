// MaxPool / AveragePool 3-D, NCDHW, one output per thread (IS_MAX selects the reduction). Same rules as pool2d:
// taps beyond the padded input (ceil_mode) are ignored, `counted` counts taps inside the padded input
// (count_include_pad divisor), `valid` those inside the real input. Triples are one-vec4 uniform arrays (d, h, w, unused).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let ow = i % u.out_dhw[0].z;
  var t = i / u.out_dhw[0].z;
  let oh = t % u.out_dhw[0].y;
  t = t / u.out_dhw[0].y;
  let od = t % u.out_dhw[0].x;
  let plane = t / u.out_dhw[0].x;
  let base = plane * u.in_dhw[0].x * u.in_dhw[0].y * u.in_dhw[0].z;
  let d0 = i32(od * u.stride[0].x) - u.pad_begin[0].x;
  let h0 = i32(oh * u.stride[0].y) - u.pad_begin[0].y;
  let w0 = i32(ow * u.stride[0].z) - u.pad_begin[0].z;
  let in_dhw = vec3<i32>(u.in_dhw[0].xyz);
  var acc = 0.0;
  if (IS_MAX != 0u) { acc = -3.4028234663852886e38; }
  var valid = 0u;
  var counted = 0u;
  for (var kd = 0u; kd < u.k[0].x; kd++) {
    let id = d0 + i32(kd * u.dil[0].x);
    if (id >= u.end[0].x) { break; }
    for (var kh = 0u; kh < u.k[0].y; kh++) {
      let ih = h0 + i32(kh * u.dil[0].y);
      if (ih >= u.end[0].y) { break; }
      for (var kw = 0u; kw < u.k[0].z; kw++) {
        let iw = w0 + i32(kw * u.dil[0].z);
        if (iw >= u.end[0].z) { break; }
        counted++;
        if (id >= 0 && id < in_dhw.x && ih >= 0 && ih < in_dhw.y && iw >= 0 && iw < in_dhw.z) {
          let v = x_at(base + (u32(id) * u.in_dhw[0].y + u32(ih)) * u.in_dhw[0].z + u32(iw));
          if (IS_MAX != 0u) { acc = max(acc, v); } else { acc += v; }
          valid++;
        }
      }
    }
  }
  if (IS_MAX == 0u) {
    let divisor = select(valid, counted, u.count_include_pad != 0u);
    acc = acc / f32(max(divisor, 1u));
  }
  y_set(i, activate(acc));
}
