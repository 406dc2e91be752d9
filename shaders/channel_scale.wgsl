// ChannelScale (Squeeze-and-Excitation gate, src/graph/ops/channel_scale.ts): y = activate(x * s[n, c] + res), or
// activate(x * s[n, c]) + res with RES_AFTER. x, res and y are NCHW viewed as [N, C, spatial]; s is indexed
// n * s_batch_stride + c * s_channel_stride (strides 0 where S broadcasts). One output element per thread.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let plane = i / u.spatial;
  let c = plane % u.channels;
  let n = plane / u.channels;
  var v = x_at(i) * s_at(n * u.s_batch_stride + c * u.s_channel_stride);
  v += res_at(i); // @if RES_BEFORE
  v = activate(v);
  v += res_at(i); // @if RES_AFTER
  y_set(i, v);
}
