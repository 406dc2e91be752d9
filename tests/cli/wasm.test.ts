/**
 * `--backend wasm` (WebAssembly SIMD, threaded) in `run` and `eval`, `--threads`, and `eval --compare cpu`: the
 * accuracy, the time and the CPU reference's time next to it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../src/io/npy.js';
import { callCli, DATA, ROOT, spawnCli, tempDir, TINY_CIFAR } from './helpers.js';

const FIX = join(ROOT, 'tests/fixtures/cli');
const RESNET20 = join(ROOT, 'models/resnet20-cifar10.tessera');
const torchLogits = readNpy(new Uint8Array(readFileSync(join(FIX, 'tiny_cifar_logits64.npy'))));

describe('tessera run/eval --backend wasm', () => {
  const dir = tempDir();

  it("run --backend wasm gives torch's logits, on the threads asked for", async () => {
    for (const threads of ['1', '2']) {
      const out = join(dir, `w${threads}.npy`);
      const r = await callCli(['run', TINY_CIFAR, '--input', join(FIX, 'tiny_cifar_input0.npy'), '--output', out, '--backend', 'wasm', '--threads', threads]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`backend: wasm \\(SIMD[^;)]*, ${threads} threads?\\b`));
      expect(r.stderr).not.toMatch(/^why:/m); // asked for, not chosen by auto
      const y = readNpy(new Uint8Array(readFileSync(out)));
      const want = (torchLogits.data as Float32Array).subarray(0, 10);
      for (let i = 0; i < 10; i++) expect(y.data[i]).toBeCloseTo(want[i]!, 4);
    }
  });

  it('eval --backend wasm predicts what the CPU reference predicts (batch 5: a short last batch)', async () => {
    const cifar = join(DATA, 'cifar10');
    const wasmPreds = join(dir, 'wasm.u8');
    const cpuPreds = join(dir, 'cpu.u8');
    const a = await callCli(['eval', TINY_CIFAR, '--cifar10', cifar, '--limit', '64', '--batch', '5', '--backend', 'wasm', '--predictions', wasmPreds]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/64 images in [\d.]+ s \([\d.]+ images\/s\), backend wasm, batch 5, \d+ wasm threads?/);
    const b = await callCli(['eval', TINY_CIFAR, '--cifar10', cifar, '--limit', '64', '--batch', '5', '--backend', 'cpu', '--workers', '1', '--predictions', cpuPreds]);
    expect(b.code).toBe(0);
    expect([...readFileSync(wasmPreds)]).toEqual([...readFileSync(cpuPreds)]);
    expect(a.stdout).toBe(b.stdout);
  });

  it('eval --backend wasm --compare cpu: ResNet-20 gets 182 of the first 200 both ways, with both times', async () => {
    const r = await spawnCli(['eval', RESNET20, '--cifar10', join(DATA, 'cifar10'), '--limit', '200', '--backend', 'wasm', '--workers', '2', '--compare', 'cpu'], 180_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^182\/200 correct, top-1 accuracy 91\.00 %$/m);
    expect(r.stdout).toMatch(/^cpu reference: 182\/200 correct, top-1 accuracy 91\.00 % \(same prediction on (19\d|200)\/200 images\)$/m);
    expect(r.stdout).toMatch(/^time: wasm [\d.]+ s \([\d.]+ images\/s\), cpu reference [\d.]+ s \([\d.]+ images\/s\): wasm [\d.]+x (faster|slower)$/m);
    expect(r.stderr).toMatch(/backend: wasm \(SIMD/);
    expect(r.stderr).toMatch(/200 images in [\d.]+ s \([\d.]+ images\/s\), backend wasm, batch 16/);
    expect(r.stderr).toMatch(/cpu reference: 200 images in [\d.]+ s .*2 workers/);
  }, 240_000);

  it("eval's default is auto: WASM where Chromium only has SwiftShader, and it says why", async () => {
    const r = await callCli(['eval', TINY_CIFAR, '--cifar10', join(DATA, 'cifar10'), '--limit', '16']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/backend: wasm \(SIMD/);
    expect(r.stderr).toMatch(/why: auto: (the WebGPU adapter is a software fallback|WebGPU could not start)/);
    expect(r.stdout).toMatch(/^\d+\/16 correct/m);
  });
});
