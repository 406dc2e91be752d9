// CumSum (src/graph/ops/logic.ts) with X viewed as [outer, dim, inner]: one thread per output element sums its
// prefix along the axis (from the end with REVERSE = 1; without the element itself with EXCLUSIVE = 1).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let q = i % u.inner;
  let t = (i / u.inner) % u.dim;
  let base = i - t * u.inner;
  var lo = 0u;
  var hi = t + 1u;
  if (REVERSE == 1u) {
    lo = t;
    hi = u.dim;
  }
  if (EXCLUSIVE == 1u) {
    if (REVERSE == 1u) { lo = t + 1u; } else { hi = t; }
  }
  var acc = 0.0;
  for (var s = lo; s < hi; s++) {
    acc += x_at(base + s * u.inner);
  }
  y_set(i, acc);
}
