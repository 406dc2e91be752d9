/**
 * Symbolic evaluation of small integer vectors (shape arithmetic) whose entries may be unknown dims.
 *
 * `torch.onnx.export` with a dynamic batch turns `x.view(x.size(0), -1)` into Shape -> Gather -> Unsqueeze ->
 * Concat -> Reshape. With the batch unknown this chain cannot be folded to a constant, but each entry of the
 * resulting vector is either a known integer or "dim k of tensor t". The Reshape normaliser then decides whether
 * the target can be written with ONNX's 0 (copy) / -1 (infer) entries without changing the result.
 */
import { tensorToNumbers, type Node, type Tensor } from '../../graph/ir.js';

/** An unknown dim, identified by where it came from. */
export interface DimRef {
  tensor: string;
  dim: number;
}

export type SymEntry = number | DimRef;

/** A rank-0 or rank-1 integer value with possibly unknown entries. */
export interface SymValue {
  scalar: boolean;
  items: SymEntry[];
}

export function isKnown(e: SymEntry): e is number {
  return typeof e === 'number';
}

export function symFromShape(tensor: string, shape: readonly number[], start = 0, end = shape.length): SymValue {
  const rank = shape.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const items: SymEntry[] = [];
  for (let k = clamp(start); k < clamp(end); k++) items.push(shape[k]! >= 0 ? shape[k]! : { tensor, dim: k });
  return { scalar: false, items };
}

/** A small integer constant as a SymValue (undefined for floats or rank > 1). */
export function symFromTensor(t: Tensor): SymValue | undefined {
  if (t.dtype !== 'i64' && t.dtype !== 'i32') return undefined;
  if (t.shape.length > 1) return undefined;
  return { scalar: t.shape.length === 0, items: tensorToNumbers(t) };
}

function ints(node: Node, key: string): number[] | undefined {
  const v = node.attrs[key];
  return Array.isArray(v) ? (v as number[]) : undefined;
}

function int(node: Node, key: string, dflt: number): number {
  const v = node.attrs[key];
  return typeof v === 'number' ? v : dflt;
}

/**
 * Output of `node` (canonical form) from symbolic inputs, or undefined when the op or its arguments are outside the
 * small set this understands (then the value is simply not tracked).
 */
export function evalSymbolic(node: Node, inputs: (SymValue | undefined)[]): SymValue | undefined {
  const a = inputs[0];
  switch (node.op) {
    case 'Identity':
    case 'Cast': {
      if (!a) return undefined;
      const to = node.attrs['to'];
      if (node.op === 'Cast' && to !== 'i64' && to !== 'i32') return undefined;
      return a;
    }
    case 'Gather': {
      const idx = inputs[1];
      if (!a || a.scalar || !idx || !idx.items.every(isKnown) || int(node, 'axis', 0) !== 0) return undefined;
      const n = a.items.length;
      const picked: SymEntry[] = [];
      for (const i of idx.items as number[]) {
        const j = i < 0 ? i + n : i;
        if (j < 0 || j >= n) return undefined;
        picked.push(a.items[j]!);
      }
      return { scalar: idx.scalar, items: picked };
    }
    case 'Unsqueeze': {
      const axes = ints(node, 'axes');
      if (!a || !a.scalar || !axes || axes.length !== 1 || (axes[0] !== 0 && axes[0] !== -1)) return undefined;
      return { scalar: false, items: a.items };
    }
    case 'Squeeze': {
      const axes = ints(node, 'axes');
      if (!a || a.scalar || a.items.length !== 1) return undefined;
      if (axes && !(axes.length === 1 && (axes[0] === 0 || axes[0] === -1))) return undefined;
      return { scalar: true, items: a.items };
    }
    case 'Concat': {
      if (int(node, 'axis', 0) !== 0 && int(node, 'axis', 0) !== -1) return undefined;
      const items: SymEntry[] = [];
      for (const p of inputs) {
        if (!p || p.scalar) return undefined;
        items.push(...p.items);
      }
      return { scalar: false, items };
    }
    case 'Slice': {
      if (!a || a.scalar) return undefined;
      const starts = ints(node, 'starts');
      const ends = ints(node, 'ends');
      const axes = ints(node, 'axes') ?? [0];
      const steps = ints(node, 'steps') ?? [1];
      if (!starts || !ends || starts.length !== 1 || (axes[0] !== 0 && axes[0] !== -1) || steps[0] !== 1) return undefined;
      const n = a.items.length;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
      return { scalar: false, items: a.items.slice(clamp(starts[0]!), clamp(ends[0]!)) };
    }
    default:
      return undefined;
  }
}

/**
 * Rewrite a Reshape target with unknown entries into ONNX 0/-1 form, when that is provably the same reshape:
 * - an unknown entry at position k that is dim k of the Reshape's own input becomes 0 (copy that dim);
 * - then, if exactly one unknown entry is left and the target has no -1, it becomes -1 (the element count fixes it).
 * Returns undefined when neither rule applies.
 */
export function resolveReshapeTarget(input: string, target: SymValue, allowzero: boolean): number[] | undefined {
  const out: SymEntry[] = target.items.map((e, k) => (!isKnown(e) && e.tensor === input && e.dim === k && !allowzero ? 0 : e));
  const unknown = out.filter((e) => !isKnown(e)).length;
  if (unknown === 0) return out as number[];
  // With allowzero=1 a literal 0 makes the element count 0 and the inferred dim ambiguous.
  if (unknown === 1 && !out.includes(-1) && !(allowzero && out.includes(0))) return out.map((e) => (isKnown(e) ? e : -1));
  return undefined;
}
