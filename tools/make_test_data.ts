/**
 * Writes tests/fixtures/data/: the slice of the third-party data sets that `npm test` reads, so the suite runs from
 * a clone of this repository alone. Same layout and formats as the full sets (which `tessera eval` reads):
 *
 *   cifar10/test_batch.bin, batches.meta.txt        first 200 CIFAR-10 test images (official binary records)
 *   mnist/t10k-{images-idx3,labels-idx1}-ubyte.gz   first 500 MNIST test images (IDX, gzipped)
 *   pretrained/onnx-mnist-cntk/                     the ONNX model zoo's MNIST CNN (MIT) and its sample inputs
 *
 *   npx tsx tools/make_test_data.ts [FULL_DATA_DIR]   (default ../shared/data, or $TESSERA_DATA_DIR)
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = resolve(process.argv[2] ?? process.env['TESSERA_DATA_DIR'] ?? join(ROOT, '../shared/data'));
const OUT = join(ROOT, 'tests/fixtures/data');
const CIFAR_IMAGES = 200;
const MNIST_IMAGES = 500;

function idxSlice(file: string, count: number, headerBytes: number, itemBytes: number): Buffer {
  const raw = gunzipSync(readFileSync(file));
  const out = Buffer.from(raw.subarray(0, headerBytes + count * itemBytes));
  out.writeUInt32BE(count, 4); // the item count of dimension 0
  // mtime 0 in the gzip header so the bytes do not change from one run to the next.
  return gzipSync(out, { level: 9 });
}

mkdirSync(join(OUT, 'cifar10'), { recursive: true });
writeFileSync(join(OUT, 'cifar10/test_batch.bin'), readFileSync(join(SRC, 'cifar10/test_batch.bin')).subarray(0, CIFAR_IMAGES * 3073));
copyFileSync(join(SRC, 'cifar10/batches.meta.txt'), join(OUT, 'cifar10/batches.meta.txt'));

mkdirSync(join(OUT, 'mnist'), { recursive: true });
writeFileSync(join(OUT, 'mnist/t10k-images-idx3-ubyte.gz'), idxSlice(join(SRC, 'mnist/t10k-images-idx3-ubyte.gz'), MNIST_IMAGES, 16, 784));
writeFileSync(join(OUT, 'mnist/t10k-labels-idx1-ubyte.gz'), idxSlice(join(SRC, 'mnist/t10k-labels-idx1-ubyte.gz'), MNIST_IMAGES, 8, 1));

const zoo = 'pretrained/onnx-mnist-cntk';
mkdirSync(join(OUT, zoo), { recursive: true });
for (const f of ['mnist-8.onnx', 'mnist-opset1-onnxmodels-2018.onnx', 'test_data_0.npz', 'test_data_1.npz', 'test_data_2.npz', 'LICENSE-onnx-models'])
  copyFileSync(join(SRC, zoo, f), join(OUT, zoo, f));
console.log(`wrote ${OUT} from ${SRC}`);
