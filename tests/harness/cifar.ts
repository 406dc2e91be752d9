/** CIFAR-10 test images (official binary format) and a ResNet-20 ONNX export for end-to-end tests. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const CIFAR_BIN = join(root, '../shared/data/cifar10/test_batch.bin');
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

/** models/resnet20.onnx when present, else exported once per machine into the temp folder (PyTorch via /usr/bin/python3). */
export function resnet20Onnx(): Uint8Array {
  const inRepo = join(root, 'models/resnet20.onnx');
  if (existsSync(inRepo)) return new Uint8Array(readFileSync(inRepo));
  const out = join(tmpdir(), 'tessera-test-resnet20-dyn.onnx');
  if (!existsSync(out)) {
    execFileSync('/usr/bin/python3', [join(root, 'tools/export_cifar_resnet.py'), '--depth', '20', '-o', out, '--dynamic-batch'], { stdio: 'pipe' });
  }
  return new Uint8Array(readFileSync(out));
}
