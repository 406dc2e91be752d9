/**
 * Tuning table caches (src/cache/tuning_cache.ts): file cache in a temp dir, corrupt files, keys, memory cache, and
 * the Node default (the file cache; the browser default, IndexedDB, is checked in tests/backends/webgpu/autotune_idb.test.ts).
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TuningCacheKeyError, defaultTuningCache, defaultTuningCacheDir, fileTuningCache, memoryTuningCache } from '../../src/cache/tuning_cache.js';

const KEY = 'ab'.repeat(32);
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tessera-tune-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('fileTuningCache', () => {
  it('round-trips a table as <key>.json and leaves no temporary file', async () => {
    const dir = join(tempDir(), 'nested', 'autotune');
    const cache = fileTuningCache(dir);
    expect(await cache.get(KEY)).toBeUndefined();
    await cache.set(KEY, { version: 1, choices: { a: 'winograd' } });
    expect(await cache.get(KEY)).toEqual({ version: 1, choices: { a: 'winograd' } });
    await cache.set(KEY, { version: 1, choices: { a: 'conv2d_gemm' } }); // overwrite
    expect(await cache.get(KEY)).toEqual({ version: 1, choices: { a: 'conv2d_gemm' } });
    expect(readdirSync(dir)).toEqual([`${KEY}.json`]);
  });

  it('treats a corrupt, truncated or non-object file as a miss, and the next set repairs it', async () => {
    const dir = tempDir();
    const cache = fileTuningCache(dir);
    for (const text of ['{"version":1,"choi', 'not json', '[1,2]', 'null', '']) {
      writeFileSync(join(dir, `${KEY}.json`), text);
      expect(await cache.get(KEY)).toBeUndefined();
    }
    await cache.set(KEY, { version: 1, choices: {} });
    expect(await cache.get(KEY)).toEqual({ version: 1, choices: {} });
  });

  it('refuses keys that are not hex hashes (no path can escape the directory)', async () => {
    const cache = fileTuningCache(tempDir());
    for (const bad of ['../x', 'ABCDEF0123456789', 'short', `${KEY}/..`]) {
      await expect(cache.get(bad)).rejects.toBeInstanceOf(TuningCacheKeyError);
      await expect(cache.set(bad, {})).rejects.toBeInstanceOf(TuningCacheKeyError);
    }
  });

  it('defaults to $TESSERA_CACHE_DIR/autotune', async () => {
    const saved = process.env['TESSERA_CACHE_DIR'];
    process.env['TESSERA_CACHE_DIR'] = '/some/where';
    try {
      expect(await defaultTuningCacheDir()).toBe(join('/some/where', 'autotune'));
      expect(await fileTuningCache().dir()).toBe(join('/some/where', 'autotune'));
    } finally {
      if (saved === undefined) delete process.env['TESSERA_CACHE_DIR'];
      else process.env['TESSERA_CACHE_DIR'] = saved;
    }
    if (saved === undefined) expect(await defaultTuningCacheDir()).toMatch(/tessera[/\\]autotune$/);
  });
});

describe('memoryTuningCache', () => {
  it('stores copies (callers cannot change what is cached)', async () => {
    const cache = memoryTuningCache();
    const table = { version: 1, choices: { a: 'winograd' } };
    await cache.set(KEY, table);
    table.choices.a = 'conv2d_gemm';
    const got = (await cache.get(KEY)) as typeof table;
    expect(got.choices.a).toBe('winograd');
    got.choices.a = 'x';
    expect(((await cache.get(KEY)) as typeof table).choices.a).toBe('winograd');
    expect(await cache.get('cd'.repeat(32))).toBeUndefined();
  });
});

describe('defaultTuningCache in Node', () => {
  it('is the file cache under $TESSERA_CACHE_DIR/autotune (Node has no IndexedDB), and it stores there', async () => {
    expect((globalThis as { indexedDB?: unknown }).indexedDB).toBeUndefined();
    const root = tempDir();
    const saved = process.env['TESSERA_CACHE_DIR'];
    process.env['TESSERA_CACHE_DIR'] = root;
    try {
      const cache = defaultTuningCache() as (ReturnType<typeof defaultTuningCache> & { dir?: () => Promise<string>; store?: unknown }) | undefined;
      expect(cache).toBeDefined();
      expect(cache!.store).toBeUndefined(); // not the IndexedDB cache
      expect(await cache!.dir!()).toBe(join(root, 'autotune'));
      await cache!.set(KEY, { version: 1, choices: { a: 'winograd' } });
      expect(readdirSync(join(root, 'autotune'))).toEqual([`${KEY}.json`]);
      expect(await fileTuningCache(join(root, 'autotune')).get(KEY)).toEqual({ version: 1, choices: { a: 'winograd' } });
    } finally {
      if (saved === undefined) delete process.env['TESSERA_CACHE_DIR'];
      else process.env['TESSERA_CACHE_DIR'] = saved;
    }
  });
});
