import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { DownloadError, IntegrityError, fetchWithProgress, loadCached, memoryStore, sha256Hex, listCached, clearCache, streamCached } from '../../src/cache/index.js';
import type { DownloadProgress } from '../../src/cache/index.js';

/** Deterministic pseudo-random bytes (xorshift32). */
function bytesOf(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A fetch that serves `body` in chunks of `chunk` bytes, with a Content-Length unless told otherwise. */
function servingFetch(body: Uint8Array, opts: { chunk?: number; status?: number; length?: number | null } = {}) {
  return vi.fn(async (_url: string | URL | Request) => {
    const chunk = opts.chunk ?? 1000;
    const stream = new ReadableStream<Uint8Array>({
      start(ctrl) {
        for (let i = 0; i < body.length; i += chunk) ctrl.enqueue(body.slice(i, i + chunk));
        ctrl.close();
      },
    });
    const headers = new Headers();
    const length = opts.length === undefined ? body.length : opts.length;
    if (length !== null) headers.set('content-length', String(length));
    return new Response(stream, { status: opts.status ?? 200, headers });
  });
}

describe('sha256Hex', () => {
  it('matches node:crypto on empty, small and multi-block inputs', async () => {
    for (const n of [0, 3, 64, 1000, 70_001]) {
      const b = bytesOf(n, n + 7);
      expect(await sha256Hex(b)).toBe(hex(b));
    }
  });
});

describe('fetchWithProgress', () => {
  it('streams the body, reporting monotonic progress up to Content-Length', async () => {
    const body = bytesOf(10_500, 1);
    const seen: DownloadProgress[] = [];
    const got = await fetchWithProgress('/m', { fetch: servingFetch(body, { chunk: 1000 }) as typeof fetch, onProgress: (p) => seen.push(p) });
    expect(hex(got)).toBe(hex(body));
    expect(seen[0]).toEqual({ loaded: 0, total: 10_500 });
    expect(seen.at(-1)).toEqual({ loaded: 10_500, total: 10_500 });
    expect(seen.length).toBe(1 + 11);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.loaded).toBeGreaterThan(seen[i - 1]!.loaded);
  });

  it('reports an unknown total as null', async () => {
    const seen: DownloadProgress[] = [];
    await fetchWithProgress('/m', { fetch: servingFetch(bytesOf(100, 2), { length: null }) as typeof fetch, onProgress: (p) => seen.push(p) });
    expect(seen.every((p) => p.total === null)).toBe(true);
    expect(seen.at(-1)!.loaded).toBe(100);
  });

  it('turns HTTP errors, network errors and short bodies into DownloadError', async () => {
    const e404 = await fetchWithProgress('/missing', { fetch: servingFetch(new Uint8Array(0), { status: 404 }) as typeof fetch }).catch((e) => e);
    expect(e404).toBeInstanceOf(DownloadError);
    expect(e404.status).toBe(404);
    expect(e404.message).toContain('/missing');
    expect(e404.message).toContain('HTTP 404');

    const offline = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    const eNet = await fetchWithProgress('/m', { fetch: offline }).catch((e) => e);
    expect(eNet).toBeInstanceOf(DownloadError);
    expect(eNet.message).toContain('network error (Failed to fetch)');

    const eShort = await fetchWithProgress('/m', { fetch: servingFetch(bytesOf(50, 3), { length: 80 }) as typeof fetch }).catch((e) => e);
    expect(eShort).toBeInstanceOf(DownloadError);
    expect(eShort.message).toContain('received 50 of 80 bytes');
  });
});

describe('loadCached', () => {
  it('downloads once, then serves the cached copy without fetching', async () => {
    const body = bytesOf(5000, 4);
    const store = memoryStore();
    const f = servingFetch(body);
    const first = await loadCached('/models/a.tessera', { store, fetch: f as typeof fetch, expectedSha256: hex(body) });
    expect(first.source).toBe('network');
    expect(first.sha256).toBe(hex(body));
    const second = await loadCached('/models/a.tessera', { store, fetch: f as typeof fetch, expectedSha256: hex(body) });
    expect(second.source).toBe('cache');
    expect(hex(second.bytes)).toBe(hex(body));
    expect(second.notes).toEqual([]);
    expect(f).toHaveBeenCalledTimes(1);
    // Keyed by URL and by content hash.
    expect([...store.map.keys()].sort()).toEqual([`sha256:${hex(body)}`, 'url:/models/a.tessera']);
    expect(await listCached(store)).toEqual([expect.objectContaining({ url: '/models/a.tessera', sha256: hex(body), byteLength: 5000 })]);
  });

  it('re-downloads a cached copy that fails its SHA-256 check, and says so', async () => {
    const body = bytesOf(3000, 5);
    const store = memoryStore();
    const f = servingFetch(body);
    await loadCached('/m', { store, fetch: f as typeof fetch });
    const blob = store.map.get(`sha256:${hex(body)}`) as Uint8Array;
    blob[1234] ^= 1;
    const r = await loadCached('/m', { store, fetch: f as typeof fetch });
    expect(r.source).toBe('network');
    expect(hex(r.bytes)).toBe(hex(body));
    expect(r.notes.join(' ')).toMatch(/failed its SHA-256 check .* downloaded again/);
    expect(f).toHaveBeenCalledTimes(2);
    // The repaired entry is valid again.
    expect((await loadCached('/m', { store, fetch: f as typeof fetch })).source).toBe('cache');
  });

  it('treats an entry with another hash than expected as stale', async () => {
    const v1 = bytesOf(800, 6);
    const v2 = bytesOf(900, 7);
    const store = memoryStore();
    await loadCached('/m', { store, fetch: servingFetch(v1) as typeof fetch, expectedSha256: hex(v1) });
    const r = await loadCached('/m', { store, fetch: servingFetch(v2) as typeof fetch, expectedSha256: hex(v2) });
    expect(r.source).toBe('network');
    expect(r.notes.join(' ')).toContain('out of date');
    expect(store.map.has(`sha256:${hex(v1)}`)).toBe(false);
    expect(store.map.has(`sha256:${hex(v2)}`)).toBe(true);
  });

  it('rejects a download whose hash is not the expected one (and caches nothing)', async () => {
    const body = bytesOf(400, 8);
    const store = memoryStore();
    const e = await loadCached('/m', { store, fetch: servingFetch(body) as typeof fetch, expectedSha256: 'ab'.repeat(32) }).catch((x) => x);
    expect(e).toBeInstanceOf(IntegrityError);
    expect(e.actual).toBe(hex(body));
    expect(store.map.size).toBe(0);
  });

  it('still loads when the cache cannot be written or read', async () => {
    const body = bytesOf(300, 9);
    const broken = {
      get: async () => {
        throw new Error('IndexedDB is disabled');
      },
      set: async () => {
        throw new Error('QuotaExceededError');
      },
      del: async () => undefined,
      keys: async () => [],
    };
    const r = await loadCached('/m', { store: broken, fetch: servingFetch(body) as typeof fetch });
    expect(hex(r.bytes)).toBe(hex(body));
    expect(r.notes.join(' ')).toContain('could not be read (IndexedDB is disabled)');
    expect(r.notes.join(' ')).toContain('could not be cached (QuotaExceededError)');
  });

  it('clearCache forgets everything', async () => {
    const store = memoryStore();
    await loadCached('/m', { store, fetch: servingFetch(bytesOf(10, 10)) as typeof fetch });
    await clearCache(store);
    expect(store.map.size).toBe(0);
  });
});

describe('streamCached', () => {
  const readAll = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());

  it('a miss streams the body and stores it when the reader has read it all; the next call is a one-chunk hit', async () => {
    const body = bytesOf(25_000, 3);
    const store = memoryStore();
    const fetch = servingFetch(body, { chunk: 4096 }) as typeof globalThis.fetch & ReturnType<typeof servingFetch>;
    const seen: DownloadProgress[] = [];
    const miss = await streamCached('https://x/model.onnx', { store, fetch, onProgress: (p) => seen.push(p) });
    expect(miss.source).toBe('network');
    expect(miss.total).toBe(body.length);
    expect(await readAll(miss.stream)).toEqual(body);
    await miss.stored;
    expect(miss.notes).toEqual([]);
    expect(seen.at(-1)).toEqual({ loaded: body.length, total: body.length });
    expect(await listCached(store)).toMatchObject([{ url: 'https://x/model.onnx', sha256: hex(body), byteLength: body.length }]);
    const hit = await streamCached('https://x/model.onnx', { store, fetch });
    expect(hit.source).toBe('cache');
    expect(await readAll(hit.stream)).toEqual(body);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('stores nothing when the reader cancels, the body is short, the hash is unexpected or a .tessera payload is corrupt', async () => {
    const body = bytesOf(20_000, 4);
    const store = memoryStore();
    const cancelled = await streamCached('https://x/a', { store, fetch: servingFetch(body) as typeof fetch });
    const reader = cancelled.stream.getReader();
    await reader.read();
    await reader.cancel(new Error('FormatError'));
    await cancelled.stored;
    const short = await streamCached('https://x/b', { store, fetch: servingFetch(body, { length: body.length + 10 }) as typeof fetch });
    await readAll(short.stream);
    await short.stored;
    expect(short.notes.join()).toMatch(/received 20000 of 20010 bytes; not cached/);
    const wrong = await streamCached('https://x/c', { store, fetch: servingFetch(body) as typeof fetch, expectedSha256: '0'.repeat(64) });
    await readAll(wrong.stream);
    await wrong.stored;
    expect(wrong.notes.join()).toMatch(/not the expected/);
    const { writeTessera } = await import('../../src/format/index.js');
    const { syntheticCnn } = await import('../format/helpers.js');
    const file = writeTessera(syntheticCnn(2));
    file[file.length - 5]! ^= 0x40;
    const corrupt = await streamCached('https://x/d.tessera', { store, fetch: servingFetch(file) as typeof fetch });
    await readAll(corrupt.stream);
    await corrupt.stored;
    expect(corrupt.notes.join()).toMatch(/not a valid \.tessera file .*payload SHA-256/);
    expect(store.map.size).toBe(0);
  });
});
