// Bindings are touched only through generated accessors (m_at4, bias_at, res_at, y_set; see program.ts).
//
// Winograd F(4x4, 3x3) output transform (src/graph/ops/winograd.ts, tile = 4): one thread per (tile, 4 output
// channels) reads the tile's 36 products as vec4s over the channels (M is [36, Tp, Kp], Kp a multiple of 8), computes
// Y = A^T m A for the 4 channels at once (row by row, so only 24 vec4 partial sums stay live), and stores the 4x4
// pixels of each channel through the FusedConv epilogue (bias, residual before / after the activation). Pixels past
// the output edge (OH or OW not a multiple of 4) are dropped.
fn store(n: u32, oc: u32, oy: u32, ox: u32, acc: f32) {
  if (oc >= u.out_c || oy >= u.out_h || ox >= u.out_w) { return; }
  let idx = ((n * u.out_c + oc) * u.out_h + oy) * u.out_w + ox;
  var v = acc;
  v += bias_at(oc); // @if HAS_BIAS
  v += res_at(idx); // @if RES_BEFORE
  v = activate(v);
  v += res_at(idx); // @if RES_AFTER
  y_set(idx, v);
}

// A^T a for A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1] (Lavin & Gray, points 0, +-1, +-2, infinity).
fn at6(a0: vec4<f32>, a1: vec4<f32>, a2: vec4<f32>, a3: vec4<f32>, a4: vec4<f32>, a5: vec4<f32>) -> array<vec4<f32>, 4> {
  let p12 = a1 + a2;
  let m12 = a1 - a2;
  let p34 = a3 + a4;
  let m34 = a3 - a4;
  return array<vec4<f32>, 4>(a0 + p12 + p34, m12 + 2.0 * m34, p12 + 4.0 * p34, m12 + 8.0 * m34 + a5);
}

// Row i of m (elements 6i .. 6i + 5, starting at vec4 offset o) times A.
fn row_a(o: u32, step: u32) -> array<vec4<f32>, 4> {
  return at6(m_at4(o), m_at4(o + step), m_at4(o + 2u * step), m_at4(o + 3u * step), m_at4(o + 4u * step), m_at4(o + 5u * step));
}

// Output column ox of the tile: rows oy0 .. oy0 + 3 for channels 4q .. 4q + 3.
fn store_col(n: u32, q: u32, oy0: u32, ox: u32, y: array<vec4<f32>, 4>) {
  for (var j = 0u; j < 4u; j++) {
    store(n, 4u * q + j, oy0, ox, y[0][j]);
    store(n, 4u * q + j, oy0 + 1u, ox, y[1][j]);
    store(n, 4u * q + j, oy0 + 2u, ox, y[2][j]);
    store(n, 4u * q + j, oy0 + 3u, ox, y[3][j]);
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let q = i % u.quads;
  let t = i / u.quads;
  let step = u.tiles_padded * u.quads; // one transform element (vec4s)
  let o = t * u.quads + q;
  let r0 = row_a(o, step);
  let r1 = row_a(o + 6u * step, step);
  let r2 = row_a(o + 12u * step, step);
  let r3 = row_a(o + 18u * step, step);
  let r4 = row_a(o + 24u * step, step);
  let r5 = row_a(o + 30u * step, step);
  let tx = t % u.tiles_w;
  let r = t / u.tiles_w;
  let ty = r % u.tiles_h;
  let n = r / u.tiles_h;
  let oy0 = 4u * ty;
  let ox0 = 4u * tx;
  store_col(n, q, oy0, ox0, at6(r0[0], r1[0], r2[0], r3[0], r4[0], r5[0]));
  store_col(n, q, oy0, ox0 + 1u, at6(r0[1], r1[1], r2[1], r3[1], r4[1], r5[1]));
  store_col(n, q, oy0, ox0 + 2u, at6(r0[2], r1[2], r2[2], r3[2], r4[2], r5[2]));
  store_col(n, q, oy0, ox0 + 3u, at6(r0[3], r1[3], r2[3], r3[3], r4[3], r5[3]));
}
