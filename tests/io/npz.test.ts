import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NpzError, readNpz } from '../../src/io/npz.js';

const FIX = join(__dirname, '../fixtures/io');

describe('readNpz', () => {
  for (const file of ['stored.npz', 'compressed.npz']) {
    it(`reads numpy's ${file}`, () => {
      const arrays = readNpz(new Uint8Array(readFileSync(join(FIX, file))), file);
      expect([...arrays.keys()].sort()).toEqual(['a', 'b']);
      const a = arrays.get('a')!;
      expect(a.dtype).toBe('f32');
      expect(a.shape).toEqual([3, 4]);
      expect(Array.from(a.data as Float32Array)).toEqual(Array.from({ length: 12 }, (_, i) => i / 4));
      const b = arrays.get('b')!;
      expect(b.dtype).toBe('i64');
      expect(Array.from(b.data as BigInt64Array)).toEqual([5n, 6n, 7n]);
    });
  }

  it('reads the official ONNX model zoo MNIST sample (2018 numpy)', () => {
    const arrays = readNpz(new Uint8Array(readFileSync(join(__dirname, '../fixtures/data/pretrained/onnx-mnist-cntk/test_data_0.npz'))));
    const inputs = arrays.get('inputs')!;
    const outputs = arrays.get('outputs')!;
    expect(inputs.shape).toEqual([1, 784]);
    const px = Array.from(inputs.data as Int32Array);
    expect(Math.min(...px)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...px)).toBeLessThanOrEqual(255);
    expect(Math.max(...px)).toBeGreaterThan(100);
    // One-hot label: the README says the model predicts 5 on sample 0.
    expect(Array.from(outputs.data as Int32Array).indexOf(1)).toBe(5);
  });

  it('rejects a file that is not a zip, and a truncated archive', () => {
    expect(() => readNpz(new Uint8Array(100), 'x.npz')).toThrow(NpzError);
    const bytes = new Uint8Array(readFileSync(join(FIX, 'stored.npz')));
    expect(() => readNpz(bytes.subarray(0, bytes.length - 40), 'y.npz')).toThrow(/y\.npz/);
  });
});
