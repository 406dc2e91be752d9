/**
 * Where cached models live. The default is IndexedDB through idb-keyval (one database of its own, so clearing it
 * never touches an application's other data); tests and non-browser hosts use the in-memory store.
 */
import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';

export interface KeyValueStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

export const DEFAULT_DB_NAME = 'tessera-model-cache';
export const DEFAULT_STORE_NAME = 'models';

export function indexedDbStore(dbName = DEFAULT_DB_NAME, storeName = DEFAULT_STORE_NAME): KeyValueStore {
  let store: UseStore | undefined;
  // createStore opens the database lazily on first use; keep it lazy here too so constructing is free.
  const s = () => (store ??= createStore(dbName, storeName));
  return {
    get: (key) => get(key, s()),
    set: (key, value) => set(key, value, s()),
    del: (key) => del(key, s()),
    keys: async () => (await keys(s())).map(String),
  };
}

export function memoryStore(): KeyValueStore & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return {
    map,
    get: async (key) => map.get(key),
    set: async (key, value) => void map.set(key, value),
    del: async (key) => void map.delete(key),
    keys: async () => [...map.keys()],
  };
}

/** True when this context has IndexedDB (browsers, workers); false in Node. */
export function hasIndexedDb(): boolean {
  return typeof (globalThis as { indexedDB?: unknown }).indexedDB !== 'undefined';
}
