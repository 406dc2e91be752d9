// Bindings are touched only through generated accessors (x_at, w_at4, y_set...; ProgramSpec.accessors in
// src/backends/webgpu/program.ts): they add the element offset of views (in-place Concat) and read f16 weights.
// Batched matrix product with broadcasting over up to 4 batch dims, used for MatMul and Gemm:
//   y[b, m, n] = activate(alpha * sum_k A[b, m, k] * B[b, k, n] + beta * C[m, n])
// A and B are read through strides, so transposed operands cost nothing. One output per thread.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let col = i % u.n;
  var t = i / u.n;
  let row = t % u.m;
  t = t / u.m;
  var abase = 0u;
  var bbase = 0u;
  for (var d = 0u; d < BATCH_RANK; d++) {
    let k = BATCH_RANK - 1u - d;
    let dim = lane(u.batch_shape[k >> 2u], k);
    let coord = t % dim;
    t = t / dim;
    abase += coord * lane(u.a_batch_strides[k >> 2u], k);
    bbase += coord * lane(u.b_batch_strides[k >> 2u], k);
  }
  var aidx = abase + row * u.a_stride_m;
  var bidx = bbase + col * u.b_stride_n;
  var acc = 0.0;
  for (var k = 0u; k < u.k; k++) {
    acc += a_at(aidx) * b_at(bidx);
    aidx += u.a_stride_k;
    bidx += u.b_stride_k;
  }
  acc = acc * u.alpha;
  acc += u.beta * cmat_at(row * u.c_stride_m + col * u.c_stride_n); // @if HAS_C
  acc += res_at(i); // @if RES_BEFORE
  acc = activate(acc);
  acc += res_at(i); // @if RES_AFTER
  y_set(i, acc);
}
