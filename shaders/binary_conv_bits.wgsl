// BinaryConvBits: XNOR-popcount convolution whose output is bit-packed, ready for the next binary conv (no float
// round trip, no binary_pack). An output word (32 output channels of one pooled pixel) is computed by SPLIT
// threads of a workgroup, GROUPS = 8 / SPLIT groups of 4 channels each (G2 / G4 / G8: at least 2 / 4 / 8 groups),
// OR-ed in workgroup memory when SPLIT > 1.
//   xp: packed input words per pixel ([N][H][W][WORDS], from binary_pack or from another BinaryConvBits).
//   w:  weights as vec4 of u32 (f32 bits): w[((jo * KH + kh) * KW + kw) * WORDS + j) * 8 + g] = word j of the tap
//       for output channels 32 jo + 4 g .. + 3 (channels >= M have zero weights and an empty interval).
//   q:  q[o] = lo, q[u.m32 + o] = hi (i32 bits): channel o's bit is 1 iff lo <= dot <= hi;
//       q[2 u.m32 + jo] = the word's pooling mask: bit 1 = combine the window by OR, 0 = by AND.
//   y:  y[((n * out_h + py) * out_w + px) * words_out + jo], channel padding bits 0.
// With a fused pooling (PKH x PKW window), the bits of every conv position inside the window are combined.
// dot = counted - 2 * popcount((x ^ w) & m) as in binary_conv (padding: nothing, or -1 inputs with PAD_MINUS_ONE).
fn mask_of(j: u32) -> u32 {
  return select(0xffffffffu, u.last_mask, j == WORDS - 1u);
}

// Popcount accumulators of the thread's channel groups (private: per invocation).
var<private> p0: vec4<u32>;
var<private> p1: vec4<u32>;
var<private> p2: vec4<u32>;
var<private> p3: vec4<u32>;
var<private> p4: vec4<u32>;
var<private> p5: vec4<u32>;
var<private> p6: vec4<u32>;
var<private> p7: vec4<u32>;

// Input word j of the tap at `base` (ok: inside the image) -> (x bits, counted bits).
fn in_word(base: u32, j: u32, ok: bool) -> vec2<u32> {
  let m = mask_of(j);
  var nz = m;
  nz = bitcast<u32>(xp[u.plane + base + j]); // @if ZERO_SIGN_ZERO
  let xw = select(0u, bitcast<u32>(xp[base + j]), ok);
  return vec2<u32>(xw, select(select(0u, m, PAD_MINUS_ONE != 0u), nz, ok));
}

// One input word against weights wb .. wb + GROUPS - 1: p[g] += popcount((x ^ w) & nz) per channel; returns the
// counted bits. Written out statement by statement (no loop): SwiftShader pays for every loop iteration's
// lane-mask bookkeeping, GPUs do not care.
fn tap_word(xn: vec2<u32>, wb: u32) -> u32 {
  let xv = vec4<u32>(xn.x);
  let nv = vec4<u32>(xn.y);
  p0 += countOneBits((xv ^ bitcast<vec4<u32>>(w[wb])) & nv);
  p1 += countOneBits((xv ^ bitcast<vec4<u32>>(w[wb + 1u])) & nv); // @if G2
  p2 += countOneBits((xv ^ bitcast<vec4<u32>>(w[wb + 2u])) & nv); // @if G4
  p3 += countOneBits((xv ^ bitcast<vec4<u32>>(w[wb + 3u])) & nv); // @if G4
  p4 += countOneBits((xv ^ bitcast<vec4<u32>>(w[wb + 4u])) & nv); // @if G8
  p5 += countOneBits((xv ^ bitcast<vec4<u32>>(w[wb + 5u])) & nv); // @if G8
  p6 += countOneBits((xv ^ bitcast<vec4<u32>>(w[wb + 6u])) & nv); // @if G8
  p7 += countOneBits((xv ^ bitcast<vec4<u32>>(w[wb + 7u])) & nv); // @if G8
  return countOneBits(xn.y);
}

// Bits of 4 output channels 32 jo + c0 .. c0 + 3 with popcounts pc, at their positions in the output word.
fn group_bits(pc: vec4<u32>, counted: u32, jo: u32, c0: u32) -> u32 {
  var bits = 0u;
  for (var k = 0u; k < 4u; k++) {
    let o = jo * 32u + c0 + k;
    let dot = i32(counted) - 2 * i32(pc[k]);
    let inside = dot >= bitcast<i32>(q[o]) && dot <= bitcast<i32>(q[u.m32 + o]);
    bits = bits | select(0u, 1u << (c0 + k), inside);
  }
  return bits;
}

// Bits of output channels 32 jo + 4 g .. for g in [g0, g0 + GROUPS), at their positions in the output word.
fn conv_bits(n: u32, oy: u32, ox: u32, jo: u32, g0: u32) -> u32 {
  p0 = vec4<u32>(0u); p1 = vec4<u32>(0u); p2 = vec4<u32>(0u); p3 = vec4<u32>(0u);
  p4 = vec4<u32>(0u); p5 = vec4<u32>(0u); p6 = vec4<u32>(0u); p7 = vec4<u32>(0u);
  var counted = 0u;
  let ih0 = i32(oy * u.stride_h) - u.pad_top;
  let iw0 = i32(ox * u.stride_w) - u.pad_left;
  for (var kh = 0u; kh < KH; kh++) {
    let ih = ih0 + i32(kh * u.dil_h);
    let row_ok = ih >= 0 && ih < i32(u.in_h);
    for (var kw = 0u; kw < KW; kw++) {
      let iw = iw0 + i32(kw * u.dil_w);
      let ok = row_ok && iw >= 0 && iw < i32(u.in_w);
      let base = ((n * u.in_h + u32(clamp(ih, 0, i32(u.in_h) - 1))) * u.in_w + u32(clamp(iw, 0, i32(u.in_w) - 1))) * WORDS;
      let wb = ((jo * KH + kh) * KW + kw) * WORDS * 8u + g0;
      for (var j = 0u; j < WORDS; j++) {
        counted += tap_word(in_word(base, j, ok), wb + j * 8u);
      }
    }
  }
  var bits = group_bits(p0, counted, jo, g0 * 4u);
  bits |= group_bits(p1, counted, jo, g0 * 4u + 4u); // @if G2
  bits |= group_bits(p2, counted, jo, g0 * 4u + 8u); // @if G4
  bits |= group_bits(p3, counted, jo, g0 * 4u + 12u); // @if G4
  bits |= group_bits(p4, counted, jo, g0 * 4u + 16u); // @if G8
  bits |= group_bits(p5, counted, jo, g0 * 4u + 20u); // @if G8
  bits |= group_bits(p6, counted, jo, g0 * 4u + 24u); // @if G8
  bits |= group_bits(p7, counted, jo, g0 * 4u + 28u); // @if G8
  return bits;
}

// The output word's bits computed by one thread (SPLIT threads share a word when SPLIT > 1).
fn word_bits(item: u32, sub: u32) -> u32 {
  let px = item % u.out_w;
  var t = item / u.out_w;
  let py = t % u.out_h;
  t = t / u.out_h;
  let jo = t % u.words_out;
  let n = t / u.words_out;
  let g0 = sub * GROUPS;
  if (POOL == 0u) {
    return conv_bits(n, py, px, jo, g0);
  }
  var any_bits = 0u;
  var all_bits = 0xffffffffu;
  for (var wy = 0u; wy < PKH; wy++) {
    let oy = i32(py * u.pool_sh) - u.pool_pt + i32(wy * u.pool_dh);
    if (oy < 0 || oy >= i32(u.conv_h)) { continue; }
    for (var wx = 0u; wx < PKW; wx++) {
      let ox = i32(px * u.pool_sw) - u.pool_pl + i32(wx * u.pool_dw);
      if (ox < 0 || ox >= i32(u.conv_w)) { continue; }
      let b = conv_bits(n, u32(oy), u32(ox), jo, g0);
      any_bits = any_bits | b;
      all_bits = all_bits & b;
    }
  }
  // A window is never empty, so all_bits holds no bits of channels this thread does not compute.
  let or_mask = bitcast<u32>(q[2u * u.m32 + jo]);
  return (any_bits & or_mask) | (all_bits & ~or_mask);
}

// Output index of item i: items run pixel-fastest, so y[i] is [n][jo][py][px] -> stored as NHWC words.
fn out_index(item: u32) -> u32 {
  let px = item % u.out_w;
  var t = item / u.out_w;
  let py = t % u.out_h;
  t = t / u.out_h;
  let jo = t % u.words_out;
  let n = t / u.words_out;
  return ((n * u.out_h + py) * u.out_w + px) * u.words_out + jo;
}

var<workgroup> parts: array<u32, WG>; // @if SHARED

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let sub = lid % SPLIT;
  let item = flat_group(wid, nwg) * (WG / SPLIT) + lid / SPLIT;
  let valid = item < u.total;
  var bits = 0u;
  if (valid) { bits = word_bits(item, sub); }
  if (SPLIT == 1u) {
    if (valid) { y[out_index(item)] = bitcast<f32>(bits); }
    return;
  }
  parts[lid] = bits; // @if SHARED
  workgroupBarrier(); // @if SHARED
  if (valid && sub == 0u) {
    for (var s = 1u; s < SPLIT; s++) {
      bits = bits | parts[lid + s]; // @if SHARED
    }
    y[out_index(item)] = bitcast<f32>(bits);
  }
}
