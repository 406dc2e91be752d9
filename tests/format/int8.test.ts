/**
 * int8 storage (format version 2, docs/format.md): round trip, sizes, version handling, and each check of a
 * malformed int8 entry or scale table, plus random corruption of int8 files (always a FormatError, never a stray
 * RangeError or an allocation sized by an unchecked field).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { assembleTessera, readTessera, readTesseraHeader, writeTessera } from '../../src/format/index.js';
import { quantizeWeightsInt8 } from '../../src/graph/passes/quantize_int8.js';
import { expectFormatError, expectSameGraph, seededRandom, syntheticCnn } from './helpers.js';

const f32Graph = syntheticCnn(5);
const { graph: int8Graph, summary } = quantizeWeightsInt8(f32Graph);
const file = writeTessera(int8Graph);
const info = readTesseraHeader(file);
const headerText = new TextDecoder().decode(file.subarray(48, 48 + info.headerByteLength));

/** Re-assemble around an edited header and/or payload (the payload hash is recomputed: these reach the checks). */
function rebuilt(editHeader: (h: any) => void = () => {}, editPayload: (p: Uint8Array, h: any) => void = () => {}, version = 2): Uint8Array {
  const h = JSON.parse(headerText);
  const payload = file.slice(info.payloadOffset);
  editHeader(h);
  editPayload(payload, h);
  h.payload.sha256 = bytesToHex(sha256(payload));
  return assembleTessera(new TextEncoder().encode(JSON.stringify(h)), payload, version);
}
const entryOf = (h: any, name: string) => h.tensors.find((t: any) => t.name === name);
const readError = (bytes: Uint8Array) => expectFormatError(() => readTessera(bytes)).message;

describe('.tessera int8 storage', () => {
  it('quantises the conv and gemm weights (not biases, not tensors under 256 values) and round-trips them exactly', () => {
    expect(summary.layers.map((l) => [l.tensor, l.axis])).toEqual([
      ['conv2.W', 0],
      ['fc1.W', 1],
    ]);
    expect(info.formatVersion).toBe(2);
    const entries = info.header.tensors.filter((t) => t.storage === 'int8');
    expect(entries.map((t) => [t.name, t.scaleAxis])).toEqual(summary.layers.map((l) => [l.tensor, l.axis]));
    const back = readTessera(file);
    expectSameGraph(back, int8Graph); // dequantised values, bit for bit
    for (const l of summary.layers) {
      const a = back.initializers.get(l.tensor)!.quant!;
      const b = int8Graph.initializers.get(l.tensor)!.quant!;
      expect([...a.values]).toEqual([...b.values]);
      expect([...a.scales]).toEqual([...b.scales]);
      expect(a.axis).toBe(b.axis);
    }
    expect(back.initializers.get('conv1.B')!.quant).toBeUndefined();
    expect(writeTessera(back)).toEqual(file); // read → write is byte-identical
  });

  it('int8 tensors take values padded to a word + 4 bytes per scale; the file shrinks accordingly', () => {
    const conv2 = info.header.tensors.find((t) => t.name === 'conv2.W')!;
    expect(conv2.byteLength).toBe(16 * 8 * 25 + 4 * 16);
    const f32File = writeTessera(f32Graph);
    expect(file.length).toBeLessThan(0.4 * f32File.length);
  });

  it('files without int8 tensors stay version 1 and read exactly as before (no quant field)', () => {
    const old = writeTessera(f32Graph);
    expect(readTesseraHeader(old).formatVersion).toBe(1);
    const g = readTessera(old);
    expectSameGraph(g, f32Graph);
    for (const t of g.initializers.values()) expect('quant' in t).toBe(false);
    expect(readTesseraHeader(writeTessera(f32Graph, { fp16: true })).formatVersion).toBe(1);
  });

  it('a quant that no longer matches its data (a rewrite changed the weight) is written as f32', () => {
    const w = int8Graph.initializers.get('conv1.W')!;
    const changed = new Map(int8Graph.initializers);
    changed.set('conv1.W', { ...w, data: (w.data as Float32Array).map((v) => v * 2) });
    const h = readTesseraHeader(writeTessera({ ...int8Graph, initializers: changed })).header;
    expect(h.tensors.find((t) => t.name === 'conv1.W')!.storage).toBeUndefined();
    expect(h.tensors.find((t) => t.name === 'conv2.W')!.storage).toBe('int8');
  });

  it('malformed int8 entries and scale tables are FormatErrors naming the tensor', () => {
    expect(readError(rebuilt((h) => (entryOf(h, 'conv2.W').byteLength -= 4)))).toMatch(
      /header\.tensors\[\d+\]\.byteLength: byteLength 3260 of int8 tensor 'conv2.W' does not match 3200 int8 values \(padded to 3200 bytes\) \+ 16 f32 scales = 3264 bytes/,
    );
    expect(readError(rebuilt((h) => delete entryOf(h, 'conv2.W').scaleAxis))).toMatch(/int8 tensor 'conv2.W' does not match .* \+ 1 f32 scale = 3204 bytes/);
    expect(readError(rebuilt((h) => (entryOf(h, 'conv2.W').scaleAxis = 4)))).toMatch(/scaleAxis: 4 is out of range \[0, 3\]/);
    expect(readError(rebuilt((h) => (entryOf(h, 'conv1.B').scaleAxis = 0)))).toMatch(/scaleAxis is only allowed with storage "int8" \('conv1.B'\)/);
    expect(readError(rebuilt((h) => (entryOf(h, 'conv1.B').storage = 'int4')))).toMatch(/storage: expected "f16" or "int8"/);
    expect(readError(rebuilt((h) => (h.formatVersion = 1), () => {}, 1))).toMatch(/storage: expected "f16" \(format version 1\), got "int8"/);
    // Scale table: NaN, Infinity, negative.
    for (const bad of [NaN, Infinity, -0.5]) {
      const msg = readError(
        rebuilt(undefined, (p, h) => {
          const e = entryOf(h, 'conv2.W');
          new DataView(p.buffer).setFloat32(e.byteOffset + 3200 + 4 * 3, bad, true);
        }),
      );
      expect(msg).toMatch(new RegExp(`^header\\.tensors\\[\\d+\\]: int8 tensor 'conv2.W': scale 3 is ${String(bad)}; scales must be finite and >= 0`));
    }
  });

  it('a non-zero padding byte between the values and the scales is a FormatError', () => {
    // A 3x3x3x3 = 81-value conv weight: 3 padding bytes before its scales.
    const g = syntheticCnn(7);
    const rand = seededRandom(3);
    g.initializers.set('conv1.W', { dtype: 'f32', shape: [8, 1, 5, 5], data: Float32Array.from({ length: 200 }, () => rand() - 0.5) });
    g.initializers.set('extra.W', { dtype: 'f32', shape: [3, 3, 3, 11], data: Float32Array.from({ length: 297 }, () => rand() - 0.5) });
    g.nodes.push({ name: 'mm', op: 'MatMul', inputs: ['logits', 'extra.W'], outputs: ['unused'], attrs: {} });
    const q = writeTessera(quantizeWeightsInt8(g).graph);
    const qi = readTesseraHeader(q);
    const e = qi.header.tensors.find((t) => t.name === 'extra.W')!;
    expect(e.storage).toBe('int8');
    expect(e.byteLength).toBe(300 + 4 * 11);
    const payload = q.slice(qi.payloadOffset);
    payload[e.byteOffset + 298] = 1;
    const h = JSON.parse(new TextDecoder().decode(q.subarray(48, 48 + qi.headerByteLength)));
    h.payload.sha256 = bytesToHex(sha256(payload));
    const bad = assembleTessera(new TextEncoder().encode(JSON.stringify(h)), payload, 2);
    expect(readError(bad)).toMatch(/int8 tensor 'extra.W': padding byte 298 after the values is 0x1, expected 0/);
  });

  it('random corruption of int8 header fields, the scale tables and truncation end in a FormatError', () => {
    const rand = seededRandom(17);
    const fields = ['byteLength', 'byteOffset', 'scaleAxis', 'shape'];
    const values = [-1, 0, 1, 3, 7, 2 ** 31, 2 ** 32, 2 ** 53, 1e300, 'x', null, [], [2 ** 32, 2 ** 32], [1e9, 1e9, 1e9]];
    for (let k = 0; k < 200; k++) {
      const name = ['conv2.W', 'fc1.W'][Math.floor(rand() * 2)]!;
      const field = fields[Math.floor(rand() * fields.length)]!;
      const value = values[Math.floor(rand() * values.length)];
      const bytes = rebuilt((h) => (entryOf(h, name)[field] = value));
      try {
        readTessera(bytes);
      } catch (e) {
        expect((e as Error).name, `${name}.${field} = ${JSON.stringify(value)}: ${(e as Error).message}`).toBe('FormatError');
      }
    }
    for (let k = 0; k < 100; k++) {
      const cut = 1 + Math.floor(rand() * (file.length - 1));
      expectFormatError(() => readTessera(file.subarray(0, cut)));
      const flipped = file.slice();
      flipped[info.payloadOffset + Math.floor(rand() * (file.length - info.payloadOffset))] ^= 1 + Math.floor(rand() * 255);
      expectFormatError(() => readTessera(flipped));
    }
  });
});
