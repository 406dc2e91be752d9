import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readNpz } from '../../../src/io/npz.js';
import { batchNormalization } from '../../../src/backends/cpu/batchnorm.js';
import { expectClose, f32, node, randomF32, rng, values } from './helpers.js';

describe('BatchNormalization (CPU)', () => {
  it('per-channel affine of the normalised input, 2-D and 4-D', () => {
    const r = rng(4);
    for (const shape of [[3, 4], [2, 4, 3, 3], [1, 4, 2, 2, 2]]) {
      const x = randomF32(r, shape);
      const [scale, bias, mean] = [randomF32(r, [4]), randomF32(r, [4]), randomF32(r, [4])];
      const variance = f32([4], values(randomF32(r, [4])).map((v) => v * v + 0.1));
      const eps = 1e-3;
      const [y] = batchNormalization(node('BatchNormalization', { epsilon: eps }, 5), [x, scale, bias, mean, variance]);
      const inner = shape.slice(2).reduce((a, b) => a * b, 1);
      const expected = values(x).map((v, i) => {
        const c = Math.floor(i / inner) % 4;
        return ((v - values(mean)[c]!) / Math.sqrt(values(variance)[c]! + eps)) * values(scale)[c]! + values(bias)[c]!;
      });
      expectClose(y!, shape, expected, 1e-5);
    }
  });
  it("equals PyTorch's float32 BatchNorm2d bit for bit (tools/make_bn_exact_fixture.py)", () => {
    // A binarised net takes the sign of a BN output: the last bit decides, so the reference must be PyTorch's own
    // float32 arithmetic, not merely close to it.
    const path = new URL('../../fixtures/bn_exact/bn.npz', import.meta.url).pathname;
    const a = readNpz(new Uint8Array(readFileSync(path)), path);
    for (const k of [0, 1]) {
      const get = (name: string) => a.get(`${name}${k}`)!;
      const eps = values(get('eps'))[0]!;
      const [y] = batchNormalization(node('BatchNormalization', { epsilon: eps }, 5), ['x', 'scale', 'bias', 'mean', 'var'].map(get));
      const want = values(get('y'));
      const got = values(y!);
      let differ = 0;
      for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) differ++;
      expect(differ, `eps ${eps}: elements differing from PyTorch`).toBe(0);
      expect(want.length).toBe(3 * 37 * 9 * 11);
    }
  });

  it('rejects a parameter of the wrong length', () => {
    const p = f32([2], [1, 1]);
    expect(() => batchNormalization(node('BatchNormalization', {}, 5), [f32([1, 3], [1, 2, 3]), p, p, p, p])).toThrow(/test_BatchNormalization/);
  });
});
