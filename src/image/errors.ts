/**
 * An image source that cannot be read (wrong type, not loaded yet, zero size, tainted canvas...), or an image file
 * that cannot be decoded (truncated, not an image, unsupported format, absurd size): then `file` names it and
 * `reason` says what is wrong without the file name.
 */
export class ImageInputError extends Error {
  override name = 'ImageInputError';
  constructor(
    message: string,
    readonly file?: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

/**
 * The part of the source the GPU preprocessing must upload does not fit in one texture (wider or taller than the
 * device's maxTextureDimension2D, or than the caller's `maxTextureSize`). The CPU path has no such limit:
 * `preprocessImage` falls back to it.
 */
export class ImageTooLargeError extends ImageInputError {
  override name = 'ImageTooLargeError';
  constructor(
    message: string,
    readonly width: number,
    readonly height: number,
    readonly limit: number,
  ) {
    super(message);
  }
}

/**
 * GPU preprocessing failed for a reason other than the image: the device is lost or destroyed, WebGPU reported an
 * error, or the caller's output buffer cannot take the tensor.
 */
export class GpuPreprocessError extends Error {
  override name = 'GpuPreprocessError';
  constructor(
    message: string,
    readonly kind: 'device-lost' | 'validation' | 'out-of-memory' | 'output' | 'unavailable',
  ) {
    super(message);
  }
}
