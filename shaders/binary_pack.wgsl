// Binarises X (NCHW, viewed as [N, C, P]) into channel words per pixel for the XNOR convolution:
//   xp[(n * P + p) * u.words + j] bit b = channel 32j + b is +1 (sign plane)
//   xp[u.plane + same index]      bit b = channel 32j + b counts (non-zero plane, only with ZERO_SIGN_ZERO)
// Rule (docs/binary.md): x' = s * x; +1 if x' > hi, -1 if x' < lo, otherwise zero_sign (-1, or 0 = not counted).
// Without thresholds (HAS_T == 0): s = 1, lo = hi = 0. Words are stored as f32 bit patterns (bitcast).
// One thread per (n, j, p) with p fastest, so a workgroup reads consecutive pixels of a channel.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let p = i % u.pixels;
  let t = i / u.pixels;
  let j = t % u.words;
  let n = t / u.words;
  let c0 = j * 32u;
  let c1 = min(c0 + 32u, u.channels);
  var sign = 0u;
  var nonzero = 0u;
  for (var c = c0; c < c1; c++) {
    let v = x[(n * u.channels + c) * u.pixels + p];
    var s = 1.0;
    var lo = 0.0;
    var hi = 0.0;
    s = th[c]; lo = th[u.channels + c]; hi = th[2u * u.channels + c]; // @if HAS_T
    let xv = s * v;
    let bit = 1u << (c - c0);
    if (xv > hi) {
      sign = sign | bit;
      nonzero = nonzero | bit;
    } else if (xv < lo) {
      nonzero = nonzero | bit;
    }
  }
  let o = (n * u.pixels + p) * u.words + j;
  xp[o] = bitcast<f32>(sign);
  xp[u.plane + o] = bitcast<f32>(nonzero); // @if ZERO_SIGN_ZERO
}
