// Softmax along one axis, viewed as [outer, axis_len, inner]; one thread per (outer, inner) line.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let o = i / u.inner;
  let j = i % u.inner;
  let base = o * u.axis_len * u.inner + j;
  var mx = -3.4028234663852886e38;
  for (var k = 0u; k < u.axis_len; k++) { mx = max(mx, x_at(base + k * u.inner)); }
  var sum = 0.0;
  for (var k = 0u; k < u.axis_len; k++) { sum += exp(x_at(base + k * u.inner) - mx); }
  for (var k = 0u; k < u.axis_len; k++) {
    let idx = base + k * u.inner;
    y_set(idx, exp(x_at(idx) - mx) / sum);
  }
}
