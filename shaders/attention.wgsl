// Attention (src/graph/ops/attention.ts): y = softmax((q · k') · scale + bias) · v for one query row per thread.
// The keys are visited once with an online softmax (running max and denominator, the output rescaled when the max
// grows), so the N×M score matrix is never stored and the whole layer is one dispatch. Q's row (D floats) and the
// output accumulator (DV floats) live in private memory; D and DV are defines (one pipeline per head size).
// Batch offsets: up to 4 broadcast batch dims, each operand with its own strides (0 on broadcast dims).
var<private> qrow: array<f32, D>;
var<private> acc: array<f32, DV>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.rows) { return; }
  let row = i % u.n;
  var t = i / u.n;
  var qb = 0u;
  var kb = 0u;
  var vb = 0u;
  var bb = 0u;
  for (var d = 0u; d < BATCH_RANK; d++) {
    let k = BATCH_RANK - 1u - d;
    let dim = lane(u.batch_shape[k >> 2u], k);
    let c = t % dim;
    t = t / dim;
    qb += c * lane(u.q_batch[k >> 2u], k);
    kb += c * lane(u.k_batch[k >> 2u], k);
    vb += c * lane(u.v_batch[k >> 2u], k);
    bb += c * lane(u.bias_batch[k >> 2u], k);
  }
  let qbase = qb + row * u.q_stride_n;
  for (var d = 0u; d < D; d++) { qrow[d] = q_at(qbase + d * u.q_stride_d); }
  for (var d = 0u; d < DV; d++) { acc[d] = 0.0; }
  var mx = -3.402823e38;
  var den = 0.0;
  for (var m = 0u; m < u.m; m++) {
    let kbase = kb + m * u.k_stride_m;
    var s = 0.0;
    for (var d = 0u; d < D; d++) { s += qrow[d] * k_at(kbase + d * u.k_stride_d); }
    s = s * u.scale;
    s += bias_at(bb + row * u.bias_stride_n + m * u.bias_stride_m); // @if HAS_BIAS
    let vbase = vb + m * u.v_stride_m;
    if (s > mx) {
      // a new maximum: rescale what was summed so far (exp(old - new) <= 1), this key gets weight 1
      let r = exp(mx - s);
      den = den * r + 1.0;
      for (var d = 0u; d < DV; d++) { acc[d] = acc[d] * r + v_at(vbase + d * u.v_stride_d); }
      mx = s;
    } else {
      let p = exp(s - mx);
      den += p;
      for (var d = 0u; d < DV; d++) { acc[d] += p * v_at(vbase + d * u.v_stride_d); }
    }
  }
  let ybase = i * DV;
  let inv = 1.0 / den;
  for (var d = 0u; d < DV; d++) { y_set(ybase + d, acc[d] * inv); }
}
