/**
 * Browser side of tests/image/gpu_preprocess.test.ts (bundled by src/node/browser_harness.ts): builds every kind of
 * image source from the same seeded pixels and compares the GPU preprocessing with the CLI's imageToTensor on those
 * pixels and with the CPU path (imageToInput). Returns numbers only (differences), not tensors.
 */
import { GpuImagePreprocessor, GpuPreprocessError, ImageInputError, imageToInput, imageToInputGpu, preprocessImage, preprocessOnGpu, type ImageInput, type ModelInputSpec } from '../../src/image/index.js';
import { imageToTensor, imageViewsToTensor, inputGeometry, normalizationFor, type ImageU8 } from '../../src/io/preprocess.js';
import { viewMatrices, type ViewOptions } from '../../src/io/geometry.js';
import type { GraphMetadata } from '../../src/graph/ir.js';
import { mulberry32 } from '../harness/rng.js';

export interface SizeCase {
  label: string;
  width: number;
  height: number;
  /** Model input [C, H, W]. */
  input: [number, number, number];
  meta?: GraphMetadata;
  /** 'noise': seeded random pixels; 'smooth': gradient and disc (where the CPU path's browser downscale is close). */
  pattern: 'noise' | 'smooth';
  seed: number;
}

export interface SourceResult {
  source: string;
  /** max |GPU - imageToTensor(same pixels)| */
  maxAbsVsCli: number;
  /** max and mean |GPU - imageToInput(source)| (the CPU path) */
  maxAbsVsCpuPath: number;
  meanAbsVsCpuPath: number;
  shape: number[];
  error?: string;
}

const IMAGENET: GraphMetadata = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], pixelScale: 1 / 255, colorOrder: 'RGB' };

let devicePromise: Promise<GPUDevice> | undefined;
function device(): Promise<GPUDevice> {
  devicePromise ??= (async () => {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) throw new Error('no WebGPU adapter in this Chromium');
    return adapter.requestDevice();
  })();
  return devicePromise;
}

function pixels(c: SizeCase): ImageData {
  const img = new ImageData(c.width, c.height);
  const d = img.data;
  if (c.pattern === 'noise') {
    const r = mulberry32(c.seed);
    for (let i = 0; i < d.length; i++) d[i] = (i & 3) === 3 ? 255 : Math.floor(r() * 256); // opaque: canvases keep colours exactly
    return img;
  }
  const ctx = new OffscreenCanvas(c.width, c.height).getContext('2d')!;
  const g = ctx.createLinearGradient(0, 0, c.width, c.height);
  g.addColorStop(0, '#203080');
  g.addColorStop(1, '#f0c040');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.fillStyle = '#e02020';
  ctx.beginPath();
  ctx.arc(c.width / 2, c.height / 2, Math.min(c.width, c.height) / 4, 0, Math.PI * 2);
  ctx.fill();
  return ctx.getImageData(0, 0, c.width, c.height);
}

function canvasOf(data: ImageData): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = data.width;
  canvas.height = data.height;
  canvas.getContext('2d')!.putImageData(data, 0, 0);
  return canvas;
}

async function imgOf(canvas: HTMLCanvasElement): Promise<HTMLImageElement> {
  const blob = await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob failed'))), 'image/png'));
  const img = new Image();
  img.src = URL.createObjectURL(blob);
  await img.decode();
  return img;
}

/** Every source kind holding exactly `data` (PNG is lossless; all are opaque). */
async function sources(data: ImageData): Promise<[string, ImageInput, () => void][]> {
  const canvas = canvasOf(data);
  const offscreen = new OffscreenCanvas(data.width, data.height);
  offscreen.getContext('2d')!.putImageData(data, 0, 0);
  const bitmap = await createImageBitmap(data);
  const frame = new VideoFrame(bitmap, { timestamp: 0 });
  const none = () => undefined;
  return [
    ['ImageData', data, none],
    ['HTMLCanvasElement', canvas, none],
    ['OffscreenCanvas', offscreen, none],
    ['ImageBitmap', bitmap, none],
    ['VideoFrame', frame, () => frame.close()],
    ['HTMLImageElement', await imgOf(canvas), none],
  ];
}

function diffs(a: Float32Array, b: Float32Array): { max: number; mean: number } {
  if (a.length !== b.length) return { max: Infinity, mean: Infinity };
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    max = Math.max(max, Number.isNaN(d) ? Infinity : d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

const specOf = (c: SizeCase): ModelInputSpec => ({ inputShape: [-1, ...c.input], metadata: { ...(c.meta ?? IMAGENET), inputSize: c.input } });

function cliTensor(data: ImageData, spec: ModelInputSpec): Float32Array {
  const u8: ImageU8 = { width: data.width, height: data.height, channels: 4, layout: 'HWC', data: new Uint8Array(data.data.buffer) };
  const geom = inputGeometry(spec.inputShape, spec.metadata);
  return imageToTensor(u8, geom, normalizationFor(spec.metadata, geom.channels)).data as Float32Array;
}

async function compareSources(cases: SizeCase[]): Promise<(SourceResult & { label: string })[]> {
  const dev = await device();
  const out: (SourceResult & { label: string })[] = [];
  for (const c of cases) {
    const data = pixels(c);
    const spec = specOf(c);
    const cli = cliTensor(data, spec);
    for (const [name, src, dispose] of await sources(data)) {
      try {
        const gpu = await imageToInputGpu(dev, src, spec);
        const cpu = imageToInput(src, spec).data as Float32Array;
        const vsCpu = diffs(gpu.data as Float32Array, cpu);
        out.push({ label: c.label, source: name, maxAbsVsCli: diffs(gpu.data as Float32Array, cli).max, maxAbsVsCpuPath: vsCpu.max, meanAbsVsCpuPath: vsCpu.mean, shape: [...gpu.shape] });
      } catch (e) {
        out.push({ label: c.label, source: name, maxAbsVsCli: Infinity, maxAbsVsCpuPath: Infinity, meanAbsVsCpuPath: Infinity, shape: [], error: `${(e as Error).name}: ${(e as Error).message}` });
      } finally {
        dispose();
      }
    }
  }
  return out;
}

/** A <video> playing a canvas: GPU vs CPU path on the same (static) frames; both see the video's colour conversion. */
async function compareVideo(): Promise<{ meanAbsGpuVsCpuPath: number; meanAbsGpuVsCli: number; shape: number[] }> {
  const c: SizeCase = { label: 'video', width: 32, height: 32, input: [3, 32, 32], pattern: 'smooth', seed: 0 };
  const data = pixels(c);
  const spec = specOf(c);
  const canvas = canvasOf(data);
  const video = document.createElement('video');
  video.muted = true;
  video.srcObject = canvas.captureStream(10);
  await video.play();
  const paint = setInterval(() => canvas.getContext('2d')!.putImageData(data, 0, 0), 50);
  await new Promise<void>((r) => (video.readyState >= 2 ? r() : video.addEventListener('loadeddata', () => r(), { once: true })));
  const gpu = await imageToInputGpu(await device(), video, spec);
  const cpu = imageToInput(video, spec).data as Float32Array;
  clearInterval(paint);
  return { meanAbsGpuVsCpuPath: diffs(gpu.data as Float32Array, cpu).mean, meanAbsGpuVsCli: diffs(gpu.data as Float32Array, cliTensor(data, spec)).mean, shape: [...gpu.shape] };
}

const describeError = (e: unknown) => (e instanceof Error ? { name: e.name, message: e.message, kind: (e as { kind?: string }).kind, limit: (e as { limit?: number }).limit } : { name: String(e), message: '' });

async function caught(p: () => Promise<unknown>): Promise<ReturnType<typeof describeError> | undefined> {
  try {
    await p();
    return undefined;
  } catch (e) {
    return describeError(e);
  }
}

/** Typed errors and CPU fallbacks: 0x0 sources, windows over the texture limit, bad output buffers, a lost device. */
async function errorCases() {
  const dev = await device();
  const spec32: ModelInputSpec = { inputShape: [1, 3, 32, 32], metadata: IMAGENET };
  const empty = document.createElement('canvas');
  empty.width = 0;
  empty.height = 0;
  const limit = dev.limits.maxTextureDimension2D;
  const wide = document.createElement('canvas');
  wide.width = limit + 100; // even: the model below reads the whole width at scale 1/2
  wide.height = 2;
  const wctx = wide.getContext('2d')!;
  wctx.fillStyle = '#808080';
  wctx.fillRect(0, 0, wide.width, 2);
  const wideSpec: ModelInputSpec = { inputShape: [1, 3, 1, wide.width / 2], metadata: IMAGENET };
  const small = canvasOf(pixels({ label: '', width: 200, height: 100, input: [3, 32, 32], pattern: 'noise', seed: 3 }));
  const wideAuto = await preprocessImage(wide, wideSpec, { device: dev });
  const notStorage = dev.createBuffer({ size: 4 * 3 * 32 * 32, usage: GPUBufferUsage.COPY_SRC });
  const tooSmall = dev.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE });

  // A device of its own, destroyed after one good run.
  const adapter = (await navigator.gpu.requestAdapter())!;
  const doomed = await adapter.requestDevice();
  const okBefore = (await imageToInputGpu(doomed, small, spec32)).data.length;
  doomed.destroy();
  await doomed.lost;
  const lostRun = await caught(() => preprocessOnGpu(doomed, small, spec32));
  const lostAuto = await preprocessImage(small, spec32, { device: doomed });
  const cpuWant = imageToInput(small, spec32).data as Float32Array;

  return {
    limit,
    emptyGpu: await caught(() => preprocessOnGpu(dev, empty, spec32)),
    emptyAuto: await caught(() => preprocessImage(empty, spec32, { device: dev })),
    unloadedImg: await caught(() => preprocessOnGpu(dev, new Image(), spec32)),
    tooLarge: await caught(() => preprocessOnGpu(dev, wide, wideSpec)),
    wideAuto: { backend: wideAuto.backend, reason: wideAuto.fallbackReason, shape: wideAuto.tensor.shape, finite: Array.from(wideAuto.tensor.data as Float32Array).every(Number.isFinite) },
    capped: await caught(() => preprocessOnGpu(dev, small, spec32, { maxTextureSize: 64 })),
    notStorage: await caught(() => preprocessOnGpu(dev, small, spec32, { output: notStorage })),
    tooSmall: await caught(() => preprocessOnGpu(dev, small, spec32, { output: tooSmall })),
    badOffset: await caught(() => preprocessOnGpu(dev, small, spec32, { output: tooSmall, outputOffset: 2 })),
    fourChannels: await caught(() => preprocessOnGpu(dev, small, { inputShape: [1, 4, 8, 8], metadata: {} })),
    okBefore,
    lostRun,
    lostAuto: { backend: lostAuto.backend, reason: lostAuto.fallbackReason, maxAbsVsCpu: diffs(lostAuto.tensor.data as Float32Array, cpuWant).max },
    gpuOnlyAuto: (await preprocessImage(small, spec32, { device: dev })).backend,
    isTypes: [new GpuPreprocessError('x', 'output') instanceof Error, new ImageInputError('x') instanceof Error],
  };
}

/** Two images written into one caller-owned batch buffer (second at an offset that is not 256-aligned). */
async function batchBuffer() {
  const dev = await device();
  const spec: ModelInputSpec = { inputShape: [-1, 3, 7, 5], metadata: IMAGENET };
  const per = 4 * 3 * 7 * 5; // 420 bytes
  const a = pixels({ label: '', width: 40, height: 30, input: [3, 7, 5], pattern: 'noise', seed: 11 });
  const b = pixels({ label: '', width: 9, height: 23, input: [3, 7, 5], pattern: 'noise', seed: 12 });
  const buffer = dev.createBuffer({ size: 2 * per + 8, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const ta = await preprocessOnGpu(dev, a, spec, { output: buffer, outputOffset: 0 });
  const tb = await preprocessOnGpu(dev, await createImageBitmap(b), spec, { output: buffer, outputOffset: per });
  const all = await GpuImagePreprocessor.for(dev).read({ buffer, byteOffset: 0, byteLength: 2 * per, shape: [1, 3, 7, 10] });
  const data = all.data as Float32Array;
  const want = new Float32Array(2 * per / 4);
  want.set(cliTensor(a, spec), 0);
  want.set(cliTensor(b, spec), per / 4);
  buffer.destroy();
  return { offsets: [ta.byteOffset, tb.byteOffset], sameBuffer: ta.buffer === buffer && tb.buffer === buffer, maxAbs: diffs(data, want).max };
}

export interface ViewCase extends SizeCase {
  views: ViewOptions;
}

export interface ViewResult {
  label: string;
  source: string;
  shape: number[];
  /** max |GPU - CLI's imageViewsToTensor on the same pixels| over every view */
  maxAbsGpuVsCli: number;
  /** max and mean |CPU path (imageToInput) - GPU| */
  maxAbsCpuVsGpu: number;
  meanAbsCpuVsGpu: number;
  /** 'flip' only: max |view 1 - horizontal mirror of view 0| on the GPU and on the CPU path (a flip is exact) */
  mirrorGpu?: number;
  mirrorCpu?: number;
  error?: string;
}

/** Test-time augmentation, EXIF orientation and mirroring: the same view matrices on the GPU and the CPU path. */
async function compareViews(cases: ViewCase[]): Promise<ViewResult[]> {
  const dev = await device();
  const out: ViewResult[] = [];
  for (const c of cases) {
    const data = pixels(c);
    const spec = specOf(c);
    const geom = inputGeometry(spec.inputShape, spec.metadata);
    const u8: ImageU8 = { width: data.width, height: data.height, channels: 4, layout: 'HWC', data: new Uint8Array(data.data.buffer) };
    const cli = imageViewsToTensor(u8, geom, normalizationFor(spec.metadata, geom.channels), viewMatrices(data.width, data.height, geom.width, geom.height, c.views).map((v) => v.matrix)).data as Float32Array;
    const all = await sources(data);
    for (const [name, src, dispose] of all.filter(([n]) => n === 'ImageData' || n === 'HTMLCanvasElement')) {
      try {
        const gpu = await imageToInputGpu(dev, src, spec, c.views);
        const cpu = await preprocessImage(src, spec, { ...c.views, backend: 'cpu' });
        const g = gpu.data as Float32Array;
        const vsCpu = diffs(cpu.tensor.data as Float32Array, g);
        const r: ViewResult = { label: c.label, source: name, shape: [...gpu.shape], maxAbsGpuVsCli: diffs(g, cli).max, maxAbsCpuVsGpu: vsCpu.max, meanAbsCpuVsGpu: vsCpu.mean };
        if (c.views.tta === 'flip') {
          const mirrored = (t: Float32Array) => {
            const [C, H, W] = c.input;
            const m = new Float32Array(C * H * W);
            for (let i = 0; i < C * H; i++) for (let x = 0; x < W; x++) m[i * W + x] = t[i * W + (W - 1 - x)]!;
            return m;
          };
          const per = c.input[0] * c.input[1] * c.input[2];
          r.mirrorGpu = diffs(g.subarray(per, 2 * per), mirrored(g.subarray(0, per))).max;
          const ct = cpu.tensor.data as Float32Array;
          r.mirrorCpu = diffs(ct.subarray(per, 2 * per), mirrored(ct.subarray(0, per))).max;
        }
        out.push(r);
      } catch (e) {
        out.push({ label: c.label, source: name, shape: [], maxAbsGpuVsCli: Infinity, maxAbsCpuVsGpu: Infinity, meanAbsCpuVsGpu: Infinity, error: `${(e as Error).name}: ${(e as Error).message}` });
      } finally {
        dispose();
      }
    }
    for (const [, , dispose] of all) dispose();
  }
  return out;
}

(globalThis as Record<string, unknown>)['gpuImageTest'] = { compareSources, compareVideo, errorCases, batchBuffer, compareViews };
(globalThis as Record<string, unknown>)['tessera'] = { ready: true }; // what the harness waits for
