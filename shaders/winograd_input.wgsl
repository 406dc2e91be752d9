// Bindings are touched only through generated accessors (x_at, v_set; see src/backends/webgpu/program.ts).
//
// Winograd F(2x2, 3x3) input transform (src/graph/ops/winograd.ts): one thread per (channel, tile) reads the tile's
// 4x4 input patch (zero outside the image: clamped offsets times 0/1 masks, no branches) and writes V = B^T d B as
// 16 values v[(e * C + c) * Tp + t]. Threads past the last tile (t >= T) write zeros (padding rows of the GEMM).
// Adjacent threads take adjacent tiles, so the 16 stores of a workgroup are 16 contiguous runs.
fn col_mask(x: i32) -> f32 {
  return select(0.0, 1.0, x >= 0 && x < i32(u.in_w));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let t = i % u.tiles_padded;
  let c = i / u.tiles_padded;
  var d0 = vec4<f32>(0.0);
  var d1 = vec4<f32>(0.0);
  var d2 = vec4<f32>(0.0);
  var d3 = vec4<f32>(0.0);
  if (t < u.tiles) {
    let tx = t % u.tiles_w;
    let r = t / u.tiles_w;
    let ty = r % u.tiles_h;
    let n = r / u.tiles_h;
    let y0 = i32(2u * ty) - u.pad_top;
    let x0 = i32(2u * tx) - u.pad_left;
    let last_x = i32(u.in_w) - 1;
    let last_y = i32(u.in_h) - 1;
    let cx = vec4<u32>(vec4<i32>(clamp(x0, 0, last_x), clamp(x0 + 1, 0, last_x), clamp(x0 + 2, 0, last_x), clamp(x0 + 3, 0, last_x)));
    let mx = vec4<f32>(col_mask(x0), col_mask(x0 + 1), col_mask(x0 + 2), col_mask(x0 + 3));
    let plane = (n * u.in_c + c) * u.in_h * u.in_w;
    let r0 = plane + u32(clamp(y0, 0, last_y)) * u.in_w;
    let r1 = plane + u32(clamp(y0 + 1, 0, last_y)) * u.in_w;
    let r2 = plane + u32(clamp(y0 + 2, 0, last_y)) * u.in_w;
    let r3 = plane + u32(clamp(y0 + 3, 0, last_y)) * u.in_w;
    let h = i32(u.in_h);
    d0 = vec4<f32>(x_at(r0 + cx.x), x_at(r0 + cx.y), x_at(r0 + cx.z), x_at(r0 + cx.w)) * mx * select(0.0, 1.0, y0 >= 0 && y0 < h);
    d1 = vec4<f32>(x_at(r1 + cx.x), x_at(r1 + cx.y), x_at(r1 + cx.z), x_at(r1 + cx.w)) * mx * select(0.0, 1.0, y0 + 1 >= 0 && y0 + 1 < h);
    d2 = vec4<f32>(x_at(r2 + cx.x), x_at(r2 + cx.y), x_at(r2 + cx.z), x_at(r2 + cx.w)) * mx * select(0.0, 1.0, y0 + 2 >= 0 && y0 + 2 < h);
    d3 = vec4<f32>(x_at(r3 + cx.x), x_at(r3 + cx.y), x_at(r3 + cx.z), x_at(r3 + cx.w)) * mx * select(0.0, 1.0, y0 + 3 >= 0 && y0 + 3 < h);
  }
  // B^T d: rows; then each row times B: columns.
  let t0 = d0 - d2;
  let t1 = d1 + d2;
  let t2 = d2 - d1;
  let t3 = d1 - d3;
  let step = u.in_c * u.tiles_padded;
  var o = c * u.tiles_padded + t;
  v_set(o, t0.x - t0.z); o += step; v_set(o, t0.y + t0.z); o += step; v_set(o, t0.z - t0.y); o += step; v_set(o, t0.y - t0.w); o += step;
  v_set(o, t1.x - t1.z); o += step; v_set(o, t1.y + t1.z); o += step; v_set(o, t1.z - t1.y); o += step; v_set(o, t1.y - t1.w); o += step;
  v_set(o, t2.x - t2.z); o += step; v_set(o, t2.y + t2.z); o += step; v_set(o, t2.z - t2.y); o += step; v_set(o, t2.y - t2.w); o += step;
  v_set(o, t3.x - t3.z); o += step; v_set(o, t3.y + t3.z); o += step; v_set(o, t3.z - t3.y); o += step; v_set(o, t3.y - t3.w);
}
