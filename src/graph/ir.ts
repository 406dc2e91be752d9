/**
 * Tessera's graph IR.
 *
 * The IR is ONNX-shaped on purpose (op names and attribute names follow ONNX), with one normalisation:
 * every input that must be a compile-time constant in practice (Reshape's shape, Slice's starts/ends/axes/steps,
 * Pad's pads, Clip's min/max, Split's sizes, Squeeze/Unsqueeze/Reduce* axes, Resize scales...) is moved into an
 * attribute by the importer. Backends therefore read attributes only and never chase constant inputs.
 * The canonical attribute set of each op is documented in `src/graph/ops/<op>.ts`.
 *
 * Tensor names are the edges. An empty string in `Node.inputs` is an absent optional input (ONNX convention).
 * Layout of 4-D/5-D activations is NCHW / NCDHW everywhere in the IR; backends may choose otherwise internally.
 */

/** Element types. `binary` is bit-packed ±1 data (32 values per u32 word, LSB first), storage only. */
export type DType = 'f32' | 'f16' | 'i32' | 'i64' | 'bool' | 'u8' | 'binary';

export type Shape = readonly number[];

/** Typed array behind each dtype. i64 is held as BigInt64Array; f16 as raw Uint16Array bits; bool/u8 as Uint8Array. */
export type TypedArray = Float32Array | Int32Array | BigInt64Array | Uint16Array | Uint8Array | Uint32Array;

/** A concrete tensor (weights, constants, CPU activations). Data is dense, row-major, in `shape` order. */
export interface Tensor {
  dtype: DType;
  shape: Shape;
  data: TypedArray;
  /**
   * Only on an f32 weight that is stored as int8 (docs/format.md, `storage: "int8"`; src/graph/quant_int8.ts):
   * `data` holds exactly its dequantised values, so every backend may ignore this. Backends that read int8
   * directly (WebGPU accessors) use it after checking that it still matches `data` and `shape`.
   */
  quant?: Int8Quant;
}

/**
 * Symmetric int8 weights: element i is `values[i] * scales[c]` (rounded to f32), where c is i's index along `axis`
 * (one scale per output channel), or c = 0 when `axis` is undefined (one scale for the whole tensor).
 */
export interface Int8Quant {
  values: Int8Array;
  scales: Float32Array;
  axis?: number;
}

/** Static description of a value flowing through the graph. A dim of -1 is unknown (dynamic batch). */
export interface ValueInfo {
  name: string;
  dtype: DType;
  shape: Shape;
}

export type AttrValue = number | string | number[] | string[] | Tensor;
export type Attrs = Record<string, AttrValue>;

export interface Node {
  /** Unique, human-readable (from the source model where it had one). Used in every error message. */
  name: string;
  /** Op type, ONNX spelling (`Conv`, `BatchNormalization`, ...), or a Tessera op (`BinaryConv`, ...). */
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Attrs;
}

export interface GraphMetadata {
  name?: string;
  labels?: string[];
  /** e.g. [3, 32, 32] (CHW, without batch). */
  inputSize?: number[];
  layout?: 'NCHW';
  /** Per-channel mean/std applied to pixels scaled to [0,1]. */
  mean?: number[];
  std?: number[];
  colorOrder?: 'RGB' | 'BGR' | 'GRAY';
  /** Pixel scale before mean/std: 1/255 for images in [0,1]; 1 for raw 0..255 input. */
  pixelScale?: number;
  provenance?: Record<string, string>;
  [key: string]: unknown;
}

export interface Graph {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Topologically ordered. */
  nodes: Node[];
  /** Weights and other constants, by tensor name. */
  initializers: Map<string, Tensor>;
  metadata: GraphMetadata;
}

/** Error raised by graph validation / shape inference. Always names the node and op. */
export class GraphError extends Error {
  override name = 'GraphError';
  constructor(
    message: string,
    readonly nodeName?: string,
    readonly op?: string,
  ) {
    super(nodeName !== undefined ? `${op ?? '?'} node '${nodeName}': ${message}` : message);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers shared by every layer of the pipeline.

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function bytesPerElement(dtype: DType): number {
  switch (dtype) {
    case 'f32':
    case 'i32':
      return 4;
    case 'i64':
      return 8;
    case 'f16':
      return 2;
    case 'bool':
    case 'u8':
      return 1;
    case 'binary':
      return 1 / 8;
  }
}

export function allocData(dtype: DType, count: number): TypedArray {
  switch (dtype) {
    case 'f32':
      return new Float32Array(count);
    case 'i32':
      return new Int32Array(count);
    case 'i64':
      return new BigInt64Array(count);
    case 'f16':
      return new Uint16Array(count);
    case 'bool':
    case 'u8':
      return new Uint8Array(count);
    case 'binary':
      return new Uint32Array(Math.ceil(count / 32));
  }
}

export function makeTensor(dtype: DType, shape: Shape, data?: TypedArray): Tensor {
  const t: Tensor = { dtype, shape: [...shape], data: data ?? allocData(dtype, sizeOf(shape)) };
  return t;
}

/** Read any numeric tensor as plain JS numbers (i64 → number; values beyond 2^53 lose precision, clamped). */
export function tensorToNumbers(t: Tensor): number[] {
  const out: number[] = new Array(t.data.length);
  if (t.data instanceof BigInt64Array) {
    for (let i = 0; i < t.data.length; i++) out[i] = Number(t.data[i]);
  } else if (t.dtype === 'f16') {
    for (let i = 0; i < t.data.length; i++) out[i] = f16ToF32(t.data[i] as number);
  } else {
    for (let i = 0; i < t.data.length; i++) out[i] = t.data[i] as number;
  }
  return out;
}

export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/**
 * Every half's float value, built once (64K entries, 256 KB): f16 weights are widened per element when kernels repack
 * them at load, and decodeHalf's arithmetic (two powers per value) was most of a ResNet-50 f16 executor build.
 */
let f16Table: Float32Array | undefined;

/** IEEE half → float. */
export function f16ToF32(h: number): number {
  return (f16Table ??= halfTable())[h & 0xffff]!;
}

function halfTable(): Float32Array {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = decodeHalf(h);
  return t;
}

function decodeHalf(h: number): number {
  const s = (h & 0x8000) >> 15;
  const e = (h & 0x7c00) >> 10;
  const f = h & 0x03ff;
  let v: number;
  if (e === 0) v = f * 2 ** -24;
  else if (e === 0x1f) v = f ? NaN : Infinity;
  else v = (1 + f / 1024) * 2 ** (e - 15);
  return s ? -v : v;
}

/** float → IEEE half, round to nearest even. */
export function f32ToF16(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** Attribute accessors that throw GraphError naming the node. */
export function attrInt(node: Node, key: string, dflt?: number): number {
  const v = node.attrs[key];
  if (v === undefined) {
    if (dflt === undefined) throw new GraphError(`missing attribute '${key}'`, node.name, node.op);
    return dflt;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new GraphError(`attribute '${key}' must be an integer`, node.name, node.op);
  return v;
}

export function attrFloat(node: Node, key: string, dflt?: number): number {
  const v = node.attrs[key];
  if (v === undefined) {
    if (dflt === undefined) throw new GraphError(`missing attribute '${key}'`, node.name, node.op);
    return dflt;
  }
  if (typeof v !== 'number') throw new GraphError(`attribute '${key}' must be a number`, node.name, node.op);
  return v;
}

export function attrInts(node: Node, key: string, dflt?: number[]): number[] {
  const v = node.attrs[key];
  if (v === undefined) {
    if (dflt === undefined) throw new GraphError(`missing attribute '${key}'`, node.name, node.op);
    return dflt;
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isInteger(x)))
    throw new GraphError(`attribute '${key}' must be a list of integers`, node.name, node.op);
  return v as number[];
}

export function attrString(node: Node, key: string, dflt?: string): string {
  const v = node.attrs[key];
  if (v === undefined) {
    if (dflt === undefined) throw new GraphError(`missing attribute '${key}'`, node.name, node.op);
    return dflt;
  }
  if (typeof v !== 'string') throw new GraphError(`attribute '${key}' must be a string`, node.name, node.op);
  return v;
}
