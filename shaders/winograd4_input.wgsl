// Bindings are touched only through generated accessors (x_at, v_set; see src/backends/webgpu/program.ts).
//
// Winograd F(4x4, 3x3) input transform (src/graph/ops/winograd.ts, tile = 4): one thread per (channel, tile) reads
// the tile's 6x6 input patch (zero outside the image: clamped offsets, then select, no branches on the data) and
// writes V = B^T d B as 36 values v[(e * C + c) * Tp + t], e = 6 * row + column. Threads past the last tile (t >= T)
// write zeros (padding rows of the GEMM). Adjacent threads take adjacent tiles, so a workgroup's 36 stores are 36
// contiguous runs. Scalar code: SwiftShader runs invocations in SIMD lanes, so vec4 math per thread buys nothing here.

// One row (or column) of B^T d for B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0;
// 0 4 0 -5 0 1] (Lavin & Gray, points 0, +-1, +-2, infinity).
fn bt6(d0: f32, d1: f32, d2: f32, d3: f32, d4: f32, d5: f32) -> array<f32, 6> {
  return array<f32, 6>(
    4.0 * d0 - 5.0 * d2 + d4,
    d3 + d4 - 4.0 * (d1 + d2),
    d4 - d3 + 4.0 * (d1 - d2),
    d4 - d2 + 2.0 * (d3 - d1),
    d4 - d2 + 2.0 * (d1 - d3),
    4.0 * d1 - 5.0 * d3 + d5);
}

fn px(row: u32, x: i32, row_ok: bool) -> f32 {
  let v = x_at(row + u32(clamp(x, 0, i32(u.in_w) - 1)));
  return select(0.0, v, row_ok && x >= 0 && x < i32(u.in_w));
}

// The patch row at input row y (columns x0 .. x0 + 5), transformed: (d B) for that row.
fn load_row(plane: u32, y: i32, x0: i32, live: bool) -> array<f32, 6> {
  let ok = live && y >= 0 && y < i32(u.in_h);
  let row = plane + u32(clamp(y, 0, i32(u.in_h) - 1)) * u.in_w;
  return bt6(px(row, x0, ok), px(row, x0 + 1, ok), px(row, x0 + 2, ok), px(row, x0 + 3, ok), px(row, x0 + 4, ok), px(row, x0 + 5, ok));
}

// Column j of V (rows 0..5) goes to elements e = 6 * i + j.
fn put_col(o: u32, step: u32, j: u32, c: array<f32, 6>) {
  v_set(o + j * step, c[0]);
  v_set(o + (6u + j) * step, c[1]);
  v_set(o + (12u + j) * step, c[2]);
  v_set(o + (18u + j) * step, c[3]);
  v_set(o + (24u + j) * step, c[4]);
  v_set(o + (30u + j) * step, c[5]);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let t = i % u.tiles_padded;
  let c = i / u.tiles_padded;
  let live = t < u.tiles;
  let tl = select(0u, t, live); // padding tiles read tile 0's (in-bounds) addresses, masked to zero
  let tx = tl % u.tiles_w;
  let r = tl / u.tiles_w;
  let ty = r % u.tiles_h;
  let n = r / u.tiles_h;
  let y0 = i32(4u * ty) - u.pad_top;
  let x0 = i32(4u * tx) - u.pad_left;
  let plane = (n * u.in_c + c) * u.in_h * u.in_w;
  let r0 = load_row(plane, y0, x0, live);
  let r1 = load_row(plane, y0 + 1, x0, live);
  let r2 = load_row(plane, y0 + 2, x0, live);
  let r3 = load_row(plane, y0 + 3, x0, live);
  let r4 = load_row(plane, y0 + 4, x0, live);
  let r5 = load_row(plane, y0 + 5, x0, live);
  let step = u.in_c * u.tiles_padded;
  let o = c * u.tiles_padded + t;
  put_col(o, step, 0u, bt6(r0[0], r1[0], r2[0], r3[0], r4[0], r5[0]));
  put_col(o, step, 1u, bt6(r0[1], r1[1], r2[1], r3[1], r4[1], r5[1]));
  put_col(o, step, 2u, bt6(r0[2], r1[2], r2[2], r3[2], r4[2], r5[2]));
  put_col(o, step, 3u, bt6(r0[3], r1[3], r2[3], r3[3], r4[3], r5[3]));
  put_col(o, step, 4u, bt6(r0[4], r1[4], r2[4], r3[4], r4[4], r5[4]));
  put_col(o, step, 5u, bt6(r0[5], r1[5], r2[5], r3[5], r4[5], r5[5]));
}
