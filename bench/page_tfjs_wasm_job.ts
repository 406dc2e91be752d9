/**
 * The TF.js WASM half of a benchmark job (bench/page_tfjs_wasm.ts): executes the program bench/tfjs_program.ts lowered
 * from the ONNX file (the same one as the TF.js WebGPU job, bench/page_tfjs_job.ts) on @tensorflow/tfjs-backend-wasm.
 * Its .wasm files are served from node_modules/@tensorflow/tfjs-backend-wasm/dist/ (setWasmPaths); in a
 * cross-origin-isolated page it picks tfjs-backend-wasm-threaded-simd.wasm and `setThreadsCount(n)` sets the pool.
 *
 * tfjs-backend-wasm caps its XNNPACK pool at navigator.hardwareConcurrency / 2 ("2 threads per core", backend.cc
 * init_with_threads_count), so on a 2-core machine it would run 1 thread whatever setThreadsCount says. To compare
 * at the same thread count as ORT-web and Tessera, the page reports hardwareConcurrency = 2 × the threads asked
 * before the module is instantiated (its num_cores global is read then); the job notes say so and r.wasm.threads is
 * what getThreadsCount() returned.
 *
 * Cold start (create + first run) includes: WASM backend init (module compile + instantiate, thread pool), program
 * JSON parse, weight tensor creation (copies into WASM memory) and the first run with its readback.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createTfjsModel } from './tfjs_exec.js';
import { timeTfjsRuns } from './page_tfjs_common.js';
import type { TfjsProgram } from './tfjs_program.js';
import type { JobResult, JobSpec } from './page_types.js';

export async function runTfjsWasm(spec: JobSpec, programText: string, weightBytes: Uint8Array, input: Float32Array): Promise<JobResult> {
  const r: JobResult = { runtime: 'tfjs-wasm', ok: false, notes: [`tfjs-core ${tf.version_core}`], phasesMs: {} };
  const phases = r.phasesMs!;
  if (!spec.tfjsWasmPath) throw new Error('tfjs-wasm job without tfjsWasmPath');
  setWasmPaths(spec.tfjsWasmPath);
  const threads = spec.wasmThreads ?? 1;
  setThreadsCount(threads);
  const nav = globalThis.navigator as Navigator | undefined;
  if (nav && threads > 1 && nav.hardwareConcurrency < 2 * threads) {
    const real = nav.hardwareConcurrency;
    Object.defineProperty(nav, 'hardwareConcurrency', { configurable: true, get: () => 2 * threads });
    r.notes!.push(`navigator.hardwareConcurrency ${real} reported as ${2 * threads}: tfjs-backend-wasm caps threads at hardwareConcurrency / 2`);
  }
  const t0 = performance.now();
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
  await tf.ready();
  const tBackend = performance.now();
  phases['backend init (wasm instantiate, threads)'] = tBackend - t0;
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  const mt = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean;
  const used = mt ? getThreadsCount() : 1;
  r.wasm = { threads: used, simd, crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated };
  r.device = `tfjs wasm ${mt ? 'threaded-' : ''}${simd ? 'simd' : 'scalar'}, ${used} thread(s) of ${threads} asked`;

  const program = JSON.parse(programText) as TfjsProgram;
  const weights = new Float32Array(weightBytes.buffer, weightBytes.byteOffset, weightBytes.byteLength / 4);
  const model = createTfjsModel(tf, program, weights);
  const t1 = performance.now();
  phases['parse + weight tensors'] = t1 - tBackend;

  await timeTfjsRuns(tf, model, program, input, spec, r, phases, t0, t1);
  model.dispose();
  r.ok = true;
  return r;
}
