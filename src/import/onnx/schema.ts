/**
 * The subset of the ONNX protobuf schema (onnx/onnx.proto, IR versions 3..10) that the importer reads, written as a
 * protobufjs JSON descriptor so it loads with `Root.fromJSON` in browsers and Node alike (no .proto file, no fs).
 *
 * Only field numbers and wire types matter for decoding; field names are ours (snake_case, as in onnx.proto).
 * Fields we never read (training info, functions, sparse tensors, quantization annotations...) are omitted:
 * protobufjs skips unknown fields on the wire.
 */
import protobuf from 'protobufjs/light.js';

type FieldJson = { type: string; id: number; rule?: 'repeated'; options?: { packed: boolean } };
type MessageJson = { fields: Record<string, FieldJson>; nested?: Record<string, MessageJson> };

const one = (type: string, id: number): FieldJson => ({ type, id });
const many = (type: string, id: number): FieldJson => ({ type, id, rule: 'repeated' });

const messages: Record<string, MessageJson> = {
  StringStringEntryProto: { fields: { key: one('string', 1), value: one('string', 2) } },
  OperatorSetIdProto: { fields: { domain: one('string', 1), version: one('int64', 2) } },
  TensorProto: {
    fields: {
      dims: many('int64', 1),
      data_type: one('int32', 2),
      float_data: many('float', 4),
      int32_data: many('int32', 5),
      string_data: many('bytes', 6),
      int64_data: many('int64', 7),
      name: one('string', 8),
      raw_data: one('bytes', 9),
      double_data: many('double', 10),
      uint64_data: many('uint64', 11),
      doc_string: one('string', 12),
      external_data: many('StringStringEntryProto', 13),
      data_location: one('int32', 14),
    },
  },
  TensorShapeProto: {
    fields: { dim: many('Dimension', 1) },
    nested: {
      Dimension: { fields: { dim_value: one('int64', 1), dim_param: one('string', 2), denotation: one('string', 3) } },
    },
  },
  TypeProto: {
    fields: { tensor_type: one('TensorTypeProto', 1), denotation: one('string', 6) },
  },
  // TypeProto.Tensor in onnx.proto; a top-level name here keeps the descriptor flat.
  TensorTypeProto: { fields: { elem_type: one('int32', 1), shape: one('TensorShapeProto', 2) } },
  ValueInfoProto: { fields: { name: one('string', 1), type: one('TypeProto', 2), doc_string: one('string', 3) } },
  AttributeProto: {
    fields: {
      name: one('string', 1),
      f: one('float', 2),
      i: one('int64', 3),
      s: one('bytes', 4),
      t: one('TensorProto', 5),
      g: one('GraphProto', 6),
      floats: many('float', 7),
      ints: many('int64', 8),
      strings: many('bytes', 9),
      tensors: many('TensorProto', 10),
      graphs: many('GraphProto', 11),
      doc_string: one('string', 13),
      type: one('int32', 20),
      ref_attr_name: one('string', 21),
    },
  },
  NodeProto: {
    fields: {
      input: many('string', 1),
      output: many('string', 2),
      name: one('string', 3),
      op_type: one('string', 4),
      attribute: many('AttributeProto', 5),
      doc_string: one('string', 6),
      domain: one('string', 7),
    },
  },
  GraphProto: {
    fields: {
      node: many('NodeProto', 1),
      name: one('string', 2),
      initializer: many('TensorProto', 5),
      doc_string: one('string', 10),
      input: many('ValueInfoProto', 11),
      output: many('ValueInfoProto', 12),
      value_info: many('ValueInfoProto', 13),
    },
  },
  ModelProto: {
    fields: {
      ir_version: one('int64', 1),
      producer_name: one('string', 2),
      producer_version: one('string', 3),
      domain: one('string', 4),
      model_version: one('int64', 5),
      doc_string: one('string', 6),
      graph: one('GraphProto', 7),
      opset_import: many('OperatorSetIdProto', 8),
      metadata_props: many('StringStringEntryProto', 14),
    },
  },
};

let modelType: protobuf.Type | undefined;

/** The ModelProto message type, built once on first use. */
export function onnxModelType(): protobuf.Type {
  if (!modelType) {
    const root = protobuf.Root.fromJSON({ nested: { onnx: { nested: messages } } });
    modelType = root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

/** A protobuf reader over `bytes`, so callers can report the byte offset where decoding failed. */
export function protobufReader(bytes: Uint8Array): protobuf.Reader {
  return protobuf.Reader.create(bytes);
}

/** ONNX TensorProto.DataType values the importer knows by name. */
export const OnnxDataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;

export function onnxDataTypeName(code: number): string {
  for (const [name, value] of Object.entries(OnnxDataType)) if (value === code) return name;
  return `type ${code}`;
}

/** AttributeProto.AttributeType values. */
export const OnnxAttrType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;
