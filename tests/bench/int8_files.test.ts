import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { int8Files, int8Line, INT8_TABLE_HEAD } from '../../bench/int8_files.js';
import type { JobResult } from '../../bench/page_types.js';
import { readTessera, readTesseraHeader } from '../../src/format/index.js';

describe('bench --int8 files and table', () => {
  it('converts the ONNX into an f32 and an int8 .tessera of the same graph', () => {
    const { f32, int8 } = int8Files(new Uint8Array(readFileSync('tests/fixtures/resnet20/model.onnx')));
    const f32Tensors = readTesseraHeader(f32).header.tensors;
    const int8Tensors = readTesseraHeader(int8).header.tensors;
    expect(f32Tensors.some((t) => t.storage === 'int8')).toBe(false);
    // ResNet-20: its 19 convs and the Gemm; biases stay f32.
    expect(int8Tensors.filter((t) => t.storage === 'int8')).toHaveLength(20);
    expect(int8.length / f32.length).toBeGreaterThan(0.25);
    expect(int8.length / f32.length).toBeLessThan(0.3);
    const a = readTessera(f32);
    const b = readTessera(int8);
    expect(b.nodes.map((n) => n.op)).toEqual(a.nodes.map((n) => n.op));
  });

  it('prints one row with both ratios against the f32 median', () => {
    const r: JobResult = {
      runtime: 'tessera',
      ok: true,
      int8: { fileBytes: { f32: 4 * 2 ** 20, int8: 2 ** 20 }, medianMs: { f32: 40, int8: 38, int8InRegister: 60 }, reps: 7, relL2: { int8: 0.0123, int8InRegister: 0.0124 } },
    };
    const row = int8Line('resnet20', r);
    expect(row).toBe('| resnet20 | 1.0 MiB / 4.0 MiB (25.0 %) | 40.0 ms | 38.0 ms | 0.95× | 60.0 ms | 1.50× | 1.2e-2 / 1.2e-2 | 7 |');
    expect(row.split('|').length).toBe(INT8_TABLE_HEAD[0]!.split('|').length);
  });
});
