/** ONNX TensorProto -> Tessera Tensor, and ONNX element types -> Tessera dtypes. */
import { f32ToF16, makeTensor, sizeOf, type DType, type Tensor } from '../../graph/ir.js';
import type { OnnxTensorProto } from './decode.js';
import { OnnxImportError } from './errors.js';
import { checkShapeLimits } from '../../load/limits.js';
import { OnnxDataType as T, onnxDataTypeName } from './schema.js';

/**
 * Tessera dtype that holds an ONNX element type. Narrowing/widening choices: f64 and bf16 -> f32 (the IR computes in
 * f32), i8/i16/u16 -> i32 (lossless). Returns undefined for types the IR cannot hold (strings, complex, u32/u64).
 */
export function dtypeOfOnnx(code: number): DType | undefined {
  switch (code) {
    case T.FLOAT:
    case T.DOUBLE:
    case T.BFLOAT16:
      return 'f32';
    case T.FLOAT16:
      return 'f16';
    case T.INT64:
      return 'i64';
    case T.INT32:
    case T.INT8:
    case T.INT16:
    case T.UINT16:
      return 'i32';
    case T.UINT8:
      return 'u8';
    case T.BOOL:
      return 'bool';
    default:
      return undefined;
  }
}

/** Like dtypeOfOnnx but throws naming `where`. */
export function requireDtype(code: number, where: string): DType {
  const d = dtypeOfOnnx(code);
  if (d === undefined) throw new OnnxImportError(`unsupported element type ${onnxDataTypeName(code)}`, where);
  return d;
}

/** Bytes of one element in raw_data, per ONNX type. */
function rawElementBytes(code: number): number {
  switch (code) {
    case T.DOUBLE:
    case T.INT64:
      return 8;
    case T.FLOAT:
    case T.INT32:
      return 4;
    case T.FLOAT16:
    case T.BFLOAT16:
    case T.INT16:
    case T.UINT16:
      return 2;
    default:
      return 1;
  }
}

/** Read element i of little-endian raw_data as a JS number (or bigint for INT64). */
function rawReader(code: number, view: DataView): (i: number) => number | bigint {
  switch (code) {
    case T.FLOAT:
      return (i) => view.getFloat32(i * 4, true);
    case T.DOUBLE:
      return (i) => view.getFloat64(i * 8, true);
    case T.FLOAT16:
    case T.UINT16:
      return (i) => view.getUint16(i * 2, true);
    case T.BFLOAT16:
      return (i) => bf16ToF32(view.getUint16(i * 2, true));
    case T.INT16:
      return (i) => view.getInt16(i * 2, true);
    case T.INT32:
      return (i) => view.getInt32(i * 4, true);
    case T.INT64:
      return (i) => view.getBigInt64(i * 8, true);
    case T.INT8:
      return (i) => view.getInt8(i);
    default: // UINT8, BOOL
      return (i) => view.getUint8(i);
  }
}

const bf16buf = new Uint32Array(1);
const bf16f32 = new Float32Array(bf16buf.buffer);
function bf16ToF32(bits: number): number {
  bf16buf[0] = bits << 16;
  return bf16f32[0]!;
}

/** Values from the typed *_data field ONNX uses for this element type (see TensorProto comments in onnx.proto). */
function typedFieldValues(t: OnnxTensorProto): { values: ArrayLike<number | bigint>; field: string } {
  switch (t.dataType) {
    case T.FLOAT:
      return { values: t.floatData, field: 'float_data' };
    case T.DOUBLE:
      return { values: t.doubleData, field: 'double_data' };
    case T.INT64:
      return { values: t.int64Data, field: 'int64_data' };
    case T.BFLOAT16:
      return { values: t.int32Data.map(bf16ToF32), field: 'int32_data' };
    default: // INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16 (bits) all travel in int32_data
      return { values: t.int32Data, field: 'int32_data' };
  }
}

/**
 * Convert a TensorProto. `where` names it in errors (e.g. "initializer 'conv1.weight'").
 * External data is rejected: the importer takes a single byte buffer and has no file system.
 */
/** ONNX element types whose little-endian raw_data is bit for bit the IR's typed array (FLOAT→f32, FLOAT16→f16...). */
const SAME_BITS: ReadonlySet<number> = new Set([T.FLOAT, T.FLOAT16, T.INT64, T.INT32, T.UINT8]);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function tensorFromOnnx(t: OnnxTensorProto, where: string): Tensor {
  if (t.externalLocation !== undefined)
    throw new OnnxImportError(
      `tensor data is stored outside the model (external data, location '${t.externalLocation}'); ` +
        'external data is not supported: re-save the model with all tensors inside (onnx.save_model(..., save_as_external_data=False))',
      where,
    );
  const dtype = requireDtype(t.dataType, where);
  const shape = t.dims;
  // Dims come from the file: bound them before any size arithmetic, and allocate only once the data is known to
  // hold exactly `count` elements (so the allocation is bounded by the file's own size).
  checkShapeLimits(shape, where);
  const count = sizeOf(shape);

  let read: (i: number) => number | bigint;
  if (t.rawData !== undefined) {
    const raw = t.rawData;
    const bytes = rawElementBytes(t.dataType);
    if (raw.byteLength !== count * bytes)
      throw new OnnxImportError(
        `raw_data has ${raw.byteLength} bytes, expected ${count * bytes} for shape [${shape.join(', ')}] of ${onnxDataTypeName(t.dataType)}`,
        where,
      );
    // DataView: raw_data is little-endian and usually not aligned inside the model buffer.
    read = rawReader(t.dataType, new DataView(raw.buffer, raw.byteOffset, raw.byteLength));
  } else {
    const typed = typedFieldValues(t);
    read = (i) => typed.values[i]!;
    if (typed.values.length !== count) {
      if (t.stringCount > 0) throw new OnnxImportError('string tensors are not supported', where);
      throw new OnnxImportError(
        `${typed.field} has ${typed.values.length} values, expected ${count} for shape [${shape.join(', ')}]`,
        where,
      );
    }
  }

  const data = makeTensor(dtype, shape).data;
  const out: Tensor = { dtype, shape: [...shape], data };
  if (t.rawData !== undefined && SAME_BITS.has(t.dataType) && LITTLE_ENDIAN && data.byteLength === t.rawData.byteLength) {
    // The stored elements are already the IR's bits: one byte copy (raw_data is usually unaligned in the file, so
    // no view). Element by element through a DataView this took ~0.2 s for ResNet-50's 25.6 M weights.
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(t.rawData);
    return out;
  }
  if (data instanceof BigInt64Array) {
    for (let i = 0; i < count; i++) data[i] = BigInt(read(i));
  } else if (dtype === 'bool') {
    for (let i = 0; i < count; i++) data[i] = Number(read(i)) !== 0 ? 1 : 0;
  } else if (dtype === 'f16' && t.dataType === T.FLOAT16) {
    for (let i = 0; i < count; i++) data[i] = Number(read(i)) & 0xffff;
  } else if (dtype === 'f16') {
    for (let i = 0; i < count; i++) data[i] = f32ToF16(Number(read(i)));
  } else {
    for (let i = 0; i < count; i++) data[i] = Number(read(i));
  }
  return out;
}
