/**
 * Control flow at import: Tessera runs static graphs, so If and Loop are resolved while the model is imported.
 *
 * - If with a condition that folds to a constant (exporters emit these for shape checks, e.g. torch.tensor_split)
 *   is replaced by the taken branch, inlined.
 * - Loop whose trip count and condition fold to constants is unrolled: one inlined copy of the body per iteration,
 *   loop-carried values threaded through, scan outputs stacked along a new axis 0.
 * - Sequence values (sequences.ts) live only at import, as lists of tensor names.
 *
 * A condition or trip count that depends on the input's values cannot be resolved and raises OnnxImportError naming
 * the node. Unrolling is bounded by the node limit over the whole import (ctx.unroll), so a hostile trip count, or
 * loops nested in loops, cannot make the importer spin.
 */
import { makeTensor, tensorToNumbers, type Tensor } from '../../graph/ir.js';
import type { ImportContext } from './context.js';
import type { OnnxGraphProto, OnnxNode } from './decode.js';
import { OnnxImportError } from './errors.js';
import { instantiate } from './subgraph.js';
import { tensorFromOnnx } from './tensor.js';

/**
 * Imports a list of renamed nodes (an inlined body) into `ctx`; `outputs` are the names the caller reads afterwards
 * (the body's outputs), so nodes that do not reach them are skipped.
 */
export type BodyImporter = (nodes: OnnxNode[], outputs: string[], prefix: string) => void;

export const CONTROL_FLOW_OPS: ReadonlySet<string> = new Set(['If', 'Loop']);

export function importControlFlow(ctx: ImportContext, n: OnnxNode, name: string, importBody: BodyImporter): void {
  if (n.opType === 'If') importIf(ctx, n, name, importBody);
  else importLoop(ctx, n, name, importBody);
}

function importIf(ctx: ImportContext, n: OnnxNode, name: string, importBody: BodyImporter): void {
  const where = `If node '${name}'`;
  const taken = constantFlag(ctx, n.inputs[0] ?? '', where, 'condition') ? 'then_branch' : 'else_branch';
  const branch = graphAttr(n, taken, where);
  ctx.unroll(branch.nodes.length, where);
  const body = inline(ctx, branch, new Map(), `${name}/${taken}`, importBody);
  if (body.length !== n.outputs.length)
    throw new OnnxImportError(`${taken} has ${body.length} outputs, the node ${n.outputs.length}`, where);
  n.outputs.forEach((o, i) => bindValue(ctx, o, body[i]!, name));
}

function importLoop(ctx: ImportContext, n: OnnxNode, name: string, importBody: BodyImporter): void {
  const where = `Loop node '${name}'`;
  const [tripName = '', condName = '', ...initial] = n.inputs;
  const body = graphAttr(n, 'body', where);
  const carriedCount = initial.length;
  if (body.inputs.length !== carriedCount + 2)
    throw new OnnxImportError(`body has ${body.inputs.length} inputs; expected iteration, condition and ${carriedCount} loop-carried values`, where);
  const scanCount = body.outputs.length - 1 - carriedCount;
  if (scanCount < 0) throw new OnnxImportError(`body has ${body.outputs.length} outputs, fewer than 1 + ${carriedCount} loop-carried values`, where);
  if (n.outputs.length > carriedCount + scanCount)
    throw new OnnxImportError(`${n.outputs.length} outputs, but the body yields ${carriedCount} loop-carried values and ${scanCount} scan outputs`, where);

  const maxTrips = tripName === '' ? Infinity : constantScalar(ctx, tripName, where, 'trip count');
  let running = condName === '' ? true : constantFlag(ctx, condName, where, 'condition');
  let carried = [...initial];
  const scans: string[][] = Array.from({ length: scanCount }, () => []);
  for (let i = 0; i < maxTrips && running; i++) {
    ctx.unroll(1 + body.nodes.length, where);
    const bindings = new Map<string, string>();
    bindings.set(body.inputs[0]!.name, scalarConstant(ctx, `${name}/iter${i}/i`, makeTensor('i64', [], BigInt64Array.of(BigInt(i)))));
    bindings.set(body.inputs[1]!.name, scalarConstant(ctx, `${name}/iter${i}/cond`, makeTensor('bool', [], Uint8Array.of(1))));
    body.inputs.slice(2).forEach((input, k) => bindings.set(input.name, carried[k]!));
    const outs = inline(ctx, body, bindings, `${name}/iter${i}`, importBody);
    running = constantFlag(ctx, outs[0]!, where, `condition after iteration ${i}`);
    carried = outs.slice(1, 1 + carriedCount);
    scans.forEach((list, k) => list.push(outs[1 + carriedCount + k]!));
  }

  carried.forEach((value, k) => bindValue(ctx, n.outputs[k] ?? '', value, name));
  scans.forEach((values, k) => stackScan(ctx, n.outputs[carriedCount + k] ?? '', values, name, where));
}

/** Inline one copy of `g`: its initializers become constants, its nodes are imported; returns its output names. */
function inline(ctx: ImportContext, g: OnnxGraphProto, bindings: Map<string, string>, prefix: string, importBody: BodyImporter): string[] {
  const copy = instantiate(g, bindings, (local) => ctx.freshTensorName(`${prefix}/${local}`));
  for (const { name, tensor } of copy.initializers) ctx.addConstant(name, tensorFromOnnx(tensor, `${prefix} initializer '${tensor.name}'`));
  for (const o of copy.outputs) ctx.used.add(o);
  importBody(copy.nodes, copy.outputs, prefix);
  return copy.outputs;
}

/** Makes `target` (an If / Loop output) the value `source`: a sequence is aliased, a tensor gets an Identity. */
function bindValue(ctx: ImportContext, target: string, source: string, node: string): void {
  if (target === '') return;
  const seq = ctx.sequences.get(source);
  if (seq) ctx.sequences.set(target, seq);
  else ctx.add({ name: ctx.freshNodeName(`${node}/${target}`), op: 'Identity', inputs: [source], outputs: [target], attrs: {} });
}

/** A Loop scan output: the per-iteration values stacked along a new axis 0. */
function stackScan(ctx: ImportContext, target: string, values: string[], node: string, where: string): void {
  if (target === '' || !ctx.isUsed(target)) return;
  if (values.length === 0) throw new OnnxImportError(`scan output '${target}' is used but the loop runs 0 iterations`, where);
  if (values.some((v) => ctx.sequences.has(v))) throw new OnnxImportError(`scan output '${target}' is a sequence; only tensors are supported`, where);
  const rows = values.map((v, i) => {
    const row = values.length === 1 ? target : ctx.freshTensorName(`${target}/${i}`);
    ctx.add({ name: ctx.freshNodeName(`${node}/stack${i}`), op: 'Unsqueeze', inputs: [v], outputs: [row], attrs: { axes: [0] } });
    return row;
  });
  if (rows.length > 1) ctx.add({ name: ctx.freshNodeName(`${node}/stack`), op: 'Concat', inputs: rows, outputs: [target], attrs: { axis: 0 } });
}

function graphAttr(n: OnnxNode, key: string, where: string): OnnxGraphProto {
  const a = n.attributes.find((x) => x.name === key);
  if (!a || a.kind !== 'graph') throw new OnnxImportError(`missing graph attribute '${key}'`, where);
  return a.value;
}

function constantOf(ctx: ImportContext, value: string, where: string, what: string): Tensor {
  const t = ctx.constant(value);
  if (!t)
    throw new OnnxImportError(
      `the ${what} ('${value}') is not known at import time: it depends on the input's values, and Tessera runs ` +
        'static graphs (only conditions and trip counts computed from shapes and constants are supported)',
      where,
    );
  if (t.data.length !== 1) throw new OnnxImportError(`the ${what} ('${value}') must have one element, got shape [${t.shape.join(', ')}]`, where);
  return t;
}

function constantScalar(ctx: ImportContext, value: string, where: string, what: string): number {
  const v = tensorToNumbers(constantOf(ctx, value, where, what))[0]!;
  if (!Number.isInteger(v)) throw new OnnxImportError(`the ${what} ('${value}') must be an integer, got ${v}`, where);
  return v;
}

function constantFlag(ctx: ImportContext, value: string, where: string, what: string): boolean {
  return tensorToNumbers(constantOf(ctx, value, where, what))[0] !== 0;
}

function scalarConstant(ctx: ImportContext, base: string, t: Tensor): string {
  const name = ctx.freshTensorName(base);
  ctx.addConstant(name, t);
  return name;
}
