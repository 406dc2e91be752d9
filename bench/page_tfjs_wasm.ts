/**
 * In-page half of the TF.js WASM job (its own bundle: neither Tessera, ORT nor tfjs's WebGPU backend is loaded in
 * this page). Same protocol as bench/page_tfjs.ts; the runtime code is in bench/page_tfjs_wasm_job.ts.
 */
import { installTfjsPage } from './page_tfjs_common.js';
import { runTfjsWasm } from './page_tfjs_wasm_job.js';

installTfjsPage('tfjs-wasm benchmark', runTfjsWasm);
