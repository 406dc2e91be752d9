// Pad over RANK dims. MODE: 0 constant (u.value), 1 reflect, 2 edge. Negative pads crop.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  var rem = i;
  var idx = 0u;
  var stride = 1u;
  var inside = true;
  for (var d = 0u; d < RANK; d++) {
    let k = RANK - 1u - d;
    let odim = lane(u.out_shape[k >> 2u], k);
    let idim = i32(lane(u.in_shape[k >> 2u], k));
    let c = i32(rem % odim);
    rem = rem / odim;
    var ic = c - lane_i(u.pad_begin[k >> 2u], k);
    if (ic < 0 || ic >= idim) {
      if (MODE == 0u) {
        inside = false;
      } else if (MODE == 1u) {
        let period = max(2 * (idim - 1), 1);
        var r = ic % period;
        if (r < 0) { r += period; }
        ic = select(r, period - r, r >= idim);
      } else {
        ic = clamp(ic, 0, idim - 1);
      }
    }
    idx += u32(max(ic, 0)) * stride;
    stride *= u32(idim);
  }
  if (inside) { y_set(i, x_at(idx)); } else { y_set(i, u.value); }
}
