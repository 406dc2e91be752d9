/**
 * A graph from a `.tessera` header before its payload arrived (streaming load, src/runtime/stream_load.ts): the real
 * nodes, shapes and dtypes, real values for the "structural" tensors the graph's shapes may depend on (Reshape
 * targets, Slice starts, Resize scales...) and for every other tensor already received, and seeded placeholder values
 * for the rest (the weights still on their way). Backends build their
 * kernel plans and compile pipelines from it while the weights stream. A placeholder is replaced in place by the
 * real values when they arrive (fillPlaceholder: the WebGPU session built from the skeleton then rewrites what it
 * derived from it, src/runtime/stream_upload.ts); nothing computed from a placeholder is ever run. Placeholders are
 * plausible data of the entry's storage (f32, f16 halves, int8 values with scales) so that data-dependent choices
 * (int8 layouts, f16 repacks) usually fall the way they will with the real weights: when one does not, the session
 * is rebuilt from the verified file.
 */
import type { Graph, Tensor } from '../graph/ir.js';
import { f32ToF16 } from '../graph/ir.js';
import { int8StoredBytes } from '../graph/quant_int8.js';
import type { TensorEntry, TesseraHeader } from './header.js';
import { graphFromHeader, tensorFromBytes, type TesseraHeaderInfo } from './reader.js';

/** Ops whose float inputs decide output shapes (Resize / Upsample scales, Range bounds, OneHot depth). */
const FLOAT_SHAPE_INPUT_OPS = new Set(['Resize', 'Upsample', 'Range', 'OneHot']);

/**
 * Names of the tensors whose values may shape the graph: every integer or boolean tensor (shape inputs, axes,
 * indices, pads) and the float inputs of FLOAT_SHAPE_INPUT_OPS. A skeleton waits for these; the rest may be
 * placeholders (a bias of 10 floats at the end of the payload does not hold the skeleton back).
 */
export function structuralTensors(header: Pick<TesseraHeader, 'tensors' | 'graph'>): Set<string> {
  const out = new Set<string>();
  for (const t of header.tensors) if (t.dtype !== 'f32' && t.dtype !== 'f16' && t.dtype !== 'binary') out.add(t.name);
  for (const n of header.graph.nodes) if (FLOAT_SHAPE_INPUT_OPS.has(n.op)) for (const i of n.inputs) if (i !== '') out.add(i);
  return out;
}

/** Deterministic values in [-1, 1) (xorshift32): the same placeholders on every load. */
function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 31 - 1;
  };
}

/** Stored bytes standing in for `entry` (its byteLength, valid for its storage: finite floats, int8 scales). */
function placeholderBytes(entry: TensorEntry, seed: number): Uint8Array {
  const out = new Uint8Array(entry.byteLength);
  const next = seeded(seed);
  const count = entry.shape.reduce((a, b) => a * b, 1);
  if (entry.storage === 'int8') {
    const channels = entry.scaleAxis === undefined ? 1 : entry.shape[entry.scaleAxis]!;
    const scaleByte = int8StoredBytes(count, channels) - 4 * channels;
    const values = new Int8Array(out.buffer, 0, count);
    for (let i = 0; i < count; i++) values[i] = Math.round(next() * 127);
    // Distinct scales per channel, as real ones are: int8 layout detection of repacked weights (findInt8Layout)
    // would accept a wrong channel geometry if every channel had the same scale.
    const scales = new Float32Array(out.buffer, scaleByte, channels);
    for (let k = 0; k < channels; k++) scales[k] = (1 + k / channels) / 64;
  } else if (entry.storage === 'f16' || entry.dtype === 'f16') {
    const halves = new Uint16Array(out.buffer, 0, count);
    for (let i = 0; i < count; i++) halves[i] = f32ToF16(next());
  } else if (entry.dtype === 'f32') {
    const floats = new Float32Array(out.buffer, 0, count);
    for (let i = 0; i < count; i++) floats[i] = next();
  } else {
    for (let i = 0; i < out.length; i++) out[i] = (next() * 128 + 128) | 0; // bit-packed binary weights
  }
  return out;
}

/**
 * The skeleton graph: `raw(entry)` gives the bytes of a tensor that has arrived (every structural one must have),
 * every other tensor is a placeholder, recorded in `placeholders` by name (the Tensor objects the graph holds, in its
 * initializers and tensor attributes). Throws FormatError like readTessera when a received tensor is malformed.
 */
export function skeletonGraph(
  info: Pick<TesseraHeaderInfo, 'header' | 'payloadOffset'>,
  keepF16: boolean,
  raw: (entry: TensorEntry) => Uint8Array | undefined,
  placeholders?: Map<string, Tensor>,
): Graph {
  return graphFromHeader(new Uint8Array(0), info, keepF16, (entry, i) => {
    const where = `header.tensors[${i}]`;
    const bytes = raw(entry);
    const t = tensorFromBytes(bytes ?? placeholderBytes(entry, i + 1), entry, keepF16, where);
    if (!bytes) placeholders?.set(entry.name, t);
    return t;
  });
}

/**
 * Copies `real`'s values into the placeholder tensor (in place: every graph and lowering sharing its arrays sees
 * them). False, and nothing copied, when the two differ in storage (dtype, array kind, length, int8 tables).
 */
export function fillPlaceholder(placeholder: Tensor, real: Tensor): boolean {
  const a = placeholder.quant;
  const b = real.quant;
  const sameArray = (x: ArrayLike<unknown>, y: ArrayLike<unknown>) => x.constructor === y.constructor && x.length === y.length;
  if (placeholder.dtype !== real.dtype || !sameArray(placeholder.data, real.data) || (a === undefined) !== (b === undefined)) return false;
  if (a && b && (a.axis !== b.axis || !sameArray(a.values, b.values) || !sameArray(a.scales, b.scales))) return false;
  (placeholder.data as Float32Array).set(real.data as Float32Array);
  if (a && b) {
    a.values.set(b.values);
    a.scales.set(b.scales);
  }
  return true;
}
