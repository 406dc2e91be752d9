// y[c] = x[base + sum_d c_d * strides_d] over RANK output dims, with signed strides.
// Serves Transpose (permuted strides), Slice (start offsets, signed steps) and Expand (stride 0 on broadcast dims).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  var rem = i;
  var idx = u.base;
  for (var d = 0u; d < RANK; d++) {
    let k = RANK - 1u - d;
    let dim = lane(u.out_shape[k >> 2u], k);
    let c = rem % dim;
    rem = rem / dim;
    idx += i32(c) * lane_i(u.strides[k >> 2u], k);
  }
  y_set(i, x_at(u32(idx)));
}
