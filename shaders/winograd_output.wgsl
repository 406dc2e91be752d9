// Bindings are touched only through generated accessors (m_at4, bias_at, res_at, y_set; see program.ts).
//
// Winograd F(2x2, 3x3) output transform (src/graph/ops/winograd.ts): one thread per (tile, 4 output channels) reads
// the tile's 16 products as vec4s over the channels (M is [16, Tp, Kp], Kp a multiple of 8), computes
// Y = A^T m A for the 4 channels at once, and stores the 2x2 pixels of each channel through the FusedConv epilogue
// (bias, residual before / after the activation). Pixels past the output edge (odd OH / OW) are dropped.
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

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let q = i % u.quads;
  let t = i / u.quads;
  let step = u.tiles_padded * u.quads; // one transform element (vec4s)
  var o = t * u.quads + q;
  let m0 = m_at4(o); o += step; let m1 = m_at4(o); o += step; let m2 = m_at4(o); o += step; let m3 = m_at4(o); o += step;
  let m4 = m_at4(o); o += step; let m5 = m_at4(o); o += step; let m6 = m_at4(o); o += step; let m7 = m_at4(o); o += step;
  let m8 = m_at4(o); o += step; let m9 = m_at4(o); o += step; let m10 = m_at4(o); o += step; let m11 = m_at4(o); o += step;
  let m12 = m_at4(o); o += step; let m13 = m_at4(o); o += step; let m14 = m_at4(o); o += step; let m15 = m_at4(o);
  // A^T m: two rows (s0, s1) of four columns; then times A: two columns.
  let s00 = m0 + m4 + m8; let s01 = m1 + m5 + m9; let s02 = m2 + m6 + m10; let s03 = m3 + m7 + m11;
  let s10 = m4 - m8 - m12; let s11 = m5 - m9 - m13; let s12 = m6 - m10 - m14; let s13 = m7 - m11 - m15;
  var y: array<vec4<f32>, 4>;
  y[0] = s00 + s01 + s02;
  y[1] = s01 - s02 - s03;
  y[2] = s10 + s11 + s12;
  y[3] = s11 - s12 - s13;
  let tx = t % u.tiles_w;
  let r = t / u.tiles_w;
  let ty = r % u.tiles_h;
  let n = r / u.tiles_h;
  for (var p = 0u; p < 4u; p++) {
    let oy = 2u * ty + p / 2u;
    let ox = 2u * tx + p % 2u;
    for (var j = 0u; j < 4u; j++) { store(n, 4u * q + j, oy, ox, y[p][j]); }
  }
}
