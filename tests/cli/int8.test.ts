/** `tessera convert --int8` and `tessera inspect --int8 [--check]` on the ResNet-20 fixture. */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTesseraHeader } from '../../src/format/index.js';
import { ROOT, callCli, tempDir } from './helpers.js';

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
