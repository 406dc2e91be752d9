// MaxPool / AveragePool 2-D, NCHW, one output per thread. IS_MAX selects the reduction.
// Window taps beyond the padded input (ceil_mode) are ignored; `counted` counts taps inside the padded input
// (count_include_pad divisor), `valid` those inside the real input.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let ow = i % u.out_w;
  var t = i / u.out_w;
  let oh = t % u.out_h;
  let plane = t / u.out_h;
  let base = plane * u.in_h * u.in_w;
  let h0 = i32(oh * u.stride_h) - u.pad_top;
  let w0 = i32(ow * u.stride_w) - u.pad_left;
  var acc = 0.0;
  if (IS_MAX != 0u) { acc = -3.4028234663852886e38; }
  var valid = 0u;
  var counted = 0u;
  for (var kh = 0u; kh < u.k_h; kh++) {
    let ih = h0 + i32(kh * u.dil_h);
    if (ih >= u.h_end) { break; }
    for (var kw = 0u; kw < u.k_w; kw++) {
      let iw = w0 + i32(kw * u.dil_w);
      if (iw >= u.w_end) { break; }
      counted++;
      if (ih >= 0 && ih < i32(u.in_h) && iw >= 0 && iw < i32(u.in_w)) {
        let v = x_at(base + u32(ih) * u.in_w + u32(iw));
        if (IS_MAX != 0u) { acc = max(acc, v); } else { acc += v; }
        valid++;
      }
    }
  }
  if (IS_MAX == 0u) {
    let divisor = select(valid, counted, u.count_include_pad != 0u);
    acc = acc / f32(max(divisor, 1u));
  }
  y_set(i, activate(acc));
}
