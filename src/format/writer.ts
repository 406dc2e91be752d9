/**
 * `.tessera` writer: one self-contained file holding the graph, its weights and its metadata.
 * Layout (docs/format.md): 48-byte prelude (magic, version, header length, header SHA-256), JSON header, zero padding
 * to a 256-byte boundary, then the little-endian payload where every tensor starts 256-byte aligned.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { f32ToF16, sizeOf, type AttrValue, type Graph, type Node, type Tensor, type ValueInfo } from '../graph/ir.js';
import { alignUp, FORMAT_VERSION, HOST_IS_LITTLE_ENDIAN, INT8_FORMAT_VERSION, MAX_HEADER_BYTES } from './constants.js';
import { quantMatches } from '../graph/quant_int8.js';
import { assembleTessera } from './framing.js';
import { assertLittleEndianHost, bytesOf, dataLength, describeTensor, hasExpectedArrayType, isDType } from './dtypes.js';
import { FormatError } from './errors.js';
import { encodeNumber, validateHeader, validateMetadata, type AttrEntry, type TesseraHeader, type TensorEntry } from './header.js';

export interface WriteOptions {
  /**
   * Store the f32 weights of FP16_WEIGHT_OPS as IEEE half floats (halves the file). The reader turns them back into
   * f32 tensors, so the graph is unchanged apart from the rounding.
   */
  fp16?: boolean;
}

/**
 * Ops whose f32 initializer inputs are stored as f16 with `fp16: true`. Limited to weight-like tensors on purpose:
 * other f32 constants (masks such as -1e9, clip bounds) may not survive f16's ±65504 range. A tensor with any
 * finite value outside that range is kept in f32 even here.
 */
export const FP16_WEIGHT_OPS: ReadonlySet<string> = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'BatchNormalization', 'FusedBatchNorm', 'FusedConv', 'FusedGemm', 'FusedConvTranspose', 'BatchNormConv']);

const F16_MAX = 65504;

interface PendingTensor {
  name: string;
  tensor: Tensor;
  toF16: boolean;
  /** Stored as int8 + scales: the tensor carries a `quant` that reproduces its data exactly. */
  toInt8?: boolean;
}

/** int8 payload bytes: the values, zeros to a whole u32 word, the f32 scales (docs/format.md). */
function int8Bytes(t: Tensor & { quant: NonNullable<Tensor['quant']> }): Uint8Array {
  const scaleStart = 4 * Math.ceil(t.quant.values.length / 4);
  const out = new Uint8Array(scaleStart + 4 * t.quant.scales.length);
  out.set(new Uint8Array(t.quant.values.buffer, t.quant.values.byteOffset, t.quant.values.length), 0);
  out.set(bytesOf(t.quant.scales), scaleStart);
  return out;
}

function isTensorAttr(v: AttrValue): v is Tensor {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nodeWhere(node: Node, index: number): string {
  return `graph.nodes[${index}] (${node.op} '${node.name}')`;
}

/** Reject tensors whose data does not match their dtype/shape, before their bytes go anywhere. */
function checkTensor(t: Tensor, where: string): void {
  if (typeof t !== 'object' || t === null || !isDType(t.dtype)) throw new FormatError(`not a tensor with a known dtype`, where);
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new FormatError(`tensor shape must be non-negative integers, got ${JSON.stringify(t.shape)}`, where);
  if (!ArrayBuffer.isView(t.data) || !hasExpectedArrayType(t.dtype, t.data) || t.data.length !== dataLength(t.dtype, sizeOf(t.shape)))
    throw new FormatError(`tensor data does not match its dtype and shape: ${describeTensor(t)}`, where);
}

function encodeAttr(value: AttrValue, tensorName: () => string, where: string, pending: PendingTensor[]): AttrEntry {
  if (typeof value === 'number') return { type: 'number', value: encodeNumber(value) };
  if (typeof value === 'string') return { type: 'string', value };
  if (Array.isArray(value)) {
    if (value.every((x) => typeof x === 'number')) return { type: 'numbers', value: (value as number[]).map(encodeNumber) };
    if (value.every((x) => typeof x === 'string')) return { type: 'strings', value: [...(value as string[])] };
    throw new FormatError('attribute arrays must hold only numbers or only strings', where);
  }
  if (isTensorAttr(value)) {
    checkTensor(value, where);
    const name = tensorName();
    pending.push({ name, tensor: value, toF16: false });
    return { type: 'tensor', tensor: name };
  }
  throw new FormatError(`unsupported attribute value ${String(value)}`, where);
}

function fitsF16(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (Number.isFinite(x) && Math.abs(x) > F16_MAX) return false;
  }
  return true;
}

/** Names of the initializers that `fp16: true` stores as half floats. */
function pickF16Initializers(graph: Graph): Set<string> {
  const picked = new Set<string>();
  for (const node of graph.nodes) {
    if (!FP16_WEIGHT_OPS.has(node.op)) continue;
    for (const input of node.inputs) {
      const t = graph.initializers.get(input);
      if (t && t.dtype === 'f32' && t.data instanceof Float32Array && fitsF16(t.data)) picked.add(input);
    }
  }
  return picked;
}

function f16Bytes(data: Float32Array): Uint8Array {
  const half = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) half[i] = f32ToF16(data[i]!);
  return bytesOf(half);
}

function valueInfoEntry(vi: ValueInfo, where: string) {
  if (typeof vi?.name !== 'string' || !isDType(vi.dtype) || !Array.isArray(vi.shape))
    throw new FormatError('expected { name, dtype, shape }', where);
  return { name: vi.name, dtype: vi.dtype, shape: [...vi.shape] };
}

export function writeTessera(graph: Graph, options: WriteOptions = {}): Uint8Array {
  try {
    return write(graph, options);
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`cannot write graph: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function write(graph: Graph, options: WriteOptions): Uint8Array {
  assertLittleEndianHost(HOST_IS_LITTLE_ENDIAN);
  const f16Names = options.fp16 ? pickF16Initializers(graph) : new Set<string>();

  const pending: PendingTensor[] = [];
  for (const [name, t] of graph.initializers) {
    checkTensor(t, `graph.initializers['${name}']`);
    // A `quant` that no longer matches the data (a rewrite changed the weight) is ignored: the tensor stays f32.
    const toInt8 = t.quant !== undefined && quantMatches(t);
    pending.push({ name, tensor: t, toF16: !toInt8 && f16Names.has(name), toInt8 });
  }

  // Attribute tensors get table names of their own, kept distinct from initializer names.
  const usedNames = new Set(graph.initializers.keys());
  const uniqueName = (base: string): string => {
    let name = base;
    for (let k = 1; usedNames.has(name); k++) name = `${base}#${k}`;
    usedNames.add(name);
    return name;
  };
  const nodes = graph.nodes.map((node, n) => {
    const where = nodeWhere(node, n);
    const attrs: Record<string, AttrEntry> = {};
    for (const [key, value] of Object.entries(node.attrs ?? {})) {
      if (key === '__proto__') throw new FormatError(`forbidden attribute name '__proto__'`, where);
      attrs[key] = encodeAttr(value, () => uniqueName(`${node.name || `node${n}`}:${key}`), `${where}.attrs.${key}`, pending);
    }
    return { name: node.name, op: node.op, inputs: [...node.inputs], outputs: [...node.outputs], attrs };
  });

  // Payload layout: each tensor at the next 256-byte boundary; the payload ends right after the last tensor.
  const tensors: TensorEntry[] = [];
  const chunks: Uint8Array[] = [];
  let cursor = 0;
  for (const p of pending) {
    const bytes = p.toInt8 ? int8Bytes(p.tensor as Tensor & { quant: NonNullable<Tensor['quant']> }) : p.toF16 ? f16Bytes(p.tensor.data as Float32Array) : bytesOf(p.tensor.data);
    const byteOffset = alignUp(cursor);
    const entry: TensorEntry = { name: p.name, dtype: p.tensor.dtype, shape: [...p.tensor.shape], byteOffset, byteLength: bytes.length };
    if (p.toF16) entry.storage = 'f16';
    if (p.toInt8) {
      entry.storage = 'int8';
      if (p.tensor.quant!.axis !== undefined) entry.scaleAxis = p.tensor.quant!.axis;
    }
    tensors.push(entry);
    chunks.push(bytes);
    cursor = byteOffset + bytes.length;
  }
  const payload = new Uint8Array(cursor);
  tensors.forEach((t, i) => payload.set(chunks[i]!, t.byteOffset));

  // Version 1 stays the format of every file without int8 tensors, so older readers keep reading those.
  const version = pending.some((p) => p.toInt8) ? INT8_FORMAT_VERSION : FORMAT_VERSION;
  const header: TesseraHeader = {
    formatVersion: version,
    payload: { byteLength: payload.length, sha256: bytesToHex(sha256(payload)) },
    tensors,
    graph: {
      inputs: graph.inputs.map((vi, i) => valueInfoEntry(vi, `graph.inputs[${i}]`)),
      outputs: graph.outputs.map((vi, i) => valueInfoEntry(vi, `graph.outputs[${i}]`)),
      nodes,
      initializers: [...graph.initializers.keys()],
    },
    // A JSON round trip drops undefined fields; the validator then checks the known ones.
    metadata: validateMetadata(JSON.parse(JSON.stringify(graph.metadata ?? {})), 'graph.metadata'),
  };
  const json = JSON.stringify(header);
  // Run the reader's validator on exactly what will be written, so no unreadable file ever leaves here.
  validateHeader(JSON.parse(json));
  const headerBytes = new TextEncoder().encode(json);
  if (headerBytes.length > MAX_HEADER_BYTES)
    throw new FormatError(`header is ${headerBytes.length} bytes, more than the ${MAX_HEADER_BYTES}-byte limit`);
  return assembleTessera(headerBytes, payload, version);
}
