import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, loadCifar10, loadMnist, parseCifar10Batch, parseIdx } from '../../src/io/datasets.js';

const DATA = join(__dirname, '../fixtures/data');

describe('CIFAR-10 binary reader', () => {
  it('reads the real test batch (its first 200 records): first labels, class names, per-class counts', () => {
    const ds = loadCifar10(join(DATA, 'cifar10'));
    expect(ds.count).toBe(200);
    expect([ds.channels, ds.height, ds.width]).toEqual([3, 32, 32]);
    expect(Array.from(ds.labels.subarray(0, 10))).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    expect(ds.classNames?.[3]).toBe('cat');
    expect(ds.classNames).toHaveLength(10);
    const counts = new Array(10).fill(0);
    for (const l of ds.labels) counts[l]++;
    // Per-class counts of the first 200 official test records (the full set has 1000 of each).
    expect(counts).toEqual([20, 14, 21, 19, 15, 18, 26, 18, 28, 21]);
  });

  it('honours limit and splits records into label + CHW planes', () => {
    const rec = (label: number, base: number) => [label, ...Array.from({ length: 3072 }, (_, i) => (base + i) % 251)];
    const bytes = Uint8Array.from([...rec(4, 0), ...rec(9, 100), ...rec(2, 7)]);
    const ds = parseCifar10Batch(bytes, 'mem', 2);
    expect(ds.count).toBe(2);
    expect(Array.from(ds.labels)).toEqual([4, 9]);
    expect(ds.images[3072 + 1024]).toBe((100 + 1024) % 251); // image 1, green plane, first pixel
  });

  it('rejects a size that is not a multiple of 3073 and bad labels', () => {
    expect(() => parseCifar10Batch(new Uint8Array(3074), 'x.bin')).toThrow(/x\.bin: size 3074/);
    expect(() => parseCifar10Batch(Uint8Array.from([10, ...new Array(3072).fill(0)]), 'y.bin')).toThrow(DatasetError);
    expect(() => loadCifar10(join(DATA, 'mnist'))).toThrow(/no test_batch\.bin/);
  });
});

describe('MNIST IDX reader', () => {
  it('reads the real gzipped test set', () => {
    const ds = loadMnist(join(DATA, 'mnist'), 500);
    expect(ds.count).toBe(500);
    expect([ds.channels, ds.height, ds.width]).toEqual([1, 28, 28]);
    expect(Array.from(ds.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    expect(ds.images.length).toBe(500 * 784);
    // A digit: mostly black background with some full-ink pixels.
    const first = ds.images.subarray(0, 784);
    expect(first.filter((v) => v === 0).length).toBeGreaterThan(500);
    expect(Math.max(...first)).toBe(255);
  });

  it('parses plain and gzipped IDX the same way, and rejects truncation', () => {
    const header = [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3];
    const raw = Uint8Array.from([...header, 1, 2, 3, 4, 5, 6]);
    const plain = parseIdx(raw);
    const gz = parseIdx(new Uint8Array(gzipSync(raw)));
    expect(plain.shape).toEqual([2, 3]);
    expect(Array.from(gz.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => parseIdx(raw.subarray(0, 15), 'short.idx')).toThrow(/short\.idx: truncated IDX data/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), 'f.idx')).toThrow(/unsupported/);
  });
});
