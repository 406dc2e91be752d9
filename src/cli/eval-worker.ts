/** Worker thread of `tessera eval`: loads the model once, then classifies the jobs (runs of whole batches) it gets. */
import { parentPort, workerData } from 'node:worker_threads';
import { createRunner, type ModelRunner } from './backend.js';
import { classifyImages, type EvalSetup } from './eval-batch.js';
import { loadModel } from './model.js';

/** A job: `count` images starting at data set index `start` (a multiple of the batch size). */
export type WorkerRequest = { type: 'job'; start: number; images: Uint8Array; count: number } | { type: 'stop' };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'result'; start: number; predictions: Int32Array }
  | { type: 'error'; name: string; message: string; stack?: string };

const port = parentPort!;
const setup = workerData as EvalSetup;

function fail(err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  port.postMessage({ type: 'error', name: e.name, message: e.message, stack: e.stack } satisfies WorkerReply);
}

let runner: ModelRunner | undefined;
try {
  runner = await createRunner(loadModel(setup.modelPath, 'eval: model').graph, setup.backend, setup.inputName, { numThreads: setup.numThreads });
  port.postMessage({ type: 'ready' } satisfies WorkerReply);
} catch (err) {
  fail(err);
}

port.on('message', async (msg: WorkerRequest) => {
  if (msg.type === 'stop' || !runner) {
    void runner?.dispose();
    port.close();
    return;
  }
  try {
    const predictions = await classifyImages(runner, setup, msg.images, msg.count);
    port.postMessage({ type: 'result', start: msg.start, predictions } satisfies WorkerReply, [predictions.buffer as ArrayBuffer]);
  } catch (err) {
    fail(err);
  }
});
