/**
 * Image files for the CLI (src/io/image_decode.ts): PNG / JPEG / WebP decoding against PIL's decode of the same
 * files (tools/make_image_refs.py), every EXIF orientation 1..8 against the upright picture, and the typed errors
 * for bad files - including headers that claim absurd sizes, which must be refused before anything is allocated.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageInputError } from '../../src/image/errors.js';
import { viewMatrices } from '../../src/io/geometry.js';
import { decodeImage, describeImage, readImageHeader, MAX_IMAGE_PIXELS } from '../../src/io/image_decode.js';
import { readNpy } from '../../src/io/npy.js';
import { imageViewsToTensor, type ImageU8 } from '../../src/io/preprocess.js';

const FIX = join(__dirname, '../fixtures/images');
const PHOTOS = join(__dirname, '../../demo/public/photos');
const bytesOf = (path: string) => new Uint8Array(readFileSync(path));
const decode = (name: string, dir = FIX) => decodeImage(bytesOf(join(dir, name)), name);

/** RGB values of an HWC image, 3 per pixel whatever its channel count. */
function rgb(img: ImageU8): Float64Array {
  const out = new Float64Array(img.width * img.height * 3);
  for (let p = 0; p < img.width * img.height; p++) for (let c = 0; c < 3; c++) out[p * 3 + c] = img.data[p * img.channels + c]!;
  return out;
}

function diff(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  expect(a.length).toBe(b.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

/** The displayed picture of a decoded file: its stored pixels through the orientation's view matrix at 1:1, as 0..255 HWC RGB. */
function displayed(d: ReturnType<typeof decode>, orientation = d.orientation): Float64Array {
  const shown = orientation >= 5 ? { width: d.height, height: d.width } : { width: d.width, height: d.height };
  const geom = { channels: 3, height: shown.height, width: shown.width };
  const [view] = viewMatrices(d.width, d.height, shown.width, shown.height, { orientation });
  const chw = imageViewsToTensor(d.image, geom, { pixelScale: 1, mean: [0, 0, 0], std: [1, 1, 1], bgr: false }, [view!.matrix]).data as Float32Array;
  const plane = shown.width * shown.height;
  const out = new Float64Array(plane * 3);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[p * 3 + c] = chw[c * plane + p]!;
  return out;
}

describe('decoding', () => {
  it('JPEG: jpeg-js agrees with PIL (libjpeg-turbo) within JPEG decoder differences', () => {
    const d = decode('orient-1.jpg');
    const pil = readNpy(bytesOf(join(FIX, 'orient-1.pil.npy')));
    expect(pil.shape).toEqual([30, 45, 3]);
    expect([d.format, d.width, d.height, d.image.channels, d.orientation]).toEqual(['JPEG', 45, 30, 3, 1]);
    const e = diff(rgb(d.image), pil.data as Uint8Array);
    // Different IDCT and chroma upsampling: measured max 12, mean 1.34 levels.
    expect(e.mean).toBeLessThan(2);
    expect(e.max).toBeLessThanOrEqual(16);
  });

  it('WebP: libwebp in wasm gives exactly PIL\'s (libwebp\'s) pixels', () => {
    const d = decode('orient-upright.webp');
    const pil = readNpy(bytesOf(join(FIX, 'orient-upright.webp.pil.npy')));
    expect([d.format, d.width, d.height, d.image.channels]).toEqual(['WebP', 45, 30, 4]);
    expect(diff(rgb(d.image), pil.data as Uint8Array).max).toBe(0);
  });

  it('the photo as JPEG, WebP and PNG decodes to the same picture (within lossy coding)', () => {
    const jpg = decode('chelsea-cat.jpg', PHOTOS);
    const webp = decode('chelsea-cat.webp', PHOTOS);
    expect([webp.width, webp.height, jpg.width, jpg.height]).toEqual([451, 300, 451, 300]);
    expect(diff(rgb(jpg.image), rgb(webp.image)).mean).toBeLessThan(4);
    // The EXIF-6 file, turned upright, against PIL's upright PNG of it.
    const exif6 = decode('chelsea-cat-exif6.jpg', PHOTOS);
    const upright = decode('chelsea-cat-exif6-upright.png');
    expect([exif6.width, exif6.height, exif6.orientation, upright.width, upright.height]).toEqual([300, 451, 6, 451, 300]);
    expect(diff(displayed(exif6), rgb(upright.image)).mean).toBeLessThan(2);
    expect(diff(displayed(exif6, 8), rgb(upright.image)).mean).toBeGreaterThan(20); // the wrong turn is far off
  });

  it('every EXIF orientation 1..8 turns orient-N.jpg into the upright picture, and no other orientation does', () => {
    const upright = rgb(decode('orient-upright.png').image);
    for (let n = 1; n <= 8; n++) {
      const d = decode(`orient-${n}.jpg`);
      expect(d.orientation).toBe(n);
      const errors = [1, 2, 3, 4, 5, 6, 7, 8].map((o) => {
        const shown = displayed(d, o);
        return shown.length === upright.length ? diff(shown, upright).mean : Infinity;
      });
      // JPEG error of the q95 fixture: PIL's exif_transpose recovers it within ~2.7 levels mean.
      expect(errors[n - 1]).toBeLessThan(3.5);
      expect(Math.min(...errors.filter((_, o) => o !== n - 1))).toBeGreaterThan(10);
    }
  });

  it('says what it read', () => {
    expect(describeImage(decode('chelsea-cat-exif6.jpg', PHOTOS))).toBe('300×451 JPEG, EXIF rotate 90°');
    expect(describeImage(decode('chelsea-cat.webp', PHOTOS))).toBe('451×300 WebP');
    expect(describeImage(decode('orient-upright.png'))).toBe('45×30 PNG');
    expect(describeImage(decode('orient-2.jpg'))).toBe('45×30 JPEG, EXIF mirror');
  });
});

describe('bad files: ImageInputError naming the file and the reason', () => {
  const caught = (bytes: Uint8Array, options = {}): ImageInputError => {
    try {
      decodeImage(bytes, 'bad.img', options);
    } catch (e) {
      expect(e).toBeInstanceOf(ImageInputError);
      const err = e as ImageInputError;
      expect(err.file).toBe('bad.img');
      expect(err.message).toBe(`bad.img: ${err.reason}`);
      return err;
    }
    throw new Error('decoded a bad file');
  };
  const png = bytesOf(join(FIX, 'orient-upright.png'));
  const webp = bytesOf(join(PHOTOS, 'chelsea-cat.webp'));

  it('truncated JPEG, PNG and WebP files', () => {
    expect(caught(bytesOf(join(FIX, 'truncated.jpg'))).reason).toMatch(/^cannot decode JPEG \(truncated file/);
    expect(caught(png.slice(0, png.length >> 1)).reason).toMatch(/^cannot decode PNG/);
    expect(caught(webp.slice(0, webp.length >> 1)).reason).toMatch(/^cannot decode WebP \(truncated file/);
    expect(caught(png.slice(0, 20)).reason).toMatch(/truncated PNG/);
    // A JPEG cut inside its headers: the marker scan notices before the decoder runs.
    expect(caught(bytesOf(join(FIX, 'orient-1.jpg')).slice(0, 100)).reason).toMatch(/truncated JPEG/);
  });

  it('not an image, unsupported formats, empty file', () => {
    expect(caught(new TextEncoder().encode('{"name": "tessera"}')).reason).toMatch(/^not an image: no PNG, JPEG or WebP signature \(starts with 7b 22/);
    expect(caught(new TextEncoder().encode('GIF89a\x01\x00\x01\x00')).reason).toBe('unsupported image format GIF (supported: PNG, JPEG, WebP)');
    expect(caught(new TextEncoder().encode('BM\x00\x00\x00\x00')).reason).toMatch(/unsupported image format BMP/);
    expect(caught(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>')).reason).toMatch(/unsupported image format SVG/);
    expect(caught(new Uint8Array(0)).reason).toBe('empty file');
  });

  it('absurd header sizes are refused from the header, before any decoder allocates', () => {
    // PNG: a valid signature and an IHDR that claims 100000 x 100000 (40 GB as RGBA), then nothing.
    const bigPng = png.slice(0, 33);
    new DataView(bigPng.buffer).setUint32(16, 100_000);
    new DataView(bigPng.buffer).setUint32(20, 100_000);
    expect(caught(bigPng).reason).toMatch(/^PNG header says 100000x100000 pixels \(10000\.0 Mpx\), over the limit of 67\.1 Mpx$/);
    // JPEG: SOI + a baseline frame header for 65000 x 65000.
    const bigJpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0xfd, 0xe8, 0xfd, 0xe8, 1, 1, 0x11, 0, 0xff, 0xd9]);
    expect(caught(bigJpeg).reason).toMatch(/^JPEG header says 65000x65000 pixels/);
    // WebP VP8X canvas of 16384 x 16384.
    const bigWebp = new Uint8Array(30);
    bigWebp.set(new TextEncoder().encode('RIFF\x16\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00'));
    bigWebp.set([0xff, 0x3f, 0x00, 0xff, 0x3f, 0x00], 24);
    expect(caught(bigWebp).reason).toMatch(/^WebP header says 16384x16384 pixels/);
    // Zero-sized frames and a caller's own cap.
    const zero = bigJpeg.slice();
    zero.set([0, 0], 7); // the frame height
    expect(caught(zero).reason).toMatch(/JPEG frame header says 65000x0 pixels/); // width 65000, height 0
    expect(caught(bytesOf(join(FIX, 'orient-1.jpg')), { maxPixels: 1000 }).reason).toMatch(/45x30 pixels .* over the limit of 0\.0 Mpx/);
    expect(MAX_IMAGE_PIXELS).toBe(2 ** 26);
  });

  it('a broken EXIF block means no orientation, not an unreadable photo', () => {
    const jpg = bytesOf(join(FIX, 'orient-6.jpg'));
    const at = jpg.findIndex((b, i) => b === 0x45 && jpg[i + 1] === 0x78 && jpg[i + 2] === 0x69 && jpg[i + 3] === 0x66); // "Exif"
    expect(at).toBeGreaterThan(0);
    const broken = jpg.slice();
    broken[at + 6] = 0x58; // byte order "XI": not TIFF
    expect(readImageHeader(broken, 'x.jpg').orientation).toBe(1);
    expect(readImageHeader(jpg, 'x.jpg').orientation).toBe(6);
  });
});
