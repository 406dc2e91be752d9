/**
 * Symmetric int8 weight quantisation, tensor level (the format's `storage: "int8"`, docs/format.md): int8 values
 * with one f32 scale per output channel (or one for the whole tensor), scale = max|w| / 127 over the channel,
 * value = round(w / scale) in [-127, 127]. The dequantised value is `Math.fround(value * scale)`: the reader, the
 * quantiser and the WebGPU accessor (`f32(q) * scale`, one f32 multiply) all compute exactly this.
 */
import { sizeOf, type Int8Quant, type Shape, type Tensor } from './ir.js';
import { relativeL2 as relativeL2To } from '../util/relative_l2.js';

/** How element i maps to its scale: channel = floor(i / inner) % channels (per-tensor: channels = inner = 1). */
export interface ChannelGeometry {
  channels: number;
  inner: number;
}

export function channelGeometry(shape: Shape, axis: number | undefined): ChannelGeometry {
  if (axis === undefined) return { channels: 1, inner: 1 };
  return { channels: shape[axis]!, inner: sizeOf(shape.slice(axis + 1)) };
}

export function dequantizeInt8(q: Int8Quant, shape: Shape): Float32Array {
  const { channels, inner } = channelGeometry(shape, q.axis);
  const out = new Float32Array(q.values.length);
  for (let i = 0; i < out.length; i++) out[i] = q.values[i]! * q.scales[Math.floor(i / inner) % channels]!;
  return out;
}

/** Quantise f32 weights; undefined when a value is not finite (such a tensor stays f32). */
export function quantizeInt8(data: Float32Array, shape: Shape, axis: number | undefined): Int8Quant | undefined {
  const { channels, inner } = channelGeometry(shape, axis);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (!Number.isFinite(x)) return undefined;
    const c = Math.floor(i / inner) % channels;
    maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(x));
  }
  const scales = Float32Array.from(maxAbs, (m) => m / 127);
  const values = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const s = scales[Math.floor(i / inner) % channels]!;
    // A zero scale only happens for an all-zero channel (or one of f32 denormals below 127·2^-149): store zeros.
    values[i] = s > 0 ? Math.max(-127, Math.min(127, Math.round(data[i]! / s))) : 0;
  }
  return axis === undefined ? { values, scales } : { values, scales, axis };
}

/**
 * Does `t.quant` describe `t` exactly (f32, same length, axis within the shape, one scale per channel, every
 * dequantised value equal to `t.data`)? A rewrite that changed a weight but kept its `quant` field fails this, so
 * int8 storage can never change what a model computes.
 */
export function quantMatches(t: Tensor): t is Tensor & { quant: Int8Quant; data: Float32Array } {
  const q = t.quant;
  if (!q || t.dtype !== 'f32' || !(t.data instanceof Float32Array) || !(q.values instanceof Int8Array) || !(q.scales instanceof Float32Array)) return false;
  if (q.values.length !== t.data.length || t.data.length !== sizeOf(t.shape)) return false;
  if (q.axis !== undefined && !(Number.isInteger(q.axis) && q.axis >= 0 && q.axis < t.shape.length)) return false;
  const { channels, inner } = channelGeometry(t.shape, q.axis);
  if (q.scales.length !== channels) return false;
  for (let i = 0; i < t.data.length; i++) {
    if (Math.fround(q.values[i]! * q.scales[Math.floor(i / inner) % channels]!) !== t.data[i]) return false;
  }
  return true;
}

/** Relative L2 error ||a - b|| / ||a||: `a` is the reference here (0 when both are zero, Infinity when only `a` is). */
export function relativeL2(a: Float32Array, b: Float32Array): number {
  return relativeL2To(b, a);
}

/** Bytes of an int8 tensor in the payload and on the GPU: values padded to whole u32 words, then the f32 scales. */
export function int8StoredBytes(count: number, channels: number): number {
  return 4 * Math.ceil(count / 4) + 4 * channels;
}

/**
 * int8 values with a scale table in the geometry of some layout (see findInt8Layout): element j's scale is
 * `scales[(j / inner) % channels + panel * (j / block)]`, where `panel` is 0 except for panel layouts (matmul's
 * packMatrixB: [N/8][K][8], panel = 8, block = 8K).
 */
export interface Int8Layout extends ChannelGeometry {
  values: Int8Array;
  scales: Float32Array;
  panel: number;
  block: number;
}

/**
 * A kernel may repack a weight at load (transposed, tiled, padded with zeros): the repacked data is then still
 * int8 values times the per-channel scales, in some other channel geometry. Find one: try channel counts M and M
 * padded to powers of two up to 128, and strides (`inner`) 1, 2, 4... 64 and count / channels; a candidate is
 * accepted only if EVERY element is exactly `fround(q * scale[channel])` with q in [-127, 127] (padding channels:
 * exactly 0). Transforms that mix values (Winograd) match nothing and stay f32.
 */
export function findInt8Layout(data: Float32Array, q: Int8Quant, shape: Shape): Int8Layout | undefined {
  const m = q.scales.length;
  const channelCounts = [...new Set([m, ...[2, 4, 8, 16, 32, 64, 128].map((a) => Math.ceil(m / a) * a)])];
  const original = channelGeometry(shape, q.axis);
  const padded = (channels: number) => Float32Array.from({ length: channels }, (_, c) => (c < m ? q.scales[c]! : 0));
  for (const channels of channelCounts) {
    const inners = new Set([original.inner, 1, 2, 4, 8, 16, 32, 64]);
    if (data.length % channels === 0) inners.add(data.length / channels);
    for (const inner of inners) {
      const values = tryLayout(data, q.scales, (j) => Math.floor(j / inner) % channels);
      if (values) return { values, scales: padded(channels), inner, channels, panel: 0, block: 1 };
    }
  }
  for (const panel of [4, 8, 16]) {
    const panels = Math.ceil(m / panel);
    const block = data.length / panels;
    if (!Number.isInteger(block) || block % panel !== 0) continue;
    const values = tryLayout(data, q.scales, (j) => (j % panel) + panel * Math.floor(j / block));
    if (values) return { values, scales: padded(panels * panel), inner: 1, channels: panel, panel, block };
  }
  return undefined;
}

function tryLayout(data: Float32Array, scales: Float32Array, channelOf: (j: number) => number): Int8Array | undefined {
  const values = new Int8Array(data.length);
  for (let j = 0; j < data.length; j++) {
    const c = channelOf(j);
    const x = data[j]!;
    if (c >= scales.length) {
      if (x !== 0) return undefined;
      continue;
    }
    const s = scales[c]!;
    const v = s > 0 ? Math.round(x / s) : 0;
    if (v < -127 || v > 127 || Math.fround(v * s) !== x) return undefined;
    values[j] = v;
  }
  return values;
}
