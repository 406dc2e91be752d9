/**
 * ONNX Einsum (opset 12+) lowered at import to canonical Transpose / Reshape / MatMul / ReduceSum nodes, so every
 * backend runs it with the kernels it already has (docs/ir.md).
 *
 * The equation is parsed as torch writes it (`torch.einsum` passes it verbatim): spaces are ignored, labels are
 * letters of either case, `...` stands for the leading broadcast dims, and without `->` the output is the labels
 * that occur once, in ASCII order, after the ellipsis dims (numpy's implicit mode).
 *
 * Operands are contracted left to right, two at a time. For a pair A, B each label is one of
 *   batch      in A and B, kept (in the output or a later operand)   -> MatMul batch dim (broadcast like numpy)
 *   contracted in A and B, not kept                                   -> folded into MatMul's K
 *   A-kept / B-kept                                                   -> folded into MatMul's M / N
 *   A-only / B-only, not kept                                         -> ReduceSum on that operand first
 * so A is transposed to [batch, M labels, K labels] and reshaped to [batch, M, K], B likewise to [batch, K, N], and
 * the MatMul result [batch, M, N] is reshaped back to its labels. Transposes and reshapes that would not move or
 * regroup anything are not emitted, and the last pair is multiplied in the order (A·B or B·Aᵀ) that needs fewer
 * Transposes: MaxViT's "BGHID,BGHJD->BGHIJ" becomes one Transpose of B plus one MatMul (which fuseAttention then
 * takes as Q·Kᵀ).
 * A label repeated within one operand (a diagonal, "ii->i") is rejected with an UnsupportedOpsError naming the node
 * and the equation.
 */
import type { Node } from '../../graph/ir.js';
import type { ImportContext } from './context.js';
import { UnsupportedOpsError } from './errors.js';
import { fail } from './node_inputs.js';

/** A parsed equation: per operand and for the output, one label per dim (ellipsis dims become '…0', '…1', ...). */
export interface EinsumSpec {
  inputs: string[][];
  output: string[];
}

const ELLIPSIS = '...';

/** The labels of one term; `ellipsisRank` (the dims "..." spans in it) is needed only when the term has one. */
function termLabels(n: Node, term: string, ellipsisRank: number, outRank: number): string[] {
  const at = term.indexOf(ELLIPSIS);
  if (at !== term.lastIndexOf(ELLIPSIS)) fail(n, `Einsum term '${term}' has more than one '...'`);
  const plain = at < 0 ? term : term.slice(0, at) + term.slice(at + ELLIPSIS.length);
  if (!/^[A-Za-z]*$/.test(plain)) fail(n, `Einsum term '${term}' has characters other than letters and '...'`);
  const letters = [...plain];
  if (at < 0) return letters;
  // Ellipsis dims are right-aligned across operands (numpy broadcasting): a term spanning r of the outRank dims gets
  // the last r of the names.
  const dims = Array.from({ length: ellipsisRank }, (_, i) => `…${outRank - ellipsisRank + i}`);
  return [...letters.slice(0, at), ...dims, ...letters.slice(at)];
}

/** Parse `equation` for operands of the given ranks (spaces ignored). Throws OnnxImportError on malformed input. */
export function parseEinsum(n: Node, equation: string, ranks: number[]): EinsumSpec {
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  const lhs = arrow < 0 ? eq : eq.slice(0, arrow);
  const rhs = arrow < 0 ? undefined : eq.slice(arrow + 2);
  const terms = lhs.split(',');
  if (terms.length !== ranks.length) fail(n, `Einsum equation '${equation}' has ${terms.length} operand terms for ${ranks.length} inputs`);
  const ellipsisRanks = terms.map((t, i) => {
    const letters = t.replace(ELLIPSIS, '').length;
    const r = ranks[i]!;
    if (!t.includes(ELLIPSIS)) {
      if (letters !== r) fail(n, `Einsum term '${t}' has ${letters} labels but input ${i} has rank ${r}`);
      return 0;
    }
    if (letters > r) fail(n, `Einsum term '${t}' has ${letters} labels but input ${i} has rank ${r}`);
    return r - letters;
  });
  const outEllipsis = Math.max(0, ...ellipsisRanks);
  const inputs = terms.map((t, i) => termLabels(n, t, ellipsisRanks[i]!, outEllipsis));
  let output: string[];
  if (rhs === undefined) {
    const count = new Map<string, number>();
    for (const l of inputs.flat()) count.set(l, (count.get(l) ?? 0) + 1);
    const once = [...count].filter(([l, c]) => c === 1 && !l.startsWith('…')).map(([l]) => l);
    const ellipsisDims = Array.from({ length: outEllipsis }, (_, i) => `…${i}`);
    output = [...ellipsisDims, ...once.sort()];
  } else {
    if (rhs.includes(',') || rhs.includes('->')) fail(n, `Einsum equation '${equation}' has a malformed output term`);
    output = termLabels(n, rhs, rhs.includes(ELLIPSIS) ? outEllipsis : 0, outEllipsis);
    if (new Set(output).size !== output.length) fail(n, `Einsum equation '${equation}' repeats a label in its output`);
    const known = new Set(inputs.flat());
    const stray = output.find((l) => !known.has(l));
    if (stray !== undefined) fail(n, `Einsum equation '${equation}': output label '${stray}' is in no input`);
  }
  return { inputs, output };
}

/** An operand during lowering: a tensor name, one label per dim, and its static dims (-1 where unknown). */
interface Operand {
  name: string;
  labels: string[];
  dims: number[];
}

/**
 * How A and B are laid out for MatMul: labels in both and kept are batch dims, in both and not kept are K, the rest
 * M (A's) and N (B's), each group in its operand's order. Labels summed out of one operand alone are left out.
 */
function pairOrders(a: string[], b: string[], keep: Set<string>) {
  const inA = new Set(a);
  const inB = new Set(b);
  const batch = a.filter((l) => inB.has(l) && keep.has(l));
  const kLabels = a.filter((l) => inB.has(l) && !keep.has(l));
  const mLabels = a.filter((l) => !inB.has(l) && keep.has(l));
  const nLabels = b.filter((l) => !inA.has(l) && keep.has(l));
  return { batch, kLabels, mLabels, nLabels, aOrder: [...batch, ...mLabels, ...kLabels], bOrder: [...batch, ...kLabels, ...nLabels] };
}

/** Transposes the pair (a, b) needs: of each operand, and of the result when its labels are not in `want`'s order. */
function transposesOf(a: string[], b: string[], keep: Set<string>, want: string[]): number {
  const o = pairOrders(a, b, keep);
  const moved = (from: string[], to: string[]) => (to.every((l, i) => from.filter((x) => to.includes(x))[i] === l) ? 0 : 1);
  const result = [...o.batch, ...o.mLabels, ...o.nLabels];
  return moved(a, o.aOrder) + moved(b, o.bOrder) + moved(want, result);
}

/** Emits the canonical nodes of one Einsum node, naming them after it. */
class Lowering {
  constructor(
    private readonly ctx: ImportContext,
    private readonly n: Node,
  ) {}

  private emit(op: string, x: string, attrs: Node['attrs'], out?: string): string {
    const y = out ?? this.ctx.freshTensorName(`${this.n.outputs[0]}_${op.toLowerCase()}`);
    this.ctx.add({ name: this.ctx.freshNodeName(`${this.n.name}_${op.toLowerCase()}`), op, inputs: [x], outputs: [y], attrs });
    return y;
  }

  /** Sum out the dims whose labels are not in `keep`. */
  reduce(x: Operand, keep: Set<string>): Operand {
    const axes = x.labels.flatMap((l, i) => (keep.has(l) ? [] : [i]));
    if (axes.length === 0) return x;
    return {
      name: this.emit('ReduceSum', x.name, { axes, keepdims: 0 }),
      labels: x.labels.filter((l) => keep.has(l)),
      dims: x.dims.filter((_, i) => !axes.includes(i)),
    };
  }

  /** `x` with its dims in the order of `labels` (a permutation of its own); no node when already in order. */
  permute(x: Operand, labels: string[], out?: string): Operand {
    const perm = labels.map((l) => x.labels.indexOf(l));
    if (perm.every((p, i) => p === i) && out === undefined) return x;
    return { name: this.emit('Transpose', x.name, { perm }, out), labels, dims: perm.map((p) => x.dims[p]!) };
  }

  /** Reshape to `shape` (0 copies the input dim at that index) unless it already has it. */
  reshape(x: string, from: number[], shape: number[]): string {
    const same = from.length === shape.length && shape.every((d, i) => d === 0 || (d === from[i] && d >= 0));
    return same ? x : this.emit('Reshape', x, { shape });
  }

  /**
   * Contract a and b, keeping the labels in `keep`; the result's labels are [batch, A-kept, B-kept]. With `want`
   * (the output's order), the operand order that needs fewer Transposes is used (B·Aᵀ = (A·B)ᵀ, so
   * "bhid,bhjd->bhji" is one Transpose of A and a MatMul with no Transpose after it).
   */
  contract(a: Operand, b: Operand, keep: Set<string>, want?: string[]): Operand {
    if (want && transposesOf(b.labels, a.labels, keep, want) < transposesOf(a.labels, b.labels, keep, want)) [a, b] = [b, a];
    const inB = new Set(b.labels);
    const inA = new Set(a.labels);
    // Summed-out labels of one operand alone: reduce them first (cheap, and MatMul never sees them).
    a = this.reduce(a, new Set(a.labels.filter((l) => keep.has(l) || inB.has(l))));
    b = this.reduce(b, new Set(b.labels.filter((l) => keep.has(l) || inA.has(l))));
    const { aOrder, bOrder, batch, kLabels, mLabels, nLabels } = pairOrders(a.labels, b.labels, keep);
    for (const l of kLabels) {
      const da = a.dims[a.labels.indexOf(l)]!;
      const db = b.dims[b.labels.indexOf(l)]!;
      if (da >= 0 && db >= 0 && da !== db) fail(this.n, `Einsum label '${l}' has size ${da} in one operand and ${db} in the other`);
    }
    const ap = this.permute(a, aOrder);
    const bp = this.permute(b, bOrder);
    const size = (x: Operand, labels: string[]) => this.product(x, labels);
    const nb = batch.length;
    // Batch dims stay separate (MatMul broadcasts them, e.g. ellipsis dims of size 1); M, N and K are grouped.
    const batchShape = (x: Operand) => x.dims.slice(0, nb).map((d) => (d >= 0 ? d : 0));
    const aName = this.reshape(ap.name, ap.dims, [...batchShape(ap), size(ap, mLabels), size(ap, kLabels)]);
    const bName = this.reshape(bp.name, bp.dims, [...batchShape(bp), size(bp, kLabels), size(bp, nLabels)]);
    const mm = this.ctx.freshTensorName(`${this.n.outputs[0]}_matmul`);
    this.ctx.add({ name: this.ctx.freshNodeName(`${this.n.name}_matmul`), op: 'MatMul', inputs: [aName, bName], outputs: [mm], attrs: {} });
    const outBatch = batch.map((_, i) => {
      const da = ap.dims[i]!;
      const db = bp.dims[i]!;
      return da >= 0 && db >= 0 ? Math.max(da, db) : -1;
    });
    const mDims = mLabels.map((l) => ap.dims[ap.labels.indexOf(l)]!);
    const nDims = nLabels.map((l) => bp.dims[bp.labels.indexOf(l)]!);
    const mmDims = [...outBatch, size(ap, mLabels), size(bp, nLabels)];
    const target = [...outBatch.map((d) => (d >= 0 ? d : 0)), ...mDims, ...nDims];
    if (target.filter((d) => d < 0).length > 1) this.unsupported('more than one dynamic dim among the non-batch labels');
    return { name: this.reshape(mm, mmDims, target), labels: [...batch, ...mLabels, ...nLabels], dims: [...outBatch, ...mDims, ...nDims] };
  }

  /** Product of the dims of `labels` in x; -1 when one is unknown (then Reshape infers it). */
  private product(x: Operand, labels: string[]): number {
    let p = 1;
    for (const l of labels) {
      const d = x.dims[x.labels.indexOf(l)]!;
      if (d < 0) return -1;
      p *= d;
    }
    return p;
  }

  unsupported(why: string): never {
    const eq = String(this.n.attrs['equation']);
    const e = new UnsupportedOpsError([{ op: `Einsum "${eq}" (${why})`, domain: '', nodes: [this.n.name] }], this.ctx.opset);
    throw e;
  }
}

/** The Einsum normaliser: emits the lowered nodes into `ctx`; the last one writes the Einsum's output. */
export function lowerEinsum(ctx: ImportContext, n: Node): void {
  const equation = n.attrs['equation'];
  if (typeof equation !== 'string') fail(n, "Einsum needs a string attribute 'equation'");
  const out = n.outputs[0];
  if (out === undefined || out === '') fail(n, 'Einsum needs an output');
  if (n.inputs.length === 0) fail(n, 'Einsum needs at least one input');
  const lowering = new Lowering(ctx, n);
  const shapes = n.inputs.map((x, i) => ctx.requireShape(x, n, `input ${i}`));
  const spec = parseEinsum(n, equation, shapes.map((s) => s.length));
  spec.inputs.forEach((labels) => {
    if (new Set(labels).size !== labels.length) lowering.unsupported('a label repeats within one operand (diagonal)');
  });
  const operands: Operand[] = spec.inputs.map((labels, i) => ({ name: n.inputs[i]!, labels, dims: [...shapes[i]!] }));
  const outputLabels = new Set(spec.output);
  let acc = operands[0]!;
  for (let i = 1; i < operands.length; i++) {
    // Keep what the output or a later operand still needs.
    const keep = new Set([...outputLabels, ...operands.slice(i + 1).flatMap((o) => o.labels)]);
    acc = lowering.contract(acc, operands[i]!, keep, i === operands.length - 1 ? spec.output : undefined);
  }
  acc = lowering.reduce(acc, outputLabels);
  if (acc.labels.every((l, i) => l === spec.output[i])) {
    ctx.add({ name: n.name, op: 'Identity', inputs: [acc.name], outputs: [out], attrs: {} });
    return;
  }
  lowering.permute(acc, spec.output, out);
}
