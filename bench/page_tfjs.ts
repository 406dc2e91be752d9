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
import type { JobResult, JobSpec } from './page_types.js';
import { fetchBytes } from './page_util.js';
import { runTfjs } from './page_tfjs_job.js';

const tesseraBench = {
  async runJob(spec: JobSpec): Promise<JobResult> {
    try {
      if (!spec.tfjsProgramUrl) throw new Error('tfjs job without a program URL');
      const tf0 = performance.now();
      const programText = new TextDecoder().decode(await fetchBytes(spec.tfjsProgramUrl));
      const weights = await fetchBytes(spec.modelUrl);
      const fetchMs = performance.now() - tf0;
      const raw = await fetchBytes(spec.inputUrl);
      const input = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
      const r = await runTfjs(spec, programText, weights, input);
      r.fetchMs = fetchMs;
      return r;
    } catch (e) {
      const err = e as Error;
      return { runtime: spec.runtime, ok: false, error: `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}` };
    }
  },
};

(globalThis as unknown as { tesseraBench: typeof tesseraBench }).tesseraBench = tesseraBench;
// The Chromium harness waits for `globalThis.tessera` to know the bundle ran; this page has no Tessera in it.
(globalThis as unknown as { tessera: unknown }).tessera = { page: 'tfjs-webgpu benchmark' };
