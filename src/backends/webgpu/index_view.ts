/**
 * Index views of accessor-program inputs (ProgramInput.view): `<in>_at(i)` reads element i of the consumer's index
 * space, a flat index over `dims` (outermost first), at tensor element base + Σ (o_d − lo_d) · mul_d, and returns 0
 * when o_d lies outside [lo_d, lo_d + count_d) on any axis. A fused conv's residual view (src/graph/ops/residual_view.ts:
 * the option-A shortcut's strided, channel-padded read) binds its residual this way, so every conv kernel that adds
 * `res_at(idx)` at its store reads through it with no change to its WGSL. The numbers travel as uniforms; the WGSL
 * depends only on how many axes the view has.
 */
import type { ResidualAffine } from '../../graph/ops/residual_view.js';
import type { UniformField } from './program.js';

export type IndexView = ResidualAffine;

/** Axes that can change the index: an extent-1 axis read whole contributes nothing and is left out. */
function liveAxes(v: IndexView): number[] {
  return v.dims.map((_, d) => d).filter((d) => !(v.dims[d] === 1 && v.lo[d] === 0 && v.count[d] === 1));
}

/** The view's uniforms for input `name`: base, then per live axis (innermost first) extent, lo, count and multiplier. */
export function indexViewUniforms(name: string, v: IndexView): UniformField[] {
  const fields: UniformField[] = [{ name: `vb_${name}`, type: 'i32', value: v.base }];
  liveAxes(v)
    .reverse()
    .forEach((d, j) => {
      fields.push(
        { name: `v${j}n_${name}`, type: 'u32', value: v.dims[d]! },
        { name: `v${j}l_${name}`, type: 'u32', value: v.lo[d]! },
        { name: `v${j}c_${name}`, type: 'u32', value: v.count[d]! },
        { name: `v${j}m_${name}`, type: 'i32', value: v.mul[d]! },
      );
    });
  return fields;
}

/** Part of the program's cache key: the WGSL differs only by the number of live axes. */
export const indexViewKey = (v: IndexView): string => `v${liveAxes(v).length}`;

/**
 * `fn <name>_at(i)` through the view, reading the tensor with `<name>_raw(e)`. Coordinates come innermost first
 * (modulo, then divide); `o - lo` wraps around as u32 below lo, so one compare checks both ends of the region.
 */
export function indexViewAccessor(name: string, v: IndexView): string {
  const n = liveAxes(v).length;
  const body = ['var t = i;', `var e = u.vb_${name};`, 'var inside = true;'];
  for (let j = 0; j < n; j++) {
    const u = (f: string) => `u.v${j}${f}_${name}`;
    body.push(j === n - 1 ? `let q${j} = t - ${u('l')};` : `let q${j} = t % ${u('n')} - ${u('l')}; t = t / ${u('n')};`);
    body.push(`inside = inside && q${j} < ${u('c')}; e += i32(q${j}) * ${u('m')};`);
  }
  body.push(`return select(0.0, ${name}_raw(u32(select(0, e, inside))), inside);`);
  return `fn ${name}_at(i: u32) -> f32 { ${body.join(' ')} }`;
}
