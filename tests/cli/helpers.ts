/** Helpers for the CLI tests: spawn the real CLI through tsx, or call runCli in-process with captured output. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

export const ROOT = resolve(__dirname, '../..');
export const DATA = resolve(ROOT, 'tests/fixtures/data');
export const MNIST_ONNX = join(DATA, 'pretrained/onnx-mnist-cntk/mnist-8.onnx');
export const MNIST_SAMPLES = join(DATA, 'pretrained/onnx-mnist-cntk');
export const TINY_CIFAR = join(ROOT, 'tests/fixtures/cli/tiny_cifar.onnx');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npx tsx src/cli/main.ts ...args`, minus npx's own start-up (same tsx binary, run by this node). */
export function spawnCli(args: string[], timeoutMs = 90_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TESSERA_DEBUG: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** runCli in this process with output captured (fast; used for the many small error-path checks). */
export async function callCli(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), status: () => {}, errIsTTY: false };
  const code = await runCli(args, io);
  return { code, stdout: out.map((l) => l + '\n').join(''), stderr: err.map((l) => l + '\n').join('') };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tessera-cli-'));
}
