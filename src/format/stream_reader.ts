/**
 * Streaming `.tessera` reader: the caller pushes bytes as they arrive (a fetch body, any ReadableStream) and the
 * reader checks the prelude and the header as soon as each is complete, with exactly the checks of the whole-file
 * reader (checkPrelude, checkHeaderRegion); it hashes the payload as it comes (SHA-256, incrementally) and reports
 * each tensor whose bytes are all here. finish() checks the length and the payload hash and returns the file.
 *
 * Hostile input stays bounded: the buffer grows with the bytes actually received (doubling, never to a size a header
 * merely declares), a stream longer than the header says fails at the first extra byte, and every failure is a
 * FormatError naming what and where. Tensor bytes handed out before finish() are unverified: use them only for work
 * that is thrown away or redone if the hash fails (the skeleton graph, skeleton.ts; weights uploaded while streaming,
 * src/runtime/stream_upload.ts). They are the very bytes the hash covers: the buffer only ever grows by appending.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Graph, Tensor } from '../graph/ir.js';
import { DEFAULT_MAX_FILE_BYTES, PRELUDE_BYTES } from './constants.js';
import { FormatError } from './errors.js';
import type { TensorEntry } from './header.js';
import { checkHeaderRegion, checkPayloadHash, checkPrelude, guarded, type TesseraHeaderInfo, type TesseraPrelude } from './reader.js';
import { skeletonGraph, structuralTensors } from './skeleton.js';

export interface StreamReaderOptions {
  /** Refuse files larger than this many bytes (default 2 GiB), as readTessera's maxBytes. */
  maxBytes?: number;
  /** f16-stored weights stay f16 tensors (readTessera's keepF16) in the skeleton. */
  keepF16?: boolean;
  /** The header was checked: the file's size and tensor table are known, no tensor data yet. */
  onHeader?: (info: TesseraHeaderInfo) => void;
  /** Every byte of a tensor arrived (`done` of `total` tensors; unverified until finish()). */
  onTensor?: (entry: TensorEntry, done: number, total: number) => void;
  /**
   * The header and every structural tensor arrived: the skeleton graph (weights are placeholders, skeleton.ts), with
   * the placeholder tensors by name (the tensors not here yet). Not called when the skeleton cannot be built from
   * the unverified bytes (finish() then reports what is wrong).
   */
  onSkeleton?: (graph: Graph, placeholders: ReadonlyMap<string, Tensor>) => void;
}

export class TesseraStreamReader {
  private buf = new Uint8Array(64 * 1024);
  private length = 0;
  private prelude?: TesseraPrelude;
  private info?: TesseraHeaderInfo;
  private readonly hasher = sha256.create();
  /** Tensor entries by end offset in the file, and how many of them are complete. */
  private ends: { entry: TensorEntry; end: number }[] = [];
  private done = 0;
  private structural = new Set<string>();
  private structuralLeft = 0;
  private readonly maxBytes: number;

  constructor(private readonly options: StreamReaderOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  }

  /** Bytes received so far. */
  get received(): number {
    return this.length;
  }

  /** The whole file's size, once the header arrived. */
  get total(): number | undefined {
    return this.info?.fileByteLength;
  }

  get header(): TesseraHeaderInfo | undefined {
    return this.info;
  }

  /** Appends `chunk`; throws FormatError when the bytes so far already make the file invalid. */
  push(chunk: Uint8Array): void {
    guarded('reading a streamed .tessera file', () => this.pushChecked(chunk));
  }

  private pushChecked(chunk: Uint8Array): void {
    const before = this.length;
    const after = before + chunk.length;
    const total = this.total;
    if (total !== undefined && after > total)
      throw new FormatError(`the stream has more bytes than the ${total} the header describes: trailing bytes`, `byte ${total}`);
    if (after > this.maxBytes) throw new FormatError(`the stream exceeds the ${this.maxBytes}-byte limit (maxBytes)`, `byte ${this.maxBytes}`);
    this.reserve(after);
    this.buf.set(chunk, before);
    this.length = after;
    if (!this.prelude && after >= PRELUDE_BYTES) {
      this.prelude = checkPrelude(this.buf.subarray(0, after));
      if (this.prelude.payloadOffset > this.maxBytes)
        throw new FormatError(`the header alone needs ${this.prelude.payloadOffset} bytes, more than the ${this.maxBytes}-byte limit (maxBytes)`, 'byte 12');
    }
    if (this.prelude && !this.info && after >= this.prelude.payloadOffset) this.readHeader();
    const info = this.info;
    if (!info) return;
    const from = Math.max(before, info.payloadOffset);
    if (after > from) this.hasher.update(this.buf.subarray(from, after));
    this.completeTensors();
  }

  /** Grows the buffer to hold `needed` bytes: doubling, capped by maxBytes and by the declared size once known. */
  private reserve(needed: number): void {
    if (needed <= this.buf.length) return;
    const cap = Math.min(this.total ?? Infinity, this.maxBytes);
    const size = Math.min(Math.max(needed, 2 * this.buf.length), cap);
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
  }

  private readHeader(): void {
    const prelude = this.prelude!;
    const header = checkHeaderRegion(this.buf.subarray(0, prelude.payloadOffset), prelude);
    const fileByteLength = prelude.payloadOffset + header.payload.byteLength;
    if (fileByteLength > this.maxBytes)
      throw new FormatError(`the header describes a ${fileByteLength}-byte file, more than the ${this.maxBytes}-byte limit (maxBytes)`, 'header.payload.byteLength');
    if (this.length > fileByteLength)
      throw new FormatError(`the stream has more bytes than the ${fileByteLength} the header describes: trailing bytes`, `byte ${fileByteLength}`);
    this.info = { formatVersion: prelude.version, headerByteLength: prelude.headerByteLength, payloadOffset: prelude.payloadOffset, fileByteLength, header };
    this.ends = header.tensors.map((entry) => ({ entry, end: prelude.payloadOffset + entry.byteOffset + entry.byteLength })).sort((a, b) => a.end - b.end);
    this.structural = structuralTensors(header);
    this.structuralLeft = header.tensors.filter((t) => this.structural.has(t.name)).length;
    this.options.onHeader?.(this.info);
  }

  private completeTensors(): void {
    while (this.done < this.ends.length && this.ends[this.done]!.end <= this.length) {
      const { entry } = this.ends[this.done++]!;
      if (this.structural.has(entry.name)) this.structuralLeft--;
      this.options.onTensor?.(entry, this.done, this.ends.length);
    }
    if (this.structuralLeft === 0 && !this.skeletonSent) this.sendSkeleton();
  }

  private skeletonSent = false;

  private sendSkeleton(): void {
    this.skeletonSent = true;
    const { onSkeleton, keepF16 } = this.options;
    if (!onSkeleton) return;
    let graph: Graph;
    const placeholders = new Map<string, Tensor>();
    try {
      graph = skeletonGraph(this.info!, !!keepF16, (entry) => this.tensorBytes(entry), placeholders);
    } catch {
      return; // unverified bytes that do not read: finish() reports the real problem (hash or tensor data)
    }
    onSkeleton(graph, placeholders);
  }

  /** The bytes of a tensor that has fully arrived (unverified before finish()), else undefined. */
  tensorBytes(entry: TensorEntry): Uint8Array | undefined {
    if (!this.info) return undefined;
    const start = this.info.payloadOffset + entry.byteOffset;
    if (start + entry.byteLength > this.length) return undefined;
    return this.buf.subarray(start, start + entry.byteLength);
  }

  /** The stream ended: checks its length and the payload hash; returns the whole (verified) file and its header. */
  finish(): { bytes: Uint8Array; info: TesseraHeaderInfo } {
    const n = this.length;
    if (!this.prelude)
      throw new FormatError(`the stream ended after ${n} bytes, inside the ${PRELUDE_BYTES}-byte prelude: truncated file`, `byte ${n}`);
    if (!this.info)
      throw new FormatError(`the stream ended after ${n} bytes, inside the header (which ends at byte ${this.prelude.payloadOffset}): truncated file`, `byte ${n}`);
    const { header, payloadOffset, fileByteLength } = this.info;
    if (n < fileByteLength)
      throw new FormatError(`the stream ended after ${n} of the ${fileByteLength} bytes the header describes: truncated file`, 'header.payload.byteLength');
    checkPayloadHash(header, bytesToHex(this.hasher.digest()), payloadOffset, n);
    return { bytes: this.buf.length === n ? this.buf : this.buf.subarray(0, n), info: this.info };
  }
}
