// GlobalAveragePool / GlobalMaxPool: one thread per (n, c) plane of `spatial` elements.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let base = i * u.spatial;
  var acc = 0.0;
  if (IS_MAX != 0u) { acc = -3.4028234663852886e38; }
  for (var k = 0u; k < u.spatial; k++) {
    let v = x_at(base + k);
    if (IS_MAX != 0u) { acc = max(acc, v); } else { acc += v; }
  }
  if (IS_MAX == 0u) { acc = acc / f32(u.spatial); }
  y_set(i, activate(acc));
}
