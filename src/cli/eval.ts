/**
 * `tessera eval`: top-1 accuracy on CIFAR-10 or MNIST. The data set is cut into batches of --batch images; worker
 * threads take whole batches from a queue, so every image is classified in the same batch whatever --workers is.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Graph } from '../graph/ir.js';
import { loadCifar10, loadMnist, type ImageDataset } from '../io/datasets.js';
import { batchToTensor, inputGeometry, normalizationFor } from '../io/preprocess.js';
import { boolFlag, helpText, intFlag, parseArgs, requireOnePositional, stringFlag, type CommandSpec } from './args.js';
import { assertBackendAvailable, createRunner, parseBackend } from './backend.js';
import { classifyImages, type EvalSetup } from './eval-batch.js';
import type { WorkerReply, WorkerRequest } from './eval-worker.js';
import { CliError, UsageError } from './errors.js';
import { requireDirectory, writeOutputFile } from './files.js';
import type { CliIo } from './io.js';
import { loadModel, mainInput } from './model.js';
import { Progress } from './progress.js';
import { resizeSizeOf, TTA_MODES, viewMatrices, type Tta } from '../io/geometry.js';

/** `--tta` of run and eval: absent is 'none'. */
export function parseTta(value: string | undefined, cmd: string): Tta {
  if (value === undefined) return 'none';
  if (!(TTA_MODES as readonly string[]).includes(value)) throw new UsageError(`${cmd}: --tta must be one of ${TTA_MODES.join(', ')}, got '${value}'`);
  return value as Tta;
}

export const evalSpec: CommandSpec = {
  name: 'eval',
  brief: 'top-1 accuracy on the CIFAR-10 or MNIST test set',
  summary: 'Measure top-1 accuracy of a model on the CIFAR-10 or MNIST test set.',
  usage: 'tessera eval MODEL (--cifar10 DIR | --mnist DIR) [--limit N] [--batch B] [--workers W] [--tta flip|ten-crop] [--predictions FILE] [--backend cpu|webgpu]',
  flags: {
    cifar10: { type: 'string', value: 'DIR', help: 'directory with test_batch.bin (+ batches.meta.txt)' },
    mnist: { type: 'string', value: 'DIR', help: 'directory with t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]' },
    limit: { type: 'string', value: 'N', help: 'only the first N images' },
    batch: { type: 'string', value: 'B', help: 'images per model run (default 16; the model\'s own batch when it is fixed)' },
    workers: { type: 'string', value: 'W', help: `worker threads for the cpu backend (default: number of cores, ${availableParallelism()} here)` },
    predictions: { type: 'string', value: 'FILE', help: 'write one predicted-class byte per image' },
    tta: { type: 'string', value: 'MODE', help: 'test-time augmentation: flip (image + mirror) or ten-crop (corners + centre, and mirrors); softmax averaged' },
    backend: { type: 'string', value: 'NAME', help: 'cpu (default) or webgpu' },
  },
};

export async function evalCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, evalSpec);
  if (boolFlag(args, 'help')) return io.out(helpText(evalSpec)), 0;
  const modelPath = requireOnePositional(args, 'eval', 'model file');
  const cifar = stringFlag(args, 'cifar10');
  const mnist = stringFlag(args, 'mnist');
  if ((cifar === undefined) === (mnist === undefined)) throw new UsageError('eval: give exactly one of --cifar10 DIR or --mnist DIR');
  const limit = intFlag(args, 'eval', 'limit', { min: 1 });
  const requestedBatch = intFlag(args, 'eval', 'batch', { min: 1 });
  const requestedWorkers = intFlag(args, 'eval', 'workers', { min: 1 });
  const backend = parseBackend(stringFlag(args, 'backend'), 'eval');
  const predictionsPath = stringFlag(args, 'predictions');
  const tta = parseTta(stringFlag(args, 'tta'), 'eval');
  assertBackendAvailable(backend);

  let data: ImageDataset;
  if (cifar !== undefined) {
    requireDirectory(cifar, 'eval --cifar10');
    data = loadCifar10(cifar, limit);
  } else {
    requireDirectory(mnist!, 'eval --mnist');
    data = loadMnist(mnist!, limit);
  }

  const { graph } = loadModel(modelPath, 'eval: model');
  const input = mainInput(graph);
  const geometry = inputGeometry(input.shape, graph.metadata);
  const fixed = input.shape[0] !== undefined && input.shape[0] > 0 ? input.shape[0] : 0;
  if (fixed > 0 && requestedBatch !== undefined && requestedBatch !== fixed)
    io.err(`note: model input '${input.name}' has a fixed batch of ${fixed}; using --batch ${fixed}`);
  const batch = fixed > 0 ? fixed : (requestedBatch ?? 16);
  const setup: EvalSetup = {
    modelPath,
    backend,
    inputName: input.name,
    source: { channels: data.channels, height: data.height, width: data.width },
    geometry,
    normalization: normalizationFor(graph.metadata, geometry.channels),
    fixedBatch: fixed,
    batch,
    tta,
    views: viewMatrices(data.width, data.height, geometry.width, geometry.height, { tta, resizeSize: resizeSizeOf(graph.metadata) }).map((v) => v.matrix),
  };
  // Fail on a size/channel mismatch now, with a clear message, rather than inside a worker.
  batchToTensor(data.images.subarray(0, data.channels * data.height * data.width), 1, setup.source, geometry, setup.normalization);

  const jobs = splitJobs(data.count, batch);
  // One GPU session serves the whole run: worker threads only split CPU work.
  const workers = backend === 'webgpu' ? 1 : Math.max(1, Math.min(requestedWorkers ?? availableParallelism(), jobs.length));
  const progress = new Progress(io, `eval ${data.name}`, data.count);
  const predictions = workers === 1 ? await evalInProcess(graph, setup, data, jobs, progress, io) : await evalWithWorkers(setup, data, jobs, workers, progress);

  let correct = 0;
  for (let i = 0; i < data.count; i++) if (predictions[i] === data.labels[i]) correct++;
  if (predictionsPath !== undefined) {
    const bytes = new Uint8Array(data.count);
    for (let i = 0; i < data.count; i++) {
      if (predictions[i]! > 255) throw new CliError(`eval --predictions: class ${predictions[i]} of image ${i} does not fit in a byte`);
      bytes[i] = predictions[i]!;
    }
    writeOutputFile(predictionsPath, bytes, 'eval --predictions');
  }
  const ttaNote = tta === 'none' ? '' : `, TTA ${tta} (${setup.views!.length} views per image)`;
  io.err(`${progress.summary(data.count)}, backend ${backend}, batch ${batch}, ${workers} worker${workers > 1 ? 's' : ''}${ttaNote}`);
  io.out(`${correct}/${data.count} correct, top-1 accuracy ${((100 * correct) / data.count).toFixed(2)} %`);
  return 0;
}

/** Images per job handed to a thread: whole batches, about JOB_IMAGES images, so messaging stays cheap. */
const JOB_IMAGES = 64;

interface Job {
  start: number;
  count: number;
}

function splitJobs(total: number, batch: number): Job[] {
  const step = batch * Math.max(1, Math.floor(JOB_IMAGES / batch));
  const jobs: Job[] = [];
  for (let start = 0; start < total; start += step) jobs.push({ start, count: Math.min(step, total - start) });
  return jobs;
}

function jobImages(data: ImageDataset, job: Job): Uint8Array {
  const per = data.channels * data.height * data.width;
  return data.images.slice(job.start * per, (job.start + job.count) * per);
}

async function evalInProcess(graph: Graph, setup: EvalSetup, data: ImageDataset, jobs: Job[], progress: Progress, io: CliIo): Promise<Int32Array> {
  const runner = await createRunner(graph, setup.backend, setup.inputName);
  io.err(`backend: ${runner.description}`);
  const predictions = new Int32Array(data.count);
  try {
    for (const job of jobs) {
      predictions.set(await classifyImages(runner, setup, jobImages(data, job), job.count), job.start);
      progress.update(job.start + job.count);
    }
  } finally {
    await runner.dispose();
  }
  return predictions;
}

/** An error re-thrown from a worker keeps its original name, so typed errors stay one-line user errors. */
class WorkerFailure extends Error {
  constructor(name: string, message: string, stack?: string) {
    super(message);
    this.name = name;
    if (stack) this.stack = stack;
  }
}

function spawnWorker(setup: EvalSetup): Worker {
  if (import.meta.url.endsWith('.ts')) {
    // Development run through tsx (`npx tsx src/cli/main.ts`): tsx's loader does not reach worker threads on its
    // own, so a tiny bootstrap registers it and imports the TypeScript worker module.
    const api = import.meta.resolve('tsx/esm/api');
    const target = new URL('./eval-worker.ts', import.meta.url).href;
    const code = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(target)}, ${JSON.stringify(import.meta.url)}))`;
    return new Worker(code, { eval: true, workerData: setup, execArgv: [] });
  }
  return new Worker(new URL('./eval-worker.js', import.meta.url), { workerData: setup });
}

async function evalWithWorkers(setup: EvalSetup, data: ImageDataset, jobs: Job[], count: number, progress: Progress): Promise<Int32Array> {
  const predictions = new Int32Array(data.count);
  let next = 0;
  let doneImages = 0;
  let doneJobs = 0;
  const pool: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const failWith = (err: Error) => {
        if (!failed) (failed = true), reject(err);
      };
      const feed = (w: Worker) => {
        if (failed) return;
        if (next >= jobs.length) return w.postMessage({ type: 'stop' } satisfies WorkerRequest);
        const job = jobs[next++]!;
        const images = jobImages(data, job);
        w.postMessage({ type: 'job', start: job.start, images, count: job.count } satisfies WorkerRequest, [images.buffer as ArrayBuffer]);
      };
      for (let i = 0; i < count; i++) {
        const w = spawnWorker(setup);
        pool.push(w);
        w.on('message', (msg: WorkerReply) => {
          if (msg.type === 'ready') feed(w);
          else if (msg.type === 'error') failWith(new WorkerFailure(msg.name, msg.message, msg.stack));
          else {
            predictions.set(msg.predictions, msg.start);
            doneImages += msg.predictions.length;
            progress.update(doneImages);
            if (++doneJobs === jobs.length) resolve();
            else feed(w);
          }
        });
        w.on('error', (err) => failWith(err));
        w.on('exit', (code) => {
          if (code !== 0) failWith(new Error(`eval worker ${i} exited with code ${code}`));
        });
      }
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return predictions;
}
