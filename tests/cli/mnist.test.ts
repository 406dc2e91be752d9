/**
 * End-to-end CLI on the real ONNX model zoo MNIST model: convert -> inspect -> run -> eval as spawned
 * `tsx src/cli/main.ts` processes (a few repeats in-process), checked against the published figure (1.1 % error)
 * and the zoo's sample labels.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/io/datasets.js';
import { readNpy } from '../../src/io/npy.js';
import { callCli, DATA, MNIST_ONNX, MNIST_SAMPLES, spawnCli, tempDir } from './helpers.js';

const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

describe('tessera CLI on mnist-8.onnx', () => {
  const dir = tempDir();
  const model = join(dir, 'mnist.tessera');

  beforeAll(async () => {
    writeFileSync(join(dir, 'digits.txt'), DIGITS.join('\n') + '\n');
    const r = await spawnCli(['convert', MNIST_ONNX, '-o', model, '--labels', join(dir, 'digits.txt'), '--name', 'mnist-cntk', '--pixel-scale', '1/255', '--input-size', '1,28,28']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Parameter count from the README's layer list: conv 8x1x5x5, bias 8, conv 16x8x5x5, bias 16, fc 256x10, bias 10.
    const params = 8 * 25 + 8 + 16 * 8 * 25 + 16 + 256 * 10 + 10;
    expect(r.stdout).toContain(`params:  ${params.toLocaleString('en-US')}`);
    expect(r.stdout).toContain(`${statSync(model).size.toLocaleString('en-US')} bytes`);
  });

  it('convert wrote a .tessera file that inspect reads back with layers and metadata', async () => {
    expect(existsSync(model)).toBe(true);
    const r = await spawnCli(['inspect', model]);
    expect(r.code).toBe(0);
    const layerRows = r.stdout.split('\n').filter((l) => /^\s*\d+\s+[A-Z]\w+\s/.test(l));
    // convert optimises: the 11 imported layers (Conv, Add, Relu, ...) become 6, each conv fused with its bias
    // Add and ReLU, the MatMul + Add head a Gemm.
    expect(layerRows.map((l) => l.trim().split(/\s+/)[1])).toEqual(['FusedConv', 'MaxPool', 'FusedConv', 'MaxPool', 'Reshape', 'Gemm']);
    expect(r.stdout).toMatch(/MaxPool\s+\S+\s+\[1, 16, 4, 4\]/);
    // First conv: 8 outputs x 28x28 positions x 1x5x5 taps; 200 weights + 8 biases.
    expect(r.stdout).toMatch(new RegExp(`FusedConv\\s+\\S+\\s+\\[1, 8, 28, 28\\]\\s+208\\s+${(8 * 28 * 28 * 25).toLocaleString('en-US')}`));
    expect(r.stdout).not.toContain('binary layers');
    expect(r.stdout).toMatch(/name\s+mnist-cntk/);
    expect(r.stdout).toMatch(/inputSize\s+\[1, 28, 28\]/);
    expect(r.stdout).toMatch(/pixelScale\s+1\/255/);
    expect(r.stdout).toContain('10: zero, one, two');
  });

  it('run --input on the zoo samples predicts their one-hot labels and writes the raw output', async () => {
    for (const i of [0, 1, 2]) {
      const sample = join(MNIST_SAMPLES, `test_data_${i}.npz`);
      const out = join(dir, `y${i}.npy`);
      // Sample 0 through a real process, the others in-process (same code path, quicker).
      const args = ['run', model, '--input', sample, '--output', out, '--top', '3'];
      const r = i === 0 ? await spawnCli(args) : await callCli(args);
      expect(r.code).toBe(0);
      const want = [5, 0, 4][i]!;
      expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^\\s*1\\. ${DIGITS[want]}\\s`));
      expect(r.stdout.split('\n').filter((l) => /^\s*\d\. /.test(l))).toHaveLength(3);
      const y = readNpy(new Uint8Array(readFileSync(out)));
      expect(y.shape).toEqual([1, 10]);
      const logits = Array.from(y.data as Float32Array);
      expect(logits.indexOf(Math.max(...logits))).toBe(want);
    }
  });

  it('run --image classifies a PNG made from MNIST test image 0 (a 7), also when it is RGB and larger', async () => {
    const ds = loadMnist(join(DATA, 'mnist'), 2);
    const gray = new PNG({ width: 28, height: 28, colorType: 0 });
    const rgbBig = new PNG({ width: 56, height: 56, colorType: 2 });
    for (let y = 0; y < 56; y++)
      for (let x = 0; x < 56; x++) {
        const v = ds.images[Math.floor(y / 2) * 28 + Math.floor(x / 2)]!;
        if (y < 28 && x < 28) gray.data.set([ds.images[y * 28 + x]!, 0, 0, 255], (y * 28 + x) * 4);
        rgbBig.data.set([v, v, v, 255], (y * 56 + x) * 4);
      }
    for (let i = 0; i < 28 * 28; i++) gray.data[i * 4 + 1] = gray.data[i * 4 + 2] = gray.data[i * 4]!;
    writeFileSync(join(dir, 'seven.png'), PNG.sync.write(gray, { colorType: 0 }));
    writeFileSync(join(dir, 'seven_big.png'), PNG.sync.write(rgbBig, { colorType: 2 }));
    expect(ds.labels[0]).toBe(7);
    for (const f of ['seven.png', 'seven_big.png']) {
      const args = ['run', model, '--image', join(dir, f)];
      const r = f === 'seven.png' ? await spawnCli(args) : await callCli(args);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[0]).toMatch(/^\s*1\. seven\s/);
    }
  });

  it('eval --mnist --limit 200 reaches the published accuracy (>= 97 %) and writes consistent predictions', async () => {
    const preds = join(dir, 'preds.u8');
    const r = await spawnCli(['eval', model, '--mnist', join(DATA, 'mnist'), '--limit', '200', '--predictions', preds]);
    expect(r.code).toBe(0);
    const m = /^(\d+)\/200 correct, top-1 accuracy (\d+\.\d\d) %$/m.exec(r.stdout);
    expect(m).not.toBeNull();
    const correct = Number(m![1]);
    expect(correct / 200).toBeGreaterThanOrEqual(0.97);
    expect(Number(m![2])).toBeCloseTo((100 * correct) / 200, 2);
    const bytes = readFileSync(preds);
    expect(bytes.length).toBe(200);
    const labels = loadMnist(join(DATA, 'mnist'), 200).labels;
    expect(bytes.filter((p, i) => p === labels[i]).length).toBe(correct);
  });

  it('run and eval --backend webgpu (headless Chromium) agree with the CPU backend and say which path ran', async () => {
    const sample = join(MNIST_SAMPLES, 'test_data_0.npz');
    const cpuOut = join(dir, 'cpu0.npy');
    const gpuOut = join(dir, 'gpu0.npy');
    expect((await callCli(['run', model, '--input', sample, '--output', cpuOut, '--backend', 'cpu'])).code).toBe(0);
    const r = await spawnCli(['run', model, '--input', sample, '--output', gpuOut, '--backend', 'webgpu']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/backend: webgpu via chromium/);
    expect(r.stdout.split('\n')[0]).toMatch(/^\s*1\. five\s/);
    const a = readNpy(new Uint8Array(readFileSync(cpuOut))).data as Float32Array;
    const b = readNpy(new Uint8Array(readFileSync(gpuOut))).data as Float32Array;
    let num = 0;
    let den = 0;
    for (let i = 0; i < a.length; i++) {
      num += (a[i]! - b[i]!) ** 2;
      den += a[i]! ** 2;
    }
    expect(Math.sqrt(num / den)).toBeLessThan(1e-4);

    const cpuPreds = join(dir, 'cpu.u8');
    const gpuPreds = join(dir, 'gpu.u8');
    expect((await callCli(['eval', model, '--mnist', join(DATA, 'mnist'), '--limit', '64', '--predictions', cpuPreds, '--backend', 'cpu'])).code).toBe(0);
    const e = await spawnCli(['eval', model, '--mnist', join(DATA, 'mnist'), '--limit', '64', '--predictions', gpuPreds, '--backend', 'webgpu']);
    expect(e.code).toBe(0);
    expect(e.stderr).toMatch(/backend: webgpu via chromium/);
    expect([...readFileSync(gpuPreds)]).toEqual([...readFileSync(cpuPreds)]);
  });
});
