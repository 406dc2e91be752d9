/**
 * How each Tessera dtype is laid out in the payload. All multi-byte values are little-endian.
 */
import type { DType, Tensor, TypedArray } from '../graph/ir.js';
import { FormatError } from './errors.js';

export const STORED_DTYPES: readonly DType[] = ['f32', 'f16', 'i32', 'i64', 'u8', 'bool', 'binary'];

export function isDType(v: unknown): v is DType {
  return typeof v === 'string' && (STORED_DTYPES as readonly string[]).includes(v);
}

/** Bytes a tensor of `count` elements occupies in the payload. `binary` is bit-packed into whole u32 words. */
export function storedByteLength(dtype: DType, count: number): number {
  switch (dtype) {
    case 'f32':
    case 'i32':
      return 4 * count;
    case 'i64':
      return 8 * count;
    case 'f16':
      return 2 * count;
    case 'u8':
    case 'bool':
      return count;
    case 'binary':
      return 4 * Math.ceil(count / 32);
  }
}

/** Number of typed-array elements behind a tensor of `count` logical elements. */
export function dataLength(dtype: DType, count: number): number {
  return dtype === 'binary' ? Math.ceil(count / 32) : count;
}

/** Does `data` have the typed-array class the IR prescribes for `dtype`? */
export function hasExpectedArrayType(dtype: DType, data: TypedArray): boolean {
  switch (dtype) {
    case 'f32':
      return data instanceof Float32Array;
    case 'i32':
      return data instanceof Int32Array;
    case 'i64':
      return data instanceof BigInt64Array;
    case 'f16':
      return data instanceof Uint16Array;
    case 'u8':
    case 'bool':
      return data instanceof Uint8Array;
    case 'binary':
      return data instanceof Uint32Array;
  }
}

/** The raw bytes of a typed array (a view, no copy). */
export function bytesOf(data: TypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Build the IR typed array for `dtype` from payload bytes. Always copies into a fresh buffer, so the result is
 * aligned and owns its memory (the caller's file buffer can be dropped or reused). `bytes.length` is checked by
 * the header validator before we get here.
 */
export function typedArrayFromBytes(dtype: DType, bytes: Uint8Array): TypedArray {
  const buffer = bytes.slice().buffer;
  switch (dtype) {
    case 'f32':
      return new Float32Array(buffer);
    case 'i32':
      return new Int32Array(buffer);
    case 'i64':
      return new BigInt64Array(buffer);
    case 'f16':
      return new Uint16Array(buffer);
    case 'u8':
    case 'bool':
      return new Uint8Array(buffer);
    case 'binary':
      return new Uint32Array(buffer);
  }
}

/** Short description used in writer error messages. */
export function describeTensor(t: Tensor): string {
  return `${t.dtype}[${t.shape.join(',')}] (${t.data?.constructor?.name ?? typeof t.data} of length ${t.data?.length})`;
}

export function assertLittleEndianHost(littleEndian: boolean): void {
  if (!littleEndian) throw new FormatError('big-endian hosts are not supported by the .tessera reader/writer');
}
