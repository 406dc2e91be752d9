/**
 * Helpers shared by the shape rules: input access, dtype checks, axis normalisation, dynamic (-1) dims.
 *
 * Convention: a dim of -1 is unknown (dynamic batch). Rules propagate -1 instead of guessing, and only check
 * consistency between dims that are both known.
 */
import { GraphError, tensorToNumbers, type DType, type Node, type Shape } from '../ir.js';
import type { InputInfo } from './types.js';

export const UNKNOWN = -1;

export function fail(node: Node, message: string): never {
  throw new GraphError(message, node.name, node.op);
}

/** A required input; throws naming the node when it is absent. */
export function requireInput(node: Node, inputs: (InputInfo | undefined)[], index: number, what = `input ${index}`): InputInfo {
  const info = inputs[index];
  if (info === undefined) fail(node, `missing required ${what}`);
  return info;
}

export function requireRank(node: Node, info: InputInfo, rank: number | ((r: number) => boolean), what: string): void {
  const ok = typeof rank === 'number' ? info.shape.length === rank : rank(info.shape.length);
  if (!ok) fail(node, `${what} has unexpected rank ${info.shape.length} (shape [${info.shape.join(', ')}])`);
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'f32' || dtype === 'f16';
}

export function isNumeric(dtype: DType): boolean {
  return dtype === 'f32' || dtype === 'f16' || dtype === 'i32' || dtype === 'i64' || dtype === 'u8';
}

export function isInteger(dtype: DType): boolean {
  return dtype === 'i32' || dtype === 'i64' || dtype === 'u8';
}

/**
 * Float ops compute in f32. f16 is accepted (half-precision weights are a storage choice) and treated as f32, so
 * the output of a float op is always f32.
 */
export function requireFloat(node: Node, info: InputInfo, what: string): void {
  if (!isFloat(info.dtype)) fail(node, `${what} must be a float tensor (f32), got ${info.dtype}`);
}

/** dtype after the "f16 is f32 for shape purposes" rule. */
export function computeDtype(dtype: DType): DType {
  return dtype === 'f16' ? 'f32' : dtype;
}

export function sameComputeDtype(a: DType, b: DType): boolean {
  return computeDtype(a) === computeDtype(b);
}

/** Normalise an axis in [-rank, rank) to [0, rank). `rank` may be widened (Flatten, Unsqueeze). */
export function normalizeAxis(node: Node, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank)
    fail(node, `${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

export function normalizeAxes(node: Node, axes: readonly number[], rank: number, what = 'axes'): number[] {
  const out = axes.map((a) => normalizeAxis(node, a, rank, what));
  if (new Set(out).size !== out.length) fail(node, `${what} [${axes.join(', ')}] contains duplicates`);
  return out;
}

export function isKnown(d: number): boolean {
  return d >= 0;
}

/** Two dims are compatible when equal or when either is unknown. */
export function dimsCompatible(a: number, b: number): boolean {
  return a === b || a < 0 || b < 0;
}

export function shapeKnown(shape: Shape): boolean {
  return shape.every(isKnown);
}

/** Product of dims, or -1 when any is unknown. */
export function productOrUnknown(dims: readonly number[]): number {
  let p = 1;
  for (const d of dims) {
    if (d < 0) return UNKNOWN;
    p *= d;
  }
  return p;
}

export function fmtShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Numeric value of a constant input, when known. */
export function constValues(info: InputInfo | undefined): number[] | undefined {
  return info?.value ? tensorToNumbers(info.value) : undefined;
}

/** Re-throw any error raised by a node-less helper so that it names the node and op. */
export function withNode<T>(node: Node, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof GraphError && e.nodeName !== undefined) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new GraphError(msg, node.name, node.op);
  }
}
