/**
 * `tessera classify`: classify image files (and every image in the folders given) one by one, printing per image the
 * top-1 class, its probability and the latency; then which backend ran and why. `npm run main` runs it on the images
 * the repository ships (demo/public/samples, demo/public/photos) with the default model and `--backend auto`.
 *
 * A folder may hold a `samples.json` ({ samples: [{ file, className }] }, the demo's manifest): the expected class is
 * then printed next to the prediction and counted. `--cifar10 DIR` also measures top-1 accuracy on that test set
 * when the folder exists (a note otherwise: the data set is never required).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Graph, Tensor } from '../graph/ir.js';
import { loadCifar10 } from '../io/datasets.js';
import { inputGeometry, normalizationFor } from '../io/preprocess.js';
import { boolFlag, helpText, intFlag, parseArgs, stringFlag, type CommandSpec } from './args.js';
import { BACKEND_HELP, createRunnerAuto, parseBackendChoice, THREADS_HELP, type ModelRunner } from './backend.js';
import { isDistribution, outputRows, softmax, topK } from './classify.js';
import { classifyImages, type EvalSetup } from './eval-batch.js';
import { CliError, UsageError } from './errors.js';
import { loadImageInput } from './image_input.js';
import type { CliIo } from './io.js';
import { loadModel, mainInput } from './model.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'];

export const classifySpec: CommandSpec = {
  name: 'classify',
  brief: 'classify image files or folders of images, one line per image',
  summary:
    'Classify PNG, JPEG and WebP images (files, or every image in a folder) with a model, one run per image: prints file, ' +
    "top-1 class, probability and latency, then the backend that ran and why. A folder's samples.json names the expected classes.",
  usage: 'tessera classify MODEL IMAGE_OR_DIR... [--backend auto|cpu|wasm|webgpu] [--threads N] [--cifar10 DIR [--limit N]]',
  flags: {
    backend: { type: 'string', value: 'NAME', help: BACKEND_HELP },
    threads: { type: 'string', value: 'N', help: THREADS_HELP },
    cifar10: { type: 'string', value: 'DIR', help: 'also measure top-1 accuracy on this CIFAR-10 test set, when the folder exists' },
    limit: { type: 'string', value: 'N', help: 'images of --cifar10 to evaluate (default 1000)' },
  },
};

interface ImageJob {
  path: string;
  expected?: string;
}

export async function classifyCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, classifySpec);
  if (boolFlag(args, 'help')) return io.out(helpText(classifySpec)), 0;
  const [modelPath, ...targets] = args.positionals;
  if (modelPath === undefined) throw new UsageError("classify: missing model file (see 'tessera classify --help')");
  if (targets.length === 0) throw new UsageError("classify: give at least one image file or folder (see 'tessera classify --help')");
  const choice = parseBackendChoice(stringFlag(args, 'backend'), 'classify', 'auto');
  const cifar = stringFlag(args, 'cifar10');
  const limit = intFlag(args, 'classify', 'limit', { min: 1, dflt: 1000 })!;
  const numThreads = intFlag(args, 'classify', 'threads', { min: 1 });
  const jobs = targets.flatMap((t) => imageJobs(t));
  if (jobs.length === 0) throw new CliError(`classify: no ${IMAGE_EXTENSIONS.join('/')} images in ${targets.join(', ')}`);

  const t0 = performance.now();
  const { graph } = loadModel(modelPath, 'classify: model');
  const input = mainInput(graph);
  const runner = await createRunnerAuto(graph, choice, input.name, { numThreads });
  io.out(`model ${modelPath}: loaded and ready on ${runner.backend} in ${(performance.now() - t0).toFixed(0)} ms`);
  let matched = 0;
  let known = 0;
  const latencies: number[] = [];
  try {
    for (const job of jobs) {
      const { tensor, description } = loadImageInput(job.path, graph);
      const t = performance.now();
      const out = await runner.run(tensor);
      const ms = performance.now() - t;
      latencies.push(ms);
      const { name, p } = top1(out, graph);
      let verdict = '';
      if (job.expected !== undefined) {
        known++;
        if (name === job.expected) matched++;
        verdict = name === job.expected ? `  (expected ${job.expected}: yes)` : `  (expected ${job.expected}: NO)`;
      }
      io.out(`${job.path.padEnd(44)} ${name.padEnd(12)} ${(p * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(1).padStart(7)} ms${verdict}`);
      io.err(`  read ${description}`);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    io.out(`${jobs.length} images, median latency ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms (first ${latencies[0]!.toFixed(1)} ms)` + (known ? `; ${matched}/${known} match the expected class` : ''));
    if (cifar !== undefined) await accuracy(cifar, limit, graph, runner, io);
  } finally {
    await runner.dispose();
  }
  io.out(`backend: ${runner.description}`);
  io.out(`why: ${runner.reason ?? `--backend ${choice} was asked for`}`);
  return 0;
}

/** The image files a command-line target stands for, with expected classes from a samples.json beside them. */
function imageJobs(target: string): ImageJob[] {
  if (!existsSync(target)) throw new CliError(`classify: '${target}': no such file or folder`);
  if (!statSync(target).isDirectory()) return [{ path: target, expected: expectedClasses(join(target, '..')).get(basename(target)) }];
  const expected = expectedClasses(target);
  return readdirSync(target)
    .filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()))
    .sort()
    .map((f) => ({ path: join(target, f), expected: expected.get(f) }));
}

function expectedClasses(dir: string): Map<string, string> {
  const manifest = join(dir, 'samples.json');
  const map = new Map<string, string>();
  if (!existsSync(manifest)) return map;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(manifest, 'utf8'));
  } catch (e) {
    throw new CliError(`classify: '${manifest}': not valid JSON (${(e as Error).message})`);
  }
  const samples = (parsed as { samples?: unknown }).samples;
  if (!Array.isArray(samples)) throw new CliError(`classify: '${manifest}': expected { "samples": [{ "file", "className" }] }`);
  for (const s of samples as { file?: unknown; className?: unknown }[]) {
    if (typeof s.file === 'string' && typeof s.className === 'string') map.set(s.file, s.className);
  }
  return map;
}

function top1(out: Tensor, graph: Graph): { name: string; p: number } {
  const row = outputRows(out, 1)[0]!;
  const probs = isDistribution(row) ? row : softmax(row);
  const [{ index, p }] = topK(row, probs, 1);
  return { name: graph.metadata.labels?.[index] ?? `class ${index}`, p };
}

async function accuracy(dir: string, limit: number, graph: Graph, runner: ModelRunner, io: CliIo): Promise<void> {
  if (!existsSync(join(dir, 'test_batch.bin'))) {
    io.out(`accuracy: skipped, no CIFAR-10 test set at ${dir} (optional; set TESSERA_CIFAR10_DIR)`);
    return;
  }
  const data = loadCifar10(dir, limit);
  const input = mainInput(graph);
  const geometry = inputGeometry(input.shape, graph.metadata);
  const fixed = input.shape[0] !== undefined && input.shape[0] > 0 ? input.shape[0] : 0;
  const setup: EvalSetup = {
    modelPath: '',
    backend: runner.backend,
    inputName: input.name,
    source: { channels: data.channels, height: data.height, width: data.width },
    geometry,
    normalization: normalizationFor(graph.metadata, geometry.channels),
    fixedBatch: fixed,
    batch: fixed || 16,
  };
  const t = performance.now();
  const preds = await classifyImages(runner, setup, data.images, data.count);
  let correct = 0;
  for (let i = 0; i < data.count; i++) if (preds[i] === data.labels[i]) correct++;
  const s = (performance.now() - t) / 1000;
  io.out(`accuracy: ${correct}/${data.count} CIFAR-10 test images correct, top-1 ${((100 * correct) / data.count).toFixed(2)} % (${s.toFixed(1)} s, ${dir})`);
}
