/**
 * `eval --cifar10` and `run` against PyTorch: tests/fixtures/cli/tiny_cifar.onnx is a small seeded CNN exported by
 * torch with a dynamic batch and exporter metadata_props (labels, mean, std); make_tiny_cifar.py stored torch's
 * logits for the first 64 CIFAR-10 test images.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../src/io/npy.js';
import { callCli, DATA, ROOT, spawnCli, tempDir, TINY_CIFAR } from './helpers.js';

const FIX = join(ROOT, 'tests/fixtures/cli');
const torchLogits = readNpy(new Uint8Array(readFileSync(join(FIX, 'tiny_cifar_logits64.npy'))));
const torchPreds = Array.from({ length: 64 }, (_, n) => {
  const row = Array.from((torchLogits.data as Float32Array).subarray(n * 10, n * 10 + 10));
  return row.indexOf(Math.max(...row));
});

describe('tessera eval --cifar10 (tiny torch CNN)', () => {
  const dir = tempDir();

  it('predicts what PyTorch predicts, identically with 2 worker threads and in-process', async () => {
    const withWorkers = join(dir, 'w2.u8');
    const inProcess = join(dir, 'w1.u8');
    const cifar = join(DATA, 'cifar10');
    // Batch 5 does not divide 64: the last batch is short. Workers take jobs of whole batches from a queue.
    const a = await spawnCli(['eval', TINY_CIFAR, '--cifar10', cifar, '--limit', '64', '--batch', '5', '--workers', '2', '--backend', 'cpu', '--predictions', withWorkers]);
    expect(a.code).toBe(0);
    expect(a.stderr).toMatch(/2 workers/);
    const b = await callCli(['eval', TINY_CIFAR, '--cifar10', cifar, '--limit', '64', '--batch', '5', '--workers', '1', '--backend', 'cpu', '--predictions', inProcess]);
    expect(b.code).toBe(0);
    expect(b.stderr).toMatch(/1 worker\b/);
    const pa = Array.from(readFileSync(withWorkers));
    const pb = Array.from(readFileSync(inProcess));
    expect(pa).toEqual(pb);
    expect(pa).toEqual(torchPreds);
    // CIFAR labels of the first 64 images, from the data set itself, decide the reported count.
    const labels = Array.from(readFileSync(join(cifar, 'test_batch.bin')).subarray(0, 64 * 3073)).filter((_, i) => i % 3073 === 0);
    const correct = pa.filter((p, i) => p === labels[i]).length;
    expect(a.stdout).toContain(`${correct}/64 correct, top-1 accuracy ${((100 * correct) / 64).toFixed(2)} %`);
    expect(b.stdout).toBe(a.stdout);
  });

  it('run --input gives torch\'s logits and labels from the ONNX metadata_props', async () => {
    const out = join(dir, 'l0.npy');
    const r = await callCli(['run', TINY_CIFAR, '--input', join(FIX, 'tiny_cifar_input0.npy'), '--output', out, '--top', '10']);
    expect(r.code).toBe(0);
    const y = readNpy(new Uint8Array(readFileSync(out)));
    expect(y.shape).toEqual([1, 10]);
    const want = (torchLogits.data as Float32Array).subarray(0, 10);
    for (let i = 0; i < 10; i++) expect(y.data[i]).toBeCloseTo(want[i]!, 4);
    const names = 'airplane automobile bird cat deer dog frog horse ship truck'.split(' ');
    const lines = r.stdout.split('\n').filter((l) => /^\s*\d+\. /.test(l));
    expect(lines).toHaveLength(10);
    expect(lines[0]).toContain(names[torchPreds[0]!]!);
    // Probabilities are the softmax of the logits and are printed in decreasing order.
    const probs = lines.map((l) => Number(/([\d.]+) %/.exec(l)![1]));
    expect(probs.reduce((s, p) => s + p, 0)).toBeCloseTo(100, 0);
    expect([...probs].sort((p, q) => q - p)).toEqual(probs);
  });

  it('convert keeps exporter metadata unless a flag overrides it', async () => {
    const out = join(dir, 'tiny.tessera');
    const r = await callCli(['convert', TINY_CIFAR, '-o', out, '--std', '0.5,0.5,0.5', '--fp16']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('weights: float16');
    const i = await callCli(['inspect', out]);
    expect(i.stdout).toMatch(/mean\s+\[0\.4914, 0\.4822, 0\.4465\]/);
    expect(i.stdout).toMatch(/std\s+\[0\.5, 0\.5, 0\.5\]/);
    expect(i.stdout).toMatch(/labels\s+10: airplane, automobile/);
  });
});
