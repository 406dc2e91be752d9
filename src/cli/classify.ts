/** Shared by `run` and `eval`: turn a model output into per-sample class scores. */
import type { Tensor } from '../graph/ir.js';
import { tensorToNumbers } from '../graph/ir.js';
import { CliError } from './errors.js';

/** Split an output of shape [N, K] (or [N, K, 1, 1], or [K]) into N rows of K floats. */
export function outputRows(out: Tensor, batch: number): Float64Array[] {
  const values = out.dtype === 'f32' ? out.data : tensorToNumbers(out);
  if (values.length % batch !== 0)
    throw new CliError(`model output has ${values.length} values, not divisible by the batch of ${batch} (shape [${out.shape.join(', ')}])`);
  const k = values.length / batch;
  const rows: Float64Array[] = [];
  for (let n = 0; n < batch; n++) {
    const row = new Float64Array(k);
    for (let i = 0; i < k; i++) row[i] = Number(values[n * k + i]);
    rows.push(row);
  }
  return rows;
}

/** Index of the largest score; the first one on ties, NaN never wins. */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  let bestV = -Infinity;
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (v > bestV) {
      bestV = v;
      best = i;
    }
  }
  return best;
}

/** Already a probability distribution (non-negative, sums to 1)? Then softmax would distort it. */
export function isDistribution(row: ArrayLike<number>): boolean {
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (!(v >= 0 && v <= 1)) return false;
    sum += v;
  }
  return Math.abs(sum - 1) < 1e-3;
}

export function softmax(row: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]!);
  const out = new Float64Array(row.length);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += out[i] = Math.exp(row[i]! - max);
  for (let i = 0; i < row.length; i++) out[i]! /= sum;
  return out;
}

/**
 * The k best classes, best first, ranked by raw score (probabilities underflow to 0 for far-behind logits, which
 * would scramble the order); ties go to the lower index. Each entry carries its probability for display.
 */
export function topK(scores: ArrayLike<number>, probs: ArrayLike<number>, k: number): { index: number; p: number }[] {
  return Array.from({ length: scores.length }, (_, i) => i)
    .sort((a, b) => scores[b]! - scores[a]! || a - b)
    .slice(0, k)
    .map((index) => ({ index, p: probs[index]! }));
}
