/**
 * `tessera run --image` with photos (PNG, JPEG with EXIF orientation, WebP), bad image files, and test-time
 * augmentation in `run` and `eval`, checked against the model run on each view independently.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRunner } from '../../src/cli/backend.js';
import { softmax } from '../../src/cli/classify.js';
import { loadImageInput } from '../../src/cli/image_input.js';
import { loadModel } from '../../src/cli/model.js';
import { readNpy } from '../../src/io/npy.js';
import { batchToTensor, inputGeometry, normalizationFor } from '../../src/io/preprocess.js';
import { callCli, DATA, ROOT, tempDir } from './helpers.js';

const MODEL = join(ROOT, 'models/resnet20-cifar10.tessera');
const PHOTOS = join(ROOT, 'demo/public/photos');
const FIX = join(ROOT, 'tests/fixtures/images');
const top1 = (stdout: string) => /^\s+1\. (\S+)/m.exec(stdout)?.[1];
const graph = loadModel(MODEL).graph;

/** The model's softmax for each image of an [N, 3, 32, 32] tensor, one run per image. */
async function softmaxEach(data: Float32Array, n: number): Promise<Float64Array[]> {
  const runner = await createRunner(graph, 'cpu', graph.inputs[0]!.name);
  try {
    const per = data.length / n;
    const out: Float64Array[] = [];
    for (let i = 0; i < n; i++) {
      const y = await runner.run({ dtype: 'f32', shape: [1, 3, 32, 32], data: data.slice(i * per, (i + 1) * per) });
      out.push(softmax(y.data as Float32Array));
    }
    return out;
  } finally {
    await runner.dispose();
  }
}

describe('tessera run --image with photos', () => {
  it('applies the EXIF orientation: the rotated JPEG gives the upright PNG\'s answer, and says what it read', async () => {
    const rotated = await callCli(['run', MODEL, '--image', join(PHOTOS, 'chelsea-cat-exif6.jpg'), '--top', '3']);
    const upright = await callCli(['run', MODEL, '--image', join(FIX, 'chelsea-cat-exif6-upright.png'), '--top', '3']);
    expect([rotated.code, upright.code]).toEqual([0, 0]);
    expect(rotated.stderr).toContain('chelsea-cat-exif6.jpg: 300×451 JPEG, EXIF rotate 90°\n');
    expect(upright.stderr).toContain('chelsea-cat-exif6-upright.png: 451×300 PNG\n');
    expect(top1(rotated.stdout)).toBe('cat');
    expect(top1(rotated.stdout)).toBe(top1(upright.stdout));
    // The tensors agree within JPEG decoder differences (jpeg-js vs PIL); ignoring the orientation they would not.
    const a = loadImageInput(join(PHOTOS, 'chelsea-cat-exif6.jpg'), graph).tensor.data as Float32Array;
    const b = loadImageInput(join(FIX, 'chelsea-cat-exif6-upright.png'), graph).tensor.data as Float32Array;
    const mean = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + Math.abs(v - y[i]!), 0) / x.length;
    expect(mean(a, b)).toBeLessThan(0.02);
  });

  it('reads WebP and JPEG; all three codings of the photo say cat', async () => {
    for (const [file, what] of [['chelsea-cat.webp', '451×300 WebP'], ['chelsea-cat.jpg', '451×300 JPEG']]) {
      const r = await callCli(['run', MODEL, '--image', join(PHOTOS, file!)]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`${file}: ${what}\n`);
      expect(top1(r.stdout)).toBe('cat');
    }
  });

  it('bad image files exit 2 with ImageInputError, the file and the reason', async () => {
    const dir = tempDir();
    const cases: [string, RegExp][] = [
      [join(FIX, 'truncated.jpg'), /ImageInputError: .*truncated\.jpg: cannot decode JPEG \(truncated file/],
      [join(ROOT, 'package.json'), /ImageInputError: .*package\.json: not an image/],
    ];
    for (const [file, want] of cases) {
      const r = await callCli(['run', MODEL, '--image', file]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(want);
    }
    const missing = await callCli(['run', MODEL, '--image', join(dir, 'nope.jpg')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.jpg': file not found/);
    const usage = await callCli(['run', MODEL, '--input', join(ROOT, 'package.json'), '--tta', 'flip']);
    expect(usage.stderr).toMatch(/--tta needs --image/);
    const mode = await callCli(['run', MODEL, '--image', join(PHOTOS, 'chelsea-cat.jpg'), '--tta', 'twelve-crop']);
    expect(mode.stderr).toMatch(/--tta must be one of none, flip, ten-crop, got 'twelve-crop'/);
  });
});

describe('test-time augmentation', () => {
  it('run --tta flip outputs the mean softmax of the picture and its mirror, each run on its own', async () => {
    const out = join(tempDir(), 'p.npy');
    const r = await callCli(['run', MODEL, '--image', join(PHOTOS, 'chelsea-cat.jpg'), '--tta', 'flip', '--output', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('chelsea-cat.jpg: 451×300 JPEG, TTA flip: 2 views\n');
    const got = readNpy(new Uint8Array(readFileSync(out)));
    expect(got.shape).toEqual([1, 10]);
    // Independently: the plain tensor, mirrored by hand, through the model one at a time.
    const plain = loadImageInput(join(PHOTOS, 'chelsea-cat.jpg'), graph).tensor.data as Float32Array;
    const mirrored = new Float32Array(plain.length);
    for (let row = 0; row < 3 * 32; row++) for (let x = 0; x < 32; x++) mirrored[row * 32 + x] = plain[row * 32 + 31 - x]!;
    const both = new Float32Array(2 * plain.length);
    both.set(plain);
    both.set(mirrored, plain.length);
    const [p0, p1] = await softmaxEach(both, 2);
    const gotP = got.data as Float32Array;
    for (let k = 0; k < 10; k++) expect(Math.abs(gotP[k]! - (p0![k]! + p1![k]!) / 2)).toBeLessThanOrEqual(1e-6 * Math.max(1e-30, (p0![k]! + p1![k]!) / 2) + 1e-12);
    // Not just the plain view's answer: the views disagree (relatively, on the unlikely classes: both say cat at ~100 %).
    expect(Math.max(...Array.from({ length: 10 }, (_, k) => Math.abs(p0![k]! - p1![k]!) / (p0![k]! + p1![k]!)))).toBeGreaterThan(0.01);
  });

  it('eval --tta flip predicts argmax(mean softmax(image, mirror)) per image, independently computed', async () => {
    const dir = tempDir();
    const cifar = join(DATA, 'cifar10');
    const n = 12;
    const plainPath = join(dir, 'plain.u8');
    const flipPath = join(dir, 'flip.u8');
    const a = await callCli(['eval', MODEL, '--cifar10', cifar, '--limit', String(n), '--batch', '5', '--workers', '1', '--predictions', plainPath]);
    const b = await callCli(['eval', MODEL, '--cifar10', cifar, '--limit', String(n), '--batch', '5', '--workers', '1', '--tta', 'flip', '--predictions', flipPath]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(b.stderr).toMatch(/TTA flip \(2 views per image\)/);
    // The CIFAR bytes and their mirror, normalised like eval does, each through the model alone.
    const raw = readFileSync(join(cifar, 'test_batch.bin'));
    const images = new Uint8Array(2 * n * 3072);
    for (let i = 0; i < n; i++) {
      const rec = raw.subarray(i * 3073 + 1, (i + 1) * 3073);
      images.set(rec, 2 * i * 3072);
      for (let row = 0; row < 96; row++) for (let x = 0; x < 32; x++) images[(2 * i + 1) * 3072 + row * 32 + x] = rec[row * 32 + 31 - x]!;
    }
    const geom = inputGeometry(graph.inputs[0]!.shape, graph.metadata);
    const t = batchToTensor(images, 2 * n, geom, geom, normalizationFor(graph.metadata, 3));
    const probs = await softmaxEach(t.data as Float32Array, 2 * n);
    const argmax = (v: number[]) => v.indexOf(Math.max(...v));
    const want = Array.from({ length: n }, (_, i) => argmax(Array.from({ length: 10 }, (_, k) => probs[2 * i]![k]! + probs[2 * i + 1]![k]!)));
    const plainWant = Array.from({ length: n }, (_, i) => argmax(Array.from(probs[2 * i]!)));
    expect(Array.from(readFileSync(flipPath))).toEqual(want);
    expect(Array.from(readFileSync(plainPath))).toEqual(plainWant);
  });

  it('eval --tta ten-crop runs 10 views per image', async () => {
    const r = await callCli(['eval', MODEL, '--cifar10', join(DATA, 'cifar10'), '--limit', '4', '--workers', '1', '--tta', 'ten-crop']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/TTA ten-crop \(10 views per image\)/);
    expect(r.stdout).toMatch(/^\d\/4 correct/);
  });
});
