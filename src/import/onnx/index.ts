/**
 * ONNX import: `importOnnx(bytes)` decodes a ModelProto and returns a Tessera Graph in canonical form (docs/ir.md).
 *
 * Pipeline: decode -> keep only nodes that reach a graph output -> reject unsupported ops (all listed at once) ->
 * walk the nodes in topological order, normalising each to canonical form and folding every node whose inputs are
 * all constants (CPU reference kernels; Shape of a statically shaped tensor is a constant) -> drop nodes and
 * initializers that no longer reach an output. If / Loop nodes are resolved during the walk (control_flow.ts): the
 * taken branch or each iteration's copy of the body goes through the same walk.
 *
 * Dynamic dims: a symbolic dim (dim_param, e.g. a dynamic batch) becomes -1 in the IR unless `options.inputShapes`
 * fixes it. Shape arithmetic that depends on a -1 dim cannot fold; for Reshape the importer tracks such values
 * symbolically and rewrites the target to ONNX 0/-1 form when that is provably the same reshape (torch's
 * `x.view(x.size(0), -1)` becomes Reshape [0, -1]); anything else needing the value raises OnnxImportError asking
 * for `inputShapes`.
 */
import { cpuKernels } from '../../backends/cpu/index.js';
import type { Attrs, AttrValue, Graph, Node, ValueInfo } from '../../graph/ir.js';
import { shapeRules } from '../../graph/ops/index.js';
import { ImportContext, nodeWhere, type ImportServices } from './context.js';
import { decodeOnnxModel, type OnnxGraphProto, type OnnxModel, type OnnxNode, type OnnxValueInfo } from './decode.js';
import { OnnxImportError, UnsupportedOpsError, type UnsupportedOp } from './errors.js';
import { normalizeNode, SUPPORTED_OPS } from './normalize.js';
import { requireDtype, tensorFromOnnx } from './tensor.js';
import { CONTROL_FLOW_OPS, importControlFlow } from './control_flow.js';
import { importSequenceOp, SEQUENCE_OPS } from './sequences.js';
import { dependencies } from './subgraph.js';
import { checkLimit, checkShapeLimits } from '../../load/limits.js';

export { OnnxImportError, UnsupportedOpsError, type UnsupportedOp } from './errors.js';
export { decodeOnnxModel, type OnnxModel } from './decode.js';
export { SUPPORTED_OPS } from './normalize.js';

export interface ImportOnnxOptions {
  /** Static shapes for graph inputs, by name; replaces symbolic dims (and must agree with fixed ones). */
  inputShapes?: Record<string, number[]>;
}

/** Highest opset whose semantics the normalisers know; newer models import with these rules and a note. */
export const MAX_KNOWN_OPSET = 18;

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

export function importOnnx(bytes: Uint8Array, options: ImportOnnxOptions = {}): Graph {
  if (bytes instanceof Uint8Array) checkLimit('maxFileBytes', bytes.length, 'ModelProto', 'file size');
  const model = decodeOnnxModel(bytes);
  return graphFromModel(model, options, { shapeRules, kernels: cpuKernels });
}

/** The import itself, with the shape rules and folding kernels passed in (tests can substitute them). */
export function graphFromModel(model: OnnxModel, options: ImportOnnxOptions, services: ImportServices): Graph {
  const g = model.graph;
  checkLimit('maxNodes', g.nodes.length, 'graph', 'node count');
  const opset = defaultOpset(model);
  const ctx = new ImportContext(opset, services);
  if (opset > MAX_KNOWN_OPSET) ctx.notes.push(`opset ${opset} is newer than ${MAX_KNOWN_OPSET}; imported with opset-${MAX_KNOWN_OPSET} rules`);

  for (const name of allTensorNames(g)) ctx.reserveTensorName(name);

  // Initializers first: a graph input that is also an initializer is a constant (IR < 4 lists weights as inputs).
  for (const t of g.initializers) {
    if (t.name === '') throw new OnnxImportError('initializer without a name');
    ctx.addConstant(t.name, tensorFromOnnx(t, `initializer '${t.name}'`));
  }
  const inputs = graphInputs(g, ctx, options);
  for (const info of inputs) ctx.infos.set(info.name, info);

  const outputNames = g.outputs.map((o) => o.name);
  const live = liveNodes(g.nodes, outputNames);
  for (const n of live) for (const i of dependencies(n)) ctx.used.add(i);
  for (const o of outputNames) ctx.used.add(o);
  const indexOf = new Map(g.nodes.map((n, i) => [n, i]));
  const named = live.map((n) => ({ onnx: n, name: ctx.freshNodeName(n.name !== '' ? n.name : `${n.opType}_${indexOf.get(n)}`) }));
  rejectUnsupported(named, opset);
  const available = new Set<string>(['', ...ctx.constants.keys(), ...inputs.map((i) => i.name)]);
  for (const { onnx, name } of topologicalOrder(named, available)) importNode(ctx, onnx, name);

  return assembleGraph(model, ctx, inputs, outputNames);
}

// ---------------------------------------------------------------------------------------------------------------

/** One source node: control flow and sequence ops are resolved here, every other op is normalised. */
function importNode(ctx: ImportContext, onnx: OnnxNode, name: string): void {
  if (CONTROL_FLOW_OPS.has(onnx.opType))
    return importControlFlow(ctx, onnx, name, (nodes, outputs, prefix) => importBody(ctx, nodes, outputs, prefix));
  const node: Node = { name, op: onnx.opType, inputs: [...onnx.inputs], outputs: [...onnx.outputs], attrs: convertAttrs(onnx, name) };
  if (SEQUENCE_OPS.has(node.op)) return importSequenceOp(ctx, node);
  const seq = node.inputs.find((i) => ctx.sequences.has(i));
  if (seq !== undefined) throw new OnnxImportError(`input '${seq}' is a sequence; ${node.op} takes tensors`, nodeWhere(node));
  if (node.op === 'Constant') addConstantNode(ctx, node);
  else normalizeNode(ctx, node);
}

/** The renamed nodes of an inlined branch or loop iteration: the same walk as the main graph, from `outputs` back. */
function importBody(ctx: ImportContext, nodes: OnnxNode[], outputs: string[], prefix: string): void {
  const live = liveNodes(nodes, outputs);
  for (const n of live) for (const i of dependencies(n)) ctx.used.add(i);
  const named = live.map((n) => ({ onnx: n, name: ctx.freshNodeName(`${prefix}/${n.name !== '' ? n.name : n.opType}`) }));
  rejectUnsupported(named, ctx.opset);
  const produced = new Set(live.flatMap((n) => n.outputs));
  const available = new Set(['', ...live.flatMap(dependencies).filter((i) => !produced.has(i))]);
  for (const { onnx, name } of topologicalOrder(named, available)) importNode(ctx, onnx, name);
}

function defaultOpset(model: OnnxModel): number {
  const entry = model.opsetImports.find((o) => DEFAULT_DOMAINS.has(o.domain));
  // IR version 1-2 models predate opset_import and use opset 1.
  return entry ? entry.version : 1;
}

function allTensorNames(g: OnnxGraphProto): string[] {
  const names: string[] = [...g.initializers.map((t) => t.name), ...g.inputs.map((i) => i.name)];
  for (const n of g.nodes) names.push(...n.inputs, ...n.outputs);
  return names.filter((n) => n !== '');
}

function graphInputs(g: OnnxGraphProto, ctx: ImportContext, options: ImportOnnxOptions): ValueInfo[] {
  const given = options.inputShapes ?? {};
  const inputs = g.inputs.filter((i) => !ctx.constants.has(i.name));
  for (const name of Object.keys(given))
    if (!inputs.some((i) => i.name === name))
      throw new OnnxImportError(
        `options.inputShapes names '${name}', which is not a graph input (inputs: ${inputs.map((i) => i.name).join(', ')})`,
      );
  return inputs.map((i) => {
    const where = `graph input '${i.name}'`;
    if (i.elemType === 0) throw new OnnxImportError('not a tensor, or its element type is unspecified', where);
    const dtype = requireDtype(i.elemType, where);
    const declared = i.dims?.map((d) => (d.value !== undefined && d.param === undefined ? d.value : -1));
    const override = given[i.name];
    if (override) {
      if (!override.every((d) => Number.isInteger(d) && d > 0))
        throw new OnnxImportError(`options.inputShapes: bad shape [${override.join(', ')}]`, where);
      if (declared) {
        if (declared.length !== override.length)
          throw new OnnxImportError(`options.inputShapes gives rank ${override.length}, model declares [${fmtDims(i)}]`, where);
        declared.forEach((d, k) => {
          if (d >= 0 && d !== override[k])
            throw new OnnxImportError(`options.inputShapes gives [${override.join(', ')}], model declares [${fmtDims(i)}]`, where);
        });
      }
      return { name: i.name, dtype, shape: [...override] };
    }
    if (!declared) throw new OnnxImportError('shape (rank) is not declared; pass it in options.inputShapes', where);
    checkShapeLimits(declared, where, 'maxValueElements');
    const dynamic = declared.map((d, k) => (d < 0 ? `${k}=${i.dims![k]!.param || '?'}` : '')).filter((s) => s);
    if (dynamic.length) ctx.notes.push(`dynamic dims of '${i.name}' kept as -1: ${dynamic.join(', ')}`);
    return { name: i.name, dtype, shape: declared };
  });
}

function fmtDims(i: OnnxValueInfo): string {
  return (i.dims ?? []).map((d) => (d.value !== undefined ? String(d.value) : d.param || '?')).join(', ');
}

/** Nodes whose outputs (transitively) reach a graph output, in source order. */
function liveNodes(nodes: OnnxNode[], outputs: string[]): OnnxNode[] {
  const producer = new Map<string, OnnxNode>();
  for (const n of nodes) for (const o of n.outputs) if (o !== '') producer.set(o, n);
  const live = new Set<OnnxNode>();
  const stack = [...outputs];
  while (stack.length) {
    const p = producer.get(stack.pop()!);
    if (!p || live.has(p)) continue;
    live.add(p);
    stack.push(...dependencies(p).filter((i) => i !== ''));
  }
  return nodes.filter((n) => live.has(n));
}

function rejectUnsupported(nodes: { onnx: OnnxNode; name: string }[], opset: number): void {
  const byOp = new Map<string, UnsupportedOp>();
  for (const { onnx: n, name } of nodes) {
    if (DEFAULT_DOMAINS.has(n.domain) && SUPPORTED_OPS.has(n.opType)) continue;
    const key = `${n.domain}::${n.opType}`;
    const entry = byOp.get(key) ?? { op: n.opType, domain: n.domain, nodes: [] };
    entry.nodes.push(name);
    byOp.set(key, entry);
  }
  if (byOp.size) throw new UnsupportedOpsError([...byOp.values()], opset);
}

/**
 * Stable topological order (source order when already sorted, as ONNX requires but not every exporter does): always
 * the earliest ready node next. Kahn's algorithm with a min-heap of source indices, O(n log n), so hostile node
 * orders (a reversed 65,536-node chain) cannot make it quadratic.
 */
function topologicalOrder<T extends { onnx: OnnxNode; name: string }>(nodes: T[], available: Set<string>): T[] {
  const waiting = new Array<number>(nodes.length).fill(0);
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const input of new Set(dependencies(n.onnx))) {
      if (available.has(input)) continue;
      waiting[i]!++;
      const list = consumers.get(input);
      if (list) list.push(i);
      else consumers.set(input, [i]);
    }
  });
  const ready = new MinHeap();
  waiting.forEach((w, i) => w === 0 && ready.push(i));
  const order: T[] = [];
  while (ready.size) {
    const n = nodes[ready.pop()]!;
    order.push(n);
    for (const o of n.onnx.outputs) {
      if (available.has(o)) continue; // a value defined twice only releases its consumers once
      available.add(o);
      for (const c of consumers.get(o) ?? []) if (--waiting[c]! === 0) ready.push(c);
    }
  }
  if (order.length < nodes.length) {
    const n = nodes[waiting.findIndex((w) => w > 0)]!;
    const missing = dependencies(n.onnx).filter((i) => !available.has(i));
    throw new OnnxImportError(
      `input(s) ${missing.map((m) => `'${m}'`).join(', ')} are produced by no node, initializer or graph input (or the graph has a cycle)`,
      `${n.onnx.opType} node '${n.name}'`,
    );
  }
  return order;
}

/** Binary min-heap of integers (node indices). */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(v: number): void {
    const a = this.items;
    a.push(v);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= v) break;
      a[i] = a[parent]!;
      a[parent] = v;
      i = parent;
    }
  }

  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]! < a[m]!) m = l;
        if (r < a.length && a[r]! < a[m]!) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function convertAttrs(n: OnnxNode, name: string): Attrs {
  const attrs: Attrs = {};
  for (const a of n.attributes) {
    // Constant's lists are tensor data (bounded by the file); every other list is a parameter list.
    if ('value' in a && Array.isArray(a.value) && n.opType !== 'Constant')
      checkLimit('maxAttrValues', a.value.length, `${n.opType} node '${name}' attribute '${a.name}'`, 'list length');
    let v: AttrValue;
    switch (a.kind) {
      case 'tensor':
        v = tensorFromOnnx(a.value, `${n.opType} node '${name}' attribute '${a.name}'`);
        break;
      case 'graph':
      case 'graphs':
        continue; // If / Loop bodies: read from the source node by control_flow.ts, never part of the IR
      case 'other':
        continue; // sparse tensors, type protos: only used by ops we do not support
      default:
        v = a.value;
    }
    attrs[a.name] = v;
  }
  return attrs;
}

/** Constant (all opsets): value / value_float(s) / value_int(s) -> an initializer. */
function addConstantNode(ctx: ImportContext, n: Node): void {
  const out = n.outputs[0];
  if (!out) throw new OnnxImportError('Constant without an output', nodeWhere(n));
  const a = n.attrs;
  if (a['value'] !== undefined && typeof a['value'] === 'object' && !Array.isArray(a['value'])) {
    return ctx.addConstant(out, a['value']);
  }
  const num = (key: string) => a[key] as number;
  if (typeof a['value_float'] === 'number') return ctx.addConstant(out, { dtype: 'f32', shape: [], data: Float32Array.of(num('value_float')) });
  if (Array.isArray(a['value_floats']))
    return ctx.addConstant(out, { dtype: 'f32', shape: [a['value_floats'].length], data: Float32Array.from(a['value_floats'] as number[]) });
  if (typeof a['value_int'] === 'number') return ctx.addConstant(out, { dtype: 'i64', shape: [], data: BigInt64Array.of(BigInt(num('value_int'))) });
  if (Array.isArray(a['value_ints']))
    return ctx.addConstant(out, {
      dtype: 'i64',
      shape: [a['value_ints'].length],
      data: BigInt64Array.from(a['value_ints'] as number[], (v) => BigInt(v)),
    });
  const kinds = Object.keys(a).join(', ') || 'none';
  throw new OnnxImportError(`unsupported Constant form (attributes: ${kinds}); supported: value, value_float(s), value_int(s)`, nodeWhere(n));
}

function assembleGraph(model: OnnxModel, ctx: ImportContext, inputs: ValueInfo[], outputNames: string[]): Graph {
  // Folding and normalisation leave nodes (e.g. Shape chains) whose results nobody reads any more.
  const needed = new Set(outputNames);
  const kept: Node[] = [];
  for (let i = ctx.nodes.length - 1; i >= 0; i--) {
    const n = ctx.nodes[i]!;
    if (!n.outputs.some((o) => needed.has(o))) continue;
    kept.push(n);
    for (const inp of n.inputs) if (inp !== '') needed.add(inp);
  }
  kept.reverse();

  const initializers = new Map([...ctx.constants].filter(([name]) => needed.has(name)));
  const outputs: ValueInfo[] = outputNames.map((name) => {
    const info = ctx.info(name);
    if (info) return { name, dtype: info.dtype, shape: [...info.shape] };
    const declared = model.graph.outputs.find((o) => o.name === name)!;
    if (declared.elemType === 0 || !declared.dims)
      throw new OnnxImportError('shape could not be inferred and the model does not declare it', `graph output '${name}'`);
    return {
      name,
      dtype: requireDtype(declared.elemType, `graph output '${name}'`),
      shape: declared.dims.map((d) => (d.value !== undefined && d.param === undefined ? d.value : -1)),
    };
  });

  const provenance: Record<string, string> = {
    format: 'onnx',
    producer: `${model.producerName} ${model.producerVersion}`.trim(),
    opset: String(ctx.opset),
    irVersion: String(model.irVersion),
  };
  if (model.docString) provenance['docString'] = model.docString;
  if (model.graph.docString) provenance['graphDocString'] = model.graph.docString;
  if (model.domain) provenance['domain'] = model.domain;
  if (model.modelVersion) provenance['modelVersion'] = String(model.modelVersion);
  for (const [k, v] of Object.entries(model.metadataProps)) provenance[`meta.${k}`] = v;
  if (ctx.notes.length) provenance['importNotes'] = ctx.notes.join('; ');

  return {
    inputs,
    outputs,
    nodes: kept,
    initializers,
    metadata: { ...(model.graph.name ? { name: model.graph.name } : {}), provenance },
  };
}
