// XNOR-popcount 2-D convolution on bit-packed activations (from binary_pack) and bit-packed weights.
// Weights: w[((ocb * KH + kh) * KW + kw) * WORDS + j] is a vec4 of u32 words (as f32 bits): word j of the tap for
// output channels 4*ocb .. 4*ocb+3. Each thread computes 4 output channels x 4 output columns.
// For every tap and word: popcount((x ^ w) & m), where m = the word's counted channels: the non-zero plane
// (ZERO_SIGN_ZERO), else all real channels; a tap in the padding counts nothing (zero padding, exact PyTorch
// semantics) or, with PAD_MINUS_ONE, counts as all -1 inputs (x = 0 bits, m = all real channels).
// dot = counted - 2 * popcount, exact; y = activate(alpha[oc] * dot + bias[oc]) with the optional residual
// added before (RES_BEFORE) or after (RES_AFTER) the activation.
fn mask_of(j: u32) -> u32 {
  return select(0xffffffffu, u.last_mask, j == WORDS - 1u);
}

// Input column iw of the tap row: (word index of its first channel word, 1 if inside the image else 0).
fn tap_col(row: u32, row_ok: bool, iw: i32) -> vec2<u32> {
  let ok = row_ok && iw >= 0 && iw < i32(u.in_w);
  return vec2<u32>((row + u32(clamp(iw, 0, i32(u.in_w) - 1))) * WORDS, select(0u, 1u, ok));
}

// Word j of an input column: (sign bits, counted bits); outside the image nothing counts, or (PAD_MINUS_ONE)
// all real channels count as -1 (sign bits 0).
fn in_word(col: vec2<u32>, j: u32, m: u32) -> vec2<u32> {
  let ok = col.y != 0u;
  var nz = m;
  nz = bitcast<u32>(xp[u.plane + col.x + j]); // @if ZERO_SIGN_ZERO
  return vec2<u32>(select(0u, bitcast<u32>(xp[col.x + j]), ok), select(select(0u, m, PAD_MINUS_ONE != 0u), nz, ok));
}

fn store(n: u32, oc0: u32, oh: u32, ow: u32, pc: vec4<u32>, counted: u32) {
  if (ow >= u.out_w) { return; }
  for (var k = 0u; k < 4u; k++) {
    let oc = oc0 + k;
    if (oc < u.out_c) {
      let dot = i32(counted) - 2 * i32(pc[k]);
      var v = alpha[oc] * f32(dot);
      v += bias[oc]; // @if HAS_BIAS
      let idx = ((n * u.out_c + oc) * u.out_h + oh) * u.out_w + ow;
      v += res[idx]; // @if RES_BEFORE
      v = activate(v);
      v += res[idx]; // @if RES_AFTER
      y[idx] = v;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let owb = i % u.ow_blocks;
  var t = i / u.ow_blocks;
  let oh = t % u.out_h;
  t = t / u.out_h;
  let ocb = t % u.oc_blocks;
  let n = t / u.oc_blocks;
  let ow0 = owb * 4u;
  let ih0 = i32(oh * u.stride_h) - u.pad_top;
  let iw0 = i32(ow0 * u.stride_w) - u.pad_left;
  let sw = i32(u.stride_w);
  var pc0 = vec4<u32>(0u);
  var pc1 = vec4<u32>(0u);
  var pc2 = vec4<u32>(0u);
  var pc3 = vec4<u32>(0u);
  var counted = vec4<u32>(0u);
  for (var kh = 0u; kh < KH; kh++) {
    let ih = ih0 + i32(kh * u.dil_h);
    let row_ok = ih >= 0 && ih < i32(u.in_h);
    let row = (n * u.in_h + u32(clamp(ih, 0, i32(u.in_h) - 1))) * u.in_w;
    for (var kw = 0u; kw < KW; kw++) {
      // The 4 columns written out, not looped: SwiftShader pays for every loop iteration's lane-mask bookkeeping.
      let iw = iw0 + i32(kw * u.dil_w);
      let c0 = tap_col(row, row_ok, iw);
      let c1 = tap_col(row, row_ok, iw + sw);
      let c2 = tap_col(row, row_ok, iw + 2 * sw);
      let c3 = tap_col(row, row_ok, iw + 3 * sw);
      let wbase = ((ocb * KH + kh) * KW + kw) * WORDS;
      for (var j = 0u; j < WORDS; j++) {
        let wv = bitcast<vec4<u32>>(w[wbase + j]);
        let m = mask_of(j);
        let x0 = in_word(c0, j, m);
        let x1 = in_word(c1, j, m);
        let x2 = in_word(c2, j, m);
        let x3 = in_word(c3, j, m);
        pc0 += countOneBits((vec4<u32>(x0.x) ^ wv) & vec4<u32>(x0.y));
        pc1 += countOneBits((vec4<u32>(x1.x) ^ wv) & vec4<u32>(x1.y));
        pc2 += countOneBits((vec4<u32>(x2.x) ^ wv) & vec4<u32>(x2.y));
        pc3 += countOneBits((vec4<u32>(x3.x) ^ wv) & vec4<u32>(x3.y));
        counted += countOneBits(vec4<u32>(x0.y, x1.y, x2.y, x3.y));
      }
    }
  }
  let oc0 = ocb * 4u;
  store(n, oc0, oh, ow0, pc0, counted[0]);
  store(n, oc0, oh, ow0 + 1u, pc1, counted[1]);
  store(n, oc0, oh, ow0 + 2u, pc2, counted[2]);
  store(n, oc0, oh, ow0 + 3u, pc3, counted[3]);
}
