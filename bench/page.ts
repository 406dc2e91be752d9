/**
 * In-page half of the benchmark (bundled by the Chromium harness): `globalThis.tesseraBench.runJob(spec)` loads one
 * runtime on one model, times cold start (create + first run) and steady runs, and returns the last output.
 * Everything is timed in the page with performance.now(), so Playwright round trips never enter the figures.
 * The runtimes' code lives in bench/page_jobs.ts (shared with the Node host, bench/node_job.ts).
 */
import '../src/node/browser_entry.js';
import type { JobResult, JobSpec } from './page_types.js';
import { fetchBytes } from './page_util.js';
import { runOrt, runTessera, runTesseraWasm } from './page_jobs.js';

const tesseraBench = {
  async runJob(spec: JobSpec): Promise<JobResult> {
    try {
      const tf0 = performance.now();
      const model = await fetchBytes(spec.modelUrl);
      const fetchMs = performance.now() - tf0;
      const raw = await fetchBytes(spec.inputUrl);
      const input = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
      const r =
        spec.runtime === 'tessera'
          ? await runTessera(spec, model, input)
          : spec.runtime === 'tessera-wasm' || spec.runtime === 'tessera-wasm-1t'
            ? await runTesseraWasm(spec, model, input)
            : await runOrt(spec, model, input);
      r.fetchMs = fetchMs;
      return r;
    } catch (e) {
      const err = e as Error;
      return { runtime: spec.runtime, ok: false, error: `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}` };
    }
  },
};

(globalThis as unknown as { tesseraBench: typeof tesseraBench }).tesseraBench = tesseraBench;
