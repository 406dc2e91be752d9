/**
 * In-page half of the TF.js WASM job (its own bundle: neither Tessera, ORT nor tfjs's WebGPU backend is loaded in
 * this page). Same protocol as bench/page_tfjs.ts; the runtime code is in bench/page_tfjs_wasm_job.ts.
 */
import type { JobResult, JobSpec } from './page_types.js';
import { fetchBytes } from './page_util.js';
import { runTfjsWasm } from './page_tfjs_wasm_job.js';

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
      const r = await runTfjsWasm(spec, programText, weights, input);
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
(globalThis as unknown as { tessera: unknown }).tessera = { page: 'tfjs-wasm benchmark' };
