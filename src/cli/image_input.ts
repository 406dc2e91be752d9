/**
 * "Image file -> model input tensor + one line saying what was read", the one place the CLI turns a photo into input
 * (`tessera run --image`, and the multi-image commands built on it). PNG, JPEG and WebP are decoded with pure JS /
 * wasm decoders (src/io/image_decode.ts), the JPEG EXIF orientation is applied, and the views (plain, or the views of
 * test-time augmentation) are made by the view matrices of src/io/geometry.ts with the exact separable resize of
 * src/io/preprocess.ts - the same geometry as the browser's CPU and GPU paths.
 */
import { basename } from 'node:path';
import type { Graph, Tensor } from '../graph/ir.js';
import { resizeSizeOf, viewMatrices, type Tta, type View } from '../io/geometry.js';
import { decodeImage, describeImage, type DecodedImage } from '../io/image_decode.js';
import { imageViewsToTensor, inputGeometry, normalizationFor } from '../io/preprocess.js';
import { readInputFile } from './files.js';
import { mainInput } from './model.js';

export interface ImageInputOptions {
  /** Test-time augmentation: 'flip' (2 views) or 'ten-crop' (10); default 'none' (1 view). */
  tta?: Tta;
  /** Mirror the picture (after the EXIF orientation), e.g. a selfie camera's frame. */
  mirror?: boolean;
  /** Ten-crop's resize size (default: metadata `resizeSize`, else input / 0.875; see viewMatrices). */
  resizeSize?: number;
  /** Cap on the decoded size in pixels (default MAX_IMAGE_PIXELS of src/io/image_decode.ts). */
  maxPixels?: number;
  /** Where the path came from, for "file not found" messages (default '--image'). */
  what?: string;
}

export interface LoadedImageInput {
  /** [V, C, H, W] float32: the image's views (V = 1 without TTA), consecutive. */
  tensor: Tensor;
  views: View[];
  /** e.g. `chelsea-cat-exif6.jpg: 300×451 JPEG, EXIF rotate 90°` (stored size, then what was applied). */
  description: string;
  decoded: DecodedImage;
}

/**
 * Reads and decodes `path`, applies its EXIF orientation and makes the model input of `graph`'s image input.
 * Throws CliError (missing / unreadable file), ImageInputError (not a decodable PNG / JPEG / WebP, truncated, too
 * large: `file` and `reason` set), PreprocessError (the model's input is not an image), GeometryError.
 */
export function loadImageInput(path: string, graph: Graph, options: ImageInputOptions = {}): LoadedImageInput {
  const bytes = readInputFile(path, options.what ?? '--image');
  const decoded = decodeImage(bytes, path, { maxPixels: options.maxPixels });
  const geom = inputGeometry(mainInput(graph).shape, graph.metadata);
  const norm = normalizationFor(graph.metadata, geom.channels);
  const tta = options.tta ?? 'none';
  const views = viewMatrices(decoded.image.width, decoded.image.height, geom.width, geom.height, {
    orientation: decoded.orientation,
    mirror: options.mirror,
    tta,
    resizeSize: options.resizeSize ?? resizeSizeOf(graph.metadata),
  });
  const tensor = imageViewsToTensor(decoded.image, geom, norm, views.map((v) => v.matrix));
  const extra = [options.mirror ? 'mirrored' : '', tta !== 'none' ? `TTA ${tta}: ${views.length} views` : ''].filter(Boolean);
  const description = `${basename(path)}: ${describeImage(decoded)}${extra.length ? `, ${extra.join(', ')}` : ''}`;
  return { tensor, views, description, decoded };
}
