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
    let row = u32(clamp(ih, 0, i32(u.in_h) - 1)) * u.in_w;
    for (var kw = 0u; kw < KW; kw++) {
      let iw = iw0 + i32(kw * u.dil_w);
      var ok = vec4<bool>(false);
      var base = vec4<u32>(0u);
      for (var c = 0u; c < 4u; c++) {
        let iwc = iw + i32(c) * sw;
        ok[c] = row_ok && iwc >= 0 && iwc < i32(u.in_w);
        base[c] = ((n * u.in_h * u.in_w) + row + u32(clamp(iwc, 0, i32(u.in_w) - 1))) * WORDS;
      }
      let wbase = ((ocb * KH + kh) * KW + kw) * WORDS;
      for (var j = 0u; j < WORDS; j++) {
        let wv = bitcast<vec4<u32>>(w[wbase + j]);
        let m = mask_of(j);
        var xs = vec4<u32>(0u);
        var nz = vec4<u32>(0u);
        for (var c = 0u; c < 4u; c++) {
          let xw = bitcast<u32>(xp[base[c] + j]);
          var mc = m;
          mc = bitcast<u32>(xp[u.plane + base[c] + j]); // @if ZERO_SIGN_ZERO
          xs[c] = select(0u, xw, ok[c]);
          nz[c] = select(select(0u, m, PAD_MINUS_ONE != 0u), mc, ok[c]);
        }
        pc0 += countOneBits((vec4<u32>(xs[0]) ^ wv) & vec4<u32>(nz[0]));
        pc1 += countOneBits((vec4<u32>(xs[1]) ^ wv) & vec4<u32>(nz[1]));
        pc2 += countOneBits((vec4<u32>(xs[2]) ^ wv) & vec4<u32>(nz[2]));
        pc3 += countOneBits((vec4<u32>(xs[3]) ^ wv) & vec4<u32>(nz[3]));
        counted += countOneBits(nz);
      }
    }
  }
  let oc0 = ocb * 4u;
  store(n, oc0, oh, ow0, pc0, counted[0]);
  store(n, oc0, oh, ow0 + 1u, pc1, counted[1]);
  store(n, oc0, oh, ow0 + 2u, pc2, counted[2]);
  store(n, oc0, oh, ow0 + 3u, pc3, counted[3]);
}
