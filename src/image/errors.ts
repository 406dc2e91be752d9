/** An image source that cannot be read (wrong type, not loaded yet, zero size, tainted canvas...). */
export class ImageInputError extends Error {
  override name = 'ImageInputError';
}
