/**
 * `tessera convert` / `inspect` on the XNOR-Net LeNet fixture (tests/fixtures/xnor/bin_lenet: the Bin_LeNet MNIST
 * checkpoint exported by tools/export_xnor.py, with 8 MNIST test images and PyTorch's logits for them):
 * convert writes bit-packed binary layers by default and float ones with --no-binarize, both computing PyTorch's
 * outputs; inspect lists the binary layers of a .tessera file and previews them for the ONNX file.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../src/backends/cpu/index.js';
import { readTessera } from '../../src/format/index.js';
import type { Graph, Tensor } from '../../src/graph/ir.js';
import { readNpy } from '../../src/io/npy.js';
import { callCli, ROOT, TINY_CIFAR, tempDir } from './helpers.js';

const FIXTURE = join(ROOT, 'tests/fixtures/xnor/bin_lenet');
const ONNX = join(FIXTURE, 'model.onnx');
const npy = (name: string) => readNpy(new Uint8Array(readFileSync(join(FIXTURE, name))));

// Bin_LeNet (checkpoint README): conv1 float 1->20 5x5; binary conv2 20->50 5x5; binary fc1 800->500; fc2 500->10.
const CONV2 = { m: 50, c: 20, k: 5 };
const FC1 = { m: 500, k: 800 };

function run(graph: Graph, x: Tensor): Float32Array {
  const out = new CpuExecutor(graph).run({ [graph.inputs[0]!.name]: x });
  const y = out instanceof Map ? out.get(graph.outputs[0]!.name) : (out as Record<string, Tensor>)[graph.outputs[0]!.name];
  return y!.data as Float32Array;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

describe('tessera convert / inspect with binary layers', () => {
  const dir = tempDir();
  const binary = join(dir, 'bin_lenet.tessera');
  const float = join(dir, 'bin_lenet_float.tessera');
  let convertOut = '';

  beforeAll(async () => {
    const r = await callCli(['convert', ONNX, '-o', binary]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    convertOut = r.stdout;
    const f = await callCli(['convert', ONNX, '-o', float, '--no-binarize']);
    expect(f.code).toBe(0);
    expect(f.stdout).toContain('binary:  off (--no-binarize)');
  });

  it('convert stores conv2 and fc1 as bit-packed binary layers that compute what PyTorch computed', () => {
    expect(convertOut).toMatch(/binary:\s+2 layers \(BinaryConv, BinaryGemm\)/);
    const g = readTessera(new Uint8Array(readFileSync(binary)));
    const binaryNodes = g.nodes.filter((n) => n.op.startsWith('Binary'));
    expect(binaryNodes.map((n) => n.op)).toEqual(['BinaryConv', 'BinaryGemm']);
    // Weights are 1 bit each, packed per tap in whole 32-bit words of input channels.
    const conv = g.initializers.get(binaryNodes[0]!.inputs[1]!)!;
    const fc = g.initializers.get(binaryNodes[1]!.inputs[1]!)!;
    expect(conv.dtype).toBe('binary');
    expect(conv.shape).toEqual([CONV2.m, CONV2.k, CONV2.k, 32]);
    expect(fc.dtype).toBe('binary');
    expect(fc.shape).toEqual([FC1.m, FC1.k]);
    // No float copy of those weights is left in the file.
    expect([...g.initializers.values()].some((t) => t.dtype === 'f32' && t.data.length >= CONV2.m * CONV2.c * CONV2.k * CONV2.k)).toBe(false);

    const x = npy('input.npy') as Tensor;
    const want = npy('output.npy').data as Float32Array;
    const got = run(g, x);
    const floatGraph = readTessera(new Uint8Array(readFileSync(float)));
    expect(floatGraph.nodes.some((n) => n.op.startsWith('Binary'))).toBe(false);
    // The binarize pass is exact: binary and float graphs agree bit for bit on the CPU backend.
    expect(got).toEqual(run(floatGraph, x));
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-3 * Math.max(1, Math.abs(want[i]!)));
  });

  it('convert --no-binarize keeps float weights: the file is over 15x larger', () => {
    const b = statSync(binary).size;
    const f = statSync(float).size;
    // 425,000 binary weights as f32 (1.7 MB) vs bits (53 KB); the float layers are the same in both files.
    expect(f - b).toBeGreaterThan(4 * (CONV2.m * CONV2.c * 25 + FC1.m * FC1.k) - (CONV2.m * 25 * 32 + FC1.m * FC1.k) / 8 - 8 * 1024);
    expect(f / b).toBeGreaterThan(15);
  });

  it('inspect lists the binary layers of a .tessera file with their sizes, and counts their logical weights', async () => {
    const r = await callCli(['inspect', binary]);
    expect(r.code).toBe(0);
    const convFloat = 4 * CONV2.m * CONV2.c * CONV2.k * CONV2.k;
    const convBits = (CONV2.m * CONV2.k * CONV2.k * 32) / 8 + 4 * CONV2.m;
    const fcFloat = 4 * FC1.m * FC1.k;
    const fcBits = (FC1.m * FC1.k) / 8 + 4 * FC1.m;
    expect(r.stdout).toContain('binary layers: 2');
    expect(r.stdout).toMatch(new RegExp(`BinaryConv\\s+\\S+\\s+W \\[50, 20, 5, 5\\]\\s+${kib(convFloat)} -> ${kib(convBits)}`));
    expect(r.stdout).toMatch(new RegExp(`BinaryGemm\\s+\\S+\\s+W \\[500, 800\\]\\s+${kib(fcFloat)} -> ${kib(fcBits)}`));
    expect(r.stdout).toContain(`${kib(convFloat + fcFloat - convBits - fcBits)} saved`);
    // MACs per image: conv1 20x24x24 outputs x 25 taps, conv2 50x8x8 x 500, fc1 500 x 800, fc2 10 x 500; the
    // fixture's input has a fixed batch (8 images), which the figures include.
    const batch = npy('input.npy').shape[0]!;
    const macs = batch * (20 * 24 * 24 * 25 + 50 * 8 * 8 * 500 + 500 * 800 + 10 * 500);
    expect(r.stdout).toMatch(new RegExp(`total: 7 layers, [\\d,]+ params, ${macs.toLocaleString('en-US')} MACs`));
    // The BinaryConv row counts 50x20x5x5 weights (not the 50x5x5x32 padded bits) and 50x8x8 x 500 MACs.
    const row = r.stdout.split('\n').find((l) => /^\s*\d+\s+BinaryConv\s/.test(l))!;
    const [params, rowMacs] = row.trim().split(/\s+/).slice(-2).map((s) => Number(s.replace(/,/g, '')));
    expect(params).toBeGreaterThanOrEqual(CONV2.m * CONV2.c * 25);
    expect(params).toBeLessThan(CONV2.m * 25 * 32);
    expect(rowMacs).toBe(batch * 50 * 8 * 8 * 500);
  });

  it('inspect of the ONNX file shows the float layers and what convert would make binary', async () => {
    const r = await callCli(['inspect', ONNX]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\s*\d+\s+MatMul\s/m);
    expect(r.stdout).not.toMatch(/^\s*\d+\s+Binary/m);
    expect(r.stdout).toContain('after tessera convert (optimize + binarize): 7 layers');
    expect(r.stdout).toContain('binary layers: 2');
    expect(r.stdout).toMatch(/BinaryGemm\s+\S+\s+W \[500, 800\]/);
  });

  it('a float model converts and inspects without binary layers', async () => {
    const out = join(dir, 'tiny.tessera');
    const c = await callCli(['convert', TINY_CIFAR, '-o', out]);
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('binary:  none');
    expect((await callCli(['inspect', out])).stdout).not.toContain('binary layers');
    expect((await callCli(['inspect', TINY_CIFAR])).stdout).toContain('binary layers: none');
  });

  it('convert --no-optimize --no-binarize writes the graph as imported', async () => {
    const out = join(dir, 'plain.tessera');
    const c = await callCli(['convert', ONNX, '-o', out, '--no-optimize', '--no-binarize']);
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('passes:  none');
    const ops = readTessera(new Uint8Array(readFileSync(out))).nodes.map((n) => n.op);
    expect(ops).toContain('BatchNormalization');
    expect(ops).toContain('Where');
    expect(ops).not.toContain('FusedConv');
  });
});
