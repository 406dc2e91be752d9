/** `tessera convert --int8` and `tessera inspect --int8 [--check]` on the ResNet-20 fixture. */
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTessera, readTesseraHeader, writeTessera } from '../../src/format/index.js';
import { writeNpy } from '../../src/io/npy.js';
import { seededRandom, syntheticCnn } from '../format/helpers.js';
import { ROOT, callCli, tempDir } from './helpers.js';
import { loadImageInput } from '../../src/cli/image_input.js';

const RESNET20 = join(ROOT, 'tests/fixtures/resnet20/model.onnx');

describe('convert --int8 / inspect --int8 --check', () => {
  const dir = tempDir();
  const f32 = join(dir, 'r20.tessera');
  const int8 = join(dir, 'r20-int8.tessera');

  it('convert --int8 writes a version-2 file about a quarter of the f32 one and says what it saved', async () => {
    expect((await callCli(['convert', RESNET20, '-o', f32])).code).toBe(0);
    const r = await callCli(['convert', RESNET20, '-o', int8, '--int8']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/int8: {4}20 weight tensors int8, 1\.02 MiB as f32 -> 0\.26 MiB, 0\.77 MiB saved/);
    expect(readTesseraHeader(new Uint8Array(readFileSync(int8))).formatVersion).toBe(2);
    expect(statSync(int8).size).toBeLessThan(0.3 * statSync(f32).size);
  });

  it('inspect prints the int8 bytes of a file; --int8 --check the per-layer error of what convert --int8 would do', async () => {
    const i = await callCli(['inspect', int8]);
    expect(i.stdout).toMatch(/\.tessera v2/);
    expect(i.stdout).toMatch(/int8 weights: 20 weight tensors int8, 1\.02 MiB as f32 -> 0\.26 MiB, 0\.77 MiB saved/);
    const c = await callCli(['inspect', f32, '--int8', '--check']);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/tessera convert --int8: 20 weight tensors int8/);
    const rows = c.stdout.split('\n').filter((l) => /^(FusedConv|Gemm) /.test(l));
    expect(rows).toHaveLength(20);
    for (const row of rows) {
      const rel = Number(row.split(/\s{2,}/)[4]);
      expect(rel, row).toBeGreaterThan(0);
      expect(rel, row).toBeLessThan(0.01);
    }
    expect(c.stdout).toMatch(/worst layer: /);
    const bad = await callCli(['inspect', f32, '--check']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--check: only with --int8/);
  });
});

describe('convert --int8 --int8-calibration (mixed precision)', () => {
  const dir = tempDir();
  const model = join(dir, 'cnn.tessera');
  writeFileSync(model, writeTessera(syntheticCnn(3)));
  const rand = seededRandom(5);
  const npy = (shape: number[]) => writeNpy({ dtype: 'f32', shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rand() * 2 - 1) });
  const calibration = join(dir, 'calib.npy');
  writeFileSync(calibration, npy([16, 1, 28, 28]));

  it('keeps the weights float that the agreement target needs and says so; the file holds exactly the int8 rest', async () => {
    const out = join(dir, 'mixed.tessera');
    const r = await callCli(['convert', model, '-o', out, '--int8', '--int8-calibration', calibration, '--int8-min-agreement', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/int8: {4}none; 2 kept float \(estimated top-1 agreement 100\.0 %, all-int8 \d+\.\d %, on 16 calibration inputs\)/);
    expect([...readTessera(new Uint8Array(readFileSync(out))).initializers.values()].filter((t) => t.quant)).toEqual([]);
    const plain = await callCli(['convert', model, '-o', out, '--int8']);
    expect(plain.stdout).toMatch(/int8: {4}2 weight tensors int8, .*; top-1 not checked \(--int8-calibration\)/);
  });

  it('refuses a calibration of the wrong shape, a target outside [0, 1] and the flags without --int8', async () => {
    const wrong = join(dir, 'wrong.npy');
    writeFileSync(wrong, npy([4, 3, 28, 28]));
    const out = join(dir, 'x.tessera');
    const bad = await callCli(['convert', model, '-o', out, '--int8', '--int8-calibration', wrong]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--int8-calibration .*wrong\.npy: expected float32 \[N, 1, 28, 28\].*got f32 \[4, 3, 28, 28\]/);
    const range = await callCli(['convert', model, '-o', out, '--int8', '--int8-min-agreement', '1.5']);
    expect(range.stderr).toMatch(/--int8-min-agreement: expected a number in \[0, 1\], got '1\.5'/);
    const target = await callCli(['convert', model, '-o', out, '--int8', '--int8-min-agreement', '0.99']);
    expect(target.stderr).toMatch(/--int8-min-agreement: needs --int8-calibration/);
    const alone = await callCli(['convert', model, '-o', out, '--int8-calibration', calibration]);
    expect(alone.stderr).toMatch(/need --int8/);
  });
});

describe('convert --int8 --int8-calibration DIR (a folder of images)', () => {
  const dir = tempDir();
  const model = join(ROOT, 'models/resnet20-cifar10.tessera'); // CIFAR mean / std in its metadata
  const samples = join(ROOT, 'demo/public/samples'); // 24 CIFAR-10 test PNGs (and a samples.json, not an image)

  it('reads the images as run --image does, and gives the file the same .npy of those inputs gives', async () => {
    const fromDir = join(dir, 'dir.tessera');
    const r = await callCli(['convert', model, '-o', fromDir, '--int8', '--int8-calibration', samples]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/int8 calibration: 24 images from .*samples/);
    expect(r.stdout).toMatch(/estimated top-1 agreement [0-9.]+ % on 24 calibration inputs/);
    // the same 25 pictures through the CLI's one image path, as an .npy
    const names = readdirSync(samples).filter((f) => f.endsWith('.png')).sort();
    const graph = readTessera(new Uint8Array(readFileSync(model)));
    const views = names.map((f) => loadImageInput(join(samples, f), graph).tensor.data as Float32Array);
    const data = new Float32Array(views.length * views[0]!.length);
    views.forEach((v, i) => data.set(v, i * v.length));
    const npyFile = join(dir, 'samples.npy');
    writeFileSync(npyFile, writeNpy({ dtype: 'f32', shape: [views.length, 3, 32, 32], data }));
    const fromNpy = join(dir, 'npy.tessera');
    expect((await callCli(['convert', model, '-o', fromNpy, '--int8', '--int8-calibration', npyFile])).code).toBe(0);
    expect(Buffer.compare(readFileSync(fromDir), readFileSync(fromNpy))).toBe(0);
  });

  it('reads at most 64 images and says how many it left; a folder without images is an error naming it', async () => {
    const many = join(dir, 'many');
    mkdirSync(many);
    const png = readFileSync(join(samples, 'cifar10-test-0000.png'));
    for (let i = 0; i < 70; i++) writeFileSync(join(many, `img-${String(i).padStart(3, '0')}.png`), png);
    const r = await callCli(['convert', model, '-o', join(dir, 'many.tessera'), '--int8', '--int8-calibration', many]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/int8 calibration: 64 images from .*many \(6 more not read: at most 64\)/);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'notes.txt'), 'no pictures here');
    const e = await callCli(['convert', model, '-o', join(dir, 'empty.tessera'), '--int8', '--int8-calibration', empty]);
    expect(e.code).not.toBe(0);
    expect(e.stderr).toMatch(/--int8-calibration '.*empty': no \.png\/\.jpg\/\.jpeg\/\.webp images in the folder/);
  });
});
