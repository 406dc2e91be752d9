/**
 * Browser image sources and how to read their pixels. Everything goes through a 2-D canvas (OffscreenCanvas where
 * available, so this also works inside workers), except ImageData which already is pixels.
 */
import { ImageInputError } from './errors.js';
import type { CropRect } from './crop.js';

export type ImageInput = HTMLImageElement | ImageBitmap | ImageData | HTMLVideoElement | VideoFrame | HTMLCanvasElement | OffscreenCanvas;

const has = (name: string): boolean => typeof (globalThis as Record<string, unknown>)[name] === 'function';
const isA = <T>(v: unknown, name: string): v is T => has(name) && v instanceof ((globalThis as Record<string, unknown>)[name] as new () => T);

/** Natural pixel size of a source (not its CSS size). Throws ImageInputError when it has none yet. */
export function sourceSize(src: ImageInput): { width: number; height: number } {
  let width: number;
  let height: number;
  let what: string;
  if (isA<HTMLImageElement>(src, 'HTMLImageElement')) {
    if (!src.complete) throw new ImageInputError('the <img> has not finished loading (await img.decode() first)');
    [width, height, what] = [src.naturalWidth, src.naturalHeight, '<img>'];
  } else if (isA<HTMLVideoElement>(src, 'HTMLVideoElement')) {
    if (src.readyState < 2) throw new ImageInputError('the <video> has no frame yet (wait for "loadeddata")');
    [width, height, what] = [src.videoWidth, src.videoHeight, '<video>'];
  } else if (isA<VideoFrame>(src, 'VideoFrame')) {
    [width, height, what] = [src.displayWidth, src.displayHeight, 'VideoFrame'];
  } else if (src && typeof src === 'object' && 'width' in src && 'height' in src) {
    [width, height, what] = [src.width, src.height, src.constructor?.name ?? 'image'];
  } else {
    throw new ImageInputError('expected an HTMLImageElement, ImageBitmap, ImageData, HTMLVideoElement, VideoFrame or canvas');
  }
  if (!(width > 0 && height > 0)) throw new ImageInputError(`the ${what} has no pixels (${width}x${height})`);
  return { width, height };
}

type Ctx2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

function canvas2d(width: number, height: number): Ctx2D {
  if (has('OffscreenCanvas')) {
    const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (ctx) return ctx;
  }
  if (typeof document !== 'undefined') {
    const c = document.createElement('canvas');
    c.width = width;
    c.height = height;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    if (ctx) return ctx;
  }
  throw new ImageInputError('no 2-D canvas in this context (needs OffscreenCanvas or a document)');
}

export interface DrawOptions {
  /** CSS colour painted under the image (transparent pixels would otherwise read as black). */
  background?: string;
}

/** Draws `crop` of the source scaled to width x height and returns its RGBA pixels. */
export function drawToImageData(src: ImageInput, crop: CropRect, width: number, height: number, options: DrawOptions = {}): ImageData {
  const ctx = canvas2d(width, height);
  if (options.background) {
    ctx.fillStyle = options.background;
    ctx.fillRect(0, 0, width, height);
  }
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  let source: CanvasImageSource = src as CanvasImageSource;
  if (isA<ImageData>(src, 'ImageData')) {
    // drawImage cannot take ImageData: stage it on a canvas of its own.
    const staging = canvas2d(src.width, src.height);
    staging.putImageData(src, 0, 0);
    source = staging.canvas as CanvasImageSource;
  }
  try {
    ctx.drawImage(source, crop.sx, crop.sy, crop.sw, crop.sh, 0, 0, width, height);
    return ctx.getImageData(0, 0, width, height);
  } catch (e) {
    // SecurityError: a cross-origin image without CORS taints the canvas.
    throw new ImageInputError(`could not read the image's pixels: ${(e as Error).message}`);
  }
}
