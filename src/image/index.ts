/** Browser image preprocessing: any image source → the model's normalised NCHW input tensor, on the CPU or the GPU. */
export { ImageInputError, ImageTooLargeError, GpuPreprocessError } from './errors.js';
export { centerCropRect, intermediateSize, type CropRect } from './crop.js';
export { sourceSize, drawToImageData, type ImageInput, type DrawOptions } from './source.js';
export { imageToInput, imageDataToU8, readCroppedPixels, modelGeometry, preprocessingMetadata, resizeSizeOf, type ModelInputSpec, type PreprocessOptions } from './preprocess.js';
export { GpuImagePreprocessor, preprocessOnGpu, imageToInputGpu, type GpuPreprocessOptions, type GpuTensor } from './gpu_preprocess.js';
export { planResample, planViews, type ResamplePlan, type SourceWindow, type ViewsPlan } from './gpu_plan.js';
export { averageViews } from './tta.js';
export { viewMatrices, orientationMatrix, separableGeometry, GeometryError, TTA_MODES, type Mat3, type Tta, type View, type ViewOptions } from '../io/geometry.js';
export { preprocessImage, type PreprocessImageOptions, type PreprocessedImage } from './preprocess_image.js';
