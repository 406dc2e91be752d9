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

// Every output store. RESIDUAL (FusedResize, pass fuseResizeAdd): y = resize(x) + r, r with y's shape; the value is
// rounded to f32 before the sum, exactly the unfused Resize then Add.
fn store(i: u32, v: f32) {
  var s = v;
  s = s + r_at(i); // @if RESIDUAL
  y_set(i, s);
}

// HW = 1: the common NCHW case (src/backends/webgpu/resize.ts, resizeHwFastPath): rank 4, N and C unscaled, nearest
// or linear with both H and W resized (nearest may leave either as identity). One output pixel per thread, no
// private tap arrays: the row and column taps come from the same in_coord / nearest_index formulas as the generic
// path below, and the 2×2 sum runs in the generic path's order ((w, h) = (0, 0), (1, 0), (0, 1), (1, 1); weight
// w_w × w_h), so both paths compute the same f32 operations in the same order.
fn resize_hw(i: u32) {
  let ow = u.out_shape[0].w;
  let oh = u.out_shape[0].z;
  let iw = u.in_shape[0].w;
  let ih = u.in_shape[0].z;
  let xo = i % ow;
  let rest = i / ow;
  let yo = rest % oh;
  let base = (rest / oh) * ih * iw;
  let fw = f32(iw);
  let fh = f32(ih);
  if (MODE == 0u) {
    var col = xo;
    var row = yo;
    var outside = false;
    if (u.identity[0].w == 0u) {
      let c = in_coord(f32(xo), 3u, fw, f32(ow));
      outside = outside || (u.coord == 6u && (c < 0.0 || c > fw - 1.0));
      col = nearest_index(c, u.scale[0].w, iw);
    }
    if (u.identity[0].z == 0u) {
      let c = in_coord(f32(yo), 2u, fh, f32(oh));
      outside = outside || (u.coord == 6u && (c < 0.0 || c > fh - 1.0));
      row = nearest_index(c, u.scale[0].z, ih);
    }
    if (outside) {
      store(i, u.extrapolation);
      return;
    }
    store(i, 0.0 + x_at(base + row * iw + col));
    return;
  }
  let cx = in_coord(f32(xo), 3u, fw, f32(ow));
  let cy = in_coord(f32(yo), 2u, fh, f32(oh));
  if (u.coord == 6u && (cx < 0.0 || cx > fw - 1.0 || cy < 0.0 || cy > fh - 1.0)) {
    store(i, u.extrapolation);
    return;
  }
  let ccx = clamp(cx, 0.0, fw - 1.0);
  let ccy = clamp(cy, 0.0, fh - 1.0);
  let x0 = u32(floor(ccx));
  let y0 = u32(floor(ccy));
  let tx = ccx - floor(ccx);
  let ty = ccy - floor(ccy);
  let x1 = min(x0 + 1u, iw - 1u);
  let r0 = base + y0 * iw;
  let r1 = base + min(y0 + 1u, ih - 1u) * iw;
  let wx0 = 1.0 - tx;
  let wy0 = 1.0 - ty;
  var acc = 0.0;
  acc += (wx0 * wy0) * x_at(r0 + x0);
  acc += (tx * wy0) * x_at(r0 + x1);
  acc += (wx0 * ty) * x_at(r1 + x0);
  acc += (tx * ty) * x_at(r1 + x1);
  store(i, acc);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  if (HW != 0u) {
    resize_hw(i);
    return;
  }
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
    store(i, u.extrapolation);
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
  store(i, acc);
}
