/**
 * CIFAR-10 test images (official binary format; the first 200, committed in tests/fixtures/data/) and a ResNet-20 ONNX
 * export with a free batch dim (committed; tools/export_cifar_resnet.py --dynamic-batch) for end-to-end tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const CIFAR_BIN = join(root, 'tests/fixtures/data/cifar10/test_batch.bin');
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** Images [start, start+count) normalised like the akamaster ResNets (x/255, ImageNet mean/std), with labels. */
export function cifarImages(start: number, count: number): { images: Float32Array[]; labels: number[] } {
  const bin = readFileSync(CIFAR_BIN);
  const images: Float32Array[] = [];
  const labels: number[] = [];
  for (let i = start; i < start + count; i++) {
    const rec = bin.subarray(i * 3073, (i + 1) * 3073);
    labels.push(rec[0]!);
    const img = new Float32Array(3072);
    for (let k = 0; k < 3072; k++) {
      const c = Math.floor(k / 1024);
      img[k] = (rec[1 + k]! / 255 - MEAN[c]!) / STD[c]!;
    }
    images.push(img);
  }
  return { images, labels };
}

/** The akamaster ResNet-20 (models/LICENSE-akamaster-resnet-cifar10) as ONNX, input [N, 3, 32, 32] with N free. */
export function resnet20Onnx(): Uint8Array {
  return new Uint8Array(readFileSync(join(root, 'tests/fixtures/resnet20/model-dynamic-batch.onnx')));
}
