// Image -> model input, one output pixel (all channels) per thread. Standalone module (not a ProgramSpec kernel), used
// by src/image/gpu_preprocess.ts. Mirrors imageToTensor of src/io/preprocess.ts: per source pixel, colour order (RGB,
// BGR, or luma for grey models); a separable antialiased resize + center crop with the CPU's own weights (taps from
// src/image/gpu_plan.ts), horizontal sums first, then vertical; then (v / 255 or v * pixel_scale - mean) / std.
// `src` holds only the source window the taps read, as rgba8unorm (8-bit values, alpha ignored).
// Geometry (src/io/geometry.ts): the view's mat3 (output -> source; resize, crop, flips, 90-degree turns) is split on
// the CPU into per-axis taps over a "canonical" grid (columns along source x, rows along source y) and `index`, the
// output pixel -> canonical pixel matrix (flips, transposes) applied here to the thread's pixel. Its entries are
// small integers, exact in f32, so this is the CPU's own permutation.
struct Params {
  out_w: u32,
  out_h: u32,
  channels: u32,
  out_base: u32,
  bgr: u32,
  div255: u32,
  pixel_scale: f32,
  // Columns of the canonical grid: the row taps start at taps[canon_w].
  canon_w: u32,
  mean: vec4<f32>,
  std_dev: vec4<f32>,
  index: mat3x3<f32>,
  // First taps entry of this view (test-time augmentation: every view's tables live in one buffer).
  tap_base: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var src: texture_2d<f32>;
// taps[tap_base + x] for canonical column x, taps[tap_base + canon_w + y] for canonical row y: (first source index in
// the window, first weight, count, -).
@group(0) @binding(2) var<storage, read> taps: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> weights: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

// One source pixel as 0..255 values in the model's channel order (luma in .x for a one-channel model).
fn pixel(x: u32, y: u32) -> vec3<f32> {
  // unorm8 -> f32 is byte / 255; rounding back recovers the exact byte.
  let rgb = round(textureLoad(src, vec2<u32>(x, y), 0).rgb * 255.0);
  if (p.channels == 1u) {
    return vec3<f32>(0.299 * rgb.r + 0.587 * rgb.g + 0.114 * rgb.b, 0.0, 0.0);
  }
  if (p.bgr != 0u) {
    return rgb.bgr;
  }
  return rgb;
}

fn normalized(v: f32, c: u32) -> f32 {
  var x = v * p.pixel_scale;
  if (p.div255 != 0u) {
    x = v / 255.0;
  }
  return (x - p.mean[c]) / p.std_dev[c];
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let x = gid.x;
  let y = gid.y;
  if (x >= p.out_w || y >= p.out_h) {
    return;
  }
  let q = p.index * vec3<f32>(f32(x), f32(y), 1.0);
  let col = taps[p.tap_base + u32(round(q.x))];
  let row = taps[p.tap_base + p.canon_w + u32(round(q.y))];
  var acc = vec3<f32>(0.0);
  for (var j = 0u; j < row.z; j++) {
    var line = vec3<f32>(0.0);
    for (var k = 0u; k < col.z; k++) {
      line += weights[col.y + k] * pixel(col.x + k, row.x + j);
    }
    acc += weights[row.y + j] * line;
  }
  let plane = p.out_w * p.out_h;
  let at = p.out_base + y * p.out_w + x;
  for (var c = 0u; c < p.channels; c++) {
    out[at + c * plane] = normalized(acc[c], c);
  }
}
