// y = activate(binary_op(a, b)) with numpy broadcasting. BCAST == 0: same shapes, no index math.
// Otherwise the output coordinate is decomposed over RANK dims and mapped through per-input strides (0 on broadcast dims).
// Variadic Sum/Mean/Min/Max chain these dispatches with `a` = the output itself (each thread reads then writes
// its own element, so in place is safe).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  var ia = i;
  var ib = i;
  if (BCAST != 0u) {
    var rem = i;
    ia = 0u;
    ib = 0u;
    for (var d = 0u; d < RANK; d++) {
      let k = RANK - 1u - d;
      let dim = lane(u.out_shape[k >> 2u], k);
      let c = rem % dim;
      rem = rem / dim;
      ia += c * lane(u.a_strides[k >> 2u], k);
      ib += c * lane(u.b_strides[k >> 2u], k);
    }
  }
  y_set(i, activate(binary_op(a_at(ia), b_at(ib))));
}
