/**
 * Rebuilds the demo's default models in models/ from the pretrained checkpoints in ../shared/data/pretrained:
 *
 *   npx tsx tools/make_default_models.ts [--fp32]
 *
 * For each model: export to ONNX with tools/export_cifar_resnet.py (Debian's /usr/bin/python3 with torch), measure
 * PyTorch's top-1 on the CIFAR-10 test set (all 10,000 images and the first 200), convert with the Tessera CLI
 * (float16 weight storage unless --fp32), then write
 *   - models/index.json            the manifest the demo reads (file, SHA-256, size, accuracy figures, provenance)
 *   - e2e/expected_accuracy.json   PyTorch's correct count on the first 200 test images (asserted by the e2e test)
 * Needs: /usr/bin/python3 with torch + onnx, ../shared/data/{pretrained,cifar10}. Nothing else of the repo changes.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PYTHON = '/usr/bin/python3';
const SHARED = '../shared/data';
const CIFAR_DIR = `${SHARED}/cifar10`;
const E2E_LIMIT = 200;
const fp16 = !process.argv.includes('--fp32');

interface ModelSpec {
  id: string;
  title: string;
  depth: number;
  /** Test accuracy (%) the checkpoint's authors published. */
  published: number;
}

const RESNETS: ModelSpec[] = [
  { id: 'resnet20-cifar10', title: 'ResNet-20 (CIFAR-10)', depth: 20, published: 91.73 },
  { id: 'resnet56-cifar10', title: 'ResNet-56 (CIFAR-10)', depth: 56, published: 93.39 },
];
// Slot: the XNOR LeNet for MNIST (../shared/data/pretrained/cooooorn-pytorch-xnor-net) is added here once the binary
// ops land; its manifest entry uses dataset 'mnist' so the demo shows the drawing pad for it.

function pytorchAccuracy(depth: number, onnxPath: string, limit?: number): { correct: number; total: number } {
  const args = ['tools/export_cifar_resnet.py', '--depth', String(depth), '--dynamic-batch', '-o', onnxPath, '--verify-cifar', CIFAR_DIR];
  if (limit !== undefined) args.push('--limit', String(limit));
  const out = execFileSync(PYTHON, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const m = /CIFAR-10 test: (\d+)\/(\d+) correct/.exec(out);
  if (!m) throw new Error(`could not read PyTorch's accuracy from:\n${out}`);
  return { correct: Number(m[1]), total: Number(m[2]) };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const tmp = mkdtempSync(join(tmpdir(), 'tessera-models-'));
try {
  const entries = [];
  let expected: unknown;
  for (const spec of RESNETS) {
    const onnx = join(tmp, `${spec.id}.onnx`);
    const full = pytorchAccuracy(spec.depth, onnx);
    const first = pytorchAccuracy(spec.depth, onnx, E2E_LIMIT);
    const file = `${spec.id}.tessera`;
    execFileSync('npx', ['tsx', 'src/cli/main.ts', 'convert', onnx, '-o', join('models', file), ...(fp16 ? ['--fp16'] : [])], { stdio: 'inherit' });
    const bytes = readFileSync(join('models', file));
    entries.push({
      id: spec.id,
      title: spec.title,
      file,
      dataset: 'cifar10',
      bytes: bytes.length,
      sha256: sha256(bytes),
      weights: fp16 ? 'f16' : 'f32',
      publishedAccuracy: spec.published,
      pytorchAccuracy: { correct: full.correct, total: full.total },
      source: `akamaster/pytorch_resnet_cifar10 resnet${spec.depth} checkpoint (see models/README.md)`,
      license: 'BSD-2-Clause (models/LICENSE-akamaster-resnet-cifar10)',
    });
    if (spec.depth === 20) {
      expected = {
        model: file,
        dataset: 'CIFAR-10 test_batch.bin',
        limit: first.total,
        correct: first.correct,
        howComputed: `/usr/bin/python3 tools/export_cifar_resnet.py --depth 20 --dynamic-batch -o /tmp/r20.onnx --verify-cifar ../shared/data/cifar10 --limit ${E2E_LIMIT} (PyTorch 1.13, float32, CPU), run by tools/make_default_models.ts`,
      };
    }
    console.log(`${spec.id}: PyTorch ${full.correct}/${full.total}, first ${first.total}: ${first.correct}`);
  }
  writeFileSync('models/index.json', JSON.stringify({ models: entries }, null, 1) + '\n');
  writeFileSync('e2e/expected_accuracy.json', JSON.stringify(expected, null, 1) + '\n');
  copyFileSync(`${SHARED}/pretrained/akamaster-resnet-cifar10/LICENSE`, 'models/LICENSE-akamaster-resnet-cifar10');
  chmodSync('models/LICENSE-akamaster-resnet-cifar10', 0o644); // the shared copy is read-only
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
