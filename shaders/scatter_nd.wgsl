// ScatterND, second pass (Y already holds a copy of data): one thread per update element writes it to its slot.
// Y is viewed as [slots, inner], updates as [rows, inner]; slot holds each update row's slot as an exact small
// float, -1 for a row whose slot a later row overwrites (reduction 'none': the last update of a slot wins, as on the
// CPU reference). With REDUCE != 0 slots are distinct and the update is combined with the copied value.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_group(wid, nwg) * WG + lid;
  if (i >= u.total) { return; }
  let s = slot_at(i / u.inner);
  if (s < 0.0) { return; }
  let t = u32(s) * u.inner + i % u.inner;
  let v = upd_at(i);
  if (REDUCE == 0u) { y_set(t, v); }
  if (REDUCE == 1u) { y_set(t, y_at(t) + v); }
  if (REDUCE == 2u) { y_set(t, y_at(t) * v); }
  if (REDUCE == 3u) { y_set(t, max(y_at(t), v)); }
  if (REDUCE == 4u) { y_set(t, min(y_at(t), v)); }
}
