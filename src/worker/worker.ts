/**
 * The package's ready-made worker script, exported as `tessera/worker-script`: it only serves sessions to the page.
 * With a bundler that understands `new Worker(new URL(..., import.meta.url))` (Vite, webpack 5):
 *
 *   const worker = new Worker(new URL('tessera/worker-script', import.meta.url), { type: 'module' });
 *   const session = await WorkerSession.create(worker, modelBytesOrUrl);
 *
 * Vite's dev server serves this file unbundled: add `optimizeDeps: { include: ['tessera > protobufjs/light.js'] }`
 * to vite.config (protobufjs is CommonJS), or use a worker file of your own, which needs no configuration anywhere:
 * `import { serveSessions } from 'tessera/worker'; serveSessions(self as any);`. See src/worker/README.md and
 * examples/vite-app/.
 */
import { serveSessions } from './host.js';

serveSessions(self as unknown as import('./protocol.js').Endpoint);
