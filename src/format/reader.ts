/**
 * `.tessera` reader. Treats the file as hostile: every length, offset and field is checked before it is used, and
 * every failure is a FormatError saying what and where (byte offset or header field path). See docs/format.md.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { dequantizeInt8 } from '../graph/quant_int8.js';
import { f16ToF32, type AttrValue, type Attrs, type Graph, type Node, type Tensor } from '../graph/ir.js';
import {
  alignUp,
  DEFAULT_MAX_FILE_BYTES,
  HOST_IS_LITTLE_ENDIAN,
  MAX_FORMAT_VERSION,
  MAGIC,
  MAX_HEADER_BYTES,
  OFFSET_HEADER_HASH,
  OFFSET_HEADER_LENGTH,
  OFFSET_VERSION,
  PRELUDE_BYTES,
} from './constants.js';
import { assertLittleEndianHost, typedArrayFromBytes } from './dtypes.js';
import { FormatError } from './errors.js';
import { attrNumber, validateHeader, type AttrEntry, type TensorEntry, type TesseraHeader } from './header.js';
import { headerHash } from './framing.js';

export interface ReadOptions {
  /** Refuse files larger than this many bytes (default 2 GiB). */
  maxBytes?: number;
  /** Check the payload's SHA-256 against the header (default true). The header's own hash is always checked. */
  verifyHash?: boolean;
  /**
   * Return tensors stored as f16 as dtype 'f16' tensors (raw Uint16Array bits) instead of converting them to f32
   * (default false). The WebGPU backend keeps them as halves on the GPU; the CPU backend decodes them once.
   */
  keepF16?: boolean;
}

export interface TesseraHeaderInfo {
  formatVersion: number;
  /** Length of the JSON header in bytes. */
  headerByteLength: number;
  /** Absolute file offset of the payload (a multiple of 256). */
  payloadOffset: number;
  fileByteLength: number;
  header: TesseraHeader;
}

/** Cheap sniff: does the buffer start with the `.tessera` magic? (No other check.) */
export function isTessera(bytes: Uint8Array): boolean {
  if (!(bytes instanceof Uint8Array) || bytes.length < MAGIC.length) return false;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) return false;
  return true;
}

/** Run `fn`, turning any stray exception (RangeError, TypeError, stack overflow...) into a FormatError. */
export function guarded<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`unexpected failure while ${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

/** Parse and check everything except tensor contents: framing, header hash, header schema, payload size (and hash). */
export function readTesseraHeader(bytes: Uint8Array, options: ReadOptions = {}): TesseraHeaderInfo {
  return guarded('reading the .tessera header', () => readHeader(bytes, options));
}

/** Read a whole `.tessera` file into a Graph. Tensor data is copied into fresh, aligned typed arrays. */
export function readTessera(bytes: Uint8Array, options: ReadOptions = {}): Graph {
  return guarded('reading the .tessera file', () => {
    const info = readHeader(bytes, options);
    return buildGraph(bytes, info, !!options.keepF16);
  });
}

function readHeader(bytes: Uint8Array, options: ReadOptions): TesseraHeaderInfo {
  if (!(bytes instanceof Uint8Array)) throw new FormatError('input must be a Uint8Array');
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (bytes.length > maxBytes) throw new FormatError(`file is ${bytes.length} bytes, more than the ${maxBytes}-byte limit (maxBytes)`);
  if (bytes.length < PRELUDE_BYTES)
    throw new FormatError(`file is ${bytes.length} bytes, shorter than the ${PRELUDE_BYTES}-byte prelude`, 'byte 0');
  const prelude = checkPrelude(bytes);
  if (prelude.payloadOffset > bytes.length)
    throw new FormatError(
      `header length ${prelude.headerByteLength} needs the file to be at least ${prelude.payloadOffset} bytes (header + padding), but it is ${bytes.length}`,
      `byte ${OFFSET_HEADER_LENGTH}`,
    );
  const header = checkHeaderRegion(bytes, prelude);
  const { payloadOffset } = prelude;
  const expectedLength = payloadOffset + header.payload.byteLength;
  if (bytes.length !== expectedLength)
    throw new FormatError(
      `file is ${bytes.length} bytes but the header describes ${expectedLength} (payload of ${header.payload.byteLength} bytes at offset ${payloadOffset})` +
        (bytes.length < expectedLength ? ': truncated file' : ': trailing bytes'),
      'header.payload.byteLength',
    );
  if (options.verifyHash ?? true) checkPayloadHash(header, bytesToHex(sha256(bytes.subarray(payloadOffset))), payloadOffset, bytes.length);
  return { formatVersion: prelude.version, headerByteLength: prelude.headerByteLength, payloadOffset, fileByteLength: bytes.length, header };
}

/** The fixed prelude, framing only: where the header ends and the payload starts. */
export interface TesseraPrelude {
  version: number;
  headerByteLength: number;
  payloadOffset: number;
}

/**
 * Checks the 48-byte prelude (magic, version, header length) of `bytes` (at least PRELUDE_BYTES long). Shared by the
 * whole-file reader and the streaming reader (stream_reader.ts), which calls it as soon as 48 bytes arrived.
 */
export function checkPrelude(bytes: Uint8Array): TesseraPrelude {
  assertLittleEndianHost(HOST_IS_LITTLE_ENDIAN);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i])
      throw new FormatError(`bad magic: byte ${i} is 0x${bytes[i]!.toString(16)}, expected 0x${MAGIC[i]!.toString(16)} ("TESSERA\\0")`, `byte ${i}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(OFFSET_VERSION, true);
  if (version < 1 || version > MAX_FORMAT_VERSION)
    throw new FormatError(`unsupported format version ${version} (this reader supports versions 1 to ${MAX_FORMAT_VERSION})`, `byte ${OFFSET_VERSION}`);

  const headerByteLength = view.getUint32(OFFSET_HEADER_LENGTH, true);
  if (headerByteLength === 0) throw new FormatError('header length is 0', `byte ${OFFSET_HEADER_LENGTH}`);
  if (headerByteLength > MAX_HEADER_BYTES)
    throw new FormatError(`header length ${headerByteLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`, `byte ${OFFSET_HEADER_LENGTH}`);
  return { version, headerByteLength, payloadOffset: alignUp(PRELUDE_BYTES + headerByteLength) };
}

/**
 * Checks the header region of `bytes` (at least `prelude.payloadOffset` long): zero padding, the header hash, UTF-8,
 * JSON, the header schema (validateHeader) and its version. Everything but the payload's length and hash.
 */
export function checkHeaderRegion(bytes: Uint8Array, prelude: TesseraPrelude): TesseraHeader {
  const { version, payloadOffset } = prelude;
  const headerEnd = PRELUDE_BYTES + prelude.headerByteLength;
  for (let i = headerEnd; i < payloadOffset; i++) {
    if (bytes[i] !== 0) throw new FormatError(`padding byte is 0x${bytes[i]!.toString(16)}, expected 0`, `byte ${i}`);
  }
  // The header hash makes any change to the header region detectable, including edits that still parse as JSON.
  const expectedHash = headerHash(bytes, payloadOffset);
  for (let i = 0; i < expectedHash.length; i++) {
    if (bytes[OFFSET_HEADER_HASH + i] !== expectedHash[i])
      throw new FormatError('header SHA-256 does not match the header bytes (corrupted header)', `bytes ${OFFSET_HEADER_HASH}..${OFFSET_HEADER_HASH + 31}`);
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(PRELUDE_BYTES, headerEnd));
  } catch {
    throw new FormatError('header is not valid UTF-8', `bytes ${PRELUDE_BYTES}..${headerEnd - 1}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`header is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, `bytes ${PRELUDE_BYTES}..${headerEnd - 1}`);
  }
  const header = validateHeader(json);
  if (header.formatVersion !== version)
    throw new FormatError(`formatVersion ${header.formatVersion} differs from the prelude's version ${version}`, 'header.formatVersion');
  return header;
}

/** The payload's SHA-256 (hex, computed by the caller: at once or incrementally) against the header's. */
export function checkPayloadHash(header: TesseraHeader, actual: string, payloadOffset: number, fileLength: number): void {
  if (actual !== header.payload.sha256)
    throw new FormatError(`payload SHA-256 is ${actual}, header says ${header.payload.sha256} (corrupted payload)`, `bytes ${payloadOffset}..${fileLength - 1}`);
}

/**
 * An int8 tensor: the values (sizes checked by the validator against the shape), zero padding to a u32 word, the
 * scales. A scale that is negative or not finite, or a non-zero padding byte, is a malformed scale table.
 */
function readInt8Tensor(raw: Uint8Array, entry: TensorEntry, where: string): Tensor {
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const scaleStart = 4 * Math.ceil(count / 4);
  const what = `int8 tensor '${entry.name}'`;
  for (let i = count; i < scaleStart; i++)
    if (raw[i] !== 0) throw new FormatError(`${what}: padding byte ${i} after the values is 0x${raw[i]!.toString(16)}, expected 0`, where);
  const values = new Int8Array(raw.slice(0, count).buffer);
  const scales = new Float32Array(raw.slice(scaleStart).buffer);
  scales.forEach((s, k) => {
    if (!(Number.isFinite(s) && s >= 0)) throw new FormatError(`${what}: scale ${k} is ${s}; scales must be finite and >= 0`, where);
  });
  const quant = entry.scaleAxis === undefined ? { values, scales } : { values, scales, axis: entry.scaleAxis };
  return { dtype: 'f32', shape: [...entry.shape], data: dequantizeInt8(quant, entry.shape), quant };
}

function readTensor(bytes: Uint8Array, payloadOffset: number, entry: TensorEntry, keepF16 = false, where = 'header.tensors'): Tensor {
  const start = payloadOffset + entry.byteOffset;
  const raw = bytes.subarray(start, start + entry.byteLength);
  if (entry.storage === 'int8') return readInt8Tensor(raw, entry, where);
  if (entry.storage === 'f16' && keepF16 && entry.dtype === 'f32') return { dtype: 'f16', shape: [...entry.shape], data: typedArrayFromBytes('f16', raw) };
  if (entry.storage === 'f16') {
    const half = typedArrayFromBytes('f16', raw) as Uint16Array;
    const data = new Float32Array(half.length);
    for (let i = 0; i < half.length; i++) data[i] = f16ToF32(half[i]!);
    return { dtype: 'f32', shape: [...entry.shape], data };
  }
  return { dtype: entry.dtype, shape: [...entry.shape], data: typedArrayFromBytes(entry.dtype, raw) };
}

function decodeAttr(attr: AttrEntry, tensors: Map<string, Tensor>): AttrValue {
  switch (attr.type) {
    case 'number':
      return attrNumber(attr.value);
    case 'numbers':
      return attr.value.map(attrNumber);
    case 'string':
      return attr.value;
    case 'strings':
      return [...attr.value];
    case 'tensor':
      return tensors.get(attr.tensor)!; // existence checked by validateHeader
  }
}

/** How buildGraph gets each tensor table entry's Tensor (the streaming reader substitutes placeholders). */
export type TensorSource = (entry: TensorEntry, index: number) => Tensor;

/**
 * The Graph of a checked header, its tensors from `tensorOf` (default: read from `bytes`, the whole file). Used by
 * readTessera and by the streaming reader (stream_reader.ts: the verified file, or a skeleton with placeholders).
 */
export function graphFromHeader(bytes: Uint8Array, info: Pick<TesseraHeaderInfo, 'header' | 'payloadOffset'>, keepF16 = false, tensorOf?: TensorSource): Graph {
  return guarded('building the graph of a .tessera file', () => buildGraph(bytes, info, keepF16, tensorOf));
}

/** One tensor of the table from `raw`, the bytes at its entry's byteOffset..+byteLength (checked as readTessera does). */
export function tensorFromBytes(raw: Uint8Array, entry: TensorEntry, keepF16: boolean, where: string): Tensor {
  return readTensor(raw, 0, { ...entry, byteOffset: 0 }, keepF16, where);
}

function buildGraph(bytes: Uint8Array, info: Pick<TesseraHeaderInfo, 'header' | 'payloadOffset'>, keepF16 = false, tensorOf?: TensorSource): Graph {
  const { header, payloadOffset } = info;
  const tensors = new Map<string, Tensor>();
  const read: TensorSource = tensorOf ?? ((entry, i) => readTensor(bytes, payloadOffset, entry, keepF16, `header.tensors[${i}]`));
  header.tensors.forEach((entry, i) => tensors.set(entry.name, read(entry, i)));

  const initializers = new Map<string, Tensor>();
  for (const name of header.graph.initializers) initializers.set(name, tensors.get(name)!);

  const nodes: Node[] = header.graph.nodes.map((n) => {
    const attrs: Attrs = {};
    for (const [key, attr] of Object.entries(n.attrs)) attrs[key] = decodeAttr(attr, tensors);
    return { name: n.name, op: n.op, inputs: [...n.inputs], outputs: [...n.outputs], attrs };
  });
  return {
    inputs: header.graph.inputs.map((vi) => ({ ...vi, shape: [...vi.shape] })),
    outputs: header.graph.outputs.map((vi) => ({ ...vi, shape: [...vi.shape] })),
    nodes,
    initializers,
    metadata: header.metadata,
  };
}
