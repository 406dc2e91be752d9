/**
 * The one relative-L2 error that tuning, int8 quantisation, the benchmark, the zoo tools and the tests compare
 * outputs with. Callers that need other edge-case answers (Infinity instead of NaN, a tensor's shape check, the
 * largest absolute difference) wrap it rather than repeat the loop.
 */

/**
 * ||actual - ref||_2 / ||ref||_2, summed in float64 in element order.
 *
 * - NaN when the lengths differ or a sum is not finite (a NaN or Infinity in either input, or an overflow): there
 *   is no distance to report, and NaN fails every `<=` bound.
 * - When ref is all zeros there is no scale. `zeroRef: 'strict'` (the default) answers 0 when actual is all zeros
 *   too and Infinity otherwise; `'absolute'` answers ||actual - ref||_2 itself (what tuning's output check and the
 *   benchmark's error column have always reported).
 */
export function relativeL2(actual: ArrayLike<number>, ref: ArrayLike<number>, zeroRef: 'strict' | 'absolute' = 'strict'): number {
  if (actual.length !== ref.length) return NaN;
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = actual[i]! - ref[i]!;
    num += d * d;
    den += ref[i]! * ref[i]!;
  }
  if (!Number.isFinite(num) || !Number.isFinite(den)) return NaN;
  if (den === 0) return zeroRef === 'absolute' ? Math.sqrt(num) : num === 0 ? 0 : Infinity;
  return Math.sqrt(num / den);
}
