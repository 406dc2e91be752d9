/**
 * The JSON header of a `.tessera` file: its TypeScript shape and a hand-written validator.
 *
 * The validator is the reader's gatekeeper: it checks the type of every field, every tensor's shape, byte length,
 * alignment and bounds, and that the graph only references things that exist, before the reader allocates anything
 * from header values. The writer runs the same validator on what it is about to write, so it cannot emit a file the
 * reader would refuse.
 */
import type { DType, GraphMetadata } from '../graph/ir.js';
import { ALIGNMENT, INT8_FORMAT_VERSION, MAX_RANK, MAX_TENSOR_ELEMENTS } from './constants.js';
import { int8StoredBytes } from '../graph/quant_int8.js';
import { isDType, storedByteLength, STORED_DTYPES } from './dtypes.js';
import { FormatError } from './errors.js';
import { LIMITS } from '../load/limits.js';

/** JSON cannot hold non-finite numbers or negative zero; those are spelled as strings. */
export type JsonNumber = number | 'Infinity' | '-Infinity' | 'NaN' | '-0';

export interface TensorEntry {
  name: string;
  /** Logical dtype (what the reader hands back). */
  dtype: DType;
  /**
   * Present when the payload holds a different encoding of an f32 tensor: 'f16' bits (written with fp16), or
   * 'int8' values + f32 scales (format version 2; docs/format.md).
   */
  storage?: 'f16' | 'int8';
  /** int8 only: the axis with one scale per index (the output channels); absent = one scale for the tensor. */
  scaleAxis?: number;
  shape: number[];
  /** Relative to the payload start; a multiple of 256. */
  byteOffset: number;
  byteLength: number;
}

export type AttrEntry =
  | { type: 'number'; value: JsonNumber }
  | { type: 'numbers'; value: JsonNumber[] }
  | { type: 'string'; value: string }
  | { type: 'strings'; value: string[] }
  | { type: 'tensor'; tensor: string };

export interface ValueInfoEntry {
  name: string;
  dtype: DType;
  /** -1 marks a dynamic dim. */
  shape: number[];
}

export interface NodeEntry {
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrEntry>;
}

export interface GraphEntry {
  inputs: ValueInfoEntry[];
  outputs: ValueInfoEntry[];
  nodes: NodeEntry[];
  /** Names of tensor-table entries that are graph initializers, in graph order. */
  initializers: string[];
}

export interface TesseraHeader {
  formatVersion: number;
  payload: { byteLength: number; sha256: string };
  tensors: TensorEntry[];
  graph: GraphEntry;
  metadata: GraphMetadata;
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers

export function encodeNumber(x: number): JsonNumber {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  return x;
}

function decodeNumber(v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  switch (v) {
    case 'NaN':
      return NaN;
    case 'Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
    case '-0':
      return -0;
  }
  throw new FormatError(`expected a number (or "Infinity", "-Infinity", "NaN", "-0"), got ${preview(v)}`, path);
}

// ---------------------------------------------------------------------------------------------------------------
// Primitive checks. Each takes the JSON path of the value for the error message.

function preview(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return `${typeof v} ${String(v)}`;
}

type JsonObject = Record<string, unknown>;

function expectObject(v: unknown, path: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FormatError(`expected an object, got ${preview(v)}`, path);
  return v as JsonObject;
}

/** Objects of the fixed schema: every required key present, no unknown key (new fields mean a new format version). */
function expectKeys(obj: JsonObject, required: readonly string[], optional: readonly string[], path: string): void {
  for (const key of required) {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) throw new FormatError(`missing field '${key}'`, path);
  }
  for (const key of Object.keys(obj)) {
    if (!required.includes(key) && !optional.includes(key)) throw new FormatError(`unknown field '${key}'`, path);
  }
}

function expectArray(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new FormatError(`expected an array, got ${preview(v)}`, path);
  return v;
}

function expectString(v: unknown, path: string, nonEmpty = false): string {
  if (typeof v !== 'string') throw new FormatError(`expected a string, got ${preview(v)}`, path);
  if (nonEmpty && v.length === 0) throw new FormatError('expected a non-empty string', path);
  return v;
}

function expectStrings(v: unknown, path: string, nonEmpty = false): string[] {
  return expectArray(v, path).map((s, i) => expectString(s, `${path}[${i}]`, nonEmpty));
}

function expectInteger(v: unknown, path: string, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new FormatError(`expected a safe integer, got ${preview(v)}`, path);
  if (v < min || v > max) throw new FormatError(`${v} is out of range [${min}, ${max}]`, path);
  return v;
}

function expectFiniteNumber(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new FormatError(`expected a finite number, got ${preview(v)}`, path);
  return v;
}

function expectDType(v: unknown, path: string): DType {
  if (!isDType(v)) throw new FormatError(`expected a dtype (${STORED_DTYPES.join(', ')}), got ${preview(v)}`, path);
  return v;
}

/** A key that would rewrite an object's prototype when copied with `obj[key] = ...`. */
function rejectDangerousKey(key: string, path: string): void {
  if (key === '__proto__') throw new FormatError(`forbidden key '__proto__'`, path);
}

/** Shape of a concrete tensor: non-negative dims, bounded rank and element count. Returns [shape, elementCount]. */
function expectTensorShape(v: unknown, path: string): [number[], number] {
  const dims = expectArray(v, path);
  if (dims.length > MAX_RANK) throw new FormatError(`rank ${dims.length} exceeds the limit of ${MAX_RANK}`, path);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < dims.length; i++) {
    const d = expectInteger(dims[i], `${path}[${i}]`, 0, MAX_TENSOR_ELEMENTS);
    shape.push(d);
    count *= d; // both factors ≤ 2^32 and count is re-checked below, so this stays exact
    if (count > MAX_TENSOR_ELEMENTS) throw new FormatError(`element count exceeds the limit of ${MAX_TENSOR_ELEMENTS}`, path);
  }
  return [shape, count];
}

/** Shape of a graph input/output: like a tensor shape, but -1 (dynamic) is allowed. */
function expectValueShape(v: unknown, path: string): number[] {
  const dims = expectArray(v, path);
  if (dims.length > MAX_RANK) throw new FormatError(`rank ${dims.length} exceeds the limit of ${MAX_RANK}`, path);
  return dims.map((d, i) => expectInteger(d, `${path}[${i}]`, -1, LIMITS.maxDim));
}

/** A list in a node attribute: bounded like the importer's (LIMITS.maxAttrValues). */
function expectAttrList(v: unknown, path: string): unknown[] {
  const list = expectArray(v, path);
  if (list.length > LIMITS.maxAttrValues) throw new FormatError(`list of ${list.length} values exceeds the limit of ${LIMITS.maxAttrValues} (maxAttrValues)`, path);
  return list;
}

/** Nesting depth of a JSON value, measured without recursion; throws past LIMITS.maxMetadataDepth. */
function checkJsonDepth(v: unknown, path: string): void {
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, depth] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (depth > LIMITS.maxMetadataDepth)
      throw new FormatError(`value is nested deeper than the limit of ${LIMITS.maxMetadataDepth} (maxMetadataDepth)`, path);
    for (const child of Object.values(x)) stack.push([child, depth + 1]);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sections

function validateTensorEntry(v: unknown, path: string, payloadByteLength: number, formatVersion: number): TensorEntry {
  const o = expectObject(v, path);
  expectKeys(o, ['name', 'dtype', 'shape', 'byteOffset', 'byteLength'], ['storage', 'scaleAxis'], path);
  const name = expectString(o.name, `${path}.name`, true);
  const dtype = expectDType(o.dtype, `${path}.dtype`);
  const entry: TensorEntry = { name, dtype, shape: [], byteOffset: 0, byteLength: 0 };
  if (o.storage !== undefined) {
    const allowed = formatVersion >= INT8_FORMAT_VERSION ? ['f16', 'int8'] : ['f16'];
    if (!allowed.includes(o.storage as string))
      throw new FormatError(`expected ${allowed.map((s) => `"${s}"`).join(' or ')} (format version ${formatVersion}), got ${preview(o.storage)}`, `${path}.storage`);
    if (dtype !== 'f32') throw new FormatError(`storage "${o.storage as string}" is only allowed for dtype f32, not ${dtype}`, `${path}.storage`);
    entry.storage = o.storage as 'f16' | 'int8';
  }
  const [shape, count] = expectTensorShape(o.shape, `${path}.shape`);
  entry.shape = shape;
  if (o.scaleAxis !== undefined) {
    if (entry.storage !== 'int8') throw new FormatError(`scaleAxis is only allowed with storage "int8" ('${name}')`, `${path}.scaleAxis`);
    if (shape.length === 0) throw new FormatError(`scaleAxis on a scalar int8 tensor '${name}'`, `${path}.scaleAxis`);
    entry.scaleAxis = expectInteger(o.scaleAxis, `${path}.scaleAxis`, 0, shape.length - 1);
  }
  entry.byteOffset = expectInteger(o.byteOffset, `${path}.byteOffset`, 0);
  entry.byteLength = expectInteger(o.byteLength, `${path}.byteLength`, 0);
  // int8: values padded to whole u32 words, then one f32 scale per index of scaleAxis (or one); computed from the
  // checked shape only, so the reader never sizes anything from an unchecked field.
  const scales = entry.scaleAxis === undefined ? 1 : shape[entry.scaleAxis]!;
  const expected = entry.storage === 'int8' ? int8StoredBytes(count, scales) : storedByteLength(entry.storage ?? dtype, count);
  if (entry.byteLength !== expected)
    throw new FormatError(
      entry.storage === 'int8'
        ? `byteLength ${entry.byteLength} of int8 tensor '${name}' does not match ${count} int8 values (padded to ${4 * Math.ceil(count / 4)} bytes) + ${scales} f32 scale${scales === 1 ? '' : 's'} = ${expected} bytes`
        : `byteLength ${entry.byteLength} does not match ${entry.storage ?? dtype} x ${count} elements = ${expected} bytes`,
      `${path}.byteLength`,
    );
  if (entry.byteOffset % ALIGNMENT !== 0)
    throw new FormatError(`byteOffset ${entry.byteOffset} is not a multiple of ${ALIGNMENT}`, `${path}.byteOffset`);
  if (entry.byteOffset + entry.byteLength > payloadByteLength)
    throw new FormatError(
      `bytes [${entry.byteOffset}, ${entry.byteOffset + entry.byteLength}) lie outside the ${payloadByteLength}-byte payload`,
      `${path}.byteOffset`,
    );
  return entry;
}

function checkNoOverlap(tensors: TensorEntry[]): void {
  const order = tensors.map((t, i) => i).filter((i) => tensors[i]!.byteLength > 0);
  order.sort((a, b) => tensors[a]!.byteOffset - tensors[b]!.byteOffset);
  for (let k = 1; k < order.length; k++) {
    const prev = tensors[order[k - 1]!]!;
    const cur = tensors[order[k]!]!;
    if (cur.byteOffset < prev.byteOffset + prev.byteLength)
      throw new FormatError(
        `tensor '${cur.name}' (bytes ${cur.byteOffset}..) overlaps tensor '${prev.name}' (bytes ${prev.byteOffset}..${prev.byteOffset + prev.byteLength})`,
        `header.tensors[${order[k]}].byteOffset`,
      );
  }
}

function validateValueInfo(v: unknown, path: string): ValueInfoEntry {
  const o = expectObject(v, path);
  expectKeys(o, ['name', 'dtype', 'shape'], [], path);
  return {
    name: expectString(o.name, `${path}.name`, true),
    dtype: expectDType(o.dtype, `${path}.dtype`),
    shape: expectValueShape(o.shape, `${path}.shape`),
  };
}

function validateAttr(v: unknown, path: string): AttrEntry {
  const o = expectObject(v, path);
  const type = o.type;
  switch (type) {
    case 'number':
      expectKeys(o, ['type', 'value'], [], path);
      decodeNumber(o.value, `${path}.value`);
      return { type, value: o.value as JsonNumber };
    case 'numbers':
      expectKeys(o, ['type', 'value'], [], path);
      expectAttrList(o.value, `${path}.value`).forEach((x, i) => decodeNumber(x, `${path}.value[${i}]`));
      return { type, value: o.value as JsonNumber[] };
    case 'string':
      expectKeys(o, ['type', 'value'], [], path);
      return { type, value: expectString(o.value, `${path}.value`) };
    case 'strings':
      expectKeys(o, ['type', 'value'], [], path);
      expectAttrList(o.value, `${path}.value`);
      return { type, value: expectStrings(o.value, `${path}.value`) };
    case 'tensor':
      expectKeys(o, ['type', 'tensor'], [], path);
      return { type, tensor: expectString(o.tensor, `${path}.tensor`, true) };
  }
  throw new FormatError(`attribute type must be number, numbers, string, strings or tensor, got ${preview(type)}`, `${path}.type`);
}

function validateNode(v: unknown, path: string): NodeEntry {
  const o = expectObject(v, path);
  expectKeys(o, ['name', 'op', 'inputs', 'outputs', 'attrs'], [], path);
  const attrsObj = expectObject(o.attrs, `${path}.attrs`);
  const attrs: Record<string, AttrEntry> = {};
  for (const key of Object.keys(attrsObj)) {
    rejectDangerousKey(key, `${path}.attrs`);
    if (key.length === 0) throw new FormatError('empty attribute name', `${path}.attrs`);
    attrs[key] = validateAttr(attrsObj[key], `${path}.attrs.${key}`);
  }
  return {
    name: expectString(o.name, `${path}.name`),
    op: expectString(o.op, `${path}.op`, true),
    inputs: expectStrings(o.inputs, `${path}.inputs`),
    outputs: expectStrings(o.outputs, `${path}.outputs`, true),
    attrs,
  };
}

/** Validates the known metadata fields; other keys are kept as the JSON values they are. */
export function validateMetadata(v: unknown, path = 'header.metadata'): GraphMetadata {
  const o = expectObject(v, path);
  const out: GraphMetadata = {};
  for (const key of Object.keys(o)) {
    rejectDangerousKey(key, path);
    const value = o[key];
    const p = `${path}.${key}`;
    switch (key) {
      case 'name':
        out.name = expectString(value, p);
        break;
      case 'labels':
        out.labels = expectStrings(value, p);
        break;
      case 'inputSize':
        out.inputSize = expectArray(value, p).map((d, i) => expectInteger(d, `${p}[${i}]`, 0));
        break;
      case 'layout':
        if (value !== 'NCHW') throw new FormatError(`expected "NCHW", got ${preview(value)}`, p);
        out.layout = value;
        break;
      case 'mean':
      case 'std':
        out[key] = expectArray(value, p).map((x, i) => expectFiniteNumber(x, `${p}[${i}]`));
        break;
      case 'colorOrder':
        if (value !== 'RGB' && value !== 'BGR' && value !== 'GRAY')
          throw new FormatError(`expected "RGB", "BGR" or "GRAY", got ${preview(value)}`, p);
        out.colorOrder = value;
        break;
      case 'pixelScale':
        out.pixelScale = expectFiniteNumber(value, p);
        break;
      case 'provenance': {
        const prov = expectObject(value, p);
        const copy: Record<string, string> = {};
        for (const k of Object.keys(prov)) {
          rejectDangerousKey(k, p);
          copy[k] = expectString(prov[k], `${p}.${k}`);
        }
        out.provenance = copy;
        break;
      }
      default:
        if (value === undefined) throw new FormatError('metadata values must be JSON values, got undefined', p);
        checkJsonDepth(value, p);
        out[key] = value;
    }
  }
  return out;
}

/**
 * Graph-level consistency: unique names, every node input produced earlier (graph input, initializer or an earlier
 * node's output), every attribute tensor and initializer present in the tensor table, every table entry used once.
 */
function checkReferences(header: TesseraHeader): void {
  const tableIndex = new Map<string, number>();
  header.tensors.forEach((t, i) => {
    if (tableIndex.has(t.name)) throw new FormatError(`duplicate tensor name '${t.name}'`, `header.tensors[${i}].name`);
    tableIndex.set(t.name, i);
  });
  const useCount = new Array<number>(header.tensors.length).fill(0);
  const useTensor = (name: string, path: string): number => {
    const i = tableIndex.get(name);
    if (i === undefined) throw new FormatError(`tensor '${name}' is not in the tensor table`, path);
    if (useCount[i]! > 0) throw new FormatError(`tensor '${name}' is referenced more than once`, path);
    useCount[i] = 1;
    return i;
  };

  const g = header.graph;
  const available = new Set<string>();
  const define = (name: string, path: string): void => {
    if (available.has(name)) throw new FormatError(`value '${name}' is defined more than once`, path);
    available.add(name);
  };
  g.inputs.forEach((vi, i) => define(vi.name, `header.graph.inputs[${i}].name`));
  g.initializers.forEach((name, i) => {
    const path = `header.graph.initializers[${i}]`;
    useTensor(name, path);
    define(name, path);
  });
  g.nodes.forEach((node, n) => {
    const path = `header.graph.nodes[${n}]`;
    node.inputs.forEach((name, i) => {
      if (name !== '' && !available.has(name))
        throw new FormatError(
          `input '${name}' of ${node.op} node '${node.name}' is not a graph input, an initializer or an output of an earlier node`,
          `${path}.inputs[${i}]`,
        );
    });
    for (const [key, attr] of Object.entries(node.attrs)) {
      if (attr.type === 'tensor') useTensor(attr.tensor, `${path}.attrs.${key}.tensor`);
    }
    node.outputs.forEach((name, i) => define(name, `${path}.outputs[${i}]`));
  });
  g.outputs.forEach((vi, i) => {
    if (!available.has(vi.name)) throw new FormatError(`graph output '${vi.name}' is never produced`, `header.graph.outputs[${i}].name`);
  });
  useCount.forEach((used, i) => {
    if (!used) throw new FormatError(`tensor '${header.tensors[i]!.name}' is not referenced by the graph`, `header.tensors[${i}]`);
  });
}

function expectNodeList(v: unknown): unknown[] {
  const nodes = expectArray(v, 'header.graph.nodes');
  if (nodes.length > LIMITS.maxNodes)
    throw new FormatError(`${nodes.length} nodes exceed the limit of ${LIMITS.maxNodes} (maxNodes)`, 'header.graph.nodes');
  return nodes;
}

/** Validate a parsed JSON header. Throws FormatError naming the field path of the first problem. */
export function validateHeader(v: unknown): TesseraHeader {
  const root = expectObject(v, 'header');
  expectKeys(root, ['formatVersion', 'payload', 'tensors', 'graph', 'metadata'], [], 'header');
  const formatVersion = expectInteger(root.formatVersion, 'header.formatVersion', 0);

  const payloadObj = expectObject(root.payload, 'header.payload');
  expectKeys(payloadObj, ['byteLength', 'sha256'], [], 'header.payload');
  const payloadByteLength = expectInteger(payloadObj.byteLength, 'header.payload.byteLength', 0);
  const sha256 = expectString(payloadObj.sha256, 'header.payload.sha256');
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new FormatError('expected 64 lowercase hex digits', 'header.payload.sha256');

  const tensors = expectArray(root.tensors, 'header.tensors').map((t, i) =>
    validateTensorEntry(t, `header.tensors[${i}]`, payloadByteLength, formatVersion),
  );
  checkNoOverlap(tensors);

  const graphObj = expectObject(root.graph, 'header.graph');
  expectKeys(graphObj, ['inputs', 'outputs', 'nodes', 'initializers'], [], 'header.graph');
  const graph: GraphEntry = {
    inputs: expectArray(graphObj.inputs, 'header.graph.inputs').map((x, i) => validateValueInfo(x, `header.graph.inputs[${i}]`)),
    outputs: expectArray(graphObj.outputs, 'header.graph.outputs').map((x, i) =>
      validateValueInfo(x, `header.graph.outputs[${i}]`),
    ),
    nodes: expectNodeList(graphObj.nodes).map((x, i) => validateNode(x, `header.graph.nodes[${i}]`)),
    initializers: expectStrings(graphObj.initializers, 'header.graph.initializers', true),
  };

  const header: TesseraHeader = {
    formatVersion,
    payload: { byteLength: payloadByteLength, sha256 },
    tensors,
    graph,
    metadata: validateMetadata(root.metadata),
  };
  checkReferences(header);
  return header;
}

/** Decode a validated attribute's number(s). */
export function attrNumber(v: JsonNumber): number {
  return decodeNumber(v, 'attr');
}
