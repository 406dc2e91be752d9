/**
 * Writes the demo's sample strip: the first N CIFAR-10 test images as 32x32 PNGs in demo/public/samples/, plus
 * samples.json with their file names and labels (index i = test image i).
 *
 *   npx tsx tools/make_demo_samples.ts [--cifar10 ../shared/data/cifar10] [--count 24] [--out demo/public/samples]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';

const RECORD = 3073;
const CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

const dir = flag('cifar10', '../shared/data/cifar10');
const count = Number(flag('count', '24'));
const out = flag('out', 'demo/public/samples');
const batch = new Uint8Array(readFileSync(join(dir, 'test_batch.bin')));
if (batch.length % RECORD !== 0 || batch.length < count * RECORD) throw new Error(`${dir}/test_batch.bin is not a CIFAR-10 batch of ≥ ${count} images`);

mkdirSync(out, { recursive: true });
const samples: { file: string; index: number; label: number; className: string }[] = [];
for (let i = 0; i < count; i++) {
  const rec = batch.subarray(i * RECORD, (i + 1) * RECORD);
  const label = rec[0]!;
  const png = new PNG({ width: 32, height: 32, colorType: 2, inputHasAlpha: false });
  // CIFAR stores R, G, B planes; PNG wants interleaved RGBA in pngjs's buffer.
  for (let p = 0; p < 1024; p++) {
    png.data[p * 4] = rec[1 + p]!;
    png.data[p * 4 + 1] = rec[1 + 1024 + p]!;
    png.data[p * 4 + 2] = rec[1 + 2048 + p]!;
    png.data[p * 4 + 3] = 255;
  }
  const file = `cifar10-test-${String(i).padStart(4, '0')}.png`;
  writeFileSync(join(out, file), PNG.sync.write(png, { colorType: 2 }));
  samples.push({ file, index: i, label, className: CLASS_NAMES[label]! });
}
const manifest = {
  source: 'CIFAR-10 test set (test_batch.bin), images 0..' + (count - 1) + ', written by tools/make_demo_samples.ts',
  classNames: CLASS_NAMES,
  samples,
};
writeFileSync(join(out, 'samples.json'), JSON.stringify(manifest, null, 1) + '\n');
console.log(`wrote ${count} samples to ${out}`);
