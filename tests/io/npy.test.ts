import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { f32ToF16, makeTensor, type DType, type Tensor } from '../../src/graph/ir.js';
import { NpyError, readNpy, writeNpy } from '../../src/io/npy.js';

const FIX = join(__dirname, '../fixtures/io');
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIX, name)));

/** Seeded LCG so the round-trip data is reproducible. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('readNpy on numpy-written files', () => {
  it('reads float32 [2,3] in C order', () => {
    const t = readNpy(fixture('f32_2x3.npy'));
    expect(t.dtype).toBe('f32');
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5].map((i) => i * 0.5 - 1));
  });

  it('narrows float64 to f32', () => {
    const t = readNpy(fixture('f64_4.npy'));
    expect(t.dtype).toBe('f32');
    expect(t.shape).toEqual([4]);
    expect(Array.from(t.data as Float32Array)).toEqual([0.1, -2.5, 1e10, 3.0].map(Math.fround));
  });

  it('reads int32, int64, uint8, bool', () => {
    const i32 = readNpy(fixture('i32_3x1x2.npy'));
    expect(i32.dtype).toBe('i32');
    expect(i32.shape).toEqual([3, 1, 2]);
    expect(Array.from(i32.data as Int32Array)).toEqual([-3000, -2000, -1000, 0, 1000, 2000]);
    const i64 = readNpy(fixture('i64_3.npy'));
    expect(i64.dtype).toBe('i64');
    expect(Array.from(i64.data as BigInt64Array)).toEqual([-(2n ** 40n), 0n, 2n ** 33n + 5n]);
    const u8 = readNpy(fixture('u8_2x2.npy'));
    expect(u8.dtype).toBe('u8');
    expect(Array.from(u8.data as Uint8Array)).toEqual([0, 1, 254, 255]);
    const b = readNpy(fixture('bool_5.npy'));
    expect(b.dtype).toBe('bool');
    expect(Array.from(b.data as Uint8Array)).toEqual([1, 0, 1, 1, 0]);
  });

  it('reads a 0-d scalar, big-endian data and a version 2.0 header', () => {
    const s = readNpy(fixture('scalar_f32.npy'));
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data as Float32Array)).toEqual([7.25]);
    const be = readNpy(fixture('f32_be_4.npy'));
    expect(Array.from(be.data as Float32Array)).toEqual([1.5, -2.0, 3.25, 1e-3].map(Math.fround));
    const v2 = readNpy(fixture('f32_v2_3.npy'));
    expect(fixture('f32_v2_3.npy')[6]).toBe(2);
    expect(Array.from(v2.data as Float32Array)).toEqual([1, 2, 3]);
  });

  it('rejects Fortran order, bad magic and truncated data with NpyError naming the source', () => {
    expect(() => readNpy(fixture('f32_fortran_2x3.npy'), 'a.npy')).toThrow(/a\.npy: Fortran-order/);
    expect(() => readNpy(new TextEncoder().encode('hello world, not numpy'), 'b.npy')).toThrow(NpyError);
    const good = fixture('f32_2x3.npy');
    expect(() => readNpy(good.subarray(0, good.length - 3), 'c.npy')).toThrow(/c\.npy: truncated data/);
  });
});

describe('writeNpy', () => {
  it('writes the same bytes numpy writes', () => {
    const t = makeTensor('f32', [2, 3], Float32Array.from([0, 1, 2, 3, 4, 5], (i) => i * 0.5 - 1));
    expect(Buffer.from(writeNpy(t)).equals(Buffer.from(fixture('f32_2x3.npy')))).toBe(true);
    const u = makeTensor('u8', [2, 2], Uint8Array.from([0, 1, 254, 255]));
    expect(Buffer.from(writeNpy(u)).equals(Buffer.from(fixture('u8_2x2.npy')))).toBe(true);
  });

  it('round-trips every writable dtype with seeded random data', () => {
    const r = rng(42);
    const make = (dtype: DType, shape: number[]): Tensor => {
      const t = makeTensor(dtype, shape);
      for (let i = 0; i < t.data.length; i++) {
        const x = r() * 2000 - 1000;
        if (dtype === 'i64') (t.data as BigInt64Array)[i] = BigInt(Math.round(x)) * 123456789n;
        else if (dtype === 'f16') t.data[i] = f32ToF16(x);
        else if (dtype === 'bool') t.data[i] = x > 0 ? 1 : 0;
        else if (dtype === 'u8') t.data[i] = Math.floor(r() * 256);
        else t.data[i] = dtype === 'i32' ? Math.round(x) : x;
      }
      return t;
    };
    for (const [dtype, shape] of [
      ['f32', [3, 4, 5]],
      ['i32', [7]],
      ['i64', [2, 2]],
      ['u8', [1, 1, 9]],
      ['bool', [6]],
      ['f16', [4, 2]],
      ['f32', []],
    ] as [DType, number[]][]) {
      const t = make(dtype, shape);
      const bytes = writeNpy(t);
      expect((bytes.length - t.data.byteLength) % 64).toBe(0); // header padded to 64 bytes like numpy
      const back = readNpy(bytes);
      expect(back.dtype).toBe(dtype);
      expect(back.shape).toEqual(shape);
      expect(Array.from(back.data as ArrayLike<number | bigint>)).toEqual(Array.from(t.data as ArrayLike<number | bigint>));
    }
  });

  it('refuses the bit-packed binary dtype and mismatched data length', () => {
    expect(() => writeNpy(makeTensor('binary', [64]))).toThrow(NpyError);
    expect(() => writeNpy({ dtype: 'f32', shape: [3], data: new Float32Array(2) })).toThrow(/needs 3/);
  });
});
