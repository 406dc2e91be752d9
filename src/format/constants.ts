/**
 * Fixed numbers of the `.tessera` container. See docs/format.md for the byte-by-byte layout.
 */

/** 8-byte file signature: ASCII `TESSERA` followed by a NUL byte. */
export const MAGIC = new Uint8Array([0x54, 0x45, 0x53, 0x53, 0x45, 0x52, 0x41, 0x00]);

/**
 * The container version this code writes for a file without int8 tensors. Any layout or header-schema change bumps
 * the version; the reader accepts every version from 1 to MAX_FORMAT_VERSION.
 */
export const FORMAT_VERSION = 1;

/** Version 2 adds `storage: "int8"` (+ `scaleAxis`); written only for files that hold int8 tensors. */
export const INT8_FORMAT_VERSION = 2;
export const MAX_FORMAT_VERSION = 2;

/** Fixed prelude: magic (8) + version u32 (4) + header length u32 (4) + header SHA-256 (32). */
export const OFFSET_VERSION = 8;
export const OFFSET_HEADER_LENGTH = 12;
export const OFFSET_HEADER_HASH = 16;
export const PRELUDE_BYTES = 48;

/** Payload start and every tensor start are multiples of this (covers any typed-array and GPU copy alignment). */
export const ALIGNMENT = 256;

/** Largest JSON header accepted. Real headers are a few KB; this only bounds what a hostile file can make us decode. */
export const MAX_HEADER_BYTES = 64 * 1024 * 1024;

/** Default cap on a whole file handed to the reader (callers can raise it with `maxBytes`). */
export const DEFAULT_MAX_FILE_BYTES = 2 ** 31;

/** Largest rank of any tensor or value shape. */
export const MAX_RANK = 32;

/** Largest element count of one tensor (a 2^32-element binary tensor is already 512 MiB of bits). */
export const MAX_TENSOR_ELEMENTS = 2 ** 32;

export function alignUp(n: number, alignment: number = ALIGNMENT): number {
  return Math.ceil(n / alignment) * alignment;
}

/** Typed arrays are written/read as raw bytes; that is only correct on little-endian hosts (all current ones). */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
