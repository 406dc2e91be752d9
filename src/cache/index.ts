/** Model download with progress and a persistent, hash-checked cache (IndexedDB via idb-keyval). */
export { DownloadError, IntegrityError } from './errors.js';
export { fetchWithProgress, fetchOk, bodyLength, type DownloadProgress, type FetchProgressOptions } from './fetch_progress.js';
export { sha256Hex } from './sha256.js';
export { indexedDbStore, memoryStore, hasIndexedDb, DEFAULT_DB_NAME, DEFAULT_STORE_NAME, type KeyValueStore } from './store.js';
export { loadCached, streamCached, listCached, clearCache, type LoadCachedOptions, type LoadCachedResult, type StreamCachedResult, type CacheIndexEntry } from './model_cache.js';
export {
  memoryTuningCache,
  indexedDbTuningCache,
  fileTuningCache,
  defaultTuningCache,
  clearIndexedDbTuningCache,
  defaultTuningCacheDir,
  TuningCacheKeyError,
  TUNING_DB_NAME,
  type TuningCache,
} from './tuning_cache.js';
