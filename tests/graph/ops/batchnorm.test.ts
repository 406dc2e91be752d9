import { describe, expect, it } from 'vitest';
import { f32, infer, info } from './helpers.js';

describe('BatchNormalization shape rule', () => {
  const params = (c: number) => [f32(c), f32(c), f32(c), f32(c)];

  it('keeps the input shape (2-D and 4-D inputs)', () => {
    expect(infer('BatchNormalization', [f32(2, 16, 5, 5), ...params(16)])).toEqual([{ dtype: 'f32', shape: [2, 16, 5, 5] }]);
    expect(infer('BatchNormalization', [f32(-1, 8), ...params(8)])[0]!.shape).toEqual([-1, 8]);
  });

  it('rejects parameter lengths that differ from C', () => {
    const bad = [f32(16), f32(16), f32(15), f32(16)];
    expect(() => infer('BatchNormalization', [f32(1, 16, 4, 4), ...bad], {}, 1, 'bn1')).toThrowError(
      /BatchNormalization node 'bn1': mean shape \[15\]/,
    );
    expect(() => infer('BatchNormalization', [f32(1, 16, 4, 4), f32(16), f32(16), f32(16)], {}, 1, 'bn1')).toThrowError(/missing required var/);
    expect(() => infer('BatchNormalization', [info('i64', [1, 4]), ...params(4)], {}, 1, 'bn1')).toThrowError(/float/);
    expect(() => infer('BatchNormalization', [f32(1, 4), ...params(4)], {}, 3, 'bn1')).toThrowError(/inference/);
  });
});
