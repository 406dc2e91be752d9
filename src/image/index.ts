/** Browser image preprocessing: any image source → the model's normalised NCHW input tensor. */
export { ImageInputError } from './errors.js';
export { centerCropRect, intermediateSize, type CropRect } from './crop.js';
export { sourceSize, drawToImageData, type ImageInput, type DrawOptions } from './source.js';
export { imageToInput, imageDataToU8, readCroppedPixels, modelGeometry, preprocessingMetadata, type ModelInputSpec, type PreprocessOptions } from './preprocess.js';
