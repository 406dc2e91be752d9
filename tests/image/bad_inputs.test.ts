/**
 * Bad and extreme images through src/image preprocessing (Node: ImageData goes to the shared CPU resize): no pixels
 * (0x0), pixel data shorter than width x height, non-image values → ImageInputError saying what; a 10,000 x 10,000
 * image → the correct tensor (a uniform colour must normalise to exactly that colour everywhere).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageToInput, ImageInputError } from '../../src/image/index.js';
import { normalizeValue, normalizationFor } from '../../src/io/preprocess.js';
import type { GraphMetadata } from '../../src/graph/ir.js';

class FakeImageData {
  constructor(
    readonly data: Uint8ClampedArray,
    readonly width: number,
    readonly height: number,
  ) {}
}
const hadImageData = 'ImageData' in globalThis;
beforeAll(() => {
  if (!hadImageData) (globalThis as Record<string, unknown>)['ImageData'] = FakeImageData;
});
afterAll(() => {
  if (!hadImageData) delete (globalThis as Record<string, unknown>)['ImageData'];
});

const META: GraphMetadata = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], inputSize: [3, 32, 32], pixelScale: 1 / 255, colorOrder: 'RGB' };
const SPEC = { inputShape: [-1, 3, 32, 32], metadata: META };
const image = (w: number, h: number, data = new Uint8ClampedArray(w * h * 4)) => new FakeImageData(data, w, h) as unknown as ImageData;

function thrown(fn: () => unknown): Error | undefined {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

describe('bad images', () => {
  it.each([
    ['0x0', 0, 0],
    ['0x10', 0, 10],
    ['10x0', 10, 0],
  ])('%s ImageData → ImageInputError "has no pixels"', (_label, w, h) => {
    const e = thrown(() => imageToInput(image(w, h), SPEC));
    expect(e).toBeInstanceOf(ImageInputError);
    expect(e!.message).toContain(`no pixels (${w}x${h})`);
  });

  it('pixel data shorter than width x height x 4 → ImageInputError with both sizes', () => {
    const e = thrown(() => imageToInput(image(40, 30, new Uint8ClampedArray(40 * 29 * 4)), SPEC));
    expect(e).toBeInstanceOf(ImageInputError);
    expect(e!.message).toContain('4640 bytes');
    expect(e!.message).toContain('40x30');
  });

  it('NaN / negative / non-image values → ImageInputError', () => {
    for (const bad of [image(NaN, 4, new Uint8ClampedArray(16)), image(-4, 4, new Uint8ClampedArray(16)), null, 42, 'img.png', {}]) {
      const e = thrown(() => imageToInput(bad as unknown as ImageData, SPEC));
      expect(e, String(bad)).toBeInstanceOf(ImageInputError);
    }
  });

  it('a 10,000 x 10,000 image gives the correct tensor', () => {
    const n = 10_000;
    const rgba = new Uint8ClampedArray(n * n * 4);
    const colour = [200, 100, 30];
    for (let p = 0; p < n * n * 4; p += 4) {
      rgba[p] = colour[0]!;
      rgba[p + 1] = colour[1]!;
      rgba[p + 2] = colour[2]!;
      rgba[p + 3] = 255;
    }
    const t0 = performance.now();
    const t = imageToInput(image(n, n, rgba), SPEC);
    console.log(`10,000 x 10,000 → [${t.shape.join(', ')}] in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(t.shape).toEqual([1, 3, 32, 32]);
    const norm = normalizationFor(META, 3);
    const data = t.data as Float32Array;
    for (let c = 0; c < 3; c++) {
      const want = normalizeValue(colour[c]!, c, norm);
      for (let i = 0; i < 32 * 32; i++) expect(Math.abs(data[c * 1024 + i]! - want)).toBeLessThan(1e-4);
    }
  }, 60_000);
});
