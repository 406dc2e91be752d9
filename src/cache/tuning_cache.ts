/**
 * Where autotuning tables live (src/backends/webgpu/autotune.ts): IndexedDB in browsers (a database of its own, so
 * clearing it never touches the model cache or the application's data), one JSON file per key in Node, or memory.
 * A cache never fails a session: read errors and corrupt entries are misses, write errors are reported and ignored.
 */
import { hasIndexedDb, indexedDbStore, type KeyValueStore } from './store.js';

/** What a cache stores: a JSON-able object (the tuning table); checked by the reader, never trusted. */
export type TuningTableData = Record<string, unknown>;

export interface TuningCache {
  /** The stored table, or undefined on a miss (also when the entry is unreadable). */
  get(key: string): Promise<TuningTableData | undefined>;
  set(key: string, table: TuningTableData): Promise<void>;
}

export const TUNING_DB_NAME = 'tessera-autotune';
export const TUNING_STORE_NAME = 'tables';

/** Keys are hex hashes; anything else is refused so a key can never name a path outside the cache directory. */
const KEY_RE = /^[0-9a-f]{16,128}$/;

export class TuningCacheKeyError extends Error {
  override name = 'TuningCacheKeyError';
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || !KEY_RE.test(key)) throw new TuningCacheKeyError(`tuning cache key must be 16-128 lowercase hex digits, got '${String(key).slice(0, 40)}'`);
}

const asTable = (v: unknown): TuningTableData | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as TuningTableData) : undefined);

export function memoryTuningCache(): TuningCache & { map: Map<string, TuningTableData> } {
  const map = new Map<string, TuningTableData>();
  return {
    map,
    get: async (key) => {
      const v = map.get(key);
      return v ? (JSON.parse(JSON.stringify(v)) as TuningTableData) : undefined; // a copy: callers may not mutate ours
    },
    set: async (key, table) => void map.set(key, JSON.parse(JSON.stringify(table)) as TuningTableData),
  };
}

/** IndexedDB through idb-keyval, database 'tessera-autotune' (delete it in devtools, or `clearIndexedDbTuningCache()`). */
export function indexedDbTuningCache(dbName = TUNING_DB_NAME, storeName = TUNING_STORE_NAME): TuningCache & { store: KeyValueStore } {
  const store = indexedDbStore(dbName, storeName);
  return {
    store,
    get: async (key) => {
      checkKey(key);
      try {
        return asTable(await store.get(key));
      } catch {
        return undefined; // private mode, quota, a blocked upgrade...: a miss
      }
    },
    set: async (key, table) => {
      checkKey(key);
      await store.set(key, table);
    },
  };
}

/** Removes every table of the IndexedDB tuning cache. */
export async function clearIndexedDbTuningCache(dbName = TUNING_DB_NAME, storeName = TUNING_STORE_NAME): Promise<void> {
  const store = indexedDbStore(dbName, storeName);
  for (const k of await store.keys()) await store.del(k);
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

// Variables keep browser bundlers away from Node's modules.
const FS = 'node:fs/promises';
const PATH = 'node:path';
const OS = 'node:os';

/**
 * Node's default directory: $TESSERA_CACHE_DIR/autotune, else $XDG_CACHE_HOME/tessera/autotune, else
 * ~/.cache/tessera/autotune.
 */
export async function defaultTuningCacheDir(): Promise<string> {
  const path = (await import(/* @vite-ignore */ PATH)) as typeof import('node:path');
  const env = process.env;
  if (env['TESSERA_CACHE_DIR']) return path.join(env['TESSERA_CACHE_DIR'], 'autotune');
  const os = (await import(/* @vite-ignore */ OS)) as typeof import('node:os');
  return path.join(env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache'), 'tessera', 'autotune');
}

/**
 * One `<key>.json` per table under `dir` (default: defaultTuningCacheDir()). Writes go to a temporary file renamed
 * over the target, so a reader never sees half a file; an unreadable or corrupt file is a miss. Clear it by deleting
 * the directory.
 */
export function fileTuningCache(dir?: string): TuningCache & { dir(): Promise<string> } {
  let resolved: Promise<string> | undefined;
  const root = () => (resolved ??= dir !== undefined ? Promise.resolve(dir) : defaultTuningCacheDir());
  const modules = async () => ({
    fs: (await import(/* @vite-ignore */ FS)) as typeof import('node:fs/promises'),
    path: (await import(/* @vite-ignore */ PATH)) as typeof import('node:path'),
  });
  return {
    dir: root,
    async get(key) {
      checkKey(key);
      const { fs, path } = await modules();
      try {
        return asTable(JSON.parse(await fs.readFile(path.join(await root(), `${key}.json`), 'utf8')));
      } catch {
        return undefined; // missing, unreadable or not JSON: a miss (the next tuning overwrites it)
      }
    },
    async set(key, table) {
      checkKey(key);
      const { fs, path } = await modules();
      const d = await root();
      await fs.mkdir(d, { recursive: true });
      const file = path.join(d, `${key}.json`);
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      try {
        await fs.writeFile(tmp, JSON.stringify(table));
        await fs.rename(tmp, file);
      } catch (e) {
        await fs.rm(tmp, { force: true }).catch(() => undefined);
        throw e;
      }
    },
  };
}

/** IndexedDB where it exists (browsers, workers), the file cache in Node, else none. */
export function defaultTuningCache(): TuningCache | undefined {
  if (hasIndexedDb()) return indexedDbTuningCache();
  if (isNode) return fileTuningCache();
  return undefined;
}
