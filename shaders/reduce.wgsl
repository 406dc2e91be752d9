// ReduceSum / ReduceMean / ReduceMax (KIND 0 / 1 / 2). One thread per output; the output coordinate is decomposed over
// the KEPT kept dims (input strides in kept_strides), then RED reduced dims are walked (red_shape / red_strides).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  var rem = i;
  var base = 0u;
  for (var d = 0u; d < KEPT; d++) {
    let k = KEPT - 1u - d;
    let dim = lane(u.kept_shape[k >> 2u], k);
    base += (rem % dim) * lane(u.kept_strides[k >> 2u], k);
    rem = rem / dim;
  }
  var acc = 0.0;
  if (KIND == 2u) { acc = -3.4028234663852886e38; }
  for (var r = 0u; r < u.red_count; r++) {
    var rr = r;
    var idx = base;
    for (var d = 0u; d < RED; d++) {
      let k = RED - 1u - d;
      let dim = lane(u.red_shape[k >> 2u], k);
      idx += (rr % dim) * lane(u.red_strides[k >> 2u], k);
      rr = rr / dim;
    }
    let v = x_at(idx);
    if (KIND == 2u) { acc = max(acc, v); } else { acc += v; }
  }
  if (KIND == 1u) { acc = acc / f32(u.red_count); }
  y_set(i, acc);
}
