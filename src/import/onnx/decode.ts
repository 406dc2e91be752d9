/**
 * ModelProto bytes -> plain, typed JS structures (numbers instead of Longs, strings instead of bytes where ONNX
 * means text). Everything after this file works on these structures and never sees protobufjs.
 */
import { OnnxImportError } from './errors.js';
import { OnnxAttrType, onnxModelType, protobufReader } from './schema.js';

export interface OnnxTensorProto {
  name: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  floatData: number[];
  int32Data: number[];
  int64Data: bigint[];
  doubleData: number[];
  uint64Data: bigint[];
  stringCount: number;
  /** Set when the payload lives in a separate file (data_location = EXTERNAL or external_data entries). */
  externalLocation?: string;
}

export interface OnnxDim {
  value?: number;
  param?: string;
}

export interface OnnxValueInfo {
  name: string;
  /** TensorProto.DataType, 0 when the value is not a tensor or the type is unspecified. */
  elemType: number;
  /** Undefined when the shape is unknown (not even the rank). */
  dims?: OnnxDim[];
}

export type OnnxAttribute =
  | { name: string; kind: 'float'; value: number }
  | { name: string; kind: 'int'; value: number }
  | { name: string; kind: 'string'; value: string }
  | { name: string; kind: 'tensor'; value: OnnxTensorProto }
  | { name: string; kind: 'floats'; value: number[] }
  | { name: string; kind: 'ints'; value: number[] }
  | { name: string; kind: 'strings'; value: string[] }
  /** A subgraph (If's branches, Loop's body): inlined or unrolled at import (control_flow.ts). */
  | { name: string; kind: 'graph'; value: OnnxGraphProto }
  | { name: string; kind: 'graphs'; value: OnnxGraphProto[] }
  | { name: string; kind: 'other'; typeCode: number };

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
}

export interface OnnxGraphProto {
  name: string;
  docString: string;
  nodes: OnnxNode[];
  initializers: OnnxTensorProto[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  opsetImports: { domain: string; version: number }[];
  metadataProps: Record<string, string>;
  graph: OnnxGraphProto;
}

// ---------------------------------------------------------------------------------------------------------------
// 64-bit integers. protobufjs yields a Long when the `long` package is available, a number otherwise; bigint and
// decimal strings are accepted too so the code does not depend on that choice.

interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
}

function isLongLike(v: unknown): v is LongLike {
  return typeof v === 'object' && v !== null && typeof (v as LongLike).low === 'number' && typeof (v as LongLike).high === 'number';
}

export function int64ToBigInt(v: unknown, where: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new OnnxImportError(`expected a 64-bit integer, got ${v}`, where);
    return BigInt(v);
  }
  if (typeof v === 'string') {
    try {
      return BigInt(v);
    } catch {
      throw new OnnxImportError(`expected a 64-bit integer, got '${v}'`, where);
    }
  }
  if (isLongLike(v)) {
    const big = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
    return v.unsigned ? big : BigInt.asIntN(64, big);
  }
  throw new OnnxImportError(`expected a 64-bit integer, got ${typeof v}`, where);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * 64-bit integer -> number, clamped to ±(2^53-1). Clamping keeps ONNX's "INT64_MAX means to the end" idiom
 * (Slice ends, ...) meaningful while staying a safe integer.
 */
export function int64ToNumber(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  const big = int64ToBigInt(v, where);
  if (big > MAX_SAFE) return Number.MAX_SAFE_INTEGER;
  if (big < -MAX_SAFE) return -Number.MAX_SAFE_INTEGER;
  return Number(big);
}

// ---------------------------------------------------------------------------------------------------------------

type Msg = Record<string, unknown>;

const textDecoder = new TextDecoder('utf-8');

function has(msg: Msg, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(msg, key);
}

function str(msg: Msg, key: string): string {
  const v = msg[key];
  return typeof v === 'string' ? v : '';
}

function arr(msg: Msg, key: string): unknown[] {
  const v = msg[key];
  return Array.isArray(v) ? v : [];
}

function bytesToText(v: unknown): string {
  return v instanceof Uint8Array ? textDecoder.decode(v) : String(v ?? '');
}

function decodeTensor(msg: Msg, where: string): OnnxTensorProto {
  const name = str(msg, 'name');
  const here = `${where} tensor '${name}'`;
  const t: OnnxTensorProto = {
    name,
    dims: arr(msg, 'dims').map((d, i) => {
      const n = int64ToNumber(d, `${here} dims[${i}]`);
      if (n < 0) throw new OnnxImportError(`negative dimension ${n}`, here);
      return n;
    }),
    dataType: Number(msg['data_type'] ?? 0),
    floatData: arr(msg, 'float_data') as number[],
    int32Data: arr(msg, 'int32_data') as number[],
    int64Data: arr(msg, 'int64_data').map((v) => int64ToBigInt(v, `${here} int64_data`)),
    doubleData: arr(msg, 'double_data') as number[],
    uint64Data: arr(msg, 'uint64_data').map((v) => int64ToBigInt(v, `${here} uint64_data`)),
    stringCount: arr(msg, 'string_data').length,
  };
  if (has(msg, 'raw_data')) t.rawData = msg['raw_data'] as Uint8Array;
  const external = arr(msg, 'external_data') as Msg[];
  if (Number(msg['data_location'] ?? 0) === 1 || external.length > 0) {
    const loc = external.find((e) => e['key'] === 'location');
    t.externalLocation = loc ? str(loc, 'value') : '(unknown location)';
  }
  return t;
}

function decodeValueInfo(msg: Msg): OnnxValueInfo {
  const info: OnnxValueInfo = { name: str(msg, 'name'), elemType: 0 };
  const type = msg['type'] as Msg | undefined;
  const tensorType = type && has(type, 'tensor_type') ? (type['tensor_type'] as Msg) : undefined;
  if (!tensorType) return info;
  info.elemType = Number(tensorType['elem_type'] ?? 0);
  if (has(tensorType, 'shape')) {
    const shape = tensorType['shape'] as Msg;
    info.dims = arr(shape, 'dim').map((d, i) => {
      const dim = d as Msg;
      if (has(dim, 'dim_value')) return { value: int64ToNumber(dim['dim_value'], `value '${info.name}' dim ${i}`) };
      if (has(dim, 'dim_param')) return { param: str(dim, 'dim_param') };
      return {};
    });
  }
  return info;
}

/**
 * Deepest nesting of subgraphs (a Loop in an If in a Loop...). Exporters nest two or three levels; the cap keeps a
 * hostile file from recursing the decoder (and later the inliner) off the stack.
 */
export const MAX_SUBGRAPH_DEPTH = 16;

function decodeAttribute(msg: Msg, where: string, depth: number): OnnxAttribute {
  const name = str(msg, 'name');
  const here = `${where} attribute '${name}'`;
  let type = Number(msg['type'] ?? 0);
  // IR version 1 models may leave `type` unset: infer it from the field that is present.
  if (type === OnnxAttrType.UNDEFINED) {
    if (has(msg, 'f')) type = OnnxAttrType.FLOAT;
    else if (has(msg, 'i')) type = OnnxAttrType.INT;
    else if (has(msg, 's')) type = OnnxAttrType.STRING;
    else if (has(msg, 't')) type = OnnxAttrType.TENSOR;
    else if (arr(msg, 'floats').length) type = OnnxAttrType.FLOATS;
    else if (arr(msg, 'ints').length) type = OnnxAttrType.INTS;
    else if (arr(msg, 'strings').length) type = OnnxAttrType.STRINGS;
  }
  switch (type) {
    case OnnxAttrType.FLOAT:
      return { name, kind: 'float', value: Number(msg['f'] ?? 0) };
    case OnnxAttrType.INT:
      return { name, kind: 'int', value: int64ToNumber(msg['i'] ?? 0, here) };
    case OnnxAttrType.STRING:
      return { name, kind: 'string', value: bytesToText(msg['s']) };
    case OnnxAttrType.TENSOR:
      if (!has(msg, 't')) throw new OnnxImportError('tensor attribute without a tensor', here);
      return { name, kind: 'tensor', value: decodeTensor(msg['t'] as Msg, here) };
    case OnnxAttrType.FLOATS:
      return { name, kind: 'floats', value: (arr(msg, 'floats') as number[]).map(Number) };
    case OnnxAttrType.INTS:
      return { name, kind: 'ints', value: arr(msg, 'ints').map((v) => int64ToNumber(v, here)) };
    case OnnxAttrType.STRINGS:
      return { name, kind: 'strings', value: arr(msg, 'strings').map(bytesToText) };
    case OnnxAttrType.GRAPH:
      if (!has(msg, 'g')) throw new OnnxImportError('graph attribute without a graph', here);
      return { name, kind: 'graph', value: decodeSubgraph(msg['g'] as Msg, here, depth) };
    case OnnxAttrType.GRAPHS:
      return { name, kind: 'graphs', value: (arr(msg, 'graphs') as Msg[]).map((g) => decodeSubgraph(g, here, depth)) };
    default:
      return { name, kind: 'other', typeCode: type };
  }
}

function decodeSubgraph(msg: Msg, where: string, depth: number): OnnxGraphProto {
  if (depth >= MAX_SUBGRAPH_DEPTH)
    throw new OnnxImportError(`subgraphs nested deeper than ${MAX_SUBGRAPH_DEPTH} levels`, where);
  return decodeGraph(msg, depth + 1);
}

function decodeNode(msg: Msg, index: number, depth: number): OnnxNode {
  const name = str(msg, 'name');
  const opType = str(msg, 'op_type');
  const where = `node ${index} (${opType || '?'} '${name}')`;
  return {
    name,
    opType,
    domain: str(msg, 'domain'),
    inputs: arr(msg, 'input').map(String),
    outputs: arr(msg, 'output').map(String),
    attributes: (arr(msg, 'attribute') as Msg[]).map((a) => decodeAttribute(a, where, depth)),
  };
}

function decodeGraph(msg: Msg, depth: number): OnnxGraphProto {
  return {
    name: str(msg, 'name'),
    docString: str(msg, 'doc_string'),
    nodes: (arr(msg, 'node') as Msg[]).map((n, i) => decodeNode(n, i, depth)),
    initializers: (arr(msg, 'initializer') as Msg[]).map((t) => decodeTensor(t, 'initializer')),
    inputs: (arr(msg, 'input') as Msg[]).map(decodeValueInfo),
    outputs: (arr(msg, 'output') as Msg[]).map(decodeValueInfo),
    valueInfo: (arr(msg, 'value_info') as Msg[]).map(decodeValueInfo),
  };
}

/** Decode ModelProto bytes. Throws OnnxImportError when the bytes are not a protobuf ModelProto with a graph. */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  if (!(bytes instanceof Uint8Array)) throw new OnnxImportError('expected the model as a Uint8Array');
  if (bytes.length === 0) throw new OnnxImportError('empty input: 0 bytes', 'ModelProto');
  let msg: Msg;
  const reader = protobufReader(bytes);
  try {
    msg = onnxModelType().decode(reader) as unknown as Msg;
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new OnnxImportError(
      `not a valid ONNX protobuf: ${detail} (near byte ${reader.pos} of ${bytes.length}; truncated or not an ONNX file?)`,
      'ModelProto',
    );
  }
  if (!has(msg, 'graph')) throw new OnnxImportError('no graph (field 7) found; is this an ONNX model file?', 'ModelProto');
  const metadataProps: Record<string, string> = {};
  for (const e of arr(msg, 'metadata_props') as Msg[]) metadataProps[str(e, 'key')] = str(e, 'value');
  return {
    irVersion: int64ToNumber(msg['ir_version'] ?? 0, 'ModelProto.ir_version'),
    producerName: str(msg, 'producer_name'),
    producerVersion: str(msg, 'producer_version'),
    domain: str(msg, 'domain'),
    modelVersion: int64ToNumber(msg['model_version'] ?? 0, 'ModelProto.model_version'),
    docString: str(msg, 'doc_string'),
    opsetImports: (arr(msg, 'opset_import') as Msg[]).map((o) => ({
      domain: str(o, 'domain'),
      version: int64ToNumber(o['version'] ?? 0, 'ModelProto.opset_import.version'),
    })),
    metadataProps,
    graph: decodeGraph(msg['graph'] as Msg, 0),
  };
}
