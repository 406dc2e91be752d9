import { describe, expect, it } from 'vitest';
import { f16ToF32, f32ToF16, type Graph, type Tensor } from '../../src/graph/ir.js';
import {
  ALIGNMENT,
  FormatError,
  isTessera,
  readTessera,
  readTesseraHeader,
  writeTessera,
} from '../../src/format/index.js';
import { expectFormatError, expectSameGraph, expectSameTensor, randomF32, seededRandom, syntheticCnn } from './helpers.js';

/** A graph exercising every stored dtype, tensor attributes and every attribute kind. */
function everyDtypeGraph(): Graph {
  const rand = seededRandom(7);
  const binaryWords = new Uint32Array(3); // 70 bits -> 3 words
  for (let i = 0; i < 3; i++) binaryWords[i] = Math.floor(rand() * 2 ** 32);
  const f16 = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000]);
  const initializers = new Map<string, Tensor>([
    ['w', randomF32(rand, [4, 3, 3, 3])],
    ['half', { dtype: 'f16', shape: [2, 3], data: f16 }],
    ['ints', { dtype: 'i32', shape: [5], data: new Int32Array([0, -1, 2147483647, -2147483648, 42]) }],
    ['longs', { dtype: 'i64', shape: [4], data: new BigInt64Array([0n, -1n, 9007199254740993n, -9223372036854775808n]) }],
    ['bytes', { dtype: 'u8', shape: [2, 2], data: new Uint8Array([0, 1, 128, 255]) }],
    ['flags', { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) }],
    ['signs', { dtype: 'binary', shape: [7, 10], data: binaryWords }],
    ['empty', { dtype: 'f32', shape: [0, 3], data: new Float32Array(0) }],
    ['scalar', { dtype: 'f32', shape: [], data: new Float32Array([3.5]) }],
    // Collides with the name the writer would give the ConstantOfShape attribute tensor below.
    ['cos:value', { dtype: 'f32', shape: [1], data: new Float32Array([-2]) }],
  ]);
  return {
    inputs: [{ name: 'x', dtype: 'f32', shape: [-1, 3, 8, 8] }],
    outputs: [
      { name: 'y', dtype: 'f32', shape: [-1, 4, 8, 8] },
      { name: 'filled', dtype: 'i64', shape: [2, 2] },
    ],
    nodes: [
      { name: 'conv', op: 'Conv', inputs: ['x', 'w', ''], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 1, auto_pad: 'NOTSET' } },
      { name: 'clip', op: 'Clip', inputs: ['c'], outputs: ['cl'], attrs: { min: -Infinity, max: Infinity } },
      { name: 'odd', op: 'Custom', inputs: ['cl', 'half', 'ints', 'longs', 'bytes', 'flags', 'signs', 'empty', 'scalar', 'cos:value'], outputs: ['y'], attrs: { nan: NaN, negzero: -0, frac: 0.1, big: 2 ** 60, list: [1.5, -Infinity, NaN, -0], none: [], names: ['a', 'é', '日本'], label: 'ünïcode "quoted"\n' } },
      { name: 'cos', op: 'ConstantOfShape', inputs: ['longs'], outputs: ['filled'], attrs: { value: { dtype: 'i64', shape: [1], data: new BigInt64Array([7n]) } } },
      { name: '', op: 'ConstantOfShape', inputs: ['longs'], outputs: ['unnamed'], attrs: { value: { dtype: 'f32', shape: [1], data: new Float32Array([0.25]) } } },
    ],
    initializers,
    metadata: {
      name: 'every-dtype',
      labels: ['cat', 'dog'],
      inputSize: [3, 8, 8],
      layout: 'NCHW',
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      colorOrder: 'RGB',
      pixelScale: 1 / 255,
      provenance: { source: 'unit test', sha256: 'abc' },
      extra: { nested: [1, 'two', null, true] },
    },
  };
}

describe('.tessera round trip', () => {
  it('reads back exactly what was written: every dtype, attribute kind, tensor attrs and metadata', () => {
    const graph = everyDtypeGraph();
    const bytes = writeTessera(graph);
    expect(isTessera(bytes)).toBe(true);
    const back = readTessera(bytes);
    expectSameGraph(back, graph);
    // i64 beyond 2^53 survives bit-exactly.
    expect((back.initializers.get('longs')!.data as BigInt64Array)[2]).toBe(9007199254740993n);
    // Binary stays packed: dtype 'binary', Uint32Array of ceil(70/32) words.
    const signs = back.initializers.get('signs')!;
    expect(signs.dtype).toBe('binary');
    expect(signs.data).toBeInstanceOf(Uint32Array);
    expect(signs.data.length).toBe(3);
  });

  it('lays the file out as documented: prelude, 256-aligned payload and tensors, exact byte lengths', () => {
    const bytes = writeTessera(everyDtypeGraph());
    expect([...bytes.subarray(0, 8)]).toEqual([...new TextEncoder().encode('TESSERA'), 0]);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getUint32(8, true)).toBe(1);
    const info = readTesseraHeader(bytes);
    expect(view.getUint32(12, true)).toBe(info.headerByteLength);
    expect(info.payloadOffset % ALIGNMENT).toBe(0);
    expect(info.payloadOffset).toBeGreaterThanOrEqual(48 + info.headerByteLength);
    expect(info.payloadOffset - (48 + info.headerByteLength)).toBeLessThan(ALIGNMENT);
    expect(bytes.length).toBe(info.payloadOffset + info.header.payload.byteLength);
    const byName = new Map(info.header.tensors.map((t) => [t.name, t]));
    const expectedLengths: Record<string, number> = { w: 4 * 108, half: 12, ints: 20, longs: 32, bytes: 4, flags: 3, signs: 12, empty: 0, scalar: 4 };
    for (const [name, len] of Object.entries(expectedLengths)) expect(byName.get(name)!.byteLength, name).toBe(len);
    for (const t of info.header.tensors) expect(t.byteOffset % ALIGNMENT, t.name).toBe(0);
    // The attribute tensor got its own name, distinct from the colliding initializer.
    const attrRef = info.header.graph.nodes[3]!.attrs.value!;
    expect(attrRef.type).toBe('tensor');
    expect(attrRef.type === 'tensor' && attrRef.tensor).not.toBe('cos:value');
    // f32 bytes in the payload are little-endian.
    const w = byName.get('w')!;
    const first = new DataView(bytes.buffer, bytes.byteOffset + info.payloadOffset + w.byteOffset, 4).getFloat32(0, true);
    expect(first).toBe((everyDtypeGraph().initializers.get('w')!.data as Float32Array)[0]);
  });

  it('round-trips a CNN and hands back copies that do not alias the file buffer, from an unaligned view', () => {
    const graph = syntheticCnn(3);
    const written = writeTessera(graph);
    // Place the file at an odd offset inside a bigger buffer: typed-array views would be misaligned there.
    const host = new Uint8Array(written.length + 5);
    host.set(written, 3);
    const bytes = host.subarray(3, 3 + written.length);
    const back = readTessera(bytes);
    expectSameGraph(back, graph);
    host.fill(0);
    expectSameTensor(back.initializers.get('conv2.W')!, graph.initializers.get('conv2.W')!, 'after clearing the file');
  });

  it('fp16: conv/gemm weights stored as f16 and read back as f32 rounded through f32ToF16', () => {
    const graph = syntheticCnn(5);
    graph.initializers.set('bias.add', randomF32(seededRandom(9), [10]));
    graph.nodes.push({ name: 'add', op: 'Add', inputs: ['logits', 'bias.add'], outputs: ['out'], attrs: {} });
    graph.outputs = [{ name: 'out', dtype: 'f32', shape: [-1, 10] }];
    // A weight outside f16's range must stay f32 (it would become Infinity).
    (graph.initializers.get('fc2.B')!.data as Float32Array)[0] = 1e6;

    const full = writeTessera(graph);
    const half = writeTessera(graph, { fp16: true });
    expect(half.length).toBeLessThan(full.length * 0.65);

    const info = readTesseraHeader(half);
    const storage = Object.fromEntries(info.header.tensors.map((t) => [t.name, t.storage ?? t.dtype]));
    expect(storage).toEqual({
      'conv1.W': 'f16', 'conv1.B': 'f16', 'conv2.W': 'f16', 'conv2.B': 'f16', 'fc1.W': 'f16', 'fc2.W': 'f16',
      'fc2.B': 'f32', 'bias.add': 'f32',
    });

    const back = readTessera(half);
    for (const [name, t] of graph.initializers) {
      const got = back.initializers.get(name)!;
      expect(got.dtype, name).toBe('f32');
      const src = t.data as Float32Array;
      const expected = storage[name] === 'f16' ? Float32Array.from(src, (x) => f16ToF32(f32ToF16(x))) : src;
      expectSameTensor(got, { dtype: 'f32', shape: t.shape, data: expected }, name);
      if (storage[name] === 'f16') expect(src.some((x, i) => x !== got.data[i]), `${name} was rounded`).toBe(true);
    }
  });

  it('writer rejects malformed graphs with a FormatError naming the place', () => {
    const bad = syntheticCnn();
    bad.initializers.set('conv1.W', { dtype: 'f32', shape: [8, 1, 5, 5], data: new Float32Array(10) });
    expect(expectFormatError(() => writeTessera(bad)).message).toContain("graph.initializers['conv1.W']");

    const wrongClass = syntheticCnn();
    wrongClass.initializers.set('conv1.B', { dtype: 'i64', shape: [8], data: new Int32Array(8) });
    expectFormatError(() => writeTessera(wrongClass));

    const mixed = syntheticCnn();
    mixed.nodes[0]!.attrs.pads = [1, 'a'] as unknown as number[];
    expect(expectFormatError(() => writeTessera(mixed)).message).toContain("graph.nodes[0] (Conv 'conv1').attrs.pads");

    const dangling = syntheticCnn();
    dangling.nodes[1]!.inputs = ['nowhere'];
    expect(expectFormatError(() => writeTessera(dangling)).message).toContain("input 'nowhere'");

    const badMeta = syntheticCnn();
    badMeta.metadata.mean = [NaN];
    expect(expectFormatError(() => writeTessera(badMeta)).message).toContain('graph.metadata.mean[0]');
  });

  it('isTessera only sniffs the magic', () => {
    expect(isTessera(new Uint8Array([0x54, 0x45, 0x53, 0x53, 0x45, 0x52, 0x41, 0]))).toBe(true);
    expect(isTessera(new Uint8Array([0x08, 0x03]))).toBe(false);
    expect(isTessera(new TextEncoder().encode('TESSERA!'))).toBe(false);
    expect(FormatError.name).toBe('FormatError');
  });
});
