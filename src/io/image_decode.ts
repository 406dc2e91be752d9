/**
 * Image files for the CLI: PNG (pngjs), JPEG (jpeg-js) and WebP (@cwasm/webp, libwebp compiled to wasm and shipped
 * inside the npm package) - all installed by `npm ci` alone, no native builds, no downloads. Node only.
 *
 * Files are hostile until proven otherwise: the format is told by its magic bytes (not the file name), and the size
 * in the header is read and checked against `maxPixels` BEFORE any decoder allocates from it. Every failure is an
 * ImageInputError naming the file and the reason (truncated, not an image, unsupported format, too large...).
 */
import { createRequire } from 'node:module';
import { ImageInputError } from '../image/errors.js';
import { decodeJpegRgb, scanJpeg } from './jpeg.js';
import { decodePngPixels } from './png.js';
import type { ImageU8 } from './preprocess.js';
import { orientationText } from './exif.js';

export type ImageFormat = 'PNG' | 'JPEG' | 'WebP';

/** Largest image decoded: 64 Mpx (256 MiB as RGBA). A 100-byte header claiming 65535 x 65535 stops here. */
export const MAX_IMAGE_PIXELS = 2 ** 26;

export interface ImageHeader {
  format: ImageFormat;
  /** Stored size (before EXIF orientation). */
  width: number;
  height: number;
  /** EXIF orientation 1..8 (JPEG only; 1 otherwise). */
  orientation: number;
}

export interface DecodedImage extends ImageHeader {
  /** The stored pixels (HWC, 8-bit); apply `orientation` through the view matrix (src/io/geometry.ts). */
  image: ImageU8;
}

export interface DecodeOptions {
  /** Cap on width * height (default MAX_IMAGE_PIXELS). */
  maxPixels?: number;
}

const fail = (file: string, reason: string): ImageInputError => new ImageInputError(`${file}: ${reason}`, file, reason);

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0) => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

/** Formats we recognise but do not decode, so the user hears "unsupported GIF" rather than "not an image". */
function otherFormat(b: Uint8Array): string | undefined {
  if (ascii(b, 0, 4) === 'GIF8') return 'GIF';
  if (ascii(b, 0, 2) === 'BM') return 'BMP';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0]) || startsWith(b, [0x4d, 0x4d, 0, 0x2a])) return 'TIFF';
  if (ascii(b, 4, 4) === 'ftyp') {
    const brand = ascii(b, 8, 4);
    return brand.startsWith('avi') ? 'AVIF' : brand.startsWith('hei') || brand.startsWith('mif') ? 'HEIF/HEIC' : `ISO media (${brand.trim()})`;
  }
  if (startsWith(b, [0, 0, 1, 0])) return 'ICO';
  if (/^\s*<(\?xml|svg)/i.test(ascii(b, 0, 64))) return 'SVG';
  return undefined;
}

function pngSize(b: Uint8Array, file: string): { width: number; height: number } {
  // Signature, then the IHDR chunk: length, "IHDR", width, height (big-endian).
  if (b.length < 24 || ascii(b, 12, 4) !== 'IHDR') throw fail(file, 'truncated PNG (no IHDR header)');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

function webpSize(b: Uint8Array, file: string): { width: number; height: number } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const chunk = ascii(b, 12, 4);
  const need = (n: number) => {
    if (b.length < n) throw fail(file, `truncated WebP (${b.length} bytes, the ${chunk.trim()} header needs ${n})`);
  };
  const u24 = (at: number) => b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
  if (chunk === 'VP8X') {
    need(30);
    return { width: u24(24) + 1, height: u24(27) + 1 };
  }
  if (chunk === 'VP8 ') {
    need(30);
    if (!startsWith(b, [0x9d, 0x01, 0x2a], 23)) throw fail(file, 'corrupt WebP (bad VP8 start code)');
    return { width: v.getUint16(26, true) & 0x3fff, height: v.getUint16(28, true) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    need(25);
    if (b[20] !== 0x2f) throw fail(file, 'corrupt WebP (bad VP8L signature)');
    const bits = v.getUint32(21, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  throw fail(file, `unsupported or corrupt WebP (first chunk '${chunk}')`);
}

/**
 * Format, stored size and EXIF orientation from the first bytes of the file, checked against the pixel cap. Throws
 * ImageInputError for empty files, non-images, unsupported formats, truncated headers and absurd sizes.
 */
export function readImageHeader(bytes: Uint8Array, file: string, options: DecodeOptions = {}): ImageHeader {
  if (bytes.length === 0) throw fail(file, 'empty file');
  let header: ImageHeader;
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) header = { format: 'PNG', ...pngSize(bytes, file), orientation: 1 };
  else if (startsWith(bytes, [0xff, 0xd8, 0xff])) {
    try {
      const h = scanJpeg(bytes);
      header = { format: 'JPEG', width: h.width, height: h.height, orientation: h.orientation };
    } catch (e) {
      throw fail(file, (e as Error).message);
    }
  } else if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') header = { format: 'WebP', ...webpSize(bytes, file), orientation: 1 };
  else {
    const other = otherFormat(bytes);
    if (other) throw fail(file, `unsupported image format ${other} (supported: PNG, JPEG, WebP)`);
    const hex = Array.from(bytes.subarray(0, 8), (x) => x.toString(16).padStart(2, '0')).join(' ');
    throw fail(file, `not an image: no PNG, JPEG or WebP signature (starts with ${hex})`);
  }
  const max = options.maxPixels ?? MAX_IMAGE_PIXELS;
  if (!(header.width > 0 && header.height > 0)) throw fail(file, `${header.format} header says ${header.width}x${header.height} pixels`);
  if (header.width * header.height > max)
    throw fail(file, `${header.format} header says ${header.width}x${header.height} pixels (${((header.width * header.height) / 1e6).toFixed(1)} Mpx), over the limit of ${(max / 1e6).toFixed(1)} Mpx`);
  return header;
}

// libwebp's wasm is compiled on first use (the CLI's other commands never pay for it). Synchronous: the package
// reads its .wasm with fs and instantiates it with `new WebAssembly.Module`.
let webp: { decode(b: Uint8Array): { width: number; height: number; data: Uint8ClampedArray } } | undefined;
const webpDecoder = () => (webp ??= createRequire(import.meta.url)('@cwasm/webp') as NonNullable<typeof webp>);

/** Decodes a PNG, JPEG or WebP file's bytes (see readImageHeader for what is rejected before decoding). */
export function decodeImage(bytes: Uint8Array, file: string, options: DecodeOptions = {}): DecodedImage {
  const header = readImageHeader(bytes, file, options);
  let image: ImageU8;
  try {
    if (header.format === 'PNG') image = decodePngPixels(bytes);
    else if (header.format === 'JPEG') image = { ...decodeJpegRgb(bytes, options.maxPixels ?? MAX_IMAGE_PIXELS), channels: 3, layout: 'HWC' };
    else {
      const d = webpDecoder().decode(bytes);
      image = { width: d.width, height: d.height, channels: 4, layout: 'HWC', data: new Uint8Array(d.data.buffer, d.data.byteOffset, d.data.byteLength) };
    }
  } catch (e) {
    const msg = (e as Error).message;
    // The decoders' own words for a cut file differ ("marker was not found", "unexpected end of file", ...).
    throw fail(file, `cannot decode ${header.format} (${looksTruncated(bytes, header.format) ? 'truncated file: ' : ''}${msg})`);
  }
  if (image.width !== header.width || image.height !== header.height)
    throw fail(file, `corrupt ${header.format}: the header says ${header.width}x${header.height}, the data ${image.width}x${image.height}`);
  return { ...header, image };
}

/** A JPEG without its end-of-image marker, or a RIFF shorter than its own size field. */
function looksTruncated(b: Uint8Array, format: ImageFormat): boolean {
  if (format === 'JPEG') {
    for (let i = b.length - 2; i >= Math.max(0, b.length - 64); i--) if (b[i] === 0xff && b[i + 1] === 0xd9) return false;
    return true;
  }
  if (format === 'WebP') return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(4, true) + 8 > b.length;
  return false;
}

/** One line for the user: `300×451 JPEG, EXIF rotate 90°`: the stored size and format, then the orientation applied. */
export function describeImage(h: ImageHeader): string {
  const turn = orientationText(h.orientation);
  return `${h.width}×${h.height} ${h.format}${turn ? `, ${turn}` : ''}`;
}
