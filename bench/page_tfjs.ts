/**
 * In-page half of the TF.js WebGPU job (its own bundle: neither Tessera nor ORT is loaded in this page).
 * `globalThis.tesseraBench.runJob(spec)` executes the program that bench/tfjs_program.ts lowered in Node from the
 * same ONNX file (like a tfjs-converter model: model.json + weights), on @tensorflow/tfjs-backend-webgpu.
 *
 * Cold start (create + first run) includes: adapter + device request (full limits, as for ORT), WebGPU backend
 * init, program JSON parse, weight tensor creation, one compile-only pass (WEBGPU_ENGINE_COMPILE_ONLY: tfjs's
 * parallel pipeline compilation, which also uploads the weights) and the first real run with its readback.
 * The runtime code is in bench/page_tfjs_job.ts (shared with the Node host). The fetch of the program and weights
 * happens before, as the fetch of the ONNX bytes does for the other runtimes.
 */
import { installTfjsPage } from './page_tfjs_common.js';
import { runTfjs } from './page_tfjs_job.js';

installTfjsPage('tfjs-webgpu benchmark', runTfjs);
