/** The CLI on a model with symbolic N/H/W (tests/fixtures/dynamic_hw): real sizes run, an unrunnable one is named. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTensor } from '../../src/graph/ir.js';
import { writeNpy } from '../../src/io/npy.js';
import { callCli, ROOT, tempDir } from './helpers.js';

const MODEL = join(ROOT, 'tests/fixtures/dynamic_hw/squeezenet1_1.onnx');

describe('tessera run on symbolic input sizes (cpu)', () => {
  const dir = tempDir();
  const npy = (shape: number[]) => {
    const path = join(dir, `${shape.join('x')}.npy`);
    writeFileSync(path, writeNpy(makeTensor('f32', shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5))));
    return path;
  };

  it('runs at a size the net can take', async () => {
    const r = await callCli(['run', MODEL, '--input', npy([1, 3, 64, 72]), '--top', '3']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => /^\s*\d+\. /.test(l))).toHaveLength(3);
  });

  it('names the input size the net cannot run at, as an InputError (not the failing node alone)', async () => {
    const r = await callCli(['run', MODEL, '--input', npy([1, 3, 8, 8])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/InputError: input 'input': the model cannot run at shape \[1, 3, 8, 8\]: MaxPool node/);
  });
});
