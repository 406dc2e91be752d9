// Copies x, viewed as [outer, inner_in], into y viewed as [outer, inner_out] at column `offset` (one Concat input).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let o = i / u.inner_in;
  let j = i % u.inner_in;
  y_set(o * u.inner_out + u.offset + j, x_at(i));
}
