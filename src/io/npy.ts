/**
 * NumPy `.npy` reader and writer (format versions 1.0, 2.0 and 3.0), browser-safe (no Node imports).
 *
 * Supported on read: float32, float64 (narrowed to f32, the IR has no f64), float16, int32, int64, uint8, bool, and
 * the small integer types int8/int16/uint16 (widened to i32 losslessly). Either byte order; C order only.
 * On write: every Tensor dtype except the bit-packed `binary` storage type.
 */
import { allocData, sizeOf, type DType, type Shape, type Tensor } from '../graph/ir.js';

export class NpyError extends Error {
  override name = 'NpyError';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** How one numpy element type maps to a Tensor dtype. */
interface NumpyType {
  bytes: number;
  kind: 'f' | 'i' | 'u' | 'b';
  target: DType;
}

function parseDescr(descr: string, where: string): { type: NumpyType; bigEndian: boolean } {
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  if (!m) throw new NpyError(`${where}: unsupported dtype descr '${descr}'`);
  const order = m[1]!;
  const kind = m[2] as NumpyType['kind'];
  const bytes = Number(m[3]);
  const key = `${kind}${bytes}`;
  const targets: Record<string, DType> = {
    f2: 'f16', f4: 'f32', f8: 'f32', i1: 'i32', i2: 'i32', i4: 'i32', i8: 'i64', u1: 'u8', u2: 'i32', b1: 'bool',
  };
  const target = targets[key];
  if (target === undefined) throw new NpyError(`${where}: unsupported dtype '${descr}' (supported: f2 f4 f8 i1 i2 i4 i8 u1 u2 b1)`);
  return { type: { bytes, kind, target }, bigEndian: order === '>' };
}

/** Parse the Python-literal header dict, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`. */
function parseHeader(text: string, where: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) throw new NpyError(`${where}: malformed header ${JSON.stringify(text.trim())}`);
  const dims = shape[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, '')); // Python 2 writers append L to longs
      if (!Number.isInteger(n) || n < 0) throw new NpyError(`${where}: bad dimension '${s}' in shape`);
      return n;
    });
  return { descr: descr[1]!, fortran: fortran[1] === 'True', shape: dims };
}

/**
 * Decode a `.npy` file. `where` names the source (file path) in error messages.
 * Throws NpyError on a bad magic, an unsupported dtype, Fortran order or truncated data.
 */
export function readNpy(bytes: Uint8Array, where = 'npy'): Tensor {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw new NpyError(`${where}: not a .npy file (bad magic)`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyError(`${where}: truncated header`);
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyError(`${where}: unsupported .npy version ${major}.${bytes[7]}`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) throw new NpyError(`${where}: truncated header`);
  // Version 3 headers are UTF-8; 1 and 2 are latin-1. The keys/values we parse are ASCII either way.
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const header = parseHeader(text, where);
  const { type, bigEndian } = parseDescr(header.descr, where);
  const count = sizeOf(header.shape);
  if (header.fortran && header.shape.filter((d) => d > 1).length > 1)
    throw new NpyError(`${where}: Fortran-order arrays are not supported (save with np.ascontiguousarray)`);
  const need = count * type.bytes;
  if (bytes.length - dataStart < need)
    throw new NpyError(`${where}: truncated data: shape [${header.shape.join(', ')}] needs ${need} bytes, file has ${bytes.length - dataStart}`);
  const data = decodeElements(bytes.subarray(dataStart, dataStart + need), type, bigEndian, count);
  return { dtype: type.target, shape: header.shape, data };
}

function decodeElements(raw: Uint8Array, type: NumpyType, bigEndian: boolean, count: number) {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const le = !bigEndian;
  const out = allocData(type.target, count);
  const key = `${type.kind}${type.bytes}`;
  switch (key) {
    case 'f2': {
      const o = out as Uint16Array;
      for (let i = 0; i < count; i++) o[i] = v.getUint16(i * 2, le);
      break;
    }
    case 'f4': {
      const o = out as Float32Array;
      for (let i = 0; i < count; i++) o[i] = v.getFloat32(i * 4, le);
      break;
    }
    case 'f8': {
      const o = out as Float32Array;
      for (let i = 0; i < count; i++) o[i] = v.getFloat64(i * 8, le);
      break;
    }
    case 'i1': {
      const o = out as Int32Array;
      for (let i = 0; i < count; i++) o[i] = v.getInt8(i);
      break;
    }
    case 'i2': {
      const o = out as Int32Array;
      for (let i = 0; i < count; i++) o[i] = v.getInt16(i * 2, le);
      break;
    }
    case 'u2': {
      const o = out as Int32Array;
      for (let i = 0; i < count; i++) o[i] = v.getUint16(i * 2, le);
      break;
    }
    case 'i4': {
      const o = out as Int32Array;
      for (let i = 0; i < count; i++) o[i] = v.getInt32(i * 4, le);
      break;
    }
    case 'i8': {
      const o = out as BigInt64Array;
      for (let i = 0; i < count; i++) o[i] = v.getBigInt64(i * 8, le);
      break;
    }
    case 'u1':
      (out as Uint8Array).set(raw);
      break;
    case 'b1': {
      const o = out as Uint8Array;
      for (let i = 0; i < count; i++) o[i] = raw[i] ? 1 : 0;
      break;
    }
  }
  return out;
}

const DESCR: Partial<Record<DType, string>> = { f32: '<f4', f16: '<f2', i32: '<i4', i64: '<i8', u8: '|u1', bool: '|b1' };

/** Encode a tensor as a `.npy` file (version 1.0 unless the header needs 2.0), little-endian, C order. */
export function writeNpy(t: Tensor): Uint8Array {
  const descr = DESCR[t.dtype];
  if (descr === undefined) throw new NpyError(`cannot write dtype '${t.dtype}' to .npy`);
  const count = sizeOf(t.shape);
  if (t.data.length !== count)
    throw new NpyError(`tensor data has ${t.data.length} elements but shape [${t.shape.join(', ')}] needs ${count}`);
  const shapeText = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // numpy pads the header with spaces and a final newline so the data starts at a multiple of 64 bytes.
  let major = 1;
  let prefix = 10;
  if (dict.length + 1 + prefix > 0xffff) {
    major = 2;
    prefix = 12;
  }
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - prefix - 1, ' ') + '\n';
  const elemBytes = t.dtype === 'f16' ? 2 : t.dtype === 'i64' ? 8 : t.dtype === 'f32' || t.dtype === 'i32' ? 4 : 1;
  const out = new Uint8Array(total + count * elemBytes);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, dict.length, true);
  else view.setUint32(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[prefix + i] = dict.charCodeAt(i);
  const body = new DataView(out.buffer, total);
  const d = t.data;
  switch (t.dtype) {
    case 'f32':
      for (let i = 0; i < count; i++) body.setFloat32(i * 4, d[i] as number, true);
      break;
    case 'i32':
      for (let i = 0; i < count; i++) body.setInt32(i * 4, d[i] as number, true);
      break;
    case 'f16':
      for (let i = 0; i < count; i++) body.setUint16(i * 2, d[i] as number, true);
      break;
    case 'i64':
      for (let i = 0; i < count; i++) body.setBigInt64(i * 8, (d as BigInt64Array)[i]!, true);
      break;
    default:
      for (let i = 0; i < count; i++) out[total + i] = (d[i] as number) ? (t.dtype === 'bool' ? 1 : (d[i] as number)) : 0;
  }
  return out;
}

/** Shape as text for messages: `[1, 3, 32, 32]`. */
export function shapeText(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}
