/**
 * The worker script: `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })` then
 * `WorkerSession.create(worker, modelBytes)` on the page (see src/worker/README.md).
 */
import { serveSessions } from './host.js';

serveSessions(self as unknown as import('./protocol.js').Endpoint);
