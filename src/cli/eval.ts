/**
 * `tessera eval`: top-1 accuracy on CIFAR-10 or MNIST. The data set is cut into batches of --batch images; worker
 * threads take whole batches from a queue, so every image is classified in the same batch whatever --workers is.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { loadCifar10, loadMnist, type ImageDataset } from '../io/datasets.js';
import { batchToTensor, inputGeometry, normalizationFor } from '../io/preprocess.js';
import { boolFlag, helpText, intFlag, parseArgs, requireOnePositional, stringFlag, type CommandSpec } from './args.js';
import { assertBackendAvailable, BACKEND_HELP, createRunner, createRunnerAuto, parseBackendChoice, THREADS_HELP, type ModelRunner } from './backend.js';
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
  usage: 'tessera eval MODEL (--cifar10 DIR | --mnist DIR) [--limit N] [--batch B] [--workers W] [--tta flip|ten-crop] [--predictions FILE] [--backend auto|cpu|wasm|webgpu] [--threads N] [--compare cpu]',
  flags: {
    cifar10: { type: 'string', value: 'DIR', help: 'directory with test_batch.bin (+ batches.meta.txt)' },
    mnist: { type: 'string', value: 'DIR', help: 'directory with t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]' },
    limit: { type: 'string', value: 'N', help: 'only the first N images' },
    batch: { type: 'string', value: 'B', help: 'images per model run (default 16; the model\'s own batch when it is fixed)' },
    workers: { type: 'string', value: 'W', help: `worker threads for the cpu backend (default: number of cores, ${availableParallelism()} here)` },
    predictions: { type: 'string', value: 'FILE', help: 'write one predicted-class byte per image' },
    tta: { type: 'string', value: 'MODE', help: 'test-time augmentation: flip (image + mirror) or ten-crop (corners + centre, and mirrors); softmax averaged' },
    backend: { type: 'string', value: 'NAME', help: BACKEND_HELP },
    threads: { type: 'string', value: 'N', help: THREADS_HELP },
    compare: {
      type: 'string',
      value: 'cpu',
      help: 'also classify the same images with the CPU reference (its --workers threads) and print its accuracy, time and speed next to the backend\'s, and how many predictions agree',
    },
  },
  epilog:
    'The accuracy goes to stdout; the time (images/s), the backend that ran and why (auto) to stderr. With --compare cpu\n' +
    'stdout also gets the CPU reference\'s accuracy and a time line: "time: wasm 1.2 s (170 images/s), cpu reference 9.5 s\n' +
    '(21 images/s): wasm 7.9x faster". Example: tessera eval model.tessera --cifar10 DIR --limit 1000 --backend wasm --compare cpu',
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
  const choice = parseBackendChoice(stringFlag(args, 'backend'), 'eval', 'auto');
  const numThreads = intFlag(args, 'eval', 'threads', { min: 1 });
  const compare = stringFlag(args, 'compare');
  if (compare !== undefined && compare !== 'cpu') throw new UsageError(`eval: --compare takes 'cpu' (the reference executor), got '${compare}'`);
  const predictionsPath = stringFlag(args, 'predictions');
  const tta = parseTta(stringFlag(args, 'tta'), 'eval');
  assertBackendAvailable(choice);

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
    backend: choice === 'auto' ? 'cpu' : choice,
    ...(numThreads !== undefined ? { numThreads } : {}),
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
  // WebGPU and WASM: one session in this process serves the whole run (WASM has its own threads, --threads). The CPU
  // reference splits the work between --workers threads. 'auto' is resolved here, and says why.
  let runner: ModelRunner | undefined;
  if (setup.backend !== 'cpu' || choice === 'auto') {
    runner = await createRunnerAuto(graph, choice, input.name, { numThreads });
    setup.backend = runner.backend;
    io.err(`backend: ${runner.description}`);
    if (runner.reason) io.err(`why: ${runner.reason}`);
    if (runner.backend === 'cpu') {
      await runner.dispose();
      runner = undefined;
    }
  }
  const cpuWorkers = Math.max(1, Math.min(requestedWorkers ?? availableParallelism(), jobs.length));
  const run = async (s: EvalSetup, r: ModelRunner | undefined, label: string) => {
    const progress = new Progress(io, label, data.count);
    const t0 = performance.now();
    let preds: Int32Array;
    if (r || cpuWorkers === 1) {
      const inProcess = r ?? (await createRunner(graph, 'cpu', input.name));
      if (!r) io.err(`backend: ${inProcess.description}`);
      preds = await evalInProcess(inProcess, s, data, jobs, progress);
    } else preds = await evalWithWorkers(s, data, jobs, cpuWorkers, progress);
    return { preds, ms: performance.now() - t0, progress };
  };
  const main = await run(setup, runner, `eval ${data.name}`);
  const predictions = main.preds;
  const threads = runner?.backend === 'wasm' ? /\b(\d+) threads?\b/.exec(runner.description)?.[1] : undefined;
  const workersText = runner ? (threads ? `${threads} wasm thread${threads === '1' ? '' : 's'}` : '1 worker') : `${cpuWorkers} worker${cpuWorkers > 1 ? 's' : ''}`;

  const countCorrect = (p: Int32Array) => {
    let n = 0;
    for (let i = 0; i < data.count; i++) if (p[i] === data.labels[i]) n++;
    return n;
  };
  const correct = countCorrect(predictions);
  if (predictionsPath !== undefined) {
    const bytes = new Uint8Array(data.count);
    for (let i = 0; i < data.count; i++) {
      if (predictions[i]! > 255) throw new CliError(`eval --predictions: class ${predictions[i]} of image ${i} does not fit in a byte`);
      bytes[i] = predictions[i]!;
    }
    writeOutputFile(predictionsPath, bytes, 'eval --predictions');
  }
  const ttaNote = tta === 'none' ? '' : `, TTA ${tta} (${setup.views!.length} views per image)`;
  io.err(`${main.progress.summary(data.count)}, backend ${setup.backend}, batch ${batch}, ${workersText}${ttaNote}`);
  io.out(`${correct}/${data.count} correct, top-1 accuracy ${((100 * correct) / data.count).toFixed(2)} %`);
  if (compare === 'cpu') {
    if (setup.backend === 'cpu') {
      io.out('cpu reference: the backend above is the CPU reference already (nothing to compare)');
      return 0;
    }
    const ref = await run({ ...setup, backend: 'cpu' }, undefined, `eval ${data.name} (cpu reference)`);
    const refCorrect = countCorrect(ref.preds);
    let same = 0;
    for (let i = 0; i < data.count; i++) if (ref.preds[i] === predictions[i]) same++;
    io.err(`cpu reference: ${ref.progress.summary(data.count)}, ${cpuWorkers} worker${cpuWorkers > 1 ? 's' : ''}`);
    io.out(`cpu reference: ${refCorrect}/${data.count} correct, top-1 accuracy ${((100 * refCorrect) / data.count).toFixed(2)} % (same prediction on ${same}/${data.count} images)`);
    const rate = (ms: number) => `${(ms / 1000).toFixed(1)} s (${(data.count / Math.max(ms / 1000, 1e-9)).toFixed(1)} images/s)`;
    const ratio = ref.ms / Math.max(main.ms, 1e-9);
    const verdict = ratio >= 1 ? `${setup.backend} ${ratio.toFixed(1)}x faster` : `${setup.backend} ${(1 / ratio).toFixed(1)}x slower`;
    io.out(`time: ${setup.backend} ${rate(main.ms)}, cpu reference ${rate(ref.ms)}: ${verdict}`);
  }
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

/** Classifies every job on `runner`, which is disposed at the end. */
async function evalInProcess(runner: ModelRunner, setup: EvalSetup, data: ImageDataset, jobs: Job[], progress: Progress): Promise<Int32Array> {
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
