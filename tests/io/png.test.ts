import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePng, PngError } from '../../src/io/png.js';

const FIX = join(__dirname, '../fixtures/io');
const load = (name: string) => decodePng(new Uint8Array(readFileSync(join(FIX, name))), name);
/** The formula make_fixtures.py used for pixel (y, x) of channel c. */
const expected = (y: number, x: number, c: number) => (37 * y + 11 * x + 80 * c) % 256;

describe('decodePng (PIL-written files)', () => {
  it('decodes RGB to HWC uint8', () => {
    const img = load('rgb_4x5.png');
    expect([img.height, img.width, img.channels, img.layout]).toEqual([4, 5, 3, 'HWC']);
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 5; x++) for (let c = 0; c < 3; c++) expect(img.data[(y * 5 + x) * 3 + c]).toBe(expected(y, x, c));
  });

  it('keeps the alpha channel of RGBA and a single channel for grayscale', () => {
    const rgba = load('rgba_4x5.png');
    expect(rgba.channels).toBe(4);
    expect(rgba.data[(2 * 5 + 3) * 4 + 1]).toBe(expected(2, 3, 1));
    expect(rgba.data[(2 * 5 + 3) * 4 + 3]).toBe(200);
    const gray = load('gray_4x5.png');
    expect(gray.channels).toBe(1);
    expect(Array.from(gray.data)).toEqual(Array.from({ length: 20 }, (_, i) => expected(Math.floor(i / 5), i % 5, 0)));
  });

  it('throws PngError naming the file for non-PNG bytes', () => {
    expect(() => decodePng(new TextEncoder().encode('GIF89a...'), 'cat.gif')).toThrow(PngError);
    expect(() => decodePng(new TextEncoder().encode('GIF89a...'), 'cat.gif')).toThrow(/cat\.gif/);
  });
});
