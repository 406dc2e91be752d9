/**
 * Browser image → model input tensor [1, C, H, W], following the model's metadata (input size, mean/std, pixel scale,
 * colour order) exactly like the CLI (`tessera run --image`): the same normalisation and the same antialiased
 * "resize shorter side + center crop" of src/io/preprocess.ts. ImageData, and sources whose centered crop is at most
 * 4x the model's size, are read 1:1, so the tensor is bit-identical to the CLI's for the same pixels. For bigger
 * sources the browser first draws the centered crop (an affine transform) into a bitmap of at most 4x the model's
 * size (fast, close to the CLI's result; the GPU path, gpu_preprocess.ts, applies the exact rule at any size).
 * Views (EXIF orientation, webcam mirror, test-time augmentation) are the view matrices of src/io/geometry.ts, as on
 * the GPU path and in the CLI.
 */
import type { GraphMetadata, Tensor } from '../graph/ir.js';
import { mat3 } from 'gl-matrix';
import { affine, apply, compose, resizeSizeOf, viewMatrices, type Mat3, type ViewOptions } from '../io/geometry.js';
import { imageToTensor, imageViewsToTensor, inputGeometry, normalizationFor, type ImageU8, type InputGeometry } from '../io/preprocess.js';
import { metadataFromProps } from '../cli/metadata.js';
import { centerCropRect, intermediateSize } from './crop.js';
import { drawToImageData, sourceSize, type DrawOptions, type ImageInput } from './source.js';
import { ImageInputError } from './errors.js';

export { resizeSizeOf };

export interface ModelInputSpec {
  /** The model's image input shape, e.g. [-1, 3, 32, 32]. */
  inputShape: readonly number[];
  metadata: GraphMetadata;
}

export interface PreprocessOptions extends DrawOptions, ViewOptions {
  /** Intermediate bitmap size as a multiple of the model input (default 4). */
  oversample?: number;
}

/** True when the options ask for anything but the plain single view. */
const hasViews = (o: ViewOptions): boolean => (o.orientation ?? 1) !== 1 || !!o.mirror || (o.tta ?? 'none') !== 'none';

/** RGBA pixels as the HWC 8-bit image the shared preprocessing reads (alpha ignored). */
export function imageDataToU8(img: ImageData): ImageU8 {
  return { width: img.width, height: img.height, channels: 4, layout: 'HWC', data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength) };
}

/**
 * The metadata fields preprocessing reads, also when they only exist as ONNX metadata_props (`provenance['meta.*']`,
 * e.g. a .onnx model opened directly): the CLI's reader fills them in, explicit fields win.
 */
export function preprocessingMetadata(meta: GraphMetadata): GraphMetadata {
  return metadataFromProps(meta, meta.provenance);
}

export function modelGeometry(spec: ModelInputSpec): InputGeometry {
  return inputGeometry(spec.inputShape, preprocessingMetadata(spec.metadata));
}

/** Pixels of the source, center-cropped to the model's aspect ratio and coarsely downscaled (see module comment). */
export function readCroppedPixels(src: ImageInput, geom: InputGeometry, options: PreprocessOptions = {}): ImageData {
  const size = sourceSize(src);
  const crop = centerCropRect(size.width, size.height, geom.width, geom.height);
  const mid = intermediateSize(crop, geom.width, geom.height, options.oversample ?? 4);
  return drawToImageData(src, crop, mid.width, mid.height, options);
}

/** Largest source (pixels) the CPU path reads whole at 1:1 so that the shared resize applies the CLI's exact rule. */
const EXACT_READ_MAX_PIXELS = 4096 * 4096;

/**
 * The pixels the shared resize reads. A source whose centered crop is at most `oversample` times the model size (the
 * browser would draw it unscaled anyway) is read whole at 1:1, so the result is exactly the CLI's for those pixels
 * (and the GPU path's). Bigger ones are drawn cropped and coarsely downscaled by the browser first.
 */
function readPixels(src: ImageInput, geom: InputGeometry, options: PreprocessOptions): ImageData {
  const size = sourceSize(src);
  const crop = centerCropRect(size.width, size.height, geom.width, geom.height);
  if (isSmall(size, crop, geom, options)) return drawToImageData(src, { sx: 0, sy: 0, sw: size.width, sh: size.height }, size.width, size.height, options);
  return readCroppedPixels(src, geom, options);
}

function isSmall(size: { width: number; height: number }, crop: { sw: number; sh: number }, geom: InputGeometry, options: PreprocessOptions): boolean {
  const oversample = options.oversample ?? 4;
  return crop.sw <= geom.width * oversample && crop.sh <= geom.height * oversample && size.width * size.height <= EXACT_READ_MAX_PIXELS;
}

/**
 * Views (orientation, mirror, TTA): the pixels plus their map to source coordinates. Small sources are read 1:1; for
 * bigger ones the browser draws the bounding box of what the views read, shrunk to at most `oversample` times the
 * model size, and each view matrix is composed with the inverse of that drawing (still axis-aligned).
 */
function readViewPixels(src: ImageInput, geom: InputGeometry, views: Mat3[], options: PreprocessOptions): { pixels: ImageData; toSource: Mat3 } {
  const size = sourceSize(src);
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const m of views)
    for (const [u, v] of [[0, 0], [geom.width, geom.height]] as const) {
      const [x, y] = apply(m, u, v);
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  const crop = { sx: Math.max(0, x0), sy: Math.max(0, y0), sw: Math.min(size.width, x1) - Math.max(0, x0), sh: Math.min(size.height, y1) - Math.max(0, y0) };
  // A transposing view (EXIF 5..8) reads the model's width along the source's height.
  const turned = (options.orientation ?? 1) >= 5;
  const [dw, dh] = turned ? [geom.height, geom.width] : [geom.width, geom.height];
  if (isSmall(size, crop, { ...geom, width: dw, height: dh }, options))
    return { pixels: drawToImageData(src, { sx: 0, sy: 0, sw: size.width, sh: size.height }, size.width, size.height, options), toSource: affine(1, 0, 0, 0, 1, 0) };
  const mid = intermediateSize(crop, dw, dh, options.oversample ?? 4);
  const pixels = drawToImageData(src, crop, mid.width, mid.height, options);
  return { pixels, toSource: affine(crop.sw / mid.width, 0, crop.sx, 0, crop.sh / mid.height, crop.sy) };
}

export function imageToInput(src: ImageInput, spec: ModelInputSpec, options: PreprocessOptions = {}): Tensor {
  // Typed error for sources without pixels (0x0 ImageData would otherwise resize to NaN weights) or short data.
  const size = sourceSize(src);
  if (src instanceof Object && 'data' in src && !(src.data.length >= size.width * size.height * 4))
    throw new ImageInputError(`the ImageData has ${src.data.length} bytes, ${size.width}x${size.height} RGBA needs ${size.width * size.height * 4}`);
  const meta = preprocessingMetadata(spec.metadata);
  const geom = inputGeometry(spec.inputShape, meta);
  const norm = normalizationFor(meta, geom.channels);
  // ImageData is pixels already: hand it to the shared resize/crop as-is (no canvas round trip).
  const isImageData = typeof ImageData === 'function' && src instanceof ImageData;
  if (!hasViews(options)) {
    const pixels = isImageData && !options.background ? (src as ImageData) : readPixels(src, geom, options);
    return imageToTensor(imageDataToU8(pixels), geom, norm);
  }
  const views = viewMatrices(size.width, size.height, geom.width, geom.height, { ...options, resizeSize: options.resizeSize ?? resizeSizeOf(meta) }).map((v) => v.matrix);
  if (isImageData && !options.background) return imageViewsToTensor(imageDataToU8(src as ImageData), geom, norm, views);
  const { pixels, toSource } = readViewPixels(src, geom, views, options);
  const fromSource = affine(1, 0, 0, 0, 1, 0);
  mat3.invert(fromSource, toSource);
  return imageViewsToTensor(imageDataToU8(pixels), geom, norm, views.map((m) => compose(fromSource, m)));
}
