/**
 * NumPy `.npz` reader: a zip archive of `.npy` members, stored (np.savez) or deflated (np.savez_compressed).
 * Node only (inflates with node:zlib); the browser path reads plain `.npy` via `npy.ts`.
 *
 * Only the central directory is trusted for sizes: numpy writes members with `force_zip64`, which leaves
 * 0xFFFFFFFF placeholders (and a zip64 extra field) in the headers.
 */
import { inflateRawSync } from 'node:zlib';
import type { Tensor } from '../graph/ir.js';
import { readNpy } from './npy.js';

export class NpzError extends Error {
  override name = 'NpzError';
}

const EOCD_SIG = 0x06054b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** List and extract the members of a zip archive (no encryption, methods 0 and 8 only). */
export function readZip(bytes: Uint8Array, where = 'zip'): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = readCentralDirectory(bytes, view, where);
  const out = new Map<string, Uint8Array>();
  for (const e of entries) {
    if (e.localOffset + 30 > bytes.length || view.getUint32(e.localOffset, true) !== LOCAL_SIG)
      throw new NpzError(`${where}: member '${e.name}': bad local header`);
    const nameLen = view.getUint16(e.localOffset + 26, true);
    const extraLen = view.getUint16(e.localOffset + 28, true);
    const start = e.localOffset + 30 + nameLen + extraLen;
    if (start + e.compressedSize > bytes.length) throw new NpzError(`${where}: member '${e.name}' is truncated`);
    const raw = bytes.subarray(start, start + e.compressedSize);
    let data: Uint8Array;
    if (e.method === 0) data = raw;
    else if (e.method === 8) {
      try {
        data = new Uint8Array(inflateRawSync(raw));
      } catch (err) {
        throw new NpzError(`${where}: member '${e.name}': corrupt deflate data (${(err as Error).message})`);
      }
    } else throw new NpzError(`${where}: member '${e.name}': unsupported compression method ${e.method}`);
    if (data.length !== e.size) throw new NpzError(`${where}: member '${e.name}': size ${data.length}, expected ${e.size}`);
    out.set(e.name, data);
  }
  return out;
}

function readCentralDirectory(bytes: Uint8Array, view: DataView, where: string): ZipEntry[] {
  // The end-of-central-directory record sits in the last 22 + (comment ≤ 65535) bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new NpzError(`${where}: not a zip/.npz file (no end-of-central-directory record)`);
  let count = view.getUint16(eocd + 10, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if ((count === 0xffff || cdOffset === 0xffffffff) && eocd >= 20 && view.getUint32(eocd - 20, true) === ZIP64_LOCATOR_SIG) {
    const z = Number(view.getBigUint64(eocd - 12, true));
    if (z + 56 > bytes.length || view.getUint32(z, true) !== ZIP64_EOCD_SIG) throw new NpzError(`${where}: bad zip64 record`);
    count = Number(view.getBigUint64(z + 32, true));
    cdOffset = Number(view.getBigUint64(z + 48, true));
  }
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== CENTRAL_SIG) throw new NpzError(`${where}: corrupt central directory`);
    const flags = view.getUint16(p + 8, true);
    if (flags & 1) throw new NpzError(`${where}: encrypted members are not supported`);
    const method = view.getUint16(p + 10, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localOffset = view.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // Zip64 extra field (id 1): the 8-byte values appear only for the fields that hold 0xFFFFFFFF, in this order.
    let q = p + 46 + nameLen;
    const extraEnd = q + extraLen;
    while (q + 4 <= extraEnd) {
      const id = view.getUint16(q, true);
      const len = view.getUint16(q + 2, true);
      if (id === 1) {
        let r = q + 4;
        if (size === 0xffffffff) (size = Number(view.getBigUint64(r, true))), (r += 8);
        if (compressedSize === 0xffffffff) (compressedSize = Number(view.getBigUint64(r, true))), (r += 8);
        if (localOffset === 0xffffffff) localOffset = Number(view.getBigUint64(r, true));
      }
      q += 4 + len;
    }
    entries.push({ name, method, compressedSize, size, localOffset });
    p = extraEnd + commentLen;
  }
  return entries;
}

/** Decode a `.npz` file: array name (member name without `.npy`) → tensor, in archive order. */
export function readNpz(bytes: Uint8Array, where = 'npz'): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [member, data] of readZip(bytes, where)) {
    if (member.endsWith('/')) continue;
    const name = member.endsWith('.npy') ? member.slice(0, -4) : member;
    out.set(name, readNpy(data, `${where}:${member}`));
  }
  return out;
}
