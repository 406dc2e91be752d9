/**
 * The TF.js WebGPU half of a benchmark job, shared by the Chromium page (bench/page_tfjs.ts) and the Node host
 * (bench/node_job.ts): executes the program bench/tfjs_program.ts lowered from the ONNX file on
 * @tensorflow/tfjs-backend-webgpu over a device requested with full limits. Imports only tfjs (no Tessera, no ORT).
 *
 * Cold start (create + first run) includes: adapter + device request (full limits, as for ORT), WebGPU backend
 * init, program JSON parse, weight tensor creation, one compile-only pass (WEBGPU_ENGINE_COMPILE_ONLY: tfjs's
 * parallel pipeline compilation, which also uploads the weights) and the first real run with its readback.
 */
import * as tf from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { createTfjsModel } from './tfjs_exec.js';
import { timeTfjsRuns } from './page_tfjs_common.js';
import type { TfjsProgram } from './tfjs_program.js';
import type { JobResult, JobSpec } from './page_types.js';
import { fullDevice } from './page_util.js';

export async function runTfjs(spec: JobSpec, programText: string, weightBytes: Uint8Array, input: Float32Array): Promise<JobResult> {
  const r: JobResult = { runtime: 'tfjs-webgpu', ok: false, notes: [`tfjs-core ${tf.version_core}`], phasesMs: {} };
  const phases = r.phasesMs!;
  const t0 = performance.now();
  const { device, adapterInfo, description } = await fullDevice();
  const tDevice = performance.now();
  phases['device'] = tDevice - t0;
  r.deviceMs = phases['device'];
  r.device = description;
  // Replace the package's own 'webgpu' factory (which requests its own device) before it is ever instantiated:
  // kernels are registered under the name 'webgpu', so the name must stay.
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapterInfo), 3);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") failed');
  await tf.ready();
  const backend = tf.backend() as WebGPUBackend;
  const tBackend = performance.now();
  phases['backend init'] = tBackend - tDevice;

  const program = JSON.parse(programText) as TfjsProgram;
  const weights = new Float32Array(weightBytes.buffer, weightBytes.byteOffset, weightBytes.byteLength / 4);
  const model = createTfjsModel(tf, program, weights);
  const tWeights = performance.now();
  phases['parse + weight tensors'] = tWeights - tBackend;

  // Warm-up: compile every pipeline in parallel without dispatching (tfjs's own mechanism for this).
  try {
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
    const probe = tf.zeros(program.input.shape);
    const out = model.predict(probe);
    await backend.checkCompileCompletionAsync();
    out.dispose();
    probe.dispose();
  } catch (e) {
    r.notes!.push(`compile-only warm-up failed, pipelines compile in the first run: ${(e as Error).message}`);
    // A pass that threw part-way has left parallel compilations pending; the first real run refuses to start
    // ("Please call checkCompileCompletionAsync...") until they are drained.
    await backend.checkCompileCompletionAsync().catch(() => undefined);
  } finally {
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
  }
  const t1 = performance.now();
  phases['compile + upload (compile-only pass)'] = t1 - tWeights;

  await timeTfjsRuns(tf, model, program, input, spec, r, phases, t0, t1);
  if (spec.profile) {
    // One extra run under tf.time: GPU kernel time from timestamp queries (the device has every adapter feature).
    const x = tf.tensor(input, spec.inputShape, 'float32');
    const info = await tf.time(() => model.predict(x).dispose());
    x.dispose();
    const kernelMs = typeof info.kernelMs === 'number' ? info.kernelMs : undefined;
    r.notes!.push(`tf.time: kernels ${kernelMs?.toFixed(1) ?? 'n/a'} ms (timestamp queries), wall ${info.wallMs.toFixed(1)} ms`);
  }
  model.dispose();
  r.ok = true;
  return r;
}
