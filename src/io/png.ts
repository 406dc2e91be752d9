/**
 * PNG decoding for the CLI (`run --image`). Node only (pngjs relies on node:zlib and Buffer).
 * Every bit depth / colour type is normalised to 8-bit samples, HWC order.
 */
import { PNG } from 'pngjs';
import type { ImageU8 } from './preprocess.js';

export type { ImageU8 };

export class PngError extends Error {
  override name = 'PngError';
}

/**
 * Decode a PNG. Grayscale images without transparency come back with 1 channel, images with an alpha channel or a
 * transparency chunk with 4 (RGBA), everything else (RGB, palette) with 3.
 */
export function decodePng(bytes: Uint8Array, where = 'png'): ImageU8 {
  try {
    return decodePngPixels(bytes);
  } catch (err) {
    throw new PngError(`${where}: cannot decode PNG (${(err as Error).message})`);
  }
}

/** decodePng without the error wrapping (src/io/image_decode.ts reports its own typed error). */
export function decodePngPixels(bytes: Uint8Array): ImageU8 {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const { width, height } = png;
  const rgba = png.data; // pngjs always hands back 8-bit RGBA
  const meta = png as unknown as { color?: boolean; alpha?: boolean };
  const channels: 1 | 3 | 4 = meta.alpha ? 4 : meta.color === false ? 1 : 3;
  const data = new Uint8Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < channels; c++) data[p * channels + c] = rgba[p * 4 + c]!;
  }
  return { width, height, channels, layout: 'HWC', data };
}
