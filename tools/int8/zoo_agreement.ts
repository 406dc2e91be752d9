/**
 * int8 vs f32 on real CIFAR-10 images: for each model, the f32 and the `--int8` .tessera files are written and read
 * back in memory (the same passes as `tessera convert`), both run over the first N CIFAR-10 test images on the WASM
 * backend, and one Markdown row is printed: int8 file size / f32 file size, relative L2 of all int8 logits against
 * the f32 ones, on how many images top-1 agrees, and the f32 model's median top-1 margin (top-1 minus top-2 logit,
 * over the RMS of the image's logits). Logits are the model's raw output (no softmax).
 *
 *   npm run int8:agreement -- [--limit 1000] [--threads 1] [--cifar10 DIR] [--min-agreement P]
 *                             [--calibration cifar|synthetic|none] [--calibration-count 128] [--only NAME,...] [EXTRA.onnx|EXTRA.tessera ...]
 *
 * The int8 file is what `tessera convert --int8 --int8-calibration X.npy` writes: mixed precision
 * (src/graph/passes/int8_mixed.ts) with target --min-agreement (default the converter's, 0.997; 0 = every candidate
 * int8), calibrated on CIFAR-10 test images 9000.. (default `cifar`, 128 of them; never among the first --limit ≤ 9000
 * measured ones), on the converter's seeded synthetic images (`synthetic`), or not at all (`none`: every candidate
 * int8, what `--int8` alone writes). "float" counts the candidate weights kept float; "estimated" is the
 * converter's agreement estimate on its calibration inputs.
 *
 * Models: every CIFAR-scale zoo fixture (tests/fixtures/zoo/*-cifar, random weights: tests/fixtures/zoo/README.md)
 * and the pretrained ResNet-20/56 (models/*.tessera, weights stored as f16 there: the "f32" file here holds those
 * values as f32). EXTRA files are added (e.g. ResNet-32/44 exported by tools/export_cifar_resnet.py); a model whose
 * metadata names a source checkpoint counts as trained. Models without mean/std metadata (the zoo fixtures) get the
 * CIFAR ResNets' normalisation (ImageNet mean/std), so their inputs are in the range their BN was calibrated for.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createRunner } from '../../src/cli/backend.js';
import { argmax, outputRows } from '../../src/cli/classify.js';
import { runRows } from '../../src/cli/eval-batch.js';
import { loadModel, mainInput } from '../../src/cli/model.js';
import { convertPipeline } from '../../src/cli/pipeline.js';
import { readTessera, writeTessera } from '../../src/format/index.js';
import type { Graph, GraphMetadata } from '../../src/graph/ir.js';
import { DEFAULT_MIN_AGREEMENT, quantizeWeightsInt8Mixed } from '../../src/graph/passes/int8_mixed.js';
import { relativeL2 } from '../../src/graph/quant_int8.js';
import { loadCifar10 } from '../../src/io/datasets.js';
import { batchToTensor, inputGeometry, normalizationFor } from '../../src/io/preprocess.js';

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const BATCH = 50;
const CALIBRATION_FIRST = 9000;

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : dflt;
}
const flagged = new Set(['--limit', '--threads', '--cifar10', '--min-agreement', '--calibration', '--calibration-count', '--only'].flatMap((f) => [process.argv.indexOf(f), process.argv.indexOf(f) + 1]));
const extra = process.argv.slice(2).filter((a, i) => !flagged.has(i + 2) && !a.startsWith('--'));
const limit = Number(flag('--limit', '1000'));
const numThreads = Number(flag('--threads', '1'));
const minAgreement = Number(flag('--min-agreement', String(DEFAULT_MIN_AGREEMENT)));
const calibrationSource = flag('--calibration', 'cifar');
const CALIBRATION_COUNT = Number(flag('--calibration-count', '128'));
if (!['synthetic', 'cifar', 'none'].includes(calibrationSource)) throw new Error(`--calibration: cifar, synthetic or none, got '${calibrationSource}'`);
if (limit > CALIBRATION_FIRST || CALIBRATION_FIRST + CALIBRATION_COUNT > 10000) throw new Error(`--limit ${limit} / --calibration-count ${CALIBRATION_COUNT}: at most ${CALIBRATION_FIRST} measured, ${10000 - CALIBRATION_FIRST} calibrating`);
const cifarDir = flag('--cifar10', '../shared/data/cifar10');
const data = loadCifar10(cifarDir, limit);
const calibrationImages = calibrationSource === 'cifar' ? loadCifar10(cifarDir, CALIBRATION_FIRST + CALIBRATION_COUNT) : undefined;

const zooDir = 'tests/fixtures/zoo';
const models: { path: string; trained?: boolean }[] = [
  ...readdirSync(zooDir)
    .filter((d) => d.endsWith('-cifar'))
    .sort()
    .map((d) => ({ path: join(zooDir, d, 'model.onnx'), trained: false })),
  ...['models/resnet20-cifar10.tessera', 'models/resnet56-cifar10.tessera'].filter((p) => existsSync(p)).map((path) => ({ path, trained: true })),
  ...extra.map((path) => ({ path })),
];

/** The graph's preprocessing: ImageNet mean/std for a model without any. */
function preprocessing(graph: Graph) {
  const geometry = inputGeometry(mainInput(graph).shape, graph.metadata);
  const meta: GraphMetadata = graph.metadata.mean ? graph.metadata : { ...graph.metadata, ...IMAGENET };
  return { geometry, normalization: normalizationFor(meta, geometry.channels) };
}

/** CIFAR-10 test images 9000.. as the model's input tensor (--calibration cifar), 'synthetic' or undefined (none). */
function calibrationFor(graph: Graph) {
  if (!calibrationImages) return calibrationSource === 'synthetic' ? 'synthetic' : undefined;
  const { geometry, normalization } = preprocessing(graph);
  const d = calibrationImages;
  const per = d.channels * d.height * d.width;
  const images = d.images.subarray(CALIBRATION_FIRST * per, (CALIBRATION_FIRST + CALIBRATION_COUNT) * per);
  return batchToTensor(images, CALIBRATION_COUNT, { channels: d.channels, height: d.height, width: d.width }, geometry, normalization);
}

/** Logits of every image: [count * classes] f32 plus the class count. */
async function logits(graph: Graph): Promise<{ data: Float32Array; classes: number }> {
  const input = mainInput(graph);
  const { geometry, normalization } = preprocessing(graph);
  const fixed = input.shape[0]! > 0 ? input.shape[0]! : 0;
  const runner = await createRunner(graph, 'wasm', input.name, { numThreads });
  const source = { channels: data.channels, height: data.height, width: data.width };
  const per = data.channels * data.height * data.width;
  const rows: Float64Array[] = [];
  try {
    for (let s = 0; s < data.count; s += BATCH) {
      const n = Math.min(BATCH, data.count - s);
      const x = batchToTensor(data.images.subarray(s * per, (s + n) * per), n, source, geometry, normalization);
      rows.push(...(fixed > 0 ? await runRows(runner, x, fixed) : outputRows(await runner.run(x), n)));
    }
  } finally {
    await runner.dispose();
  }
  const classes = rows[0]!.length;
  const out = new Float32Array(rows.length * classes);
  rows.forEach((r, i) => out.set(r, i * classes));
  return { data: out, classes };
}

const top1 = (v: Float32Array, k: number, i: number) => argmax(v.subarray(i * k, (i + 1) * k));

/**
 * Median over images of (top-1 logit − top-2 logit) / RMS of the image's logits: how decided the f32 model is.
 * Random-weight nets sit near 0 (near-tied logits, which any perturbation flips); trained ones far above.
 */
function medianMargin(v: Float32Array, k: number, count: number): number {
  const margins = Array.from({ length: count }, (_, i) => {
    const row = Array.from(v.subarray(i * k, (i + 1) * k)).sort((a, b) => b - a);
    const rms = Math.sqrt(row.reduce((s, x) => s + x * x, 0) / k);
    return rms > 0 ? (row[0]! - row[1]!) / rms : 0;
  }).sort((a, b) => a - b);
  return margins[count >> 1]!;
}

console.log(`first ${data.count} CIFAR-10 test images, WASM backend (${numThreads} thread${numThreads > 1 ? 's' : ''}); int8: min agreement ${minAgreement}, ${calibrationSource} calibration\n`);
console.log('| model | weights | int8 / float tensors | int8 file / f32 file | logits rel L2 | top-1 agreement | estimated | f32 median top-1 margin |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
const only = flag('--only', '').split(',').filter(Boolean);
for (const m of models.filter((m) => only.length === 0 || only.some((o) => m.path.includes(o)))) {
  const loaded = loadModel(m.path, 'int8 agreement: model');
  const graph = loaded.format === 'onnx' ? convertPipeline(loaded.graph, { optimize: true, binarize: true }) : loaded.graph;
  const { graph: q, summary, floatLayers, estimate } = quantizeWeightsInt8Mixed(graph, { minAgreement, calibration: calibrationFor(graph) });
  const f32Bytes = writeTessera(graph);
  const int8Bytes = writeTessera(q);
  const ref = await logits(readTessera(f32Bytes));
  const got = await logits(readTessera(int8Bytes));
  let agree = 0;
  for (let i = 0; i < data.count; i++) if (top1(ref.data, ref.classes, i) === top1(got.data, got.classes, i)) agree++;
  const trained = m.trained ?? graph.metadata.provenance?.['meta.source'] !== undefined;
  const name = m.path.includes('/zoo/') ? basename(join(m.path, '..')) : basename(m.path).replace(/\.(onnx|tessera)$/, '');
  const ratio = ((100 * int8Bytes.length) / f32Bytes.length).toFixed(1);
  console.log(
    `| ${name} | ${trained ? 'trained' : 'random'} | ${summary.layers.length} / ${floatLayers.length} | ${int8Bytes.length.toLocaleString('en-US')} / ${f32Bytes.length.toLocaleString('en-US')} (${ratio} %) | ${relativeL2(ref.data, got.data).toExponential(2)} | ${agree}/${data.count} | ${estimate ? (1000 * estimate.agreement).toFixed(0) : '–'} | ${medianMargin(ref.data, ref.classes, data.count).toFixed(2)} |`,
  );
}
