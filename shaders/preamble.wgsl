// Shared preamble, appended after the generated header (consts, Uniforms struct, bindings, activate()).
// Every kernel is dispatched as a flat list of workgroups folded into [x, y, z] (device limit per dimension);
// flat_group() undoes the fold. Kernels bounds-check the flat thread index themselves.
fn flat_group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + nwg.x * (wid.y + nwg.y * wid.z);
}

// Element k of a uniform array packed as array<vec4<T>, n>.
fn lane(v: vec4<u32>, k: u32) -> u32 {
  return v[k & 3u];
}
fn lane_i(v: vec4<i32>, k: u32) -> i32 {
  return v[k & 3u];
}
