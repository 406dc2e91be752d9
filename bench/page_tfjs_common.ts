/**
 * What the TF.js WebGPU and WASM bench jobs share once their model is built: the first run, the steady runs and the
 * result fields (cold = create + first run; median over the steady runs, each including the input upload and the
 * output read-back).
 */
import type { Tf, TfjsModel } from './tfjs_exec.js';
import type { TfjsProgram } from './tfjs_program.js';
import type { JobResult, JobSpec } from './page_types.js';
import { median, timedRuns } from './page_util.js';

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
  r.runsMs = await timedRuns(spec, async () => {
    out = await once();
  });
  r.medianMs = median(r.runsMs);
  r.outputShape = [...program.output.shape];
  r.output = Array.from(out);
  r.notes!.push(`${program.steps.length} tfjs steps, ${tf.memory().numTensors} live tensors after the runs`);
}
