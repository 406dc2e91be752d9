// ChannelLayerNorm: LayerNorm over the C channels of an NCHW tensor at each of the u.positions positions of each
// image, one thread per (image, position); channel c of a position is u.positions elements after channel c - 1, so
// neighbouring threads read neighbouring addresses. Two passes in f32 (mean, then mean of squared deviations), as
// layer_norm.wgsl.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let img = i / u.positions;
  let base = img * u.c * u.positions + i % u.positions;
  var s = 0.0;
  for (var c = 0u; c < u.c; c++) { s += x_at(base + c * u.positions); }
  let mean = s / f32(u.c);
  var q = 0.0;
  for (var c = 0u; c < u.c; c++) {
    let d = x_at(base + c * u.positions) - mean;
    q += d * d;
  }
  let sd = sqrt(q / f32(u.c) + u.epsilon);
  for (var c = 0u; c < u.c; c++) {
    let at = base + c * u.positions;
    var y = (x_at(at) - mean) / sd * scale_at(c % u.scale_len);
    y += bias_at(c % u.bias_len); // @if HAS_BIAS
    y_set(at, y);
  }
}
