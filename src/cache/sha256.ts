/** SHA-256 as lowercase hex: WebCrypto where present (secure contexts, Node ≥ 20), @noble/hashes otherwise. */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (subtle) {
    // digest() wants a BufferSource backed by an ArrayBuffer (not a SharedArrayBuffer).
    const view = bytes.buffer instanceof ArrayBuffer ? bytes : new Uint8Array(bytes);
    const digest = new Uint8Array(await subtle.digest('SHA-256', view as Uint8Array<ArrayBuffer>));
    return bytesToHex(digest);
  }
  return bytesToHex(sha256(bytes));
}
