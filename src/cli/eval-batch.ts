/**
 * Classifying one batch of data set images, shared by the in-process path and the worker threads of `eval` so
 * that predictions cannot depend on the worker count: batches are cut the same way either way.
 */
import type { Tensor } from '../graph/ir.js';
import type { Mat3, Tta } from '../io/geometry.js';
import { batchToTensor, imageViewsToTensor, type InputGeometry, type Normalization } from '../io/preprocess.js';
import { averageViews } from '../image/tta.js';
import type { BackendName, ModelRunner } from './backend.js';
import { argmax, outputRows } from './classify.js';

/** Everything a worker needs to rebuild the main thread's setup (plain data: it crosses postMessage). */
export interface EvalSetup {
  modelPath: string;
  /** The backend each worker thread runs (an 'auto' choice is resolved before). */
  backend: BackendName;
  /** WASM threads. */
  numThreads?: number;
  inputName: string;
  source: InputGeometry;
  geometry: InputGeometry;
  normalization: Normalization;
  /** Static batch of the model input, or 0 when the batch dim is dynamic. Short batches are zero-padded to it. */
  fixedBatch: number;
  /** Images per model run (with TTA, each image brings its views: batch * views rows). */
  batch: number;
  /** Test-time augmentation: 'none', or the views of every image ('flip', 'ten-crop'), softmax averaged. */
  tta?: Tta;
  /** Output -> image view matrices of one data set image (src/io/geometry.ts); needed with `tta`. */
  views?: Mat3[];
}

/**
 * Classify a run of images that starts at a multiple of `setup.batch` in the data set, one model run per batch, so
 * the batch cuts are the global ones no matter how the data set was split between threads.
 */
export async function classifyImages(runner: ModelRunner, setup: EvalSetup, images: Uint8Array, count: number): Promise<Int32Array> {
  const per = images.length / count;
  const preds = new Int32Array(count);
  for (let s = 0; s < count; s += setup.batch) {
    const n = Math.min(setup.batch, count - s);
    preds.set(await classifyBatch(runner, setup, images.subarray(s * per, (s + n) * per), n), s);
  }
  return preds;
}

/** Predicted class of each of the `count` CHW uint8 images in `images`. */
export async function classifyBatch(runner: ModelRunner, setup: EvalSetup, images: Uint8Array, count: number): Promise<Int32Array> {
  if (setup.tta && setup.tta !== 'none') return classifyBatchTta(runner, setup, images, count, setup.views!);
  let n = count;
  let pixels = images;
  if (setup.fixedBatch > 0 && count < setup.fixedBatch) {
    n = setup.fixedBatch;
    pixels = new Uint8Array(n * (images.length / count));
    pixels.set(images);
  }
  const out = await runner.run(batchToTensor(pixels, n, setup.source, setup.geometry, setup.normalization));
  const rows = outputRows(out, n);
  const preds = new Int32Array(count);
  for (let i = 0; i < count; i++) preds[i] = argmax(rows[i]!);
  return preds;
}

/**
 * TTA: every image becomes its views (the data set's CHW bytes through the same view matrices and exact resize as
 * `tessera run --image`), the model scores all views, and each image's prediction is the argmax of its views' mean
 * softmax.
 */
async function classifyBatchTta(runner: ModelRunner, setup: EvalSetup, images: Uint8Array, count: number, views: Mat3[]): Promise<Int32Array> {
  const V = views.length;
  const per = images.length / count;
  const src = setup.source;
  const viewSize = setup.geometry.channels * setup.geometry.height * setup.geometry.width;
  const data = new Float32Array(count * V * viewSize);
  for (let i = 0; i < count; i++) {
    const img = { width: src.width, height: src.height, channels: src.channels, layout: 'CHW' as const, data: images.subarray(i * per, (i + 1) * per) };
    data.set(imageViewsToTensor(img, setup.geometry, setup.normalization, views).data as Float32Array, i * V * viewSize);
  }
  const { channels, height, width } = setup.geometry;
  const rows = await runRows(runner, { dtype: 'f32', shape: [count * V, channels, height, width], data }, setup.fixedBatch);
  const k = rows[0]!.length;
  const flat = new Float64Array(rows.length * k);
  rows.forEach((r, i) => flat.set(r, i * k));
  const probs = averageViews(flat, V, k);
  const preds = new Int32Array(count);
  for (let i = 0; i < count; i++) preds[i] = argmax(probs.subarray(i * k, (i + 1) * k));
  return preds;
}

/**
 * The model's output rows for every row of an [R, C, H, W] input: one run, or runs of `fixedBatch` rows (the last
 * one zero-padded) when the model's batch is fixed.
 */
export async function runRows(runner: ModelRunner, input: Tensor, fixedBatch: number): Promise<Float64Array[]> {
  const R = input.shape[0]!;
  if (fixedBatch <= 0 || fixedBatch === R) return outputRows(await runner.run(input), R);
  const per = input.data.length / R;
  const rows: Float64Array[] = [];
  for (let s = 0; s < R; s += fixedBatch) {
    const n = Math.min(fixedBatch, R - s);
    const data = new Float32Array(fixedBatch * per);
    data.set((input.data as Float32Array).subarray(s * per, (s + n) * per));
    rows.push(...outputRows(await runner.run({ dtype: 'f32', shape: [fixedBatch, ...input.shape.slice(1)], data }), fixedBatch).slice(0, n));
  }
  return rows;
}
