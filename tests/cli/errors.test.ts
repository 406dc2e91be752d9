/** User errors: one line on stderr naming what and where, exit code 2, no stack trace. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callCli, DATA, MNIST_ONNX, ROOT, spawnCli, tempDir, TINY_CIFAR } from './helpers.js';

const dir = tempDir();
const npy23 = join(ROOT, 'tests/fixtures/io/f32_2x3.npy');
const png = join(ROOT, 'tests/fixtures/io/rgb_4x5.png');

function expectUserError(r: { code: number; stdout: string; stderr: string }, pattern: RegExp) {
  expect(r.code).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^tessera /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack frames
}

describe('CLI user errors (in-process)', () => {
  const cases: [string, string[], RegExp][] = [
    ['missing model file', ['inspect', join(dir, 'nope.onnx')], /model '.*nope\.onnx': file not found/],
    ['model is a directory', ['inspect', dir], /is a directory/],
    ['not a model', ['inspect', png], /OnnxImportError/],
    ['missing image', ['run', MNIST_ONNX, '--image', join(dir, 'x.png')], /--image '.*x\.png': file not found/],
    ['image and input together', ['run', MNIST_ONNX, '--image', png, '--input', npy23], /exactly one of --image/],
    ['wrong input shape', ['run', MNIST_ONNX, '--input', npy23], /shape \[2, 3\] does not fit model input 'Input3' \[1, 1, 28, 28\]/],
    ['not an npy', ['run', MNIST_ONNX, '--input', png], /NpyError: .*rgb_4x5\.png.*bad magic/],
    ['unknown flag', ['run', MNIST_ONNX, '--imgae', png], /unknown option '--imgae'/],
    ['flag without value', ['run', MNIST_ONNX, '--image'], /'--image' needs a value/],
    ['bad --top', ['run', MNIST_ONNX, '--image', png, '--top', '0'], /--top must be at least 1/],
    ['unknown backend', ['run', MNIST_ONNX, '--image', png, '--backend', 'tpu'], /--backend must be one of auto, cpu, wasm, webgpu/],
    ['eval without data set', ['eval', MNIST_ONNX], /exactly one of --cifar10 DIR or --mnist DIR/],
    ['eval data dir missing', ['eval', MNIST_ONNX, '--mnist', join(dir, 'none')], /--mnist '.*none': directory not found/],
    ['eval wrong data dir', ['eval', MNIST_ONNX, '--mnist', join(DATA, 'cifar10')], /expected t10k-images-idx3-ubyte/],
    ['eval size mismatch', ['eval', MNIST_ONNX, '--cifar10', join(DATA, 'cifar10'), '--limit', '2'], /32x32 but the model input is 28x28/],
    ['bad --threads', ['run', MNIST_ONNX, '--image', png, '--backend', 'wasm', '--threads', 'two'], /--threads must be an integer, got 'two'/],
    ['eval bad --compare', ['eval', MNIST_ONNX, '--mnist', join(DATA, 'mnist'), '--compare', 'webgpu'], /--compare takes 'cpu' \(the reference executor\), got 'webgpu'/],
    ['eval bad limit', ['eval', MNIST_ONNX, '--mnist', join(DATA, 'mnist'), '--limit', '1.5'], /--limit must be an integer/],
    ['convert without -o', ['convert', MNIST_ONNX], /missing -o\/--output/],
    ['convert bad mean count', ['convert', TINY_CIFAR, '-o', join(dir, 'a.tessera'), '--mean', '0.5,0.5'], /--mean: 2 values but the model input has 3 channels/],
    ['convert bad std', ['convert', TINY_CIFAR, '-o', join(dir, 'a.tessera'), '--std', '1,x,1'], /--std: 'x' is not a number/],
    ['convert bad input size', ['convert', TINY_CIFAR, '-o', join(dir, 'a.tessera'), '--input-size', '3,32'], /expected 3 comma-separated numbers/],
    ['convert missing labels', ['convert', MNIST_ONNX, '-o', join(dir, 'a.tessera'), '--labels', join(dir, 'l.txt')], /--labels '.*l\.txt': file not found/],
    ['convert into missing dir', ['convert', MNIST_ONNX, '-o', join(dir, 'no/such/x.tessera')], /directory '.*no\/such' does not exist/],
    ['unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['extra positional', ['inspect', MNIST_ONNX, 'other.onnx'], /unexpected argument 'other\.onnx'/],
  ];
  for (const [what, args, pattern] of cases) {
    it(what, async () => expectUserError(await callCli(args), pattern));
  }

  it('a corrupt .tessera file is a FormatError, not a crash', async () => {
    const bad = join(dir, 'bad.tessera');
    writeFileSync(bad, 'TESSERA\0 this is not a real header');
    expectUserError(await callCli(['inspect', bad]), /FormatError/);
  });

  it('--help works for every command and lists its flags', async () => {
    for (const [cmd, flag] of [['convert', '--fp16'], ['inspect', '--help'], ['run', '--threads'], ['eval', '--workers'], ['eval', '--compare cpu'], ['eval', 'wasm (WebAssembly SIMD']]) {
      const r = await callCli([cmd!, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: tessera ${cmd}`));
      expect(r.stdout).toContain(flag);
    }
    const top = await callCli(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of ['convert', 'inspect', 'run', 'eval']) expect(top.stdout).toMatch(new RegExp(`^  ${cmd} `, 'm'));
    expect((await callCli([])).code).toBe(2);
  });
});

describe('CLI user errors (spawned process)', () => {
  it('exits with code 2 and a single line for a missing file and for a wrong input shape', async () => {
    const a = await spawnCli(['run', join(dir, 'missing.onnx'), '--image', png]);
    expectUserError(a, /file not found/);
    expect(a.stdout).toBe('');
    const b = await spawnCli(['run', MNIST_ONNX, '--input', npy23]);
    expectUserError(b, /does not fit model input/);
  });
});
