// Inference BatchNormalization over NC... (channel = dim 1): y = (x - mean) * scale / sqrt(var + eps) + bias.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let c = (i / u.spatial) % u.channels;
  let inv = scale_at(c) / sqrt(variance_at(c) + u.epsilon);
  y_set(i, activate((x_at(i) - mean_at(c)) * inv + bias_at(c)));
}
