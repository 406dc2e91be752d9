/**
 * Browser bundle entry used by the Chromium harness (src/node/browser_harness.ts): exposes the package API as
 * `globalThis.tessera`, plus `runModel` helpers that the Node side (webgpu_cli.ts) drives through page.evaluate.
 */
import * as api from '../index.js';
import { pageApi } from './page_api.js';

(globalThis as unknown as { tessera: unknown }).tessera = { ...api, page: pageApi };
