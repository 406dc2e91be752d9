// Gather along one axis with constant indices: X viewed as [outer, dim, inner], Y as [outer, count, inner],
// y[o, p, q] = x[o, ind[p], q]. ind holds the indices already made non-negative, as exact small floats.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let q = i % u.inner;
  let r = i / u.inner;
  let p = r % u.count;
  let o = r / u.count;
  let j = u32(ind_at(p));
  y_set(i, x_at((o * u.dim + j) * u.inner + q));
}
