/** `tessera classify` (what `npm run main` runs): per-image top-1 against the manifests, backend choice and why. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callCli, DATA, ROOT, spawnCli } from './helpers.js';

const MODEL = join(ROOT, 'models/resnet20-cifar10.tessera');
const SAMPLES = join(ROOT, 'demo/public/samples');
const PHOTOS = join(ROOT, 'demo/public/photos');

describe('tessera classify', () => {
  it('classifies every shipped sample on the cpu as its manifest says, one line per image', async () => {
    const r = await callCli(['classify', MODEL, SAMPLES, '--backend', 'cpu']);
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(SAMPLES, 'samples.json'), 'utf8')) as { samples: { file: string; className: string }[] };
    const lines = r.stdout.split('\n').filter((l) => l.includes('cifar10-test-'));
    expect(lines).toHaveLength(manifest.samples.length);
    for (const s of manifest.samples) {
      const line = lines.find((l) => l.includes(s.file))!;
      // file, predicted class, probability, latency (the default model gets all 24 right, as PyTorch does).
      expect(line).toMatch(new RegExp(`${s.file}\\s+${s.className}\\s+[\\d.]+ %\\s+[\\d.]+ ms  \\(expected ${s.className}: yes\\)`));
    }
    expect(r.stdout).toMatch(/24 images, median latency [\d.]+ ms .*; 24\/24 match the expected class/);
    expect(r.stdout).toContain('backend: cpu (reference executor)');
    expect(r.stdout).toContain('why: --backend cpu was asked for');
  });

  it('reads the shipped photos (JPEG, JPEG with EXIF orientation 6, WebP) and calls Chelsea a cat', async () => {
    const r = await callCli(['classify', MODEL, PHOTOS, '--backend', 'cpu']);
    expect(r.code).toBe(0);
    for (const f of ['chelsea-cat.jpg', 'chelsea-cat-exif6.jpg', 'chelsea-cat.webp']) expect(r.stdout).toMatch(new RegExp(`${f}\\s+cat\\s`));
    expect(r.stdout).toContain('3/3 match the expected class');
  });

  it("'auto' runs on WASM and says why when WebGPU cannot start", async () => {
    const saved = process.env['TESSERA_CHROMIUM'];
    process.env['TESSERA_CHROMIUM'] = join(ROOT, 'no-such-chromium');
    try {
      const r = await callCli(['classify', MODEL, join(SAMPLES, 'cifar10-test-0000.png')]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/cifar10-test-0000\.png\s+cat\s/);
      expect(r.stdout).toMatch(/loaded and ready on wasm in/);
      expect(r.stdout).toMatch(/backend: wasm \(SIMD[^)]*\d+ threads?/);
      expect(r.stdout).toMatch(/why: auto: WebGPU could not start: Chromium not found at .*no-such-chromium/);
    } finally {
      if (saved === undefined) delete process.env['TESSERA_CHROMIUM'];
      else process.env['TESSERA_CHROMIUM'] = saved;
    }
  });

  it("'auto' probes Chromium's WebGPU adapter: SwiftShader is software, so WASM runs, and it says why", async () => {
    const r = await spawnCli(['classify', MODEL, join(SAMPLES, 'cifar10-test-0003.png'), join(PHOTOS, 'chelsea-cat.jpg')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cifar10-test-0003\.png\s+airplane\s/);
    expect(r.stdout).toMatch(/chelsea-cat\.jpg\s+cat\s/);
    expect(r.stdout).toMatch(/backend: wasm \(SIMD/);
    expect(r.stdout).toMatch(/why: auto: the WebGPU adapter is a software fallback \(chromium navigator \(google swiftshader\)\); WASM SIMD is faster on the CPU/);
  });

  it('--backend wasm --threads 1 runs every sample on one WASM thread, as the manifest says', async () => {
    const r = await callCli(['classify', MODEL, SAMPLES, '--backend', 'wasm', '--threads', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/24 images, median latency [\d.]+ ms .*; 24\/24 match the expected class/);
    expect(r.stdout).toMatch(/backend: wasm \(SIMD[^;)]*, 1 thread\b/);
    expect(r.stdout).toContain('why: --backend wasm was asked for');
    const bad = await callCli(['classify', MODEL, SAMPLES, '--backend', 'wasm', '--threads', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--threads must be at least 1/);
  });

  it('measures accuracy on a CIFAR-10 folder when there is one, and only notes a missing one', async () => {
    const one = join(SAMPLES, 'cifar10-test-0001.png');
    const a = await callCli(['classify', MODEL, one, '--backend', 'cpu', '--cifar10', join(DATA, 'cifar10'), '--limit', '40']);
    expect(a.code).toBe(0);
    // PyTorch's count for the first 40 test images (the first 200 give 182: e2e/expected_accuracy.json).
    expect(a.stdout).toMatch(/accuracy: \d+\/40 CIFAR-10 test images correct, top-1 [\d.]+ %/);
    const b = await callCli(['classify', MODEL, one, '--backend', 'cpu', '--cifar10', join(ROOT, 'no-such-dir')]);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/accuracy: skipped, no CIFAR-10 test set at .*no-such-dir/);
  });

  it('names what is wrong: missing files, no images, bad backend', async () => {
    const missing = await callCli(['classify', MODEL, join(ROOT, 'nope.jpg')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.jpg': no such file or folder/);
    const empty = await callCli(['classify', MODEL, join(ROOT, 'docs')]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no \.png\/\.jpg\/\.jpeg\/\.webp images in/);
    const bad = await callCli(['classify', MODEL, SAMPLES, '--backend', 'tpu']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--backend must be one of auto, cpu, wasm, webgpu, got 'tpu'/);
  });
});
