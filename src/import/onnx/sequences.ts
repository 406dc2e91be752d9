/**
 * ONNX sequence ops at import. A sequence never reaches the IR: the importer keeps each sequence value as a list of
 * tensor names (ctx.sequences), every position must fold to a constant, and the ops that turn a sequence back into
 * a tensor (SequenceAt, ConcatFromSequence) become an Identity or a Concat. torch.onnx emits sequences for
 * tensor_split / unbind-style code (torchvision's MViT pooling), usually inside a Loop that control_flow.ts unrolls.
 */
import { makeTensor, tensorToNumbers, type Node } from '../../graph/ir.js';
import type { ImportContext } from './context.js';
import { OnnxImportError } from './errors.js';

export const SEQUENCE_OPS: ReadonlySet<string> = new Set([
  'SequenceEmpty', 'SequenceConstruct', 'SequenceInsert', 'SequenceAt', 'SequenceErase', 'SequenceLength',
  'ConcatFromSequence', 'SplitToSequence',
]);

/** Imports one sequence op (n.op in SEQUENCE_OPS). Its attributes are canonical already (convertAttrs). */
export function importSequenceOp(ctx: ImportContext, n: Node): void {
  const where = `${n.op} node '${n.name}'`;
  const out = n.outputs[0] ?? '';
  switch (n.op) {
    case 'SequenceEmpty':
      return void ctx.sequences.set(out, []);
    case 'SequenceConstruct':
      n.inputs.forEach((t, i) => requireTensor(ctx, t, where, `input ${i}`));
      return void ctx.sequences.set(out, [...n.inputs]);
    case 'SequenceInsert': {
      const seq = [...requireSequence(ctx, n.inputs[0], where)];
      const tensor = requireTensor(ctx, n.inputs[1], where, 'tensor');
      const at = n.inputs[2] ? position(ctx, n.inputs[2], seq.length, where, true) : seq.length;
      seq.splice(at, 0, tensor);
      return void ctx.sequences.set(out, seq);
    }
    case 'SequenceErase': {
      const seq = [...requireSequence(ctx, n.inputs[0], where)];
      if (seq.length === 0) throw new OnnxImportError('erasing from an empty sequence', where);
      seq.splice(n.inputs[1] ? position(ctx, n.inputs[1], seq.length, where) : seq.length - 1, 1);
      return void ctx.sequences.set(out, seq);
    }
    case 'SequenceLength':
      return ctx.addConstant(out, makeTensor('i64', [], BigInt64Array.of(BigInt(requireSequence(ctx, n.inputs[0], where).length))));
    case 'SequenceAt': {
      const seq = requireSequence(ctx, n.inputs[0], where);
      const source = seq[position(ctx, n.inputs[1], seq.length, where)]!;
      return ctx.add({ name: n.name, op: 'Identity', inputs: [source], outputs: [out], attrs: {} });
    }
    case 'ConcatFromSequence':
      return concatFromSequence(ctx, n, where);
    case 'SplitToSequence':
      return splitToSequence(ctx, n, where);
    default:
      throw new OnnxImportError(`not a sequence op`, where);
  }
}

/** Concat along `axis`, or with new_axis = 1 a stack: each element unsqueezed at `axis` first. */
function concatFromSequence(ctx: ImportContext, n: Node, where: string): void {
  const seq = requireSequence(ctx, n.inputs[0], where);
  if (seq.length === 0) throw new OnnxImportError('concatenating an empty sequence', where);
  const axis = n.attrs['axis'];
  if (typeof axis !== 'number') throw new OnnxImportError("missing attribute 'axis'", where);
  if (n.attrs['new_axis'] !== 1) return ctx.add({ name: n.name, op: 'Concat', inputs: seq, outputs: [n.outputs[0]!], attrs: { axis } });
  const rank = ctx.requireShape(seq[0]!, n, 'element 0').length;
  const at = axis < 0 ? axis + rank + 1 : axis;
  const rows = seq.map((t, i) => {
    const row = ctx.freshTensorName(`${n.outputs[0]}/${i}`);
    ctx.add({ name: ctx.freshNodeName(`${n.name}/unsqueeze${i}`), op: 'Unsqueeze', inputs: [t], outputs: [row], attrs: { axes: [at] } });
    return row;
  });
  ctx.add({ name: n.name, op: 'Concat', inputs: rows, outputs: [n.outputs[0]!], attrs: { axis: at } });
}

/** Split into a sequence: sizes from the constant `split` input (a scalar: chunks of that size), else size 1 each. */
function splitToSequence(ctx: ImportContext, n: Node, where: string): void {
  const x = requireTensor(ctx, n.inputs[0], where, 'input');
  const shape = ctx.requireShape(x, n, 'input');
  const attrAxis = typeof n.attrs['axis'] === 'number' ? n.attrs['axis'] : 0;
  const axis = attrAxis < 0 ? attrAxis + shape.length : attrAxis;
  const dim = shape[axis];
  if (dim === undefined || dim < 0) throw new OnnxImportError(`axis ${attrAxis} needs a known dim (shape [${shape.join(', ')}])`, where);
  let sizes: number[];
  const splitName = n.inputs[1] ?? '';
  if (splitName !== '') {
    const t = ctx.constant(splitName);
    if (!t) throw new OnnxImportError(`split sizes ('${splitName}') must be constant at import`, where);
    const v = tensorToNumbers(t);
    if (t.shape.length === 0) {
      const chunk = v[0]!;
      if (!(chunk > 0)) throw new OnnxImportError(`split size ${chunk} must be positive`, where);
      sizes = Array.from({ length: Math.ceil(dim / chunk) }, (_, i) => Math.min(chunk, dim - i * chunk));
    } else sizes = v;
  } else sizes = new Array<number>(dim).fill(1);
  if (sizes.some((s) => !(s >= 0)) || sizes.reduce((a, b) => a + b, 0) !== dim)
    throw new OnnxImportError(`split sizes [${sizes.join(', ')}] do not add up to dim ${dim}`, where);
  // keepdims = 0 drops the split axis, and applies only without `split` (every piece then has size 1).
  const squeeze = splitName === '' && n.attrs['keepdims'] === 0;
  const parts = sizes.map((_, i) => ctx.freshTensorName(`${n.outputs[0]}/${i}`));
  const pieces = squeeze ? parts.map((p) => ctx.freshTensorName(`${p}/kept`)) : parts;
  ctx.add({ name: n.name, op: 'Split', inputs: [x], outputs: pieces, attrs: { axis, split: sizes } });
  if (squeeze)
    parts.forEach((p, i) => ctx.add({ name: ctx.freshNodeName(`${n.name}/squeeze${i}`), op: 'Squeeze', inputs: [pieces[i]!], outputs: [p], attrs: { axes: [axis] } }));
  ctx.sequences.set(n.outputs[0]!, parts);
}

function requireSequence(ctx: ImportContext, name: string | undefined, where: string): string[] {
  const seq = name ? ctx.sequences.get(name) : undefined;
  if (!seq) throw new OnnxImportError(`input '${name ?? ''}' is not a sequence known at import`, where);
  return seq;
}

function requireTensor(ctx: ImportContext, name: string | undefined, where: string, what: string): string {
  if (!name) throw new OnnxImportError(`missing ${what}`, where);
  if (ctx.sequences.has(name)) throw new OnnxImportError(`${what} '${name}' is a sequence; a tensor is expected`, where);
  return name;
}

/**
 * A constant position in [-length, length), or [-length, length] for an insertion (`end`: appending); negative
 * positions count from the end.
 */
function position(ctx: ImportContext, name: string, length: number, where: string, end = false): number {
  const t = ctx.constant(name);
  if (!t || t.data.length !== 1) throw new OnnxImportError(`position '${name}' must be a constant scalar at import`, where);
  const p = tensorToNumbers(t)[0]!;
  const at = p < 0 ? p + length : p;
  if (!Number.isInteger(at) || at < 0 || at > length || (at === length && !end)) throw new OnnxImportError(`position ${p} is out of range for ${length} elements`, where);
  return at;
}
