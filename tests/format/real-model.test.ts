/** Round trip of a real imported model (mnist-8.onnx), full precision and fp16. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { f16ToF32, f32ToF16 } from '../../src/graph/ir.js';
import { FP16_WEIGHT_OPS, readTessera, readTesseraHeader, writeTessera } from '../../src/format/index.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { expectSameGraph, expectSameTensor } from './helpers.js';

const url = new URL('../fixtures/data/pretrained/onnx-mnist-cntk/mnist-8.onnx', import.meta.url);
const graph = importOnnx(new Uint8Array(readFileSync(url)));
graph.metadata = {
  ...graph.metadata,
  name: 'mnist-8',
  labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  inputSize: [1, 28, 28],
  layout: 'NCHW',
  mean: [0],
  std: [1],
  colorOrder: 'GRAY',
  pixelScale: 1 / 255,
  provenance: { ...(graph.metadata.provenance ?? {}), source: 'onnx-mnist-cntk/mnist-8.onnx' },
};

describe('real model round trip (mnist-8)', () => {
  it('writes and reads back the imported graph unchanged', () => {
    const bytes = writeTessera(graph);
    expectSameGraph(readTessera(bytes), graph);
  });

  it('fp16 stores exactly the conv/gemm/matmul weights as f16 and reads them back rounded', () => {
    const weightNames = new Set(
      graph.nodes.filter((n) => FP16_WEIGHT_OPS.has(n.op)).flatMap((n) => n.inputs.filter((i) => graph.initializers.get(i)?.dtype === 'f32')),
    );
    expect(weightNames.size).toBeGreaterThanOrEqual(3); // two conv kernels and the classifier matrix at least
    const bytes = writeTessera(graph, { fp16: true });
    const header = readTesseraHeader(bytes).header;
    for (const t of header.tensors) expect(t.storage === 'f16', t.name).toBe(weightNames.has(t.name));
    expect(bytes.length).toBeLessThan(writeTessera(graph).length);

    const back = readTessera(bytes);
    for (const [name, t] of graph.initializers) {
      const expected = weightNames.has(name)
        ? { ...t, data: Float32Array.from(t.data as Float32Array, (x) => f16ToF32(f32ToF16(x))) }
        : t;
      expectSameTensor(back.initializers.get(name)!, expected, name);
    }
  });
});
