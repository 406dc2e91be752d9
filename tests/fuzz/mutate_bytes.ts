/** Byte-level mutations, format-agnostic: bit flips, byte runs, truncation, inserted/deleted spans, huge varints. */
import { HOSTILE_INTS, type Rng } from './rng.js';

export type ByteMutation = (rng: Rng, bytes: Uint8Array) => { bytes: Uint8Array; what: string };

const bitFlips: ByteMutation = (rng, bytes) => {
  const out = bytes.slice();
  const n = rng.weighted([[6, 1], [3, rng.range(2, 8)], [1, rng.range(9, 64)]]);
  for (let k = 0; k < n && out.length; k++) out[rng.int(out.length)] ^= 1 << rng.int(8);
  return { bytes: out, what: `bitflip x${n}` };
};

const byteRun: ByteMutation = (rng, bytes) => {
  const out = bytes.slice();
  if (!out.length) return { bytes: out, what: 'byterun (empty)' };
  const start = rng.int(out.length);
  const len = Math.min(out.length - start, rng.weighted([[5, rng.range(1, 8)], [3, rng.range(9, 256)], [1, rng.range(257, 8192)]]));
  const fill = rng.pick([0x00, 0xff, 0x7f, 0x80, -1]);
  for (let i = start; i < start + len; i++) out[i] = fill < 0 ? rng.int(256) : fill;
  return { bytes: out, what: `byterun ${len}@${start} fill ${fill}` };
};

const truncate: ByteMutation = (rng, bytes) => {
  const len = rng.weighted([[4, rng.int(bytes.length)], [2, Math.max(0, bytes.length - rng.range(1, 16))], [1, rng.int(64)]]);
  return { bytes: bytes.slice(0, len), what: `truncate to ${len}` };
};

const insertOrDelete: ByteMutation = (rng, bytes) => {
  const at = rng.int(bytes.length + 1);
  if (rng.chance(0.5) && bytes.length) {
    const len = Math.min(bytes.length - at, rng.range(1, 64));
    const out = new Uint8Array(bytes.length - len);
    out.set(bytes.subarray(0, at));
    out.set(bytes.subarray(at + len), at);
    return { bytes: out, what: `delete ${len}@${at}` };
  }
  const len = rng.range(1, 64);
  const out = new Uint8Array(bytes.length + len);
  out.set(bytes.subarray(0, at));
  for (let i = 0; i < len; i++) out[at + i] = rng.int(256);
  out.set(bytes.subarray(at), at + len);
  return { bytes: out, what: `insert ${len}@${at}` };
};

/** LEB128 varint of a non-negative integer up to 2^64 (as a bigint). */
export function varint(value: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, value);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

/**
 * Overwrite the bytes after a protobuf-looking length-delimited tag (wire type 2) with a huge varint, so a length
 * field claims far more bytes than exist; or drop a huge varint anywhere.
 */
const hugeVarint: ByteMutation = (rng, bytes) => {
  const candidates: number[] = [];
  for (let i = 0; i + 1 < bytes.length && candidates.length < 4096; i++) if ((bytes[i]! & 0x07) === 2 && bytes[i]! < 0x80) candidates.push(i + 1);
  const at = candidates.length && rng.chance(0.8) ? rng.pick(candidates) : rng.int(Math.max(1, bytes.length));
  const value = rng.pick([2n ** 31n, 2n ** 32n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, BigInt(rng.pick(HOSTILE_INTS.filter((x) => x >= 0)))]);
  const v = varint(value);
  const out = bytes.slice();
  for (let k = 0; k < v.length && at + k < out.length; k++) out[at + k] = v[k]!;
  return { bytes: out, what: `varint ${value}@${at}` };
};

/** Copy a span of the file over another place (duplicates tags and lengths in odd positions). */
const splice: ByteMutation = (rng, bytes) => {
  const out = bytes.slice();
  if (out.length < 2) return { bytes: out, what: 'splice (tiny)' };
  const len = rng.range(1, Math.min(512, out.length - 1));
  const from = rng.int(out.length - len);
  const to = rng.int(out.length - len);
  out.copyWithin(to, from, from + len);
  return { bytes: out, what: `splice ${len} ${from}->${to}` };
};

export const BYTE_MUTATIONS: readonly (readonly [number, ByteMutation])[] = [
  [5, bitFlips],
  [3, byteRun],
  [2, truncate],
  [2, insertOrDelete],
  [3, hugeVarint],
  [1, splice],
];

export function mutateBytes(rng: Rng, bytes: Uint8Array): { bytes: Uint8Array; what: string } {
  return rng.weighted(BYTE_MUTATIONS)(rng, bytes);
}

/**
 * A ModelProto whose graph nests subgraphs `repeats` deep (graph -> node -> attribute.g -> graph ...), written
 * directly as protobuf bytes (an encoder would recurse): decoders must bound their recursion.
 */
export function deeplyNestedOnnx(repeats: number): Uint8Array {
  const tags = [(7 << 3) | 2];
  for (let k = 0; k < repeats; k++) tags.push((1 << 3) | 2, (5 << 3) | 2, (6 << 3) | 2);
  const lengths = new Array<number>(tags.length);
  let inner = 0;
  for (let k = tags.length - 1; k >= 0; k--) {
    lengths[k] = inner;
    inner += 1 + varint(BigInt(inner)).length;
  }
  const out: number[] = [];
  for (let k = 0; k < tags.length; k++) out.push(tags[k]!, ...varint(BigInt(lengths[k]!)));
  return Uint8Array.from(out);
}
