// y = activate(binary_op(a, b)) with numpy broadcasting. BCAST == 0: same shapes, no index math.
// Otherwise the output coordinate is decomposed over RANK dims and mapped through per-input strides (0 on broadcast dims).
// Variadic Sum/Mean/Min/Max chain these dispatches with `a` = the output itself (each thread reads then writes
// its own elements, so in place is safe).
// V4 (same shapes only) runs four elements per thread through the vec4 accessors (see unary.wgsl); the thread holding
// a partial last vector finishes it element by element. Otherwise one element per thread.
fn op4(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(activate(binary_op(a.x, b.x)), activate(binary_op(a.y, b.y)), activate(binary_op(a.z, b.z)), activate(binary_op(a.w, b.w)));
}

fn same_shape4(i: u32) {
  let e = 4u * i;
  if (e >= u.total) { return; }
  if (e + 4u <= u.total) {
    y_set4(i, op4(a_at4(i), b_at4(i))); // @if V4
    return;
  }
  for (var k = e; k < u.total; k++) { y_set(k, activate(binary_op(a_at(k), b_at(k)))); }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (V4 != 0u) {
    same_shape4(i);
    return;
  }
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
