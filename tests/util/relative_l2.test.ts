import { describe, expect, it } from 'vitest';
import { relativeL2 } from '../../src/util/relative_l2.js';

describe('relativeL2', () => {
  it('is ||actual - ref|| / ||ref||, measured against the second argument', () => {
    expect(relativeL2([1, 2], [1, 1])).toBeCloseTo(Math.sqrt(1 / 2), 15);
    expect(relativeL2([1, 1], [1, 2])).toBeCloseTo(Math.sqrt(1 / 5), 15);
    expect(relativeL2(new Float32Array([3, -4]), new Float32Array([3, -4]))).toBe(0);
    expect(relativeL2([], [])).toBe(0);
  });

  it('sums in float64: a tiny error on large values is not lost to f32 rounding', () => {
    const ref = new Float32Array(1000).fill(1e4);
    const actual = Float32Array.from(ref, (v, i) => (i === 0 ? v + 1 : v));
    expect(relativeL2(actual, ref)).toBeCloseTo(1 / Math.sqrt(1000 * 1e8), 15);
  });

  it('NaN when the lengths differ or a value is not finite', () => {
    expect(relativeL2([1], [1, 2])).toBeNaN();
    expect(relativeL2([NaN, 1], [1, 1])).toBeNaN();
    expect(relativeL2([1, 1], [Infinity, 1])).toBeNaN();
    expect(relativeL2([1e200], [1])).toBeNaN();
  });

  it('an all-zero reference: strict gives 0 or Infinity, absolute gives ||actual||', () => {
    expect(relativeL2([0, 0], [0, 0])).toBe(0);
    expect(relativeL2([3, 4], [0, 0])).toBe(Infinity);
    expect(relativeL2([3, 4], [0, 0], 'absolute')).toBe(5);
    expect(relativeL2([0, 0], [0, 0], 'absolute')).toBe(0);
  });
});
