/**
 * Image preprocessing on the GPU: the source goes straight into an rgba8unorm texture (copyExternalImageToTexture for
 * <img>, ImageBitmap, canvases, <video>, VideoFrame; writeTexture for ImageData, whose bytes are already in memory),
 * then shaders/image_preprocess.wgsl resizes, center-crops, orders the channels and normalises into an NCHW f32
 * GPUBuffer. Only the source window the filter reads is uploaded.
 *
 * Sampling rule: exactly the CPU/CLI rule (imageToTensor of src/io/preprocess.ts: antialiased triangle filter of the
 * full-resolution pixels, torchvision's shorter-side resize + center crop, or any axis-aligned view matrix of
 * src/io/geometry.ts), with the CPU's own weights and output permutation. Results differ
 * from the CPU only by f32 rounding (the CPU sums in f64): well under 1e-5 after normalisation.
 * Alpha is ignored, like the CPU path (use `preprocessImage` with `background`, which takes the CPU path, to composite).
 */
import type { Tensor } from '../graph/ir.js';
import { viewMatrices, type ViewOptions } from '../io/geometry.js';
import { inputGeometry, normalizationFor, PreprocessError, type InputGeometry } from '../io/preprocess.js';
import { image_preprocess_wgsl } from '../backends/webgpu/shaders.gen.js';
import { GpuPreprocessError, ImageInputError, ImageTooLargeError } from './errors.js';
import { packParams, PARAMS_BYTES, planViews, type SourceWindow, type ViewsPlan } from './gpu_plan.js';
import { preprocessingMetadata, resizeSizeOf, type ModelInputSpec } from './preprocess.js';
import { sourceSize, type ImageInput } from './source.js';

// WebGPU usage flags as numbers: the GPUBufferUsage / GPUTextureUsage globals are missing outside WebGPU contexts.
const BUFFER = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const TEXTURE = { COPY_DST: 0x2, TEXTURE_BINDING: 0x4, RENDER_ATTACHMENT: 0x10 } as const;

/**
 * `orientation` (EXIF 1..8), `mirror` (webcam) and `tta` ('flip': 2 views, 'ten-crop': 10) pick the view matrices
 * (src/io/geometry.ts); the tensor holds one image per view, [V, C, H, W].
 */
export interface GpuPreprocessOptions extends ViewOptions {
  /**
   * Write the tensor into this buffer (STORAGE usage, at least outputOffset + 4*V*C*H*W bytes), e.g. one image of a
   * batch or a model's input buffer on the same device. Default: a new STORAGE | COPY_SRC buffer, owned by the caller.
   */
  output?: GPUBuffer;
  /** Byte offset into `output` (a multiple of 4; default 0). */
  outputOffset?: number;
  /** Cap on the staging texture's side (default and maximum: the device's maxTextureDimension2D). */
  maxTextureSize?: number;
}

/** Where a preprocessed image lies on the GPU: f32 NCHW values [V, C, H, W] (V views, 1 without TTA) at byteOffset of buffer. */
export interface GpuTensor {
  buffer: GPUBuffer;
  byteOffset: number;
  byteLength: number;
  shape: [number, number, number, number];
}

const isImageData = (src: unknown): src is ImageData =>
  (typeof ImageData === 'function' && src instanceof ImageData) ||
  // ImageData-like { data, width, height } (e.g. in workers or Node without the class).
  (!!src && typeof src === 'object' && (src as ImageData).data instanceof Uint8ClampedArray && typeof (src as { getContext?: unknown }).getContext !== 'function');

const isVideo = (src: unknown): boolean =>
  (typeof VideoFrame === 'function' && src instanceof VideoFrame) || (typeof HTMLVideoElement === 'function' && src instanceof HTMLVideoElement);

const TAP_BYTES_MIN = 16;
/** Each view's uniform block sits at a multiple of this (minUniformBufferOffsetAlignment is at most 256). */
const PARAMS_STRIDE = 256;

/** One GPU preprocessing pipeline on one device; reuses its texture and weight tables between calls of the same size. */
export class GpuImagePreprocessor {
  private static readonly perDevice = new WeakMap<GPUDevice, GpuImagePreprocessor>();

  /** The shared preprocessor of `device` (created on first use). */
  static for(device: GPUDevice): GpuImagePreprocessor {
    let p = GpuImagePreprocessor.perDevice.get(device);
    if (!p || p.destroyed) GpuImagePreprocessor.perDevice.set(device, (p = new GpuImagePreprocessor(device)));
    return p;
  }

  private readonly pipeline: Promise<GPUComputePipeline>;
  private params: GPUBuffer;
  private texture?: GPUTexture;
  private tables?: { key: string; plan: ViewsPlan; taps: GPUBuffer; weights: GPUBuffer };
  private lostReason?: string;
  private destroyed = false;
  /** Set once copyExternalImageToTexture refused a video source on this device. */
  private videoNeedsBitmap = false;

  constructor(readonly device: GPUDevice) {
    void device.lost.then((info) => {
      this.lostReason = `${info.reason}: ${info.message}`;
    });
    // Compiled once per device, asynchronously; a failure becomes a typed error of every run.
    this.pipeline = device
      .createComputePipelineAsync({
        label: 'tessera image_preprocess',
        layout: 'auto',
        compute: { module: device.createShaderModule({ label: 'image_preprocess', code: image_preprocess_wgsl }), entryPoint: 'main' },
      })
      .catch((e: Error) => {
        throw new GpuPreprocessError(`the image preprocessing shader did not compile: ${e.message}`, 'validation');
      });
    this.pipeline.catch(() => undefined); // reported by run(), not as an unhandled rejection
    this.params = this.paramsBuffer(1);
  }

  private paramsBuffer(views: number): GPUBuffer {
    return this.device.createBuffer({ label: 'image_preprocess params', size: (views - 1) * PARAMS_STRIDE + PARAMS_BYTES, usage: BUFFER.UNIFORM | BUFFER.COPY_DST });
  }

  /** True once the device is lost or destroyed: every later call throws GpuPreprocessError (kind 'device-lost'). */
  get lost(): boolean {
    return this.lostReason !== undefined;
  }

  private checkDevice(): void {
    if (this.destroyed) throw new GpuPreprocessError('this GpuImagePreprocessor was destroyed', 'device-lost');
    if (this.lostReason !== undefined) throw new GpuPreprocessError(`the WebGPU device is lost (${this.lostReason})`, 'device-lost');
  }

  /**
   * Preprocesses `source` for the model described by `spec` into a GPU buffer: [V, C, H, W], one image per view of
   * `options` (orientation, mirror, tta; V = 1 by default). Resolves once the work is submitted and validated (not
   * when the GPU has finished: later work on the same queue sees the result).
   * Throws ImageInputError (unreadable source, 0x0), ImageTooLargeError (window over the texture limit),
   * PreprocessError (model metadata), GpuPreprocessError (device lost, WebGPU error, bad output buffer).
   */
  async run(source: ImageInput, spec: ModelInputSpec, options: GpuPreprocessOptions = {}): Promise<GpuTensor> {
    this.checkDevice();
    const size = sourceSize(source);
    const meta = preprocessingMetadata(spec.metadata);
    const geom = inputGeometry(spec.inputShape, meta);
    const norm = normalizationFor(meta, geom.channels);
    if (geom.channels !== 1 && geom.channels !== 3) throw new PreprocessError(`model wants ${geom.channels} input channels; images give 1 or 3`);
    const viewOptions: ViewOptions = { orientation: options.orientation, mirror: options.mirror, tta: options.tta, resizeSize: options.resizeSize ?? resizeSizeOf(meta) };
    const tables = this.tablesFor(size.width, size.height, geom, viewOptions);
    const views = tables.plan.views;
    const perView = 4 * geom.channels * geom.height * geom.width;
    const byteLength = views.length * perView;
    const win = tables.plan.window;
    const limit = Math.min(this.device.limits.maxTextureDimension2D, options.maxTextureSize ?? Infinity);
    if (win.width > limit || win.height > limit)
      throw new ImageTooLargeError(
        `the ${win.width}x${win.height} part of the ${size.width}x${size.height} image that the resize reads exceeds the GPU texture limit of ${limit} pixels per side`,
        win.width,
        win.height,
        limit,
      );
    const output = this.checkOutput(options, byteLength);
    const pipeline = await this.pipeline;
    this.checkDevice();

    const { device } = this;
    let staged = await this.stageVideo(source);
    this.checkDevice();
    let refused = this.openScopesAndCopy(staged ?? source, win);
    if (refused && isVideo(source) && !staged) {
      this.videoNeedsBitmap = true; // remembered: later frames go through a bitmap straight away
      staged = await this.stageVideo(source);
      this.checkDevice();
      refused = this.openScopesAndCopy(staged!, win);
    }
    if (refused) {
      staged?.close();
      this.checkDevice();
      // SecurityError (cross-origin image without CORS), closed VideoFrame, detached or unsupported source...
      throw new ImageInputError(`could not copy the image to the GPU: ${refused.message}`);
    }
    // From here to the pops nothing awaits, so the error scopes hold exactly this work.
    const texture = this.texture!;
    const { byteOffset } = output;
    const buffer = output.buffer ?? device.createBuffer({ label: 'image_preprocess output', size: byteLength, usage: BUFFER.STORAGE | BUFFER.COPY_SRC });
    // Bind the output at the largest 256-aligned offset below byteOffset; the shader adds the rest.
    const bindOffset = byteOffset - (byteOffset % device.limits.minStorageBufferOffsetAlignment);
    if (this.params.size < (views.length - 1) * PARAMS_STRIDE + PARAMS_BYTES) {
      this.params.destroy();
      this.params = this.paramsBuffer(views.length);
    }
    const textureView = texture.createView();
    const encoder = device.createCommandEncoder({ label: 'image_preprocess' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    // One dispatch per view: its own uniform block (index matrix, first taps entry, place in the output).
    views.forEach((view, v) => {
      device.queue.writeBuffer(this.params, v * PARAMS_STRIDE, packParams(geom, norm, (byteOffset - bindOffset + v * perView) / 4, view));
      const bindGroup = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: this.params, offset: v * PARAMS_STRIDE, size: PARAMS_BYTES } },
          { binding: 1, resource: textureView },
          { binding: 2, resource: { buffer: tables.taps } },
          { binding: 3, resource: { buffer: tables.weights } },
          { binding: 4, resource: { buffer, offset: bindOffset, size: byteOffset + byteLength - bindOffset } },
        ],
      });
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(Math.ceil(geom.width / 8), Math.ceil(geom.height / 8));
    });
    pass.end();
    device.queue.submit([encoder.finish()]);
    staged?.close();
    // Both pops now, synchronously: other users of the device may push scopes of their own while we wait.
    const [validation, memory] = await Promise.all([device.popErrorScope(), device.popErrorScope()]);
    if (validation || memory || this.lost) {
      if (!output.buffer) buffer.destroy();
      this.checkDevice();
    }
    if (validation) throw new GpuPreprocessError(`WebGPU validation error in image preprocessing: ${validation.message}`, 'validation');
    if (memory) throw new GpuPreprocessError(`out of GPU memory in image preprocessing: ${memory.message}`, 'out-of-memory');
    return { buffer, byteOffset, byteLength, shape: [views.length, geom.channels, geom.height, geom.width] };
  }

  /** Copies a GpuTensor back to the CPU (one staging buffer, mapped, then destroyed). */
  async read(t: GpuTensor): Promise<Tensor> {
    this.checkDevice();
    const staging = this.device.createBuffer({ label: 'image_preprocess readback', size: t.byteLength, usage: BUFFER.MAP_READ | BUFFER.COPY_DST });
    try {
      const encoder = this.device.createCommandEncoder();
      encoder.copyBufferToBuffer(t.buffer, t.byteOffset, staging, 0, t.byteLength);
      this.device.queue.submit([encoder.finish()]);
      try {
        await staging.mapAsync(1 /* GPUMapMode.READ */);
      } catch (e) {
        this.checkDevice();
        throw new GpuPreprocessError(`reading the preprocessed image back failed: ${(e as Error).message}`, this.lost ? 'device-lost' : 'validation');
      }
      const data = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      return { dtype: 'f32', shape: [...t.shape], data };
    } finally {
      staging.destroy();
    }
  }

  /** `run` into a temporary buffer, then `read`: the model input as a CPU tensor, for `session.run`. */
  async toTensor(source: ImageInput, spec: ModelInputSpec, options: Omit<GpuPreprocessOptions, 'output' | 'outputOffset'> = {}): Promise<Tensor> {
    const t = await this.run(source, spec, options);
    try {
      return await this.read(t);
    } finally {
      t.buffer.destroy();
    }
  }

  /** Frees the texture and tables. The device itself belongs to the caller and stays. */
  destroy(): void {
    this.destroyed = true;
    this.texture?.destroy();
    this.tables?.taps.destroy();
    this.tables?.weights.destroy();
    this.params.destroy();
    this.texture = this.tables = undefined;
  }

  /** The caller's output buffer and offset, checked; `buffer` undefined when run() is to create one. */
  private checkOutput(options: GpuPreprocessOptions, byteLength: number): { buffer?: GPUBuffer; byteOffset: number } {
    const out = options.output;
    if (!out) return { byteOffset: 0 };
    const byteOffset = options.outputOffset ?? 0;
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset % 4 !== 0)
      throw new GpuPreprocessError(`outputOffset must be a non-negative multiple of 4, got ${byteOffset}`, 'output');
    if ((out.usage & BUFFER.STORAGE) === 0) throw new GpuPreprocessError('the output buffer needs GPUBufferUsage.STORAGE', 'output');
    if (out.size < byteOffset + byteLength)
      throw new GpuPreprocessError(`the output buffer has ${out.size} bytes; the tensor needs ${byteLength} at offset ${byteOffset}`, 'output');
    return { buffer: out, byteOffset };
  }

  private tablesFor(srcW: number, srcH: number, geom: InputGeometry, view: ViewOptions): NonNullable<GpuImagePreprocessor['tables']> {
    const key = `${srcW}x${srcH}->${geom.height}x${geom.width} ${JSON.stringify(view)}`;
    if (this.tables?.key === key) return this.tables;
    const plan = planViews(srcW, srcH, geom, viewMatrices(srcW, srcH, geom.width, geom.height, view).map((v) => v.matrix));
    const make = (data: Uint32Array | Float32Array, label: string) => {
      const b = this.device.createBuffer({ label, size: Math.max(TAP_BYTES_MIN, data.byteLength), usage: BUFFER.STORAGE | BUFFER.COPY_DST });
      this.device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
      return b;
    };
    this.tables?.taps.destroy(); // submitted work that still uses them completes first
    this.tables?.weights.destroy();
    this.tables = { key, plan, taps: make(plan.taps, 'image_preprocess taps'), weights: make(plan.weights, 'image_preprocess weights') };
    return this.tables;
  }

  private textureFor(width: number, height: number): GPUTexture {
    const t = this.texture;
    if (t && t.width >= width && t.height >= height) return t;
    t?.destroy();
    this.texture = this.device.createTexture({
      label: 'image_preprocess source',
      size: [Math.max(width, t?.width ?? 0), Math.max(height, t?.height ?? 0)],
      format: 'rgba8unorm',
      usage: TEXTURE.TEXTURE_BINDING | TEXTURE.COPY_DST | TEXTURE.RENDER_ATTACHMENT,
    });
    return this.texture;
  }

  /**
   * Video sources the browser cannot copy directly (e.g. Chromium on a software adapter) go through an ImageBitmap:
   * the bitmap when this device needs one, else undefined.
   */
  private async stageVideo(source: ImageInput): Promise<ImageBitmap | undefined> {
    if (!this.videoNeedsBitmap || !isVideo(source)) return undefined;
    try {
      return await createImageBitmap(source as ImageBitmapSource);
    } catch (e) {
      throw new ImageInputError(`could not read the video frame: ${(e as Error).message}`);
    }
  }

  /**
   * Opens the run's error scopes (run() closes them), sizes the texture and copies the window of the source into it.
   * Returns the exception of a refused copy, with the scopes closed again.
   */
  private openScopesAndCopy(source: ImageInput | ImageBitmap, win: SourceWindow): Error | undefined {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    try {
      this.copy(source, win, this.textureFor(win.width, win.height));
      return undefined;
    } catch (e) {
      for (let i = 0; i < 2; i++) this.device.popErrorScope().catch(() => undefined);
      return e as Error;
    }
  }

  private copy(source: ImageInput | ImageBitmap, win: SourceWindow, texture: GPUTexture): void {
    const size: GPUExtent3DStrict = [win.width, win.height];
    if (isImageData(source)) {
      const bytesPerRow = source.width * 4;
      this.device.queue.writeTexture({ texture }, source.data, { offset: win.y * bytesPerRow + win.x * 4, bytesPerRow }, size);
    } else {
      this.device.queue.copyExternalImageToTexture({ source: source as GPUCopyExternalImageSource, origin: { x: win.x, y: win.y } }, { texture }, size);
    }
  }
}

/** Preprocesses on `device` into a GPU buffer (see GpuImagePreprocessor.run); the shared preprocessor of the device. */
export function preprocessOnGpu(device: GPUDevice, source: ImageInput, spec: ModelInputSpec, options: GpuPreprocessOptions = {}): Promise<GpuTensor> {
  return GpuImagePreprocessor.for(device).run(source, spec, options);
}

/** Like imageToInput (the CPU path), computed on `device`: the model input tensor [V, C, H, W] in CPU memory. */
export function imageToInputGpu(device: GPUDevice, source: ImageInput, spec: ModelInputSpec, options: Omit<GpuPreprocessOptions, 'output' | 'outputOffset'> = {}): Promise<Tensor> {
  return GpuImagePreprocessor.for(device).toTensor(source, spec, options);
}
