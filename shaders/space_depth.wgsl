// DepthToSpace / SpaceToDepth on NCHW: a pure index mapping, one output element per thread.
// KIND (const): 0 DepthToSpace DCR, 1 DepthToSpace CRD (PyTorch's PixelShuffle), 2 SpaceToDepth.
// y[n, c, h·b + i, w·b + j] = x[n, (i·b + j)·C_out + c (DCR) | c·b² + i·b + j (CRD), h, w]; SpaceToDepth is DCR's inverse.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let b = u.block;
  let ox = i % u.out_w;
  let oy = (i / u.out_w) % u.out_h;
  let oc = (i / (u.out_w * u.out_h)) % u.out_c;
  let n = i / (u.out_w * u.out_h * u.out_c);
  var src_c: u32;
  var iy: u32;
  var ix: u32;
  if (KIND == 2u) {
    let blk = oc / u.in_c;
    src_c = oc % u.in_c;
    iy = oy * b + blk / b;
    ix = ox * b + blk % b;
  } else {
    let bi = oy % b;
    let bj = ox % b;
    src_c = select((bi * b + bj) * u.out_c + oc, oc * b * b + bi * b + bj, KIND == 1u);
    iy = oy / b;
    ix = ox / b;
  }
  y_set(i, x_at(((n * u.in_c + src_c) * u.in_h + iy) * u.in_w + ix));
}
