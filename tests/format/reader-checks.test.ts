/**
 * Each reader check, hit one at a time. Files are re-assembled with a valid header hash around a hand-edited header,
 * so these reach the schema validator (the robustness test covers random corruption, caught mostly by the hashes).
 */
import { describe, expect, it } from 'vitest';
import { assembleTessera, readTessera, readTesseraHeader, writeTessera } from '../../src/format/index.js';
import { expectFormatError, syntheticCnn } from './helpers.js';

const original = writeTessera(syntheticCnn(11));
const info = readTesseraHeader(original);
const payload = original.subarray(info.payloadOffset);
const headerText = new TextDecoder().decode(original.subarray(48, 48 + info.headerByteLength));

/** Re-assemble the file around a modified copy of the header JSON. */
function withHeader(edit: (h: any) => void, version = 1): Uint8Array {
  const h = JSON.parse(headerText);
  edit(h);
  return assembleTessera(new TextEncoder().encode(JSON.stringify(h)), payload, version);
}

function readError(bytes: Uint8Array, options = {}): string {
  return expectFormatError(() => readTessera(bytes, options)).message;
}

describe('.tessera reader checks', () => {
  it('accepts the unmodified file and its re-assembled twin', () => {
    expect(readTessera(original).nodes.length).toBe(8);
    expect(readTessera(withHeader(() => {})).nodes.length).toBe(8);
  });

  it('framing: magic, version, header length, padding, trailing and missing bytes, maxBytes', () => {
    const magic = original.slice();
    magic[3] = 0x58;
    expect(readError(magic)).toMatch(/^byte 3: bad magic/);
    expect(readError(withHeader(() => {}, 3))).toMatch(/^byte 8: unsupported format version 3 \(this reader supports versions 1 to 2\)/);
    const version0 = withHeader((h) => (h.formatVersion = 0), 1);
    expect(readError(version0)).toContain('header.formatVersion');

    const hugeHeader = original.slice();
    new DataView(hugeHeader.buffer).setUint32(12, 0x7fffffff, true);
    expect(readError(hugeHeader)).toMatch(/^byte 12: header length 2147483647 exceeds/);
    const longHeader = original.slice();
    new DataView(longHeader.buffer).setUint32(12, original.length, true);
    expect(readError(longHeader)).toMatch(/^byte 12: header length/);
    const zeroHeader = original.slice();
    new DataView(zeroHeader.buffer).setUint32(12, 0, true);
    expect(readError(zeroHeader)).toMatch(/^byte 12: header length is 0/);

    const padding = original.slice();
    padding[48 + info.headerByteLength] = 1;
    expect(readError(padding)).toMatch(new RegExp(`^byte ${48 + info.headerByteLength}: padding`));
    const hash = original.slice();
    hash[20] ^= 1;
    expect(readError(hash)).toMatch(/^bytes 16..47: header SHA-256/);

    const longer = new Uint8Array(original.length + 1);
    longer.set(original);
    expect(readError(longer)).toContain('trailing bytes');
    expect(readError(original.subarray(0, original.length - 1))).toContain('truncated');
    expect(readError(original.subarray(0, 20))).toMatch(/^byte 0: file is 20 bytes/);
    expect(readError(original, { maxBytes: 1000 })).toContain('maxBytes');
  });

  it('payload hash is verified by default and can be skipped', () => {
    const flipped = original.slice();
    flipped[info.payloadOffset + 5] ^= 0x40;
    expect(readError(flipped)).toMatch(/payload SHA-256/);
    expect(readTessera(flipped, { verifyHash: false }).initializers.size).toBe(7);
  });

  it('text: invalid UTF-8, invalid JSON, wrong JSON type, deep nesting', () => {
    const badUtf8 = new TextEncoder().encode(headerText);
    badUtf8[10] = 0xff;
    expect(readError(assembleTessera(badUtf8, payload))).toContain('not valid UTF-8');
    expect(readError(assembleTessera(new TextEncoder().encode(headerText.slice(0, -1)), payload))).toContain('not valid JSON');
    expect(readError(assembleTessera(new TextEncoder().encode('[1,2]'), payload))).toMatch(/^header: expected an object/);
    expect(readError(assembleTessera(new TextEncoder().encode('null'), payload))).toMatch(/^header: expected an object/);
    // Very deep nesting in an open metadata field: either accepted or a FormatError, never a stack overflow escaping.
    const deep = headerText.replace('"metadata":{', `"metadata":{"deep":${'['.repeat(200000)}${']'.repeat(200000)},`);
    try {
      readTessera(assembleTessera(new TextEncoder().encode(deep), payload));
    } catch (e) {
      expect((e as Error).name).toBe('FormatError');
    }
  });

  const schemaCases: [string, (h: any) => void, string | RegExp][] = [
    ['unknown top-level field', (h) => (h.extra = 1), "header: unknown field 'extra'"],
    ['missing graph', (h) => delete h.graph, "header: missing field 'graph'"],
    ['bad sha256 text', (h) => (h.payload.sha256 = 'XYZ'), 'header.payload.sha256'],
    ['payload length as string', (h) => (h.payload.byteLength = '100'), 'header.payload.byteLength: expected a safe integer'],
    ['unknown dtype', (h) => (h.tensors[0].dtype = 'f64'), 'header.tensors[0].dtype: expected a dtype'],
    ['negative dim', (h) => (h.tensors[0].shape[0] = -1), 'header.tensors[0].shape[0]: -1 is out of range'],
    ['fractional dim', (h) => (h.tensors[0].shape[0] = 1.5), 'header.tensors[0].shape[0]: expected a safe integer'],
    ['huge element count', (h) => (h.tensors[0].shape = [65536, 65536, 2]), 'header.tensors[0].shape: element count exceeds'],
    ['rank too high', (h) => (h.tensors[0].shape = new Array(40).fill(1)), 'header.tensors[0].shape: rank 40 exceeds'],
    ['byteLength mismatch', (h) => (h.tensors[1].byteLength += 4), /header.tensors\[1\].byteLength: byteLength \d+ does not match f32 x 8 elements = 32 bytes/],
    ['misaligned offset', (h) => (h.tensors[2].byteOffset += 4), 'header.tensors[2].byteOffset: byteOffset'],
    ['offset outside payload', (h) => (h.tensors[2].byteOffset = Math.ceil(h.payload.byteLength / 256) * 256), 'lie outside the'],
    ['overlapping tensors', (h) => (h.tensors[1].byteOffset = h.tensors[0].byteOffset), 'overlaps tensor'],
    ['f16 storage on a non-f32 tensor', (h) => { h.tensors[0].dtype = 'i32'; h.tensors[0].storage = 'f16'; }, 'header.tensors[0].storage'],
    ['duplicate tensor name', (h) => (h.tensors[1].name = h.tensors[0].name), "duplicate tensor name 'conv1.W'"],
    ['orphan tensor entry', (h) => h.tensors.push({ name: 'orphan', dtype: 'f32', shape: [0], byteOffset: 0, byteLength: 0 }), "tensor 'orphan' is not referenced"],
    ['initializer missing from table', (h) => (h.graph.initializers[0] = 'ghost'), "header.graph.initializers[0]: tensor 'ghost' is not in the tensor table"],
    ['input used before it is produced', (h) => h.graph.nodes.reverse(), 'is not a graph input, an initializer or an output of an earlier node'],
    ['duplicate producer', (h) => (h.graph.nodes[1].outputs = ['c1']), "header.graph.nodes[1].outputs[0]: value 'c1' is defined more than once"],
    ['graph output never produced', (h) => (h.graph.outputs[0].name = 'nope'), "header.graph.outputs[0].name: graph output 'nope' is never produced"],
    ['dynamic dim below -1', (h) => (h.graph.inputs[0].shape[0] = -2), 'header.graph.inputs[0].shape[0]'],
    ['node op not a string', (h) => (h.graph.nodes[0].op = 5), 'header.graph.nodes[0].op: expected a string'],
    ['node inputs not strings', (h) => (h.graph.nodes[0].inputs = [1]), 'header.graph.nodes[0].inputs[0]'],
    ['empty output name', (h) => (h.graph.nodes[0].outputs = ['']), 'header.graph.nodes[0].outputs[0]: expected a non-empty string'],
    ['unknown attribute type', (h) => (h.graph.nodes[0].attrs.group = { type: 'int', value: 1 }), 'header.graph.nodes[0].attrs.group.type'],
    ['attribute number as text', (h) => (h.graph.nodes[0].attrs.group = { type: 'number', value: '1' }), 'header.graph.nodes[0].attrs.group.value'],
    ['attribute numbers holding a string', (h) => (h.graph.nodes[0].attrs.pads.value[2] = 'x'), 'header.graph.nodes[0].attrs.pads.value[2]'],
    ['attribute tensor missing', (h) => (h.graph.nodes[0].attrs.t = { type: 'tensor', tensor: 'nowhere' }), "header.graph.nodes[0].attrs.t.tensor: tensor 'nowhere' is not in the tensor table"],
    ['__proto__ attribute', (h) => Object.defineProperty(h.graph.nodes[0].attrs, '__proto__', { value: { type: 'number', value: 1 }, enumerable: true }), "forbidden key '__proto__'"],
    ['metadata colorOrder', (h) => (h.metadata.colorOrder = 'XYZ'), 'header.metadata.colorOrder'],
    ['metadata labels', (h) => (h.metadata.labels = [1, 2]), 'header.metadata.labels[0]'],
    ['metadata provenance', (h) => (h.metadata.provenance = { a: 1 }), 'header.metadata.provenance.a'],
  ];
  for (const [what, edit, expected] of schemaCases) {
    it(`schema: ${what}`, () => {
      const message = readError(withHeader(edit));
      if (typeof expected === 'string') expect(message).toContain(expected);
      else expect(message).toMatch(expected);
    });
  }
});
