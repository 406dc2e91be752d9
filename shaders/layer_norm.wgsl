// LayerNormalization over rows of u.n elements (the trailing dims from `axis`), one workgroup per row. Two passes in
// f32: the mean, then the mean of squared deviations (no E[x²] − mean² cancellation). Each thread strides through
// the row; partial sums meet in workgroup memory (tree reduction, WG a power of two).
var<workgroup> part: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = flat_group(wid, nwg);
  if (row >= u.rows) { return; } // uniform: the whole workgroup has the same row
  let base = row * u.n;
  var s = 0.0;
  for (var i = lid; i < u.n; i += WG) { s += x_at(base + i); }
  part[lid] = s;
  workgroupBarrier();
  for (var w = WG / 2u; w > 0u; w = w / 2u) {
    if (lid < w) { part[lid] += part[lid + w]; }
    workgroupBarrier();
  }
  let mean = part[0] / f32(u.n);
  workgroupBarrier(); // everyone has read part[0] before it is reused
  var q = 0.0;
  for (var i = lid; i < u.n; i += WG) {
    let d = x_at(base + i) - mean;
    q += d * d;
  }
  part[lid] = q;
  workgroupBarrier();
  for (var w = WG / 2u; w > 0u; w = w / 2u) {
    if (lid < w) { part[lid] += part[lid + w]; }
    workgroupBarrier();
  }
  let sd = sqrt(part[0] / f32(u.n) + u.epsilon);
  for (var i = lid; i < u.n; i += WG) {
    var y = (x_at(base + i) - mean) / sd * scale_at(i % u.scale_len);
    y += bias_at(i % u.bias_len); // @if HAS_BIAS
    y_set(base + i, y);
  }
}
