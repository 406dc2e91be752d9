/** `tessera run`: classify one image (PNG, JPEG, WebP) or run one raw tensor (.npy/.npz) and print the top classes. */
import { extname } from 'node:path';
import { makeTensor, sizeOf, tensorToNumbers, type Tensor, type ValueInfo } from '../graph/ir.js';
import { readNpy, writeNpy } from '../io/npy.js';
import { readNpz } from '../io/npz.js';
import { averageViews } from '../image/tta.js';
import { boolFlag, helpText, intFlag, parseArgs, requireOnePositional, stringFlag, type CommandSpec } from './args.js';
import { BACKEND_HELP, createRunnerAuto, parseBackendChoice, THREADS_HELP } from './backend.js';
import { isDistribution, outputRows, softmax, topK } from './classify.js';
import { parseTta } from './eval.js';
import { runRows } from './eval-batch.js';
import { loadImageInput } from './image_input.js';
import { CliError, UsageError } from './errors.js';
import { readInputFile, writeOutputFile } from './files.js';
import { shapeText } from './format.js';
import type { CliIo } from './io.js';
import { loadModel, mainInput } from './model.js';

export const runSpec: CommandSpec = {
  name: 'run',
  brief: 'classify one image (PNG, JPEG, WebP) or run one .npy/.npz tensor',
  summary:
    'Run a model on one image (PNG, JPEG or WebP; JPEG EXIF orientation applied; resized/cropped and normalised per ' +
    'the model metadata) or on a raw input tensor (.npy, or .npz with one array; fed as is, cast to float32), print the ' +
    'top classes and optionally save the raw output.',
  usage: 'tessera run MODEL (--image IMG | --input X.npy) [--tta flip|ten-crop] [--output Y.npy] [--top K] [--backend auto|cpu|wasm|webgpu] [--threads N]',
  flags: {
    image: { type: 'string', value: 'FILE', help: 'input image: PNG, JPEG or WebP (gray, RGB or RGBA)' },
    tta: { type: 'string', value: 'MODE', help: 'with --image: flip (image + mirror) or ten-crop (corners + centre, and mirrors); softmax averaged' },
    input: { type: 'string', value: 'FILE.npy', help: 'raw input tensor (.npy or .npz), fed without preprocessing' },
    output: { type: 'string', alias: 'o', value: 'FILE.npy', help: 'write the raw model output here (with --tta: the averaged probabilities)' },
    top: { type: 'string', value: 'K', help: 'number of classes to print (default 5)' },
    backend: { type: 'string', value: 'NAME', help: BACKEND_HELP },
    threads: { type: 'string', value: 'N', help: THREADS_HELP },
  },
};

export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, runSpec);
  if (boolFlag(args, 'help')) return io.out(helpText(runSpec)), 0;
  const modelPath = requireOnePositional(args, 'run', 'model file');
  const image = stringFlag(args, 'image');
  const inputFile = stringFlag(args, 'input');
  if ((image === undefined) === (inputFile === undefined)) throw new UsageError(`run: give exactly one of --image FILE or --input FILE.npy`);
  const tta = parseTta(stringFlag(args, 'tta'), 'run');
  if (tta !== 'none' && image === undefined) throw new UsageError('run: --tta needs --image (views are made from the picture)');
  const k = intFlag(args, 'run', 'top', { min: 1, dflt: 5 })!;
  const choice = parseBackendChoice(stringFlag(args, 'backend'), 'run', 'auto');
  const numThreads = intFlag(args, 'run', 'threads', { min: 1 });
  const outPath = stringFlag(args, 'output');

  const { graph } = loadModel(modelPath, 'run: model');
  const input = mainInput(graph);
  let tensor: Tensor;
  let views = 1;
  if (image !== undefined) {
    const loaded = loadImageInput(image, graph, { tta, what: 'run --image' });
    io.err(loaded.description);
    tensor = loaded.tensor;
    views = loaded.views.length;
  } else {
    tensor = fitInput(readTensorFile(inputFile!), input, `run --input '${inputFile}'`);
  }

  const runner = await createRunnerAuto(graph, choice, input.name, { numThreads });
  let out: Tensor;
  let rows: Float64Array[];
  const batch = (tensor.shape[0] ?? 1) / views;
  try {
    if (views === 1) {
      out = await runner.run(tensor);
      rows = outputRows(out, batch);
    } else {
      // The views of the image run as one batch (or in the model's fixed batch); the answer is their mean softmax.
      const fixed = input.shape[0] !== undefined && input.shape[0] > 0 ? input.shape[0] : 0;
      const viewRows = await runRows(runner, tensor, fixed);
      const probs = averageViews(Float64Array.from(viewRows.flatMap((r) => Array.from(r))), views, viewRows[0]!.length);
      out = { dtype: 'f32', shape: [batch, probs.length / batch], data: probs };
      rows = outputRows(out, batch);
    }
  } finally {
    await runner.dispose();
  }
  io.err(`backend: ${runner.description}`);
  if (runner.reason) io.err(`why: ${runner.reason}`);
  if (outPath !== undefined) writeOutputFile(outPath, writeNpy(out), 'run --output');

  const labels = graph.metadata.labels;
  rows.forEach((row, n) => {
    const probs = isDistribution(row) ? row : softmax(row);
    if (batch > 1) io.out(`sample ${n}:`);
    for (const [rank, { index, p }] of topK(row, probs, k).entries()) {
      const name = labels?.[index] ?? `class ${index}`;
      io.out(`${String(rank + 1).padStart(3)}. ${name.padEnd(16)} ${(p * 100).toFixed(2).padStart(6)} %  (index ${index}, score ${row[index]!.toPrecision(5)})`);
    }
  });
  if (outPath !== undefined) io.out(`output ${shapeText(out.shape)} written to ${outPath}`);
  return 0;
}

function readTensorFile(path: string): Tensor {
  const bytes = readInputFile(path, 'run --input');
  const where = `run --input '${path}'`;
  if (extname(path).toLowerCase() === '.npz') {
    const arrays = readNpz(bytes, where);
    if (arrays.size === 0) throw new CliError(`${where}: archive holds no arrays`);
    // The ONNX model zoo's samples store `inputs` next to `outputs`; otherwise there must be exactly one array.
    const named = arrays.get('inputs') ?? arrays.get('input') ?? (arrays.size === 1 ? [...arrays.values()][0] : undefined);
    if (!named) throw new CliError(`${where}: holds ${[...arrays.keys()].join(', ')}; expected one array or one named 'input(s)'`);
    return named;
  }
  return readNpy(bytes, where);
}

/**
 * Make a user tensor fit the graph input: cast to f32, add a missing batch dim, or reshape when only the element
 * count matches a static input shape (e.g. the zoo's MNIST samples, [1, 784] for [1, 1, 28, 28]).
 */
export function fitInput(t: Tensor, input: ValueInfo, where: string): Tensor {
  let data = t.data;
  if (input.dtype === 'f32' && t.dtype !== 'f32') data = Float32Array.from(tensorToNumbers(t));
  else if (input.dtype !== t.dtype && input.dtype !== 'f32')
    throw new CliError(`${where}: dtype ${t.dtype} but model input '${input.name}' wants ${input.dtype}`);
  const want = input.shape;
  const matches = (shape: readonly number[]) => shape.length === want.length && shape.every((d, i) => want[i]! < 0 || want[i] === d);
  let shape: readonly number[] = t.shape;
  if (!matches(shape)) {
    if (matches([1, ...shape])) shape = [1, ...shape];
    else if (want.slice(1).every((d) => d > 0) && sizeOf(shape) % sizeOf(want.slice(1)) === 0 && want[0]! < 0) {
      shape = [sizeOf(shape) / sizeOf(want.slice(1)), ...want.slice(1)];
    } else if (want.every((d) => d > 0) && sizeOf(want) === sizeOf(shape)) shape = [...want];
    else throw new CliError(`${where}: shape ${shapeText(t.shape)} does not fit model input '${input.name}' ${shapeText(want)}`);
  }
  return makeTensor(input.dtype === 'f32' ? 'f32' : t.dtype, shape, data);
}
