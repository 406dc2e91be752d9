// Resize over RANK dims, one output element per thread. MODE (a const: it fixes the tap count TAPS per
// interpolated axis): 0 nearest (1), 1 linear (2), 2 cubic (4). Everything else is a uniform, so one pipeline per
// (RANK, MODE) serves every shape, scale and coordinate mode: u.coord (0 half_pixel, 1 half_pixel_symmetric,
// 2 pytorch_half_pixel, 3 align_corners, 4 asymmetric, 5 tf_half_pixel_for_nn, 6 tf_crop_and_resize),
// u.nearest (0 round_prefer_floor, 1 round_prefer_ceil, 2 floor, 3 ceil, 4 simple). Axes flagged in u.identity map
// each coordinate to itself (scale 1: no transform, as onnxruntime). Linear and cubic sum the product of the taps
// of at most MAX_INTERP non-identity axes (the kernel checks the count). Same formulas as the CPU reference
// (src/graph/ops/resize.ts), in f32.
const MAX_INTERP: u32 = 3u;
// Coordinates within a few f32 ulps of k + 0.5 count as ties (see TIE_EPS in src/graph/ops/resize.ts).
const TIE_EPS: f32 = 9.5367431640625e-7;

fn lane_f(v: vec4<f32>, k: u32) -> f32 {
  return v[k & 3u];
}

fn in_coord(x: f32, k: u32, in_len: f32, out_len: f32) -> f32 {
  let s = lane_f(u.scale[k >> 2u], k);
  switch u.coord {
    case 0u: { return (x + 0.5) / s - 0.5; }
    case 1u: {
      let adjustment = out_len / (s * in_len);
      let offset = (in_len * 0.5) * (1.0 - adjustment);
      return offset + (x + 0.5) / s - 0.5;
    }
    case 2u: { return select(0.0, (x + 0.5) / s - 0.5, out_len > 1.0); }
    case 3u: { return select(x * (in_len - 1.0) / (out_len - 1.0), 0.0, out_len == 1.0); }
    case 4u: { return x / s; }
    case 5u: { return (x + 0.5) / s; }
    default: {
      let r0 = lane_f(u.roi_start[k >> 2u], k);
      let r1 = lane_f(u.roi_end[k >> 2u], k);
      return select(0.5 * (r0 + r1) * (in_len - 1.0), r0 * (in_len - 1.0) + x * (r1 - r0) * (in_len - 1.0) / (out_len - 1.0), out_len > 1.0);
    }
  }
}

// WGSL's round() breaks ties to even: ties are decided explicitly, everything else is floor(c + 0.5).
fn nearest_index(c: f32, s: f32, in_len: u32) -> u32 {
  let fl = floor(c);
  let tie = abs(c - fl - 0.5) <= TIE_EPS * max(1.0, abs(c));
  var i = floor(c + 0.5);
  switch u.nearest {
    case 0u: { i = select(i, fl, tie); }
    case 1u: { i = select(i, fl + 1.0, tie); }
    case 2u: { i = fl; }
    case 3u: { i = ceil(c); }
    default: { i = select(trunc(c), ceil(c), s < 1.0); }
  }
  return u32(clamp(i32(i), 0, i32(in_len) - 1));
}

fn cubic_weight(d: f32) -> f32 {
  let a = u.cubic_a;
  let ad = abs(d);
  if (ad <= 1.0) { return ((a + 2.0) * ad - (a + 3.0)) * ad * ad + 1.0; }
  if (ad < 2.0) { return ((a * ad - 5.0 * a) * ad + 8.0 * a) * ad - 4.0 * a; }
  return 0.0;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  var rem = i;
  var base = 0u;
  var stride = 1u;
  var outside = false;
  var n_interp = 0u;
  var offs: array<u32, 12>; // MAX_INTERP × TAPS: element offsets of the interpolated axes' taps
  var wts: array<f32, 12>;
  for (var d = 0u; d < RANK; d++) {
    let k = RANK - 1u - d;
    let odim = lane(u.out_shape[k >> 2u], k);
    let idim = lane(u.in_shape[k >> 2u], k);
    let o = rem % odim;
    rem = rem / odim;
    if (lane(u.identity[k >> 2u], k) != 0u) {
      base += o * stride;
    } else {
      let in_len = f32(idim);
      let c = in_coord(f32(o), k, in_len, f32(odim));
      if (u.coord == 6u && (c < 0.0 || c > in_len - 1.0)) { outside = true; }
      if (MODE == 0u) {
        base += nearest_index(c, lane_f(u.scale[k >> 2u], k), idim) * stride;
      } else if (MODE == 1u) {
        let cc = clamp(c, 0.0, in_len - 1.0);
        let i0 = u32(floor(cc));
        let t = cc - floor(cc);
        let j = min(n_interp, MAX_INTERP - 1u) * TAPS;
        offs[j] = i0 * stride;
        offs[j + 1u] = min(i0 + 1u, idim - 1u) * stride;
        wts[j] = 1.0 - t;
        wts[j + 1u] = t;
        n_interp++;
      } else {
        let fl = floor(c);
        let t = c - fl;
        let j = min(n_interp, MAX_INTERP - 1u) * TAPS;
        var sum = 0.0;
        for (var q = 0u; q < 4u; q++) {
          let idx = i32(fl) - 1 + i32(q);
          let inside = idx >= 0 && idx < i32(idim);
          // exclude_outside: taps outside the input weigh 0 and the rest is renormalised; else edge padding.
          let w = select(cubic_weight(t + 1.0 - f32(q)), 0.0, u.exclude_outside != 0u && !inside);
          offs[j + q] = u32(clamp(idx, 0, i32(idim) - 1)) * stride;
          wts[j + q] = w;
          sum += w;
        }
        if (u.exclude_outside != 0u) {
          for (var q = 0u; q < 4u; q++) { wts[j + q] = wts[j + q] / sum; }
        }
        n_interp++;
      }
    }
    stride *= idim;
  }
  if (outside) {
    y_set(i, u.extrapolation);
    return;
  }
  var combos = 1u;
  for (var a = 0u; a < n_interp; a++) { combos *= TAPS; }
  var acc = 0.0;
  for (var cmb = 0u; cmb < combos; cmb++) {
    var off = base;
    var w = 1.0;
    var r = cmb;
    for (var a = 0u; a < n_interp; a++) {
      let t = a * TAPS + r % TAPS;
      r = r / TAPS;
      off += offs[t];
      w *= wts[t];
    }
    acc += w * x_at(off);
  }
  y_set(i, acc);
}
