// y = activate(x), elementwise. The op's expression comes from the fixed ACTIVATIONS table.
// Four elements per thread through the vec4 accessors (x_at4 / y_set4: one 16-byte load and store when the binding
// is vector-aligned, else four scalar accesses): on SwiftShader the per-invocation cost dominates a scalar kernel
// (0.4 GB/s vs 2 GB/s for a vec4 copy). The thread that holds a partial last vector finishes it element by element.
// V4 == 0 (benchmarks' scalar reference, elementwise.ts elementwiseSwitches): one element per thread.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (V4 == 0u) {
    if (i < u.total) { y_set(i, activate(x_at(i))); }
    return;
  }
  let e = 4u * i;
  if (e >= u.total) { return; }
  if (e + 4u <= u.total) {
    let v = x_at4(i); // @if V4
    y_set4(i, vec4<f32>(activate(v.x), activate(v.y), activate(v.z), activate(v.w))); // @if V4
    return;
  }
  for (var k = e; k < u.total; k++) { y_set(k, activate(x_at(k))); }
}
