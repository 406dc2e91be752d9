/**
 * One call for "image → model input" that uses the GPU when it can and the CPU path otherwise, saying which and why.
 * Both paths follow the same rule (see gpu_preprocess.ts), so the choice changes speed, not the model's answer.
 * With `tta` ('flip' or 'ten-crop'), `mirror` or `orientation` the same view matrices (src/io/geometry.ts) drive both
 * paths; the tensor holds the V views [V, C, H, W]; average the model's answers with `averageViews(out, V)`.
 */
import type { Tensor } from '../graph/ir.js';
import { GpuPreprocessError, ImageInputError } from './errors.js';
import { GpuImagePreprocessor } from './gpu_preprocess.js';
import { imageToInput, modelGeometry, type ModelInputSpec, type PreprocessOptions } from './preprocess.js';
import { sourceSize, type ImageInput } from './source.js';
import type { ViewOptions } from '../io/geometry.js';

export interface PreprocessImageOptions extends PreprocessOptions {
  /** 'auto' (default): the GPU when WebGPU and the source allow it, else the CPU. 'gpu': GPU or throw. 'cpu': CPU only. */
  backend?: 'auto' | 'gpu' | 'cpu';
  /** Device to preprocess on (default: one requested from navigator.gpu on first use and shared). */
  device?: GPUDevice;
}

export interface PreprocessedImage {
  /** [V, C, H, W]: V = 1, or 2 ('flip'), or 10 ('ten-crop'). */
  tensor: Tensor;
  /** Number of views in the tensor (its batch dim). */
  views: number;
  backend: 'gpu' | 'cpu';
  /** Why the CPU path was taken under 'auto' (no WebGPU, image too large, device lost...). */
  fallbackReason?: string;
}

let defaultDevice: Promise<GPUDevice> | undefined;

/** The page's (or worker's) own preprocessing device; a lost one is replaced on the next call. */
async function sharedDevice(): Promise<GPUDevice> {
  if (defaultDevice) {
    const d = await defaultDevice.catch(() => undefined);
    if (d && !GpuImagePreprocessor.for(d).lost) return d;
  }
  defaultDevice = (async () => {
    const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
    if (!gpu) throw new GpuPreprocessError('this context has no WebGPU (navigator.gpu is missing)', 'unavailable');
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new GpuPreprocessError('no WebGPU adapter available', 'unavailable');
    try {
      return await adapter.requestDevice();
    } catch (e) {
      throw new GpuPreprocessError(`requestDevice failed: ${(e as Error).message}`, 'unavailable');
    }
  })();
  return defaultDevice;
}

export async function preprocessImage(source: ImageInput, spec: ModelInputSpec, options: PreprocessImageOptions = {}): Promise<PreprocessedImage> {
  const backend = options.backend ?? 'auto';
  const cpu = (): Tensor => imageToInput(source, spec, options);
  const result = (tensor: Tensor, on: 'gpu' | 'cpu', fallbackReason?: string): PreprocessedImage => ({ tensor, views: tensor.shape[0]!, backend: on, ...(fallbackReason !== undefined ? { fallbackReason } : {}) });
  if (backend === 'cpu') return result(cpu(), 'cpu');
  // Problems of the image or the model are the same on both paths: report them as they are, no fallback.
  sourceSize(source);
  modelGeometry(spec);
  let reason: string;
  if (options.background !== undefined) {
    if (backend === 'gpu') throw new TypeError("preprocessImage: 'background' needs the CPU path (the GPU path ignores alpha)");
    reason = 'a background colour is composited by the CPU path only';
  } else {
    try {
      const device = options.device ?? (await sharedDevice());
      const views: ViewOptions = { orientation: options.orientation, mirror: options.mirror, tta: options.tta, resizeSize: options.resizeSize };
      return result(await GpuImagePreprocessor.for(device).toTensor(source, spec, views), 'gpu');
    } catch (e) {
      if (backend === 'gpu' || !(e instanceof GpuPreprocessError || e instanceof ImageInputError)) throw e;
      reason = `${e.name}: ${e.message}`;
    }
  }
  return result(cpu(), 'cpu', reason);
}
