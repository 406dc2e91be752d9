/** Logits → probabilities → the top classes with their labels. */

export interface Ranked {
  index: number;
  label: string;
  probability: number;
}

export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const p = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += p[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < p.length; i++) p[i]! /= sum;
  return p;
}

/** Scores that already sum to 1 (a softmax output layer) are kept; anything else goes through softmax. */
export function toProbabilities(scores: ArrayLike<number>): Float64Array {
  let sum = 0;
  let nonNegative = true;
  for (let i = 0; i < scores.length; i++) {
    sum += scores[i]!;
    if (scores[i]! < 0) nonNegative = false;
  }
  return nonNegative && Math.abs(sum - 1) < 1e-3 ? Float64Array.from(scores as ArrayLike<number>) : softmax(scores);
}

export function topK(scores: ArrayLike<number>, k: number, labels?: string[]): Ranked[] {
  const p = toProbabilities(scores);
  return [...p.keys()]
    .sort((a, b) => p[b]! - p[a]!)
    .slice(0, k)
    .map((index) => ({ index, label: labels?.[index] ?? `class ${index}`, probability: p[index]! }));
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}
