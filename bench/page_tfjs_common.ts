/**
 * What the TF.js WebGPU and WASM bench jobs share once their model is built: the first run, the steady runs and the
 * result fields (cold = create + first run; median over the steady runs, each including the input upload and the
 * output read-back).
 */
import type { Tf, TfjsModel } from './tfjs_exec.js';
import type { TfjsProgram } from './tfjs_program.js';
import type { JobResult, JobSpec } from './page_types.js';
import { fetchBytes, median, timedRuns } from './page_util.js';

export async function timeTfjsRuns(
  tf: Tf,
  model: TfjsModel,
  program: TfjsProgram,
  input: Float32Array,
  spec: JobSpec,
  r: JobResult,
  phases: Record<string, number>,
  t0: number,
  t1: number,
): Promise<void> {
  const once = async (): Promise<Float32Array> => {
    const x = tf.tensor(input, spec.inputShape, 'float32');
    const y = model.predict(x);
    const data = (await y.data()) as Float32Array;
    x.dispose();
    y.dispose();
    return data;
  };
  let out = await once();
  const t2 = performance.now();
  phases['first run'] = t2 - t1;
  r.createMs = t1 - t0;
  r.firstRunMs = t2 - t1;
  r.coldMs = t2 - t0;
  Object.assign(r, await timedRuns(spec, async () => {
    out = await once();
  }));
  r.outputShape = [...program.output.shape];
  r.output = Array.from(out);
  r.notes!.push(`${program.steps.length} tfjs steps, ${tf.memory().numTensors} live tensors after the runs`);
}

/**
 * The page side of a TF.js job (bench/page_tfjs.ts, page_tfjs_wasm.ts): fetch the lowered program, its weights and
 * the input, run, and publish `globalThis.tesseraBench.runJob` (plus the `globalThis.tessera` marker the Chromium
 * harness waits for; these pages have no Tessera in them).
 */
export function installTfjsPage(
  page: string,
  run: (spec: JobSpec, programText: string, weights: Uint8Array, input: Float32Array) => Promise<JobResult>,
): void {
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
        const r = await run(spec, programText, weights, input);
        r.fetchMs = fetchMs;
        return r;
      } catch (e) {
        const err = e as Error;
        return { runtime: spec.runtime, ok: false, error: `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}` };
      }
    },
  };
  (globalThis as unknown as { tesseraBench: typeof tesseraBench }).tesseraBench = tesseraBench;
  (globalThis as unknown as { tessera: unknown }).tessera = { page };
}
