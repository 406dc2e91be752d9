/**
 * fetch() that reads the body as a stream and reports progress, so a page can draw a progress bar while a model
 * downloads. The total comes from Content-Length when the server sends one (null otherwise, e.g. compressed bodies).
 */
import { DownloadError } from './errors.js';

export interface DownloadProgress {
  loaded: number;
  /** Expected byte count, or null when unknown. */
  total: number | null;
}

export interface FetchProgressOptions {
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** The body's byte count from Content-Length, or null when absent or not the streamed size (a compressed body). */
export function bodyLength(res: Response): number | null {
  const header = res.headers.get('content-length');
  // A compressed body streams more bytes than Content-Length says; only trust it when no encoding is applied.
  const encoded = !!res.headers.get('content-encoding') && res.headers.get('content-encoding') !== 'identity';
  return header !== null && !encoded && Number.isFinite(Number(header)) ? Number(header) : null;
}

/** fetch() with its failures as DownloadError (network error, HTTP status); AbortError passes through. */
export async function fetchOk(url: string, options: Pick<FetchProgressOptions, 'signal' | 'fetch'> = {}): Promise<Response> {
  const doFetch = options.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await doFetch(url, { signal: options.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new DownloadError(`network error (${(e as Error).message})`, url, undefined, { cause: e });
  }
  if (!res.ok) throw new DownloadError(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, url, res.status);
  return res;
}

export async function fetchWithProgress(url: string, options: FetchProgressOptions = {}): Promise<Uint8Array> {
  const res = await fetchOk(url, options);
  const total = bodyLength(res);
  const report = options.onProgress ?? (() => undefined);
  report({ loaded: 0, total });
  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    report({ loaded: bytes.length, total: total ?? bytes.length });
    return bytes;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      report({ loaded, total });
    }
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new DownloadError(`connection lost after ${loaded} bytes (${(e as Error).message})`, url, res.status, { cause: e });
  }
  if (total !== null && loaded !== total) throw new DownloadError(`received ${loaded} of ${total} bytes`, url, res.status);
  return concatBytes(chunks, loaded);
}

/** The chunks of a stream as one array of `length` bytes (the single chunk itself when there is only one). */
export function concatBytes(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.length === length) return chunks[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
