/**
 * Binary framing of a `.tessera` file: the 48-byte prelude and the header hash that protects it. Shared by the
 * writer and the reader.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  alignUp,
  FORMAT_VERSION,
  MAGIC,
  OFFSET_HEADER_HASH,
  OFFSET_HEADER_LENGTH,
  OFFSET_VERSION,
  PRELUDE_BYTES,
} from './constants.js';

/**
 * Frame a header and payload: prelude + header + zero padding + payload. Low level: it does not validate the header
 * (writeTessera does); exported for tools and for tests that need a well-hashed file with a hand-made header.
 */
export function assembleTessera(headerBytes: Uint8Array, payload: Uint8Array, version: number = FORMAT_VERSION): Uint8Array {
  const payloadStart = alignUp(PRELUDE_BYTES + headerBytes.length);
  const out = new Uint8Array(payloadStart + payload.length);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(OFFSET_VERSION, version, true);
  view.setUint32(OFFSET_HEADER_LENGTH, headerBytes.length, true);
  out.set(headerBytes, PRELUDE_BYTES);
  out.set(headerHash(out, payloadStart), OFFSET_HEADER_HASH);
  out.set(payload, payloadStart);
  return out;
}

/** SHA-256 of the header region (magic, version, length, JSON, padding), skipping the hash field itself. */
export function headerHash(file: Uint8Array, payloadStart: number): Uint8Array {
  return sha256
    .create()
    .update(file.subarray(0, OFFSET_HEADER_HASH))
    .update(file.subarray(PRELUDE_BYTES, payloadStart))
    .digest();
}
