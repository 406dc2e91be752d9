/**
 * Model download with a persistent cache, keyed by URL and by content hash:
 *
 *   url:<url>       → { url, sha256, byteLength, storedAt }   which content a URL had when it was cached
 *   sha256:<hex>    → Uint8Array                              the bytes, content-addressed
 *
 * A load looks the URL up; when the caller knows the content hash it expects (e.g. from a model manifest) an entry
 * with another hash is stale and downloaded again. Cached bytes are re-hashed on every load: a corrupted entry
 * fails its SHA-256 check, is deleted and downloaded again. Cache failures (no IndexedDB, quota) never fail a load;
 * they are reported in `notes`. `streamCached` hands the bytes out as a stream (for Session.create's streaming load)
 * and stores them as they stream by.
 */
import { isTessera, readTesseraHeader } from '../format/reader.js';
import { IntegrityError } from './errors.js';
import { bodyLength, concatBytes, fetchOk, fetchWithProgress, type DownloadProgress } from './fetch_progress.js';
import { sha256Hex } from './sha256.js';
import { hasIndexedDb, indexedDbStore, type KeyValueStore } from './store.js';

export interface CacheIndexEntry {
  url: string;
  sha256: string;
  byteLength: number;
  storedAt: number;
}

export interface LoadCachedOptions {
  /** SHA-256 (hex) the bytes must have; a download with another hash throws IntegrityError. */
  expectedSha256?: string;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** The cache; default IndexedDB where present. null: no cache. */
  store?: KeyValueStore | null;
  fetch?: typeof fetch;
}

export interface LoadCachedResult {
  bytes: Uint8Array;
  sha256: string;
  source: 'cache' | 'network';
  /** What happened on the way, for the user: stale or corrupted entries, cache write failures. */
  notes: string[];
}

const urlKey = (url: string) => `url:${url}`;
const blobKey = (hash: string) => `sha256:${hash}`;

function isIndexEntry(v: unknown): v is CacheIndexEntry {
  const e = v as CacheIndexEntry;
  return !!e && typeof e === 'object' && typeof e.url === 'string' && typeof e.sha256 === 'string' && typeof e.byteLength === 'number';
}

function asBytes(v: unknown): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return undefined;
}

function defaultStore(): KeyValueStore | null {
  return hasIndexedDb() ? indexedDbStore() : null;
}

/** Looks for a valid cached copy; deletes corrupted entries. Returns undefined on a miss. */
async function fromCache(store: KeyValueStore, url: string, expected: string | undefined, notes: string[]): Promise<LoadCachedResult | undefined> {
  const entry = await store.get(urlKey(url));
  if (entry === undefined) return undefined;
  if (!isIndexEntry(entry)) {
    notes.push('the cache index entry was unreadable and was dropped');
    await store.del(urlKey(url));
    return undefined;
  }
  if (expected !== undefined && entry.sha256 !== expected) {
    notes.push('the cached copy is out of date (different SHA-256); downloading the new version');
    await store.del(urlKey(url));
    await store.del(blobKey(entry.sha256));
    return undefined;
  }
  const bytes = asBytes(await store.get(blobKey(entry.sha256)));
  if (!bytes) {
    await store.del(urlKey(url));
    return undefined;
  }
  const actual = await sha256Hex(bytes);
  if (actual !== entry.sha256 || bytes.length !== entry.byteLength) {
    notes.push(`the cached copy failed its SHA-256 check (got ${actual.slice(0, 12)}…, expected ${entry.sha256.slice(0, 12)}…) and was downloaded again`);
    await store.del(urlKey(url));
    await store.del(blobKey(entry.sha256));
    return undefined;
  }
  return { bytes, sha256: actual, source: 'cache', notes };
}

export async function loadCached(url: string, options: LoadCachedOptions = {}): Promise<LoadCachedResult> {
  const store = options.store === undefined ? defaultStore() : options.store;
  const notes: string[] = [];
  if (store) {
    try {
      const hit = await fromCache(store, url, options.expectedSha256, notes);
      if (hit) return hit;
    } catch (e) {
      notes.push(`the model cache could not be read (${(e as Error).message})`);
    }
  }
  const bytes = await fetchWithProgress(url, { onProgress: options.onProgress, signal: options.signal, fetch: options.fetch });
  const hash = await sha256Hex(bytes);
  if (options.expectedSha256 !== undefined && hash !== options.expectedSha256) throw new IntegrityError(url, options.expectedSha256, hash);
  if (store) await storeBytes(store, url, bytes, hash, notes);
  return { bytes, sha256: hash, source: 'network', notes };
}

async function storeBytes(store: KeyValueStore, url: string, bytes: Uint8Array, hash: string, notes: string[]): Promise<void> {
  try {
    // Store a tight copy: structured clone of a view would persist its whole underlying buffer.
    const tight = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    await store.set(blobKey(hash), tight);
    const entry: CacheIndexEntry = { url, sha256: hash, byteLength: bytes.length, storedAt: Date.now() };
    await store.set(urlKey(url), entry);
  } catch (e) {
    notes.push(`the model could not be cached (${(e as Error).message})`);
  }
}

export interface StreamCachedResult {
  /** The model's bytes as a stream, for Session.create (which then compiles while the bytes arrive). */
  stream: ReadableStream<Uint8Array>;
  source: 'cache' | 'network';
  /** Expected byte count (the cached copy's, or Content-Length), null when unknown. */
  total: number | null;
  notes: string[];
  /**
   * Settles once a downloaded copy is stored (or found unusable: an `expectedSha256` mismatch, a quota error; see
   * notes). Never rejects. Immediately settled for a cache hit.
   */
  stored: Promise<void>;
}

/**
 * loadCached as a stream: a valid cached copy (checked as loadCached does), or the network body, which is copied
 * into the cache as it streams by: the chunks are kept while the reader (Session.create) consumes them, and stored
 * when the download ends with the expected hash. A cache hit is one chunk.
 */
export async function streamCached(url: string, options: LoadCachedOptions = {}): Promise<StreamCachedResult> {
  const store = options.store === undefined ? defaultStore() : options.store;
  const notes: string[] = [];
  if (store) {
    try {
      const hit = await fromCache(store, url, options.expectedSha256, notes);
      if (hit) {
        const stream = new ReadableStream<Uint8Array>({
          start: (c) => {
            c.enqueue(hit.bytes);
            c.close();
          },
        });
        options.onProgress?.({ loaded: hit.bytes.length, total: hit.bytes.length });
        return { stream, source: 'cache', total: hit.bytes.length, notes, stored: Promise.resolve() };
      }
    } catch (e) {
      notes.push(`the model cache could not be read (${(e as Error).message})`);
    }
  }
  const res = await fetchOk(url, options);
  const total = bodyLength(res);
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let finish!: () => void;
  const stored = new Promise<void>((resolve) => (finish = resolve));
  const keep = async () => {
    if (!store) return;
    if (total !== null && loaded !== total) return void notes.push(`received ${loaded} of ${total} bytes; not cached`);
    const bytes = concatBytes(chunks.splice(0), loaded);
    // The reader may still reject these bytes after the stream ended (a .tessera payload hash): never cache those.
    if (isTessera(bytes)) {
      try {
        readTesseraHeader(bytes);
      } catch (e) {
        return void notes.push(`the download is not a valid .tessera file (${(e as Error).message}); not cached`);
      }
    }
    const hash = await sha256Hex(bytes);
    if (options.expectedSha256 !== undefined && hash !== options.expectedSha256)
      notes.push(`the download's SHA-256 ${hash.slice(0, 12)}… is not the expected ${options.expectedSha256.slice(0, 12)}…; not cached`);
    else await storeBytes(store, url, bytes, hash, notes);
  };
  const body = (res.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() })).getReader();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await body.read();
      } catch (e) {
        finish(); // a failed download stores nothing
        controller.error(e);
        return;
      }
      if (r.done) {
        controller.close();
        // Not awaited: the reader has the end of the stream now, the cache write happens beside it.
        void keep()
          .catch((e: unknown) => void notes.push(`the model could not be cached (${(e as Error).message})`))
          .finally(finish);
        return;
      }
      if (store) chunks.push(r.value);
      loaded += r.value.length;
      options.onProgress?.({ loaded, total });
      controller.enqueue(r.value);
    },
    cancel(reason) {
      chunks.length = 0; // the reader gave up (e.g. a FormatError): nothing to store
      finish();
      return body.cancel(reason);
    },
  });
  return { stream, source: 'network', total, notes, stored };
}

/** Cached URLs with their hashes and sizes. */
export async function listCached(store: KeyValueStore | null = defaultStore()): Promise<CacheIndexEntry[]> {
  if (!store) return [];
  const out: CacheIndexEntry[] = [];
  for (const key of await store.keys()) {
    if (!key.startsWith('url:')) continue;
    const e = await store.get(key);
    if (isIndexEntry(e)) out.push(e);
  }
  return out;
}

/** Forgets every cached model. */
export async function clearCache(store: KeyValueStore | null = defaultStore()): Promise<void> {
  if (!store) return;
  for (const key of await store.keys()) await store.del(key);
}
