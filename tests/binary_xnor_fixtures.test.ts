/**
 * End to end on the committed XNOR fixtures (tests/fixtures/xnor/<name>/, written by `tools/export_xnor.py
 * fixtures`): PyTorch ONNX export -> importOnnx -> optimize -> binarize -> CPU equals PyTorch's output, equals
 * the float graph bit for bit, and survives a .tessera round trip with the weights stored as bits.
 *   tiny:      random XNOR net: -1 padding, zero padding + stride 2, C = 40 / 36 / 33, negative BN scales,
 *              torch.sign (0 -> 0), a binary Linear with bias
 *   bin_lenet: the real Bin_LeNet checkpoint (99.45 % on MNIST), first 8 test images
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../src/backends/cpu/index.js';
import { readTessera, writeTessera } from '../src/format/index.js';
import type { Graph, Tensor } from '../src/graph/ir.js';
import { binarize, binarySummary } from '../src/graph/passes/binarize.js';
import { optimize } from '../src/graph/passes/index.js';
import { importOnnx } from '../src/import/onnx/index.js';
import { readNpy } from '../src/io/npy.js';
import { relativeL2 } from '../src/util/relative_l2.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'xnor');

function load(name: string) {
  const dir = join(ROOT, name);
  return {
    graph: importOnnx(new Uint8Array(readFileSync(join(dir, 'model.onnx')))),
    input: readNpy(new Uint8Array(readFileSync(join(dir, 'input.npy'))), `${name}/input.npy`),
    expected: readNpy(new Uint8Array(readFileSync(join(dir, 'output.npy'))), `${name}/output.npy`),
  };
}

function run(graph: Graph, input: Tensor): Float32Array {
  return Object.values(new CpuExecutor(graph).run({ [graph.inputs[0]!.name]: input }))[0]!.data as Float32Array;
}

const EXPECTED_LAYERS: Record<string, string[]> = {
  tiny: ['BinaryConv pv-1 zs-1 T', 'BinaryConv pv0 zs-1 T', 'BinaryConv pv0 zs0 -', 'BinaryGemm zs-1 T'],
  bin_lenet: ['BinaryConv pv0 zs-1 T', 'BinaryGemm zs-1 T'],
};

describe.each(Object.keys(EXPECTED_LAYERS))('XNOR fixture %s', (name) => {
  const { graph, input, expected } = load(name);
  const float = optimize(graph);
  const binary = binarize(float);

  it('detects exactly the binary layers, with the right padding and sign conventions', () => {
    const layers = binary.nodes
      .filter((n) => n.op.startsWith('Binary'))
      .map((n) => [n.op, n.op === 'BinaryConv' ? `pv${n.attrs['pad_value']}` : '', `zs${n.attrs['zero_sign']}`, n.inputs[4] ? 'T' : '-'].filter((s) => s !== '').join(' '));
    expect(layers).toEqual(EXPECTED_LAYERS[name]);
    // No sign / BN-before-sign nodes remain.
    expect(binary.nodes.some((n) => n.op === 'Where' || n.op === 'Sign' || n.op === 'Greater')).toBe(false);
  });

  it('CPU output matches PyTorch and the float graph bit for bit', () => {
    const got = run(binary, input);
    expect(relativeL2(got, expected.data as Float32Array)).toBeLessThan(1e-5);
    expect(got).toEqual(run(float, input));
  });

  it('round-trips through .tessera with bit-packed weights, much smaller than the float file', () => {
    const bytes = writeTessera(binary);
    const floatBytes = writeTessera(float);
    const back = readTessera(bytes);
    expect(run(back, input)).toEqual(run(binary, input));
    const s = binarySummary(back);
    expect(s.layers.length).toBe(EXPECTED_LAYERS[name]!.length);
    expect(floatBytes.length - bytes.length).toBeGreaterThan(0.9 * s.savedBytes);
  });
});
