/**
 * Session.create binarizes an optimised ONNX model (exactly binary layers -> BinaryConv / BinaryGemm), like
 * `tessera convert`; `binarize: false` keeps float layers. Both compute the same outputs on the CPU backend.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/runtime/session.js';
import type { Tensor } from '../../src/graph/ir.js';
import { readNpy } from '../../src/io/npy.js';

const FIXTURE = new URL('../fixtures/xnor/bin_lenet/', import.meta.url);
const onnx = () => new Uint8Array(readFileSync(new URL('model.onnx', FIXTURE)));
const x = readNpy(new Uint8Array(readFileSync(new URL('input.npy', FIXTURE)))) as Tensor;

const binaryOps = (s: Session) => s.graph.nodes.filter((n) => n.op.startsWith('Binary')).map((n) => n.op);

describe('Session.create and binary layers', () => {
  it('binarizes an ONNX model by default, not with binarize: false or optimize: false; outputs agree', async () => {
    const bin = await Session.create(onnx(), { backend: 'cpu' });
    const float = await Session.create(onnx(), { backend: 'cpu', binarize: false });
    const raw = await Session.create(onnx(), { backend: 'cpu', optimize: false });
    expect(binaryOps(bin)).toEqual(['BinaryConv', 'BinaryGemm']);
    expect(binaryOps(float)).toEqual([]);
    expect(binaryOps(raw)).toEqual([]);
    const name = bin.outputs[0]!.name;
    const y = (await bin.run({ [bin.inputs[0]!.name]: x }))[name]!.data;
    expect(y).toEqual((await float.run({ [float.inputs[0]!.name]: x }))[name]!.data);
    const want = readNpy(new Uint8Array(readFileSync(new URL('output.npy', FIXTURE)))).data as Float32Array;
    for (let i = 0; i < want.length; i++) expect(Math.abs(y[i] as number - want[i]!)).toBeLessThan(1e-3 * Math.max(1, Math.abs(want[i]!)));
    for (const s of [bin, float, raw]) s.release();
  });
});
