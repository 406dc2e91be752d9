/** averageViews (src/image/tta.ts): the mean of each image's views' softmax, checked against softmax done by hand. */
import { describe, expect, it } from 'vitest';
import { averageViews } from '../../src/image/tta.js';

const softmax = (row: number[]) => {
  const e = row.map((v) => Math.exp(v - Math.max(...row)));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

describe('averageViews', () => {
  it('averages the softmax of consecutive views per image (not the logits)', () => {
    const logits = [
      [2, 0, -1], // image 0, view 0
      [-1, 3, 0], // image 0, view 1
      [0, 0, 0], // image 1, view 0
      [5, 1, 1], // image 1, view 1
    ];
    const got = averageViews({ dtype: 'f32', shape: [4, 3], data: Float32Array.from(logits.flat()) }, 2);
    const want = [0, 1].flatMap((n) => softmax(logits[2 * n]!).map((p, i) => (p + softmax(logits[2 * n + 1]!)[i]!) / 2));
    expect(got.length).toBe(6);
    got.forEach((p, i) => expect(p).toBeCloseTo(want[i]!, 6));
  });

  it('is not the softmax of the mean logits: the two can disagree on the class', () => {
    // Mean logits [5, 9, 5] say class 1; each view is confident in class 0 or 2, and only 27 % in class 1.
    const p = averageViews({ dtype: 'f32', shape: [2, 3], data: Float32Array.from([10, 9, 0, 0, 9, 10]) }, 2);
    expect(p[1]).toBeCloseTo(softmax([10, 9, 0])[1]!, 6);
    expect(p[0]).toBeGreaterThan(p[1]!);
  });

  it('one view is its softmax; probability rows are averaged as they are; flat arrays need the class count', () => {
    const one = averageViews({ dtype: 'f32', shape: [1, 3, 1, 1], data: Float32Array.from([1, 2, 3]) }, 1);
    softmax([1, 2, 3]).forEach((p, i) => expect(one[i]).toBeCloseTo(p, 7));
    expect(Array.from(averageViews([0.5, 0.5, 0, 1], 2, 2))).toEqual([0.25, 0.75]);
    expect(() => averageViews([1, 2, 3, 4], 2)).toThrow(/needs `classes`/);
    expect(() => averageViews({ dtype: 'f32', shape: [3, 2], data: new Float32Array(6) }, 2)).toThrow(/do not split/);
    expect(() => averageViews([1, 2], 0, 2)).toThrow(RangeError);
  });
});
