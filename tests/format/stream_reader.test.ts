/**
 * Streaming `.tessera` reader (src/format/stream_reader.ts): bytes pushed in random-sized chunks give exactly the
 * whole-file reader's graph; the header and each tensor are reported as soon as their bytes are in; the skeleton
 * graph waits for structural tensors and has the real graph's shapes and dtypes; truncated, corrupted, over-long and
 * hostile streams end in FormatError without allocating what a header merely declares.
 */
import { describe, expect, it } from 'vitest';
import type { Graph, Tensor } from '../../src/graph/ir.js';
import { FormatError, readTessera, writeTessera } from '../../src/format/index.js';
import { assembleTessera } from '../../src/format/framing.js';
import { TesseraStreamReader, type StreamReaderOptions } from '../../src/format/stream_reader.js';
import { fillPlaceholder, structuralTensors } from '../../src/format/skeleton.js';
import { tensorFromBytes } from '../../src/format/reader.js';
import { quantizeWeightsInt8 } from '../../src/graph/passes/quantize_int8.js';
import { seededRandom, syntheticCnn } from './helpers.js';

const f32File = writeTessera(syntheticCnn(3));
const f16File = writeTessera(syntheticCnn(3), { fp16: true });
const int8File = writeTessera(quantizeWeightsInt8(syntheticCnn(3)).graph);

/** The graph with a structural (i64) tensor: a Reshape whose target shape is an initializer. */
function withShapeTensor(): Graph {
  const g = syntheticCnn(4);
  const initializers = new Map(g.initializers);
  initializers.set('flat.shape', { dtype: 'i64', shape: [2], data: new BigInt64Array([-1n, 784n]) });
  const nodes = g.nodes.map((n) => (n.op === 'Reshape' ? { ...n, inputs: ['r2', 'flat.shape'], attrs: { allowzero: 0 } } : n));
  return { ...g, initializers, nodes };
}

/** Pushes `bytes` in chunks of random sizes (1 byte to 4 KB) and finishes. */
function streamInChunks(bytes: Uint8Array, seed: number, options: StreamReaderOptions = {}) {
  const rand = seededRandom(seed);
  const reader = new TesseraStreamReader(options);
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(rand() * 4096);
    reader.push(bytes.subarray(at, at + n));
    at += n;
  }
  return { reader, ...reader.finish() };
}

const sameData = (a: Tensor, b: Tensor) => a.dtype === b.dtype && a.data.length === b.data.length && a.data.every((v, i) => v === b.data[i]);

function streamError(bytes: Uint8Array, chunk = 997): unknown {
  try {
    const reader = new TesseraStreamReader();
    for (let at = 0; at < bytes.length; at += chunk) reader.push(bytes.subarray(at, at + chunk));
    reader.finish();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('TesseraStreamReader', () => {
  it.each([
    ['f32', f32File],
    ['f16', f16File],
    ['int8', int8File],
  ])('%s: random chunking returns the file; its graph equals readTessera', (_name, file) => {
    for (let seed = 1; seed <= 5; seed++) {
      const { bytes, info } = streamInChunks(file, seed);
      expect(bytes).toEqual(file);
      expect(info.fileByteLength).toBe(file.length);
      const a = readTessera(bytes, { keepF16: true });
      const b = readTessera(file, { keepF16: true });
      for (const [name, t] of b.initializers) expect(sameData(a.initializers.get(name)!, t), name).toBe(true);
    }
  });

  it('reports the header once, then every tensor in payload order as its last byte arrives', () => {
    const events: string[] = [];
    let seen = 0;
    const reader = new TesseraStreamReader({
      onHeader: (info) => events.push(`header ${info.header.tensors.length}`),
      onTensor: (entry, done, total) => {
        // The tensor is complete when reported: its bytes are readable right now.
        expect(reader.tensorBytes(entry)?.length).toBe(entry.byteLength);
        expect(reader.received).toBeGreaterThanOrEqual(reader.header!.payloadOffset + entry.byteOffset + entry.byteLength);
        events.push(`tensor ${done}/${total}`);
        seen++;
      },
    });
    for (let at = 0; at < f32File.length; at += 1000) reader.push(f32File.subarray(at, at + 1000));
    reader.finish();
    expect(events[0]).toBe('header 7');
    expect(events.slice(1)).toEqual([1, 2, 3, 4, 5, 6, 7].map((k) => `tensor ${k}/7`));
    expect(seen).toBe(7);
  });

  it('the skeleton comes with the header when nothing is structural: real shapes, placeholder weights (real where in)', () => {
    const skeletons: { graph: Graph; at: number }[] = [];
    const reader = new TesseraStreamReader({ keepF16: true, onSkeleton: (graph) => skeletons.push({ graph, at: reader.received }) });
    for (let at = 0; at < f16File.length; at += 512) reader.push(f16File.subarray(at, at + 512));
    const real = readTessera(f16File, { keepF16: true });
    expect(skeletons).toHaveLength(1);
    expect(skeletons[0]!.at).toBeLessThan(reader.header!.payloadOffset + 512);
    const sk = skeletons[0]!.graph;
    expect(sk.nodes).toEqual(real.nodes);
    for (const [name, t] of real.initializers) {
      const p = sk.initializers.get(name)!;
      expect([p.dtype, p.shape], name).toEqual([t.dtype, t.shape]);
      // A tensor whose bytes were all in when the skeleton was built is real; any other is a placeholder.
      const e = reader.header!.header.tensors.find((x) => x.name === name)!;
      const arrived = reader.header!.payloadOffset + e.byteOffset + e.byteLength <= skeletons[0]!.at;
      expect(sameData(p, t), name).toBe(arrived);
      if (p.data instanceof Float32Array) expect(p.data.every(Number.isFinite)).toBe(true);
    }
  });

  it.each([
    ['f32', f32File],
    ['f16', f16File],
    ['int8', int8File],
  ] as const)('%s: the placeholders reported are the tensors not in yet; filled in place as they arrive, the skeleton equals the file', (_kind, file) => {
    let skeleton: { graph: Graph; placeholders: ReadonlyMap<string, Tensor> } | undefined;
    const filled: string[] = [];
    const reader: TesseraStreamReader = new TesseraStreamReader({
      keepF16: true,
      onSkeleton: (graph, placeholders) => (skeleton = { graph, placeholders }),
      onTensor: (entry) => {
        const p = skeleton?.placeholders.get(entry.name);
        if (!p) return;
        const before = p.data;
        expect(fillPlaceholder(p, tensorFromBytes(reader.tensorBytes(entry)!, entry, true, entry.name))).toBe(true);
        expect(p.data).toBe(before); // in place: graphs sharing the array see the real values
        filled.push(entry.name);
      },
    });
    for (let at = 0; at < file.length; at += 700) reader.push(file.subarray(at, at + 700));
    reader.finish();
    expect(skeleton!.placeholders.size).toBeGreaterThan(0);
    expect(filled.sort()).toEqual([...skeleton!.placeholders.keys()].sort());
    const real = readTessera(file, { keepF16: true });
    for (const [name, t] of real.initializers) expect(sameData(skeleton!.graph.initializers.get(name)!, t), name).toBe(true);
    for (const [name, t] of real.initializers) expect(skeleton!.graph.initializers.get(name)!.quant, name).toEqual(t.quant);
  });

  it('fillPlaceholder refuses a tensor stored differently (dtype, length, int8 tables) and changes nothing', () => {
    const p: Tensor = { dtype: 'f32', shape: [4], data: new Float32Array([1, 2, 3, 4]) };
    expect(fillPlaceholder(p, { dtype: 'f16', shape: [4], data: new Uint16Array(4) })).toBe(false);
    expect(fillPlaceholder(p, { dtype: 'f32', shape: [3], data: new Float32Array(3) })).toBe(false);
    expect(fillPlaceholder(p, { dtype: 'f32', shape: [4], data: new Float32Array(4), quant: { values: new Int8Array(4), scales: new Float32Array(1) } })).toBe(false);
    expect(Array.from(p.data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(fillPlaceholder(p, { dtype: 'f32', shape: [4], data: new Float32Array([5, 6, 7, 8]) })).toBe(true);
    expect(Array.from(p.data as Float32Array)).toEqual([5, 6, 7, 8]);
  });

  it('the skeleton waits for structural tensors (an i64 Reshape shape) and carries their real values', () => {
    const file = writeTessera(withShapeTensor());
    const { info } = streamInChunks(file, 1);
    const entry = info.header.tensors.find((t) => t.name === 'flat.shape')!;
    expect([...structuralTensors(info.header)]).toEqual(['flat.shape']);
    const structuralEnd = info.payloadOffset + entry.byteOffset + entry.byteLength;
    const skeletons: { graph: Graph; at: number }[] = [];
    const reader = new TesseraStreamReader({ onSkeleton: (graph) => skeletons.push({ graph, at: reader.received }) });
    for (let at = 0; at < file.length; at += 256) reader.push(file.subarray(at, at + 256));
    expect(skeletons).toHaveLength(1);
    expect(skeletons[0]!.at).toBeGreaterThanOrEqual(structuralEnd);
    expect(skeletons[0]!.at).toBeLessThan(structuralEnd + 256);
    expect(Array.from(skeletons[0]!.graph.initializers.get('flat.shape')!.data as BigInt64Array)).toEqual([-1n, 784n]);
  });

  it('200 random cut points and 200 flipped bytes all end in FormatError (never another error)', () => {
    const rand = seededRandom(17);
    const outcomes = new Map<string, number>();
    const note = (e: unknown) => {
      const key = e instanceof FormatError ? 'FormatError' : `${(e as Error)?.name ?? 'no error'}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    };
    for (let i = 0; i < 200; i++) note(streamError(f32File.subarray(0, 1 + Math.floor(rand() * (f32File.length - 1)))));
    for (let i = 0; i < 200; i++) {
      const bad = f32File.slice();
      // Bytes 0-7 are the magic: a file without it is not a .tessera file (the loader sends it to the ONNX importer).
      const at = 8 + Math.floor(rand() * (bad.length - 8));
      bad[at]! ^= 1 + Math.floor(rand() * 255);
      note(streamError(bad, 1 + Math.floor(rand() * 3000)));
    }
    expect(Object.fromEntries(outcomes)).toEqual({ FormatError: 400 });
  });

  it('a stream longer than the header says fails at the first extra byte', () => {
    const longer = new Uint8Array(f32File.length + 1);
    longer.set(f32File);
    const e = streamError(longer, 4096) as FormatError;
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/more bytes than the \d+ the header describes: trailing bytes/);
  });

  it('a header declaring a huge payload allocates only what arrives; truncation says where', () => {
    const header = JSON.stringify({
      formatVersion: 1,
      payload: { byteLength: 1_500_000_000, sha256: '0'.repeat(64) },
      tensors: [{ name: 'w', dtype: 'f32', shape: [375_000_000], byteOffset: 0, byteLength: 1_500_000_000 }],
      graph: { inputs: [{ name: 'x', dtype: 'f32', shape: [1] }], outputs: [{ name: 'y', dtype: 'f32', shape: [1] }], nodes: [{ name: 'n', op: 'Identity', inputs: ['x'], outputs: ['y'], attrs: {} }], initializers: ['w'] },
      metadata: {},
    });
    const file = assembleTessera(new TextEncoder().encode(header), new Uint8Array(100_000));
    const reader = new TesseraStreamReader();
    reader.push(file);
    expect((reader as unknown as { buf: Uint8Array }).buf.length).toBeLessThan(4 * file.length);
    expect(() => reader.finish()).toThrow(/the stream ended after \d+ of the 1500000\d+ bytes the header describes: truncated file/);
  });

  it('prelude and header truncation name where the stream stopped', () => {
    expect(streamError(f32File.subarray(0, 20))).toMatchObject({ name: 'FormatError', message: expect.stringMatching(/ended after 20 bytes, inside the 48-byte prelude/) });
    expect(streamError(f32File.subarray(0, 100))).toMatchObject({ name: 'FormatError', message: expect.stringMatching(/ended after 100 bytes, inside the header/) });
  });
});
