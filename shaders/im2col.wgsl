// Bindings are touched only through generated accessors (x_at, p_set4; see src/backends/webgpu/program.ts).
//
// Im2col (src/graph/ops/im2col.ts): P[n, (c*kh + ky)*kw + kx, oy, ox] = X[n, c, oy*sh - top + ky*dh, ox*sw - left + kx*dw],
// zero outside the image. One thread per 4 consecutive elements of one P row (VEC4 = 1: OH*OW % 4 == 0, one vec4
// store) or per element (VEC4 = 0). Adjacent threads take adjacent output pixels: contiguous stores, strided loads.
fn gather(plane: u32, oy: u32, ox: u32, ky: u32, kx: u32) -> f32 {
  let iy = i32(oy * u.stride_h + ky * u.dil_h) - u.pad_top;
  let ix = i32(ox * u.stride_w + kx * u.dil_w) - u.pad_left;
  let inside = iy >= 0 && iy < i32(u.in_h) && ix >= 0 && ix < i32(u.in_w);
  // Clamped offset times a 0/1 mask: no divergent load.
  let off = plane + u32(clamp(iy, 0, i32(u.in_h) - 1)) * u.in_w + u32(clamp(ix, 0, i32(u.in_w) - 1));
  return x_at(off) * select(0.0, 1.0, inside);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let hw = u.out_h * u.out_w;
  let kk = u.k_h * u.k_w;
  let e0 = i * select(1u, 4u, VEC4 == 1u);
  let row = e0 / hw; // n * (C*kh*kw) + (c*kh + ky)*kw + kx
  let q0 = e0 % hw;
  let r = row % (u.in_c * kk);
  let n = row / (u.in_c * kk);
  let c = r / kk;
  let ky = (r % kk) / u.k_w;
  let kx = r % u.k_w;
  let plane = (n * u.in_c + c) * u.in_h * u.in_w;
  if (VEC4 == 1u) {
    var v = vec4<f32>(0.0);
    for (var j = 0u; j < 4u; j++) {
      let q = q0 + j;
      v[j] = gather(plane, q / u.out_w, q % u.out_w, ky, kx);
    }
    p_set4(i, v);
  } else {
    p_set(i, gather(plane, q0 / u.out_w, q0 % u.out_w, ky, kx));
  }
}
