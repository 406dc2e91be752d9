/**
 * The segmentation example: torchvision's LR-ASPP MobileNetV3-Large (5 classes, symbolic H/W) with RANDOM weights,
 * built in the page. A trained model (and even a random-weight one, ~13 MB as f32) is too big to commit, so the page
 * fetches the committed weight-free ONNX skeleton and its manifest (tests/fixtures/segmentation/, ~260 KB together)
 * and regenerates the weights from the seeded PRNG the exporter used (tests/harness/segmentation_refill.ts, the code
 * the model tests use). The mask shows that the pipeline (Resize, symbolic shapes, WebGPU) works, not a trained
 * segmentation.
 */
import type { Tensor } from '../../src/graph/ir.js';
import { refillSkeleton, type SegManifest } from '../../tests/harness/segmentation_refill.js';
import { el } from './dom.js';

export const SEGMENTATION_ID = 'lraspp-random';
export const SEGMENTATION_TITLE = 'LR-ASPP MobileNetV3 (segmentation, random weights)';
export const RANDOM_WEIGHTS_NOTE = 'Random weights: the mask shows the pipeline works, not a trained segmentation.';
/** The model input's longer side (the image keeps its aspect ratio: the model's H and W are symbolic). */
export const SEG_MAX_SIDE = 224;
const MODEL_NAME = 'lraspp_mobilenet_v3_large';
// Vite turns these into asset URLs (dev server and build alike).
const SKELETON_URL = new URL('../../tests/fixtures/segmentation/lraspp_mobilenet_v3_large.onnx', import.meta.url);
const MANIFEST_URL = new URL('../../tests/fixtures/segmentation/manifest.json', import.meta.url);

/** ImageNet statistics, as torchvision's segmentation presets use. */
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** One colour per class (RGB), class 0 first. */
export const CLASS_COLOURS: [number, number, number][] = [
  [230, 25, 75],
  [60, 180, 75],
  [0, 130, 200],
  [255, 225, 25],
  [145, 30, 180],
  [245, 130, 48],
  [70, 240, 240],
  [240, 50, 230],
];

async function fetchBytes(url: URL, what: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${what} could not be loaded from ${url.pathname} (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Fetches the skeleton and manifest and returns the ONNX model with its random weights refilled. */
export async function buildSegmentationModel(): Promise<{ bytes: Uint8Array; downloaded: number; parameters: number; source: string }> {
  const [skeleton, manifestBytes] = await Promise.all([fetchBytes(SKELETON_URL, 'the LR-ASPP skeleton'), fetchBytes(MANIFEST_URL, 'the segmentation manifest')]);
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as SegManifest;
  const m = manifest.models.find((x) => x.name === MODEL_NAME);
  if (!m) throw new Error(`the segmentation manifest has no ${MODEL_NAME}`);
  return { bytes: refillSkeleton(skeleton, m), downloaded: skeleton.length + manifestBytes.length, parameters: m.parameters, source: manifest.source };
}

/** The model input size for a W×H image: the longer side becomes SEG_MAX_SIDE (never upscaled past it), aspect kept. */
export function segInputSize(width: number, height: number): { w: number; h: number } {
  const s = SEG_MAX_SIDE / Math.max(width, height);
  return { w: Math.max(16, Math.round(width * s)), h: Math.max(16, Math.round(height * s)) };
}

/** The image resized to the model input (bilinear, canvas) and normalized: [1, 3, h, w] f32. */
export function segInputTensor(bitmap: ImageBitmap): Tensor {
  const { w, h } = segInputSize(bitmap.width, bitmap.height);
  const c = new OffscreenCanvas(w, h);
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, w, h);
  const px = ctx.getImageData(0, 0, w, h).data;
  const data = new Float32Array(3 * w * h);
  for (let k = 0; k < 3; k++)
    for (let p = 0; p < w * h; p++) data[k * w * h + p] = (px[p * 4 + k]! / 255 - MEAN[k]!) / STD[k]!;
  return { dtype: 'f32', shape: [1, 3, h, w], data };
}

/** The input tensor turned back into pixels on `canvas`: exactly what the network receives. */
export function drawSegInput(canvas: HTMLCanvasElement, input: Tensor): void {
  const [, , H, W] = input.shape as number[];
  const n = H! * W!;
  const d = input.data as Float32Array;
  canvas.width = W!;
  canvas.height = H!;
  const img = new ImageData(W!, H!);
  for (let p = 0; p < n; p++) {
    for (let k = 0; k < 3; k++) img.data[p * 4 + k] = Math.max(0, Math.min(255, Math.round((d[k * n + p]! * STD[k]! + MEAN[k]!) * 255)));
    img.data[p * 4 + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(img, 0, 0);
}

/** Per-pixel argmax over the class axis of a [1, C, H, W] output. */
export function classMap(out: Tensor): { classes: Uint8Array; numClasses: number; h: number; w: number; histogram: number[] } {
  const [, C, H, W] = out.shape as number[];
  const d = out.data as Float32Array;
  const n = H! * W!;
  const classes = new Uint8Array(n);
  const histogram = new Array<number>(C!).fill(0);
  for (let p = 0; p < n; p++) {
    let best = 0;
    let bestV = d[p]!;
    for (let c = 1; c < C!; c++) {
      const v = d[c * n + p]!;
      if (v > bestV) {
        bestV = v;
        best = c;
      }
    }
    classes[p] = best;
    histogram[best]!++;
  }
  return { classes, numClasses: C!, h: H!, w: W!, histogram };
}

const colour = (k: number) => CLASS_COLOURS[k % CLASS_COLOURS.length]!;

/**
 * Draws the image on `image` and the class map on `overlay` (one colour per class; the canvas sits over the image,
 * semi-transparent through CSS), both shown at the image's aspect ratio, longer side `displayMax` CSS pixels.
 */
export function drawSegmentation(image: HTMLCanvasElement, overlay: HTMLCanvasElement, bitmap: ImageBitmap, map: ReturnType<typeof classMap>, displayMax: number): void {
  const s = displayMax / Math.max(bitmap.width, bitmap.height);
  const dw = Math.round(bitmap.width * s);
  const dh = Math.round(bitmap.height * s);
  image.width = dw;
  image.height = dh;
  const ictx = image.getContext('2d')!;
  ictx.imageSmoothingEnabled = bitmap.width > dw;
  ictx.drawImage(bitmap, 0, 0, dw, dh);
  overlay.width = map.w;
  overlay.height = map.h;
  for (const c of [image, overlay]) {
    c.style.width = `${dw}px`;
    c.style.height = `${dh}px`;
  }
  image.parentElement!.style.width = `${dw}px`;
  image.parentElement!.style.height = `${dh}px`;
  const img = new ImageData(map.w, map.h);
  for (let p = 0; p < map.classes.length; p++) {
    const [r, g, b] = colour(map.classes[p]!);
    img.data[p * 4] = r;
    img.data[p * 4 + 1] = g;
    img.data[p * 4 + 2] = b;
    img.data[p * 4 + 3] = 255;
  }
  overlay.getContext('2d')!.putImageData(img, 0, 0);
}

/** The legend: a swatch, the class index and its share of the pixels, per class. */
export function renderLegend(list: HTMLElement, map: ReturnType<typeof classMap>): void {
  const n = map.classes.length;
  list.replaceChildren(
    ...map.histogram.map((count, k) => {
      const [r, g, b] = colour(k);
      return el('li', { 'data-class': String(k), 'data-pixels': String(count) }, [
        el('span', { class: 'swatch', style: `background: rgb(${r} ${g} ${b})` }),
        el('span', { text: `class ${k}: ${((100 * count) / n).toFixed(1)} %` }),
      ]);
    }),
  );
  list.dataset['histogram'] = JSON.stringify(map.histogram);
}
