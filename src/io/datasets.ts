/**
 * Readers for the evaluation data sets, Node only (files, node:zlib for `.gz`).
 *
 * - CIFAR-10 binary version: records of 3073 bytes = label byte + 1024 R + 1024 G + 1024 B (32x32, row-major).
 * - MNIST IDX files (optionally gzip-compressed): big-endian header, uint8 payload.
 * Images are returned as one uint8 buffer in NCHW order, ready for `preprocess.ts`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export class DatasetError extends Error {
  override name = 'DatasetError';
}

export interface ImageDataset {
  name: string;
  count: number;
  channels: number;
  height: number;
  width: number;
  /** count * channels * height * width bytes, NCHW. */
  images: Uint8Array;
  labels: Uint8Array;
  /** Class names by label when the data set ships them. */
  classNames?: string[];
}

const CIFAR_RECORD = 3073;
const CIFAR_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Split a CIFAR-10 binary batch into CHW images and labels. `limit` keeps only the first N records. */
export function parseCifar10Batch(bytes: Uint8Array, where = 'cifar10', limit?: number): ImageDataset {
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD !== 0)
    throw new DatasetError(`${where}: size ${bytes.length} is not a multiple of the 3073-byte CIFAR-10 record`);
  let count = bytes.length / CIFAR_RECORD;
  if (limit !== undefined) count = Math.min(count, limit);
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const rec = i * CIFAR_RECORD;
    const label = bytes[rec]!;
    if (label > 9) throw new DatasetError(`${where}: record ${i} has label ${label} (expected 0..9)`);
    labels[i] = label;
    images.set(bytes.subarray(rec + 1, rec + CIFAR_RECORD), i * 3072); // already R,G,B planes = CHW
  }
  return { name: 'cifar10', count, channels: 3, height: 32, width: 32, images, labels };
}

/** Class names from `batches.meta.txt`: one per line, blank lines ignored. */
export function parseClassNames(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Load CIFAR-10 from a directory holding `test_batch.bin` (and optionally `batches.meta.txt`). */
export function loadCifar10(dir: string, limit?: number): ImageDataset {
  const file = join(dir, 'test_batch.bin');
  if (!existsSync(file)) throw new DatasetError(`--cifar10 ${dir}: no test_batch.bin in that directory`);
  const ds = parseCifar10Batch(readFileSync(file), file, limit);
  const meta = join(dir, 'batches.meta.txt');
  ds.classNames = existsSync(meta) ? parseClassNames(readFileSync(meta, 'utf8')) : CIFAR_NAMES;
  return ds;
}

/** A decoded IDX array. Only element type 0x08 (uint8), the one MNIST uses, is supported. */
export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

/** Gunzip when the bytes start with the gzip magic, otherwise return them unchanged. */
export function maybeGunzip(bytes: Uint8Array, where: string): Uint8Array {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return new Uint8Array(gunzipSync(bytes));
    } catch (err) {
      throw new DatasetError(`${where}: corrupt gzip data (${(err as Error).message})`);
    }
  }
  return bytes;
}

/** Parse an IDX file (uint8 payload only), gunzipping first when needed. */
export function parseIdx(raw: Uint8Array, where = 'idx'): IdxArray {
  const bytes = maybeGunzip(raw, where);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new DatasetError(`${where}: not an IDX file (bad magic)`);
  if (bytes[2] !== 0x08) throw new DatasetError(`${where}: IDX element type 0x${bytes[2]!.toString(16)} unsupported (only uint8)`);
  const rank = bytes[3]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 + 4 * rank) throw new DatasetError(`${where}: truncated IDX header`);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const start = 4 + 4 * rank;
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - start < count)
    throw new DatasetError(`${where}: truncated IDX data: shape [${shape.join(', ')}] needs ${count} bytes, has ${bytes.length - start}`);
  return { shape, data: bytes.subarray(start, start + count) };
}

function findFile(dir: string, base: string): string | undefined {
  for (const name of [base, `${base}.gz`]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Load the MNIST test set from a directory with `t10k-images-idx3-ubyte[.gz]` and `t10k-labels-idx1-ubyte[.gz]`. */
export function loadMnist(dir: string, limit?: number): ImageDataset {
  const imgFile = findFile(dir, 't10k-images-idx3-ubyte');
  const lblFile = findFile(dir, 't10k-labels-idx1-ubyte');
  if (!imgFile || !lblFile)
    throw new DatasetError(`--mnist ${dir}: expected t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz] in that directory`);
  const img = parseIdx(readFileSync(imgFile), imgFile);
  const lbl = parseIdx(readFileSync(lblFile), lblFile);
  if (img.shape.length !== 3) throw new DatasetError(`${imgFile}: expected a rank-3 image array, got [${img.shape.join(', ')}]`);
  if (lbl.shape.length !== 1) throw new DatasetError(`${lblFile}: expected a rank-1 label array, got [${lbl.shape.join(', ')}]`);
  const [n, h, w] = img.shape as [number, number, number];
  if (lbl.shape[0] !== n) throw new DatasetError(`${lblFile}: ${lbl.shape[0]} labels for ${n} images in ${imgFile}`);
  const count = limit !== undefined ? Math.min(n, limit) : n;
  return {
    name: 'mnist',
    count,
    channels: 1,
    height: h,
    width: w,
    images: img.data.slice(0, count * h * w),
    labels: lbl.data.slice(0, count),
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  };
}
