// Inference BatchNormalization over NC... (channel = dim 1): y = (x - mean) * scale / sqrt(var + eps) + bias.
// V4 (spatial size % 4 == 0): four elements of one channel per thread through the vec4 accessors (x_at4 / y_set4),
// one channel lookup for the four; otherwise one element per thread.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  let e = i * (1u + 3u * V4);
  if (e >= u.total) { return; }
  let c = (e / u.spatial) % u.channels;
  let inv = scale_at(c) / sqrt(variance_at(c) + u.epsilon);
  let mean = mean_at(c);
  let bias = bias_at(c);
  let v = (x_at4(i) - mean) * inv + bias; // @if V4
  y_set4(i, vec4<f32>(activate(v.x), activate(v.y), activate(v.z), activate(v.w))); // @if V4
  y_set(i, activate((x_at(i) - mean) * inv + bias)); // @if S1
}
