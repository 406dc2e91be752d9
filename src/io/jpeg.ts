/**
 * JPEG for the CLI: a bounds-checked marker scan (size, components, EXIF orientation) that runs BEFORE anything is
 * allocated, then jpeg-js (pure JavaScript, npm) decodes with its own resolution / memory caps as a second guard.
 */
import jpeg from 'jpeg-js';
import { app1Orientation } from './exif.js';

export interface JpegHeader {
  width: number;
  height: number;
  components: number;
  progressive: boolean;
  /** EXIF orientation 1..8 (1 when there is no EXIF block or it does not say). */
  orientation: number;
}

/** Thrown with the reason only; src/io/image_decode.ts adds the file name. */
export class JpegScanError extends Error {
  override name = 'JpegScanError';
}

const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** Reads the segments up to the first scan. Throws JpegScanError for a missing SOI, a cut segment or no frame header. */
export function scanJpeg(bytes: Uint8Array): JpegHeader {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new JpegScanError('not a JPEG (no start-of-image marker)');
  let orientation: number | undefined;
  let frame: Omit<JpegHeader, 'orientation'> | undefined;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw new JpegScanError(`corrupt JPEG: expected a marker at byte ${at}`);
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end of image, start of scan: the header is over
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (length < 2 || at + 2 + length > bytes.length) throw new JpegScanError(`truncated JPEG: the segment at byte ${at} runs past the end of the file`);
    const payload = bytes.subarray(at + 4, at + 2 + length);
    if (marker === 0xe1 && orientation === undefined) orientation = app1Orientation(payload);
    if (isSof(marker) && !frame) {
      if (payload.length < 6) throw new JpegScanError('corrupt JPEG: frame header too short');
      frame = { height: (payload[1]! << 8) | payload[2]!, width: (payload[3]! << 8) | payload[4]!, components: payload[5]!, progressive: marker === 0xc2 || marker === 0xc6 };
    }
    at += 2 + length;
  }
  if (!frame) throw new JpegScanError('truncated or corrupt JPEG: no frame header before the image data');
  if (frame.width === 0 || frame.height === 0) throw new JpegScanError(`JPEG frame header says ${frame.width}x${frame.height} pixels`);
  return { ...frame, orientation: orientation ?? 1 };
}

/** Decodes to RGB (3 channels, HWC; grey and CMYK are converted). `maxPixels` caps what the decoder may allocate. */
export function decodeJpegRgb(bytes: Uint8Array, maxPixels: number): { width: number; height: number; data: Uint8Array } {
  const r = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    // A corrupt stream is an error, not a half-grey picture.
    tolerantDecoding: false,
    maxResolutionInMP: maxPixels / 1e6,
    // Coefficients of 4 components at 2 bytes per sample, plus the output: well above what maxPixels needs.
    maxMemoryUsageInMB: Math.ceil((maxPixels * 12) / 2 ** 20) + 64,
  });
  return { width: r.width, height: r.height, data: r.data };
}
