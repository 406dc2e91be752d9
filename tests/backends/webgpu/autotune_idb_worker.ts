/** Worker script for autotune_idb.test.ts: serves sessions (src/worker/host.ts) and nothing else. */
import { serveSessions } from '../../../src/worker/host.js';
import type { Endpoint } from '../../../src/worker/protocol.js';

serveSessions(self as unknown as Endpoint);
