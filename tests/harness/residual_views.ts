/** Seeded random residual views (src/graph/ops/residual_view.ts) for the pass test and the WebGPU test. */
import { randInt } from './rng.js';

/** One axis of a residual: a Slice (first index, step) of `count` elements of R, zero-padded by (lo, hi). */
export interface AxisPlan {
  start: number;
  step: number;
  count: number;
  lo: number;
  hi: number;
}

/**
 * An axis of R of extent `dim` read onto an output axis of extent `out` (dim >= out unless padded): unsliced (all of
 * R, padded to `out` on random sides) or sliced with a random step of either sign (1-3) and random padding.
 */
export function randomAxis(r: () => number, dim: number, out: number, sliced: boolean): AxisPlan {
  if (!sliced) {
    const lo = randInt(r, 0, out - dim);
    return { start: 0, step: 1, count: dim, lo, hi: out - dim - lo };
  }
  const step = randInt(r, 1, 3) * (r() < 0.3 ? -1 : 1);
  const count = Math.min(out, Math.floor((dim - 1) / Math.abs(step)) + 1, randInt(r, 1, out));
  const span = Math.abs(step) * (count - 1);
  const first = step > 0 ? randInt(r, 0, dim - 1 - span) : randInt(r, span, dim - 1);
  const lo = randInt(r, 0, out - count);
  return { start: first, step, count, lo, hi: out - count - lo };
}

/** Random plans for every axis of R [dims] onto the output [out]: axis 0 (batch) untouched; sliced where R is larger. */
export function randomView(r: () => number, dims: number[], out: number[]): AxisPlan[] {
  return dims.map((d, i) => randomAxis(r, d, out[i]!, i > 0 && (d > out[i]! || r() < 0.5)));
}

/** The FusedConv attributes of a plan. */
export function viewAttrs(axes: AxisPlan[]): { residual_pads: number[]; residual_starts: number[]; residual_steps: number[] } {
  return { residual_pads: [...axes.map((a) => a.lo), ...axes.map((a) => a.hi)], residual_starts: axes.map((a) => a.start), residual_steps: axes.map((a) => a.step) };
}
