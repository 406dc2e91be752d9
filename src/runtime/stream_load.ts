/**
 * Streaming model load (docs/loading.md): a URL, a fetch Response or a ReadableStream of bytes is read chunk by chunk.
 * A `.tessera` file goes through TesseraStreamReader: the header is checked as soon as it arrives, the skeleton graph
 * (weights as placeholders) is handed to the caller to build pipelines with while the payload streams, each tensor's
 * bytes are handed over as they complete (WebGPU uploads them: stream_upload.ts), the payload hash is checked at the
 * end. ONNX files need their whole protobuf: they are collected, then imported as before.
 */
import type { Graph, Tensor } from '../graph/ir.js';
import type { TensorEntry } from '../format/header.js';
import { MAGIC } from '../format/constants.js';
import { graphFromHeader } from '../format/reader.js';
import { TesseraStreamReader } from '../format/stream_reader.js';
import { bodyLength, concatBytes } from '../cache/fetch_progress.js';
import { importOnnx } from '../import/onnx/index.js';
import { ModelLoadError } from './load.js';

export type StreamSource = string | Response | ReadableStream<Uint8Array>;

/** Load progress (SessionOptions.onProgress): each figure as done / total (null: not known yet). */
export interface LoadProgress {
  /** Bytes of the model received; total from the `.tessera` header (or Content-Length until it arrives). */
  bytes: { loaded: number; total: number | null };
  /** Tensors of the `.tessera` file whose bytes have all arrived (ONNX: 0 / 0). */
  tensors: { done: number; total: number };
  /** WebGPU pipelines compiled for the executor being built (0 / 0 on the CPU and WASM backends). */
  pipelines: { done: number; total: number };
  /**
   * Tensors of the `.tessera` file whose real values the WebGPU session holds: uploaded as their bytes arrive while
   * streaming, or all at once by a session built after the last byte (0 / 0 on the CPU and WASM backends, and ONNX).
   */
  uploaded: { done: number; total: number };
}

/** Holds the current figures and reports a copy on every change. */
export class ProgressReporter {
  private readonly state: LoadProgress = { bytes: { loaded: 0, total: null }, tensors: { done: 0, total: 0 }, pipelines: { done: 0, total: 0 }, uploaded: { done: 0, total: 0 } };
  constructor(private readonly listener?: (p: LoadProgress) => void) {}

  update(key: keyof LoadProgress, done: number, total: number | null): void {
    if (!this.listener) return;
    if (key === 'bytes') this.state.bytes = { loaded: done, total };
    else this.state[key] = { done, total: total ?? 0 };
    const s = this.state;
    this.listener({ bytes: { ...s.bytes }, tensors: { ...s.tensors }, pipelines: { ...s.pipelines }, uploaded: { ...s.uploaded } });
  }

  /** Every tensor of the file is on the GPU (a session built after the last byte uploaded them together). */
  allUploaded(): void {
    this.update('uploaded', this.state.tensors.total, this.state.tensors.total);
  }
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/**
 * Sources that stream: a Response, a ReadableStream, and a URL string (in Node only one with a scheme other than
 * file://; local paths and file URLs are read whole, as before).
 */
export function isStreamSource(src: unknown): src is StreamSource {
  if (typeof src === 'string') return !isNode || (/^[a-z][a-z0-9+.-]*:\/\//i.test(src) && !src.startsWith('file://'));
  if (typeof ReadableStream !== 'undefined' && src instanceof ReadableStream) return true;
  return typeof Response !== 'undefined' && src instanceof Response;
}

/** The byte stream of a source, with its size when a Content-Length says it. */
export async function openModelStream(src: StreamSource): Promise<{ stream: ReadableStream<Uint8Array>; total: number | null; what: string }> {
  if (typeof src !== 'string' && !(src instanceof Response)) return { stream: src, total: null, what: 'the model stream' };
  let res = src as Response;
  const what = typeof src === 'string' ? `model ${src}` : `the model response${res.url ? ` (${res.url})` : ''}`;
  if (typeof src === 'string') {
    try {
      res = await fetch(src);
    } catch (e) {
      throw new ModelLoadError(`cannot fetch ${what}: ${(e as Error).message}`);
    }
  }
  if (!res.ok) throw new ModelLoadError(`cannot fetch ${what}: HTTP ${res.status}`);
  if (res.bodyUsed) throw new ModelLoadError(`${what}: its body was already read`);
  const stream = res.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  return { stream, total: bodyLength(res), what };
}

export interface StreamedModel {
  /** The model's graph, read from the verified file when first asked (a session kept from the stream needs none). */
  graph: () => Graph;
  format: 'tessera' | 'onnx';
  /** The whole file (verified for `.tessera`). */
  bytes: Uint8Array;
}

export interface ReadStreamOptions {
  total?: number | null;
  what?: string;
  progress?: ProgressReporter;
  /**
   * `.tessera` only: the skeleton graph as soon as the header and structural tensors are in, with its placeholder
   * tensors by name (the weights still on their way) and the number of tensors in the file.
   */
  onSkeleton?: (graph: Graph, placeholders: ReadonlyMap<string, Tensor>, tensorCount: number) => void;
  /** `.tessera` only: every byte of a tensor arrived (unverified until the stream ends). */
  onTensorBytes?: (entry: TensorEntry, bytes: Uint8Array) => void;
}

/** Does `head` (the first bytes, maybe fewer than 8) start like a `.tessera` file? */
function startsLikeTessera(head: Uint8Array): boolean {
  for (let i = 0; i < Math.min(head.length, MAGIC.length); i++) if (head[i] !== MAGIC[i]) return false;
  return head.length > 0;
}

/** Reads the stream to its end (cancelling it on a FormatError) and returns the model's graph. */
export async function readModelStream(stream: ReadableStream<Uint8Array>, options: ReadStreamOptions = {}): Promise<StreamedModel> {
  const what = options.what ?? 'the model stream';
  const reader = stream.getReader();
  let loaded = 0;
  const next = async (): Promise<Uint8Array | undefined> => {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await reader.read();
    } catch (e) {
      throw new ModelLoadError(`reading ${what} failed after ${loaded} bytes: ${(e as Error).message}`);
    }
    if (r.done) return undefined;
    if (!(r.value instanceof Uint8Array)) throw new ModelLoadError(`${what} yielded a ${typeof r.value} chunk; model streams must yield Uint8Array chunks`);
    loaded += r.value.length;
    return r.value;
  };
  const progress = options.progress;
  let total = options.total ?? null;
  try {
    // Sniff the format from the first bytes (up to the 8-byte magic; a stream may deliver them in pieces).
    const head: Uint8Array[] = [];
    let chunk: Uint8Array | undefined;
    while (loaded < MAGIC.length && (chunk = await next())) head.push(chunk);
    const first = concatBytes(head, loaded);
    if (!startsLikeTessera(first)) {
      const rest = [first];
      progress?.update('bytes', loaded, total);
      while ((chunk = await next())) {
        rest.push(chunk);
        progress?.update('bytes', loaded, total);
      }
      const bytes = concatBytes(rest, loaded);
      const graph = importOnnx(bytes);
      return { graph: () => graph, format: 'onnx', bytes };
    }
    let tensorCount = 0;
    const tessera: TesseraStreamReader = new TesseraStreamReader({
      keepF16: true,
      onHeader: (info) => {
        total = info.fileByteLength;
        tensorCount = info.header.tensors.length;
        progress?.update('tensors', 0, tensorCount);
      },
      onTensor: (entry, done, count) => {
        progress?.update('tensors', done, count);
        options.onTensorBytes?.(entry, tessera.tensorBytes(entry)!);
      },
      onSkeleton: options.onSkeleton && ((graph, placeholders) => options.onSkeleton!(graph, placeholders, tensorCount)),
    });
    for (chunk = first; chunk; chunk = await next()) {
      tessera.push(chunk);
      progress?.update('bytes', tessera.received, total);
    }
    const { bytes, info } = tessera.finish();
    let graph: Graph | undefined;
    return { graph: () => (graph ??= graphFromHeader(bytes, info, true)), format: 'tessera', bytes };
  } catch (e) {
    reader.cancel().catch(() => undefined); // stop the download; the error is the answer
    throw e;
  } finally {
    reader.releaseLock();
  }
}
