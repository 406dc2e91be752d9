/**
 * Browser bundle for autotune_idb.test.ts: the package API (globalThis.tessera) plus what the test needs from
 * `tessera/cache` and `tessera/worker`, and a raw IndexedDB reader that does not go through idb-keyval.
 */
import '../../../src/node/browser_entry.js';
import { TUNING_DB_NAME, TUNING_STORE_NAME, clearIndexedDbTuningCache, defaultTuningCache } from '../../../src/cache/tuning_cache.js';
import { WorkerSession } from '../../../src/worker/client.js';

/** Keys of the tuning store read with the bare IndexedDB API ([] when the database or store does not exist). */
function rawTuningKeys(): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(TUNING_DB_NAME);
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(TUNING_STORE_NAME)) {
        db.close();
        resolve([]);
        return;
      }
      const keys = db.transaction(TUNING_STORE_NAME, 'readonly').objectStore(TUNING_STORE_NAME).getAllKeys();
      keys.onsuccess = () => {
        db.close();
        resolve(keys.result.map(String));
      };
      keys.onerror = () => reject(keys.error);
    };
  });
}

/** Which store `defaultTuningCache()` picked here: the IndexedDB cache has `store`, the file cache has `dir`. */
function defaultCacheKind(): 'indexeddb' | 'file' | 'none' | 'other' {
  const c = defaultTuningCache() as (object & { store?: unknown; dir?: unknown }) | undefined;
  if (!c) return 'none';
  return 'store' in c ? 'indexeddb' : 'dir' in c ? 'file' : 'other';
}

(globalThis as unknown as { tesseraIdb: unknown }).tesseraIdb = { clearIndexedDbTuningCache, defaultCacheKind, rawTuningKeys, WorkerSession };
