import { describe, expect, it } from 'vitest';
import { softmax } from '../../../src/backends/cpu/softmax.js';
import { expectClose, f32, node, randomF32, rng, values } from './helpers.js';

describe('Softmax (CPU)', () => {
  it('hand case and axis handling', () => {
    const x = f32([2, 3], [0, 0, 0, 1, 2, 3]);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0]! + e[1]! + e[2]!;
    expectClose(softmax(node('Softmax'), [x])[0]!, [2, 3], [1 / 3, 1 / 3, 1 / 3, e[0]! / s, e[1]! / s, e[2]! / s]);
    const [y0] = softmax(node('Softmax', { axis: 0 }), [x]);
    const col = (a: number, b: number) => [Math.exp(a) / (Math.exp(a) + Math.exp(b)), Math.exp(b) / (Math.exp(a) + Math.exp(b))];
    const [c0, c1, c2] = [col(0, 1), col(0, 2), col(0, 3)];
    expectClose(y0!, [2, 3], [c0[0]!, c1[0]!, c2[0]!, c0[1]!, c1[1]!, c2[1]!]);
  });
  it('is stable for huge logits and rows sum to 1 on random 4-D input (middle axis)', () => {
    expectClose(softmax(node('Softmax'), [f32([2], [1000, 1000])])[0]!, [2], [0.5, 0.5]);
    const x = randomF32(rng(2), [2, 5, 3, 4]);
    const [y] = softmax(node('Softmax', { axis: 1 }), [x]);
    const v = values(y!);
    for (let n = 0; n < 2; n++)
      for (let i = 0; i < 12; i++) {
        let s = 0;
        for (let c = 0; c < 5; c++) s += v[n * 60 + c * 12 + i]!;
        expect(Math.abs(s - 1)).toBeLessThan(1e-6);
      }
  });
});
