/** Tessera inside a Web Worker: the page-side WorkerSession and the worker-side serveSessions. */
export { WorkerSession, WorkerSessionError, type RunOptions } from './client.js';
export { serveSessions } from './host.js';
export { profileLayers, type LayerProfile, type LayerTiming } from './layer_profile.js';
export { modelFacts, type ModelFacts } from './model_facts.js';
export type { WorkerSessionOptions, CreateResult, Endpoint } from './protocol.js';
