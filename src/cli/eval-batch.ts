/**
 * Classifying one batch of data set images, shared by the in-process path and the worker threads of `eval` so
 * that predictions cannot depend on the worker count: batches are cut the same way either way.
 */
import { batchToTensor, type InputGeometry, type Normalization } from '../io/preprocess.js';
import type { ModelRunner } from './backend.js';
import { argmax, outputRows } from './classify.js';

/** Everything a worker needs to rebuild the main thread's setup (plain data: it crosses postMessage). */
export interface EvalSetup {
  modelPath: string;
  backend: 'cpu' | 'webgpu';
  inputName: string;
  source: InputGeometry;
  geometry: InputGeometry;
  normalization: Normalization;
  /** Static batch of the model input, or 0 when the batch dim is dynamic. Short batches are zero-padded to it. */
  fixedBatch: number;
  /** Images per model run. */
  batch: number;
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
