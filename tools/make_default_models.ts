/**
 * Rebuilds the demo's default models in models/ from the pretrained checkpoints in ../shared/data/pretrained:
 *
 *   npx tsx tools/make_default_models.ts [--only ID,ID...] [--fp32]
 *
 * For each model: export to ONNX with the repository's PyTorch exporter (Debian's /usr/bin/python3 with torch),
 * which also measures PyTorch's top-1 on the test set; convert with the Tessera CLI (`tessera convert`: optimize +
 * binarize, float weights as float16 where that keeps the accuracy, see MODELS); for the MNIST models, measure the
 * converted file with `tessera eval` (CPU backend) and compare its predictions with PyTorch's. Then write
 *   - models/index.json            the manifest the demo reads (file, SHA-256, size, accuracy figures, input
 *                                  preprocessing, provenance); entries of models not rebuilt (--only) are kept, with
 *                                  their file facts refreshed from the file
 *   - e2e/expected_accuracy.json   PyTorch's correct count on the first 200 CIFAR-10 test images (when ResNet-20 is
 *                                  rebuilt; asserted by the e2e test)
 *   - models/LICENSE-*             the checkpoints' license texts
 *   - models/*-int8.tessera        the int8 offers and their index.json entries (tools/make_int8_models.ts)
 * Needs: /usr/bin/python3 with torch + onnx, ../shared/data/{pretrained,cifar10,mnist}.
 *
 * --fp32 stores every model's float weights as float32. ResNet-20/56 in the repository were converted before
 * `tessera convert` optimised graphs (their files hold the exporter's Conv + Relu graph); rebuilding them now writes
 * fused graphs with the same weights.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTessera, readTesseraHeader } from '../src/format/index.js';

const PYTHON = '/usr/bin/python3';
const SHARED = '../shared/data';
const CIFAR_DIR = `${SHARED}/cifar10`;
const MNIST_DIR = `${SHARED}/mnist`;
const E2E_LIMIT = 200;
const allFp32 = process.argv.includes('--fp32');
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',').filter(Boolean)) : undefined;

interface Accuracy {
  correct: number;
  total: number;
}

interface ModelSpec {
  id: string;
  title: string;
  dataset: 'cifar10' | 'mnist';
  /** Test accuracy (%) the checkpoint's authors published. */
  published: number;
  /** Float weight storage. Binary layers are 1 bit per weight either way. */
  weights: 'f16' | 'f32';
  /** Exports `onnx` and returns PyTorch's accuracy (on the first `limit` test images when given). */
  exportOnnx(onnx: string, limit?: number, predictions?: string): Accuracy;
  source: string;
  license: string;
  /** [checkpoint folder's license file, name under models/]. */
  licenseFile: [string, string];
}

const AKAMASTER_LICENSE: [string, string] = [`${SHARED}/pretrained/akamaster-resnet-cifar10/LICENSE`, 'LICENSE-akamaster-resnet-cifar10'];
const XNOR_LICENSE: [string, string] = [`${SHARED}/pretrained/cooooorn-pytorch-xnor-net/LICENSE`, 'LICENSE-cooooorn-pytorch-xnor-net'];

function python(args: string[], pattern: RegExp): Accuracy {
  const out = execFileSync(PYTHON, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const m = pattern.exec(out);
  if (!m) throw new Error(`could not read PyTorch's accuracy from:\n${out}`);
  return { correct: Number(m[1]), total: Number(m[2]) };
}

function resnet(depth: number, published: number): ModelSpec {
  return {
    id: `resnet${depth}-cifar10`,
    title: `ResNet-${depth} (CIFAR-10)`,
    dataset: 'cifar10',
    published,
    // f16 keeps ResNet-20's 10,000 predictions (ResNet-56: 1 of 1,000 flips, accuracy holds); see models/README.md.
    weights: 'f16',
    exportOnnx(onnx, limit) {
      const args = ['tools/export_cifar_resnet.py', '--depth', String(depth), '--dynamic-batch', '-o', onnx, '--verify-cifar', CIFAR_DIR];
      if (limit !== undefined) args.push('--limit', String(limit));
      return python(args, /CIFAR-10 test: (\d+)\/(\d+) correct/);
    },
    source: `akamaster/pytorch_resnet_cifar10 resnet${depth} checkpoint (see models/README.md)`,
    license: 'BSD-2-Clause (models/LICENSE-akamaster-resnet-cifar10)',
    licenseFile: AKAMASTER_LICENSE,
  };
}

function xnorNet(model: 'bin_lenet' | 'lenet', id: string, title: string, published: number, weights: 'f16' | 'f32'): ModelSpec {
  const checkpoint = model === 'bin_lenet' ? 'Bin_LeNet.best9945.pth' : 'LeNet.best9950.pth';
  return {
    id,
    title,
    dataset: 'mnist',
    published,
    weights,
    exportOnnx(onnx, _limit, predictions) {
      const args = ['tools/export_xnor.py', model, '-o', onnx, '--verify', '--dynamic-batch'];
      if (predictions) args.push('--predictions', predictions);
      return python(args, new RegExp(`${model}: PyTorch (\\d+)/(\\d+) correct`));
    },
    source: `cooooorn/Pytorch-XNOR-Net ${checkpoint} checkpoint (see models/README.md)`,
    license: 'BSD-3-Clause (models/LICENSE-cooooorn-pytorch-xnor-net)',
    licenseFile: XNOR_LICENSE,
  };
}

const MODELS: ModelSpec[] = [
  resnet(20, 91.73),
  resnet(56, 93.39),
  // Binary layers are exact; the float layers stay f32: with f16 weights one of the 10,000 predictions flips
  // (9946 correct instead of PyTorch's 9945), and f16 would save only 11 KB of 97 KB.
  xnorNet('bin_lenet', 'xnor-lenet-mnist', 'XNOR-Net LeNet (MNIST, binary)', 99.45, 'f32'),
  // f16 keeps all 10,000 predictions of the float LeNet and halves its 1.7 MB.
  xnorNet('lenet', 'lenet-mnist', 'LeNet (MNIST, float)', 99.5, 'f16'),
];

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function tessera(args: string[]): string {
  return execFileSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'src/cli/main.ts', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Facts read back from a model file: size, hash, float storage, binary layers and input preprocessing. */
function fileFacts(file: string) {
  const bytes = readFileSync(join('models', file));
  const header = readTesseraHeader(new Uint8Array(bytes)).header;
  const graph = readTessera(new Uint8Array(bytes));
  const m = graph.metadata;
  return {
    bytes: bytes.length,
    sha256: sha256(bytes),
    weights: header.tensors.some((t) => t.storage === 'f16') ? 'f16' : 'f32',
    binaryLayers: graph.nodes.filter((n) => n.op.startsWith('Binary')).length,
    preprocessing: {
      inputSize: m.inputSize,
      colorOrder: m.colorOrder,
      pixelScale: m.pixelScale,
      mean: m.mean,
      std: m.std,
    },
  };
}

/** How many predictions differ: Tessera's --predictions file (a byte per image) vs PyTorch's int64 .npy. */
function differingPredictions(tesseraFile: string, pytorchNpy: string): number {
  const out = execFileSync(PYTHON, ['-c', `import numpy as np; a=np.load('${pytorchNpy}'); b=np.fromfile('${tesseraFile}', dtype=np.uint8); assert len(a)==len(b); print(int((a!=b).sum()))`], {
    encoding: 'utf8',
  });
  return Number(out.trim());
}

type Entry = Record<string, unknown> & { id: string; file: string };

const KEY_ORDER = ['id', 'title', 'file', 'dataset', 'bytes', 'sha256', 'weights', 'binaryLayers', 'publishedAccuracy', 'pytorchAccuracy', 'tesseraAccuracy', 'preprocessing', 'source', 'license'];

/** The entry with its keys in KEY_ORDER (unknown keys last), so a kept entry reads like a rebuilt one. */
function ordered(entry: Entry): Entry {
  const rank = (k: string) => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);
  return Object.fromEntries(Object.entries(entry).sort(([a], [b]) => rank(a) - rank(b))) as Entry;
}

const previous: Entry[] = existsSync('models/index.json') ? (JSON.parse(readFileSync('models/index.json', 'utf8')) as { models: Entry[] }).models : [];
const tmp = mkdtempSync(join(tmpdir(), 'tessera-models-'));
try {
  const entries: Entry[] = [];
  for (const spec of MODELS) {
    const file = `${spec.id}.tessera`;
    if (only && !only.has(spec.id)) {
      const old = previous.find((e) => e.id === spec.id);
      if (old && existsSync(join('models', file))) entries.push(ordered({ ...old, ...fileFacts(file) }));
      continue;
    }
    const onnx = join(tmp, `${spec.id}.onnx`);
    const pytorchPredictions = join(tmp, `${spec.id}.pytorch.npy`);
    const full = spec.exportOnnx(onnx, undefined, pytorchPredictions);
    const weights = allFp32 ? 'f32' : spec.weights;
    tessera(['convert', onnx, '-o', join('models', file), '--name', spec.id, ...(weights === 'f16' ? ['--fp16'] : [])]);
    const entry: Entry = {
      id: spec.id,
      title: spec.title,
      file,
      dataset: spec.dataset,
      ...fileFacts(file),
      publishedAccuracy: spec.published,
      pytorchAccuracy: full,
    };
    if (spec.dataset === 'mnist') {
      const predictions = join(tmp, `${spec.id}.tessera.pred`);
      const out = tessera(['eval', join('models', file), '--mnist', MNIST_DIR, '--predictions', predictions]);
      const m = /(\d+)\/(\d+) correct/.exec(out);
      if (!m) throw new Error(`could not read tessera eval's result from:\n${out}`);
      entry['tesseraAccuracy'] = { correct: Number(m[1]), total: Number(m[2]), backend: 'cpu', predictionsDifferingFromPytorch: differingPredictions(predictions, pytorchPredictions) };
    }
    entry['source'] = spec.source;
    entry['license'] = spec.license;
    entries.push(ordered(entry));
    if (spec.id === 'resnet20-cifar10') {
      const first = spec.exportOnnx(onnx, E2E_LIMIT);
      const expected = {
        model: file,
        dataset: 'CIFAR-10 test_batch.bin',
        limit: first.total,
        correct: first.correct,
        howComputed: `/usr/bin/python3 tools/export_cifar_resnet.py --depth 20 --dynamic-batch -o /tmp/r20.onnx --verify-cifar ../shared/data/cifar10 --limit ${E2E_LIMIT} (PyTorch 1.13, float32, CPU), run by tools/make_default_models.ts`,
      };
      writeFileSync('e2e/expected_accuracy.json', JSON.stringify(expected, null, 1) + '\n');
    }
    const [licenseSrc, licenseName] = spec.licenseFile;
    copyFileSync(licenseSrc, join('models', licenseName));
    chmodSync(join('models', licenseName), 0o644); // the shared copy is read-only
    console.log(`${spec.id}: PyTorch ${full.correct}/${full.total}${entry['tesseraAccuracy'] ? `, Tessera ${JSON.stringify(entry['tesseraAccuracy'])}` : ''}`);
  }
  writeFileSync('models/index.json', JSON.stringify({ models: entries }, null, 1) + '\n');
  // The int8 offers (models/*-int8.tessera and their entries) follow the rebuilt files.
  execFileSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'tools/make_int8_models.ts'], { stdio: 'inherit' });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
