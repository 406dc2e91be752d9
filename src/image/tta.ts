/**
 * Test-time augmentation, the output side: a model run on the [N * V, C, H, W] batch of N images' V views (as
 * preprocessImage / the CLI make them: the views of one image are consecutive) gives N * V rows of scores; the
 * prediction for an image is the mean of its views' softmax (the ResNet / WRN / DenseNet papers' ten-crop protocol:
 * probabilities are averaged, not logits). Browser-safe.
 */
import { tensorToNumbers, type Tensor } from '../graph/ir.js';
import { isDistribution, softmax } from '../cli/classify.js';

/**
 * Mean softmax over each image's `views` consecutive rows. `scores` holds N * views rows of K classes (logits, or
 * already probabilities: a row that is a distribution is averaged as it is): a Tensor whose leading dim counts the
 * rows, or a flat array with `classes` = K. Returns N * K probabilities.
 */
export function averageViews(scores: Tensor | ArrayLike<number>, views: number, classes?: number): Float32Array {
  if (!(Number.isInteger(views) && views >= 1)) throw new RangeError(`averageViews: views must be a positive integer, got ${views}`);
  const isTensor = 'dtype' in scores && 'shape' in scores;
  const values: ArrayLike<number> = isTensor ? (scores.dtype === 'f32' ? (scores.data as Float32Array) : tensorToNumbers(scores)) : scores;
  let rows: number;
  if (isTensor) rows = scores.shape[0] ?? 1;
  else if (classes !== undefined && Number.isInteger(classes) && classes > 0) rows = values.length / classes;
  else throw new RangeError('averageViews: a flat score array needs `classes` (the scores per row)');
  if (!Number.isInteger(rows) || rows % views !== 0 || values.length % rows !== 0)
    throw new RangeError(`averageViews: ${values.length} scores in ${rows} rows do not split into images of ${views} views`);
  const k = values.length / rows;
  const out = new Float32Array((rows / views) * k);
  const sums = new Float64Array(out.length);
  const row = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) row[i] = Number(values[r * k + i]);
    const p = isDistribution(row) ? row : softmax(row);
    const base = Math.floor(r / views) * k;
    for (let i = 0; i < k; i++) sums[base + i]! += p[i]!;
  }
  // Summed in f64, divided once: the mean of V identical views is exactly that view's softmax (in f32).
  for (let i = 0; i < out.length; i++) out[i] = sums[i]! / views;
  return out;
}
