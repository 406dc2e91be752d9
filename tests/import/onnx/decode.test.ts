/** Protobuf decoding: 64-bit integers, every supported tensor encoding, and the real MNIST file's fields. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { f16ToF32, tensorToNumbers } from '../../../src/graph/ir.js';
import { decodeOnnxModel, int64ToBigInt, int64ToNumber, type OnnxTensorProto } from '../../../src/import/onnx/decode.js';
import { OnnxImportError } from '../../../src/import/onnx/errors.js';
import { tensorFromOnnx } from '../../../src/import/onnx/tensor.js';
import { encodeModel, MNIST_DIR, node, readBytes, valueInfo } from './helpers.js';

describe('64-bit integers', () => {
  it('accepts Long-like objects, numbers, bigints and decimal strings', () => {
    expect(int64ToBigInt({ low: 5, high: 0, unsigned: false }, 't')).toBe(5n);
    expect(int64ToBigInt({ low: -1, high: -1, unsigned: false }, 't')).toBe(-1n);
    expect(int64ToBigInt({ low: 3, high: 256, unsigned: false }, 't')).toBe((256n << 32n) + 3n);
    expect(int64ToBigInt({ low: -1, high: -1, unsigned: true }, 't')).toBe(2n ** 64n - 1n);
    expect(int64ToBigInt(-7, 't')).toBe(-7n);
    expect(int64ToBigInt(9007199254740993n, 't')).toBe(9007199254740993n);
    expect(int64ToBigInt('-42', 't')).toBe(-42n);
  });

  it('clamps to safe integers when converting to number (INT64_MAX slice ends)', () => {
    const int64Max = { low: -1, high: 0x7fffffff, unsigned: false };
    expect(int64ToNumber(int64Max, 't')).toBe(Number.MAX_SAFE_INTEGER);
    expect(int64ToNumber({ low: 0, high: -0x80000000, unsigned: false }, 't')).toBe(-Number.MAX_SAFE_INTEGER);
    expect(int64ToNumber({ low: 1000, high: 0, unsigned: false }, 't')).toBe(1000);
  });

  it('rejects non-integers, naming the field', () => {
    expect(() => int64ToBigInt(1.5, 'dims[0]')).toThrow(OnnxImportError);
    expect(() => int64ToBigInt('abc', 'dims[0]')).toThrow(/dims\[0\]/);
    expect(() => int64ToBigInt({}, 'dims[0]')).toThrow(OnnxImportError);
  });
});

function proto(partial: Partial<OnnxTensorProto> & { dataType: number; dims: number[] }): OnnxTensorProto {
  return { name: 't', floatData: [], int32Data: [], int64Data: [], doubleData: [], uint64Data: [], stringCount: 0, ...partial };
}

function leBytes(view: (dv: DataView) => void, length: number): Uint8Array {
  const b = new Uint8Array(length);
  view(new DataView(b.buffer));
  return b;
}

describe('TensorProto -> Tensor', () => {
  it('f32 from float_data and from raw_data (unaligned)', () => {
    expect(tensorToNumbers(tensorFromOnnx(proto({ dataType: 1, dims: [2], floatData: [1.5, -2] }), 't'))).toEqual([1.5, -2]);
    const raw = leBytes((dv) => {
      dv.setFloat32(1, 3.25, true);
      dv.setFloat32(5, -0.5, true);
    }, 9).subarray(1); // offset 1: not 4-byte aligned
    const t = tensorFromOnnx(proto({ dataType: 1, dims: [2], rawData: raw }), 't');
    expect(t.dtype).toBe('f32');
    expect(tensorToNumbers(t)).toEqual([3.25, -0.5]);
    raw.fill(0); // the tensor owns its data (a copy, not a view of the model bytes)
    expect(tensorToNumbers(t)).toEqual([3.25, -0.5]);
  });

  it('f64 narrows to f32', () => {
    const t = tensorFromOnnx(proto({ dataType: 11, dims: [2], doubleData: [0.1, 1e3] }), 't');
    expect(t.dtype).toBe('f32');
    expect(Array.from(t.data as Float32Array)).toEqual([Math.fround(0.1), 1000]);
    const raw = leBytes((dv) => dv.setFloat64(0, -2.5, true), 8);
    expect(tensorToNumbers(tensorFromOnnx(proto({ dataType: 11, dims: [1], rawData: raw }), 't'))).toEqual([-2.5]);
  });

  it('f16 keeps its bits (int32_data and raw_data)', () => {
    const bits = [0x3c00, 0xc000, 0x3555]; // 1, -2, ~0.333
    const a = tensorFromOnnx(proto({ dataType: 10, dims: [3], int32Data: bits }), 't');
    expect(a.dtype).toBe('f16');
    expect(Array.from(a.data as Uint16Array)).toEqual(bits);
    const raw = leBytes((dv) => bits.forEach((b, i) => dv.setUint16(2 * i, b, true)), 6);
    const b = tensorFromOnnx(proto({ dataType: 10, dims: [3], rawData: raw }), 't');
    expect(Array.from(b.data as Uint16Array)).toEqual(bits);
    expect(f16ToF32((b.data as Uint16Array)[1]!)).toBe(-2);
  });

  it('i64 from int64_data and raw_data, beyond 2^53', () => {
    const big = 2n ** 60n + 7n;
    const a = tensorFromOnnx(proto({ dataType: 7, dims: [2], int64Data: [big, -3n] }), 't');
    expect(a.dtype).toBe('i64');
    expect(Array.from(a.data as BigInt64Array)).toEqual([big, -3n]);
    const raw = leBytes((dv) => dv.setBigInt64(0, -big, true), 8);
    expect(Array.from(tensorFromOnnx(proto({ dataType: 7, dims: [1], rawData: raw }), 't').data as BigInt64Array)).toEqual([-big]);
  });

  it('i32, i8 (widened to i32), u8 and bool', () => {
    expect(tensorToNumbers(tensorFromOnnx(proto({ dataType: 6, dims: [2], int32Data: [-5, 70000] }), 't'))).toEqual([-5, 70000]);
    const i8 = tensorFromOnnx(proto({ dataType: 3, dims: [3], rawData: Uint8Array.of(0xff, 0x80, 0x05) }), 't');
    expect(i8.dtype).toBe('i32');
    expect(tensorToNumbers(i8)).toEqual([-1, -128, 5]);
    const u8 = tensorFromOnnx(proto({ dataType: 2, dims: [2], int32Data: [0, 255] }), 't');
    expect([u8.dtype, ...tensorToNumbers(u8)]).toEqual(['u8', 0, 255]);
    const i32raw = leBytes((dv) => { dv.setInt32(1, -5, true); dv.setInt32(5, 70000, true); }, 9).subarray(1);
    expect(tensorToNumbers(tensorFromOnnx(proto({ dataType: 6, dims: [2], rawData: i32raw }), 't'))).toEqual([-5, 70000]);
    expect(tensorToNumbers(tensorFromOnnx(proto({ dataType: 2, dims: [2], rawData: Uint8Array.of(0, 255) }), 't'))).toEqual([0, 255]);
    // bool raw bytes other than 0/1 become 1 (no bitwise copy for bool)
    expect(tensorToNumbers(tensorFromOnnx(proto({ dataType: 9, dims: [2], rawData: Uint8Array.of(7, 0) }), 't'))).toEqual([1, 0]);
    const b = tensorFromOnnx(proto({ dataType: 9, dims: [3], rawData: Uint8Array.of(1, 0, 1) }), 't');
    expect([b.dtype, ...tensorToNumbers(b)]).toEqual(['bool', 1, 0, 1]);
  });

  it('scalars (no dims) and empty tensors', () => {
    const s = tensorFromOnnx(proto({ dataType: 1, dims: [], floatData: [4] }), 't');
    expect(s.shape).toEqual([]);
    expect(tensorToNumbers(s)).toEqual([4]);
    expect(tensorFromOnnx(proto({ dataType: 1, dims: [0, 3] }), 't').data.length).toBe(0);
  });

  it('rejects size mismatches, strings and unsupported types, naming the tensor', () => {
    expect(() => tensorFromOnnx(proto({ dataType: 1, dims: [3], floatData: [1, 2] }), "initializer 'w'")).toThrow(
      /initializer 'w': float_data has 2 values, expected 3/,
    );
    expect(() => tensorFromOnnx(proto({ dataType: 1, dims: [2], rawData: new Uint8Array(7) }), "initializer 'w'")).toThrow(
      /raw_data has 7 bytes, expected 8/,
    );
    expect(() => tensorFromOnnx(proto({ dataType: 8, dims: [1], stringCount: 1 }), 'x')).toThrow(/unsupported element type STRING/);
    expect(() => tensorFromOnnx(proto({ dataType: 14, dims: [1] }), 'x')).toThrow(/COMPLEX64/);
  });
});

describe('ModelProto decoding', () => {
  it('reads the real mnist-8 file: header, opset, initializers, attributes', () => {
    const m = decodeOnnxModel(readBytes(join(MNIST_DIR, 'mnist-8.onnx')));
    expect(m.irVersion).toBe(3);
    expect([m.producerName, m.producerVersion]).toEqual(['CNTK', '2.5.1']);
    expect(m.opsetImports).toEqual([{ domain: '', version: 8 }]);
    const shapeInit = m.graph.initializers.find((t) => t.name === 'Pooling160_Output_0_reshape0_shape')!;
    expect(shapeInit.int64Data).toEqual([-1n, 256n]);
    const conv = m.graph.nodes.find((n) => n.name === 'Convolution28')!;
    expect(conv.attributes).toContainEqual({ name: 'auto_pad', kind: 'string', value: 'SAME_UPPER' });
    expect(conv.attributes).toContainEqual({ name: 'kernel_shape', kind: 'ints', value: [5, 5] });
    expect(m.graph.inputs[0]).toEqual({ name: 'Input3', elemType: 1, dims: [{ value: 1 }, { value: 1 }, { value: 28 }, { value: 28 }] });
  });

  it('round-trips a model built with the same schema (dim_param, float/int attributes)', () => {
    const bytes = encodeModel({
      nodes: [node('LeakyRelu', ['x'], ['y'], 'lr', [{ name: 'alpha', type: 1, f: 0.25 }])],
      inputs: [valueInfo('x', ['batch', 3])],
      outputs: [valueInfo('y', ['batch', 3])],
      opset: 17,
    });
    const m = decodeOnnxModel(bytes);
    expect(m.opsetImports).toEqual([{ domain: '', version: 17 }]);
    expect(m.graph.inputs[0]!.dims).toEqual([{ param: 'batch' }, { value: 3 }]);
    expect(m.graph.nodes[0]!.attributes).toEqual([{ name: 'alpha', kind: 'float', value: 0.25 }]);
  });
});
