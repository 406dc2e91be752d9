/**
 * Mutations of `.tessera` files. Byte-level damage is caught by the header hash, so most mutations here edit the
 * JSON header (or the payload) and then RE-SIGN the file (header SHA-256, and the payload SHA-256 where the payload
 * changed): that is what gets the cases past the integrity checks into the schema, bounds and graph checks, and
 * into validation and execution with NaN weights, hostile shapes and attributes, deep or cyclic graphs.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { assembleTessera } from '../../src/format/framing.js';
import { alignUp, PRELUDE_BYTES } from '../../src/format/constants.js';
import { applyStep, chainDepth, HOSTILE_FLOATS, HOSTILE_INTS, type Rng } from './rng.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

interface Parts {
  header: Json;
  payload: Uint8Array;
  /** Recompute header.payload.sha256 before framing (the payload or its length was changed on purpose). */
  rehashPayload: boolean;
}

function split(bytes: Uint8Array): Parts {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(12, true);
  const text = new TextDecoder().decode(bytes.subarray(PRELUDE_BYTES, PRELUDE_BYTES + headerLength));
  return { header: JSON.parse(text), payload: bytes.subarray(alignUp(PRELUDE_BYTES + headerLength)).slice(), rehashPayload: false };
}

/** Deeply nested arrays cannot go through JSON.stringify (it recurses); they travel as a marker string. */
const NESTED = 'fuzz-nested-array-of-depth:';

function join(p: Parts): Uint8Array {
  if (p.rehashPayload && p.header?.payload && typeof p.header.payload === 'object') p.header.payload.sha256 = bytesToHex(sha256(p.payload));
  const text = JSON.stringify(p.header).replace(new RegExp(`"${NESTED}(\\d+)"`, 'g'), (_m, d) => '['.repeat(Number(d)) + ']'.repeat(Number(d)));
  return assembleTessera(new TextEncoder().encode(text), p.payload);
}

const hostileJsonValue = (rng: Rng): Json =>
  rng.weighted<() => Json>([
    [6, () => rng.pick(HOSTILE_INTS)],
    [2, () => rng.pick([0.5, -0.25, 1e308, -1e308, 5e-324])],
    [2, () => rng.pick(['NaN', 'Infinity', '-0', '', 'f32', 'binary', '__proto__', 'x'.repeat(1000)])],
    [2, () => rng.pick([null, true, false])],
    [2, () => rng.pick([[], {}, [[]], [1, 'a'], { type: 'number' }])],
    [1, () => `${NESTED}${rng.pick([100, 10_000, 100_000])}`],
  ])();

/** Every (container, key) pair of the JSON tree, for generic "replace something somewhere" mutations. */
function slots(root: Json, limit = 20_000): [Json, string | number][] {
  const out: [Json, string | number][] = [];
  const stack: Json[] = [root];
  while (stack.length && out.length < limit) {
    const v = stack.pop();
    if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), typeof x === 'object' && x !== null && stack.push(x)));
    else if (typeof v === 'object' && v !== null)
      for (const k of Object.keys(v)) {
        out.push([v, k]);
        if (typeof v[k] === 'object' && v[k] !== null) stack.push(v[k]);
      }
  }
  return out;
}

type HeaderMutation = (rng: Rng, p: Parts) => string;

const replaceAnywhere: HeaderMutation = (rng, p) => {
  const all = slots(p.header);
  const [obj, key] = rng.pick(all);
  obj[key] = hostileJsonValue(rng);
  return `header ...${String(key)} = ${JSON.stringify(obj[key])?.slice(0, 40)}`;
};

const deleteOrAddKey: HeaderMutation = (rng, p) => {
  const objects = slots(p.header).map(([o, k]) => o[k]).filter((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
  const o = objects.length ? rng.pick(objects) : p.header;
  const keys = Object.keys(o);
  if (keys.length && rng.chance(0.5)) {
    const k = rng.pick(keys);
    delete o[k];
    return `delete key ${k}`;
  }
  const k = rng.pick(['extra', '__proto__', 'constructor', 'prototype', 'toString', '']);
  if (k === '__proto__') Object.defineProperty(o, '__proto__', { value: { polluted: 1 }, enumerable: true, configurable: true, writable: true });
  else o[k] = hostileJsonValue(rng);
  return `add key ${JSON.stringify(k)}`;
};

const tensorEntry: HeaderMutation = (rng, p) => {
  const tensors: Json[] = Array.isArray(p.header.tensors) ? p.header.tensors : [];
  if (!tensors.length) return 'tensor (none)';
  const t = rng.pick(tensors);
  switch (rng.int(8)) {
    case 0: {
      const u = rng.pick(tensors);
      [t.byteOffset, u.byteOffset] = [u.byteOffset, t.byteOffset];
      return `swap byteOffset '${t.name}' <-> '${u.name}'`;
    }
    case 1:
      t.byteLength = rng.pick(HOSTILE_INTS);
      return `byteLength ${t.byteLength}`;
    case 2:
      t.byteOffset = rng.pick([...HOSTILE_INTS, 256, 512, t.byteOffset + 256]);
      return `byteOffset ${t.byteOffset}`;
    case 3: {
      const dims = [...(t.shape ?? [])];
      dims[dims.length ? rng.int(dims.length) : 0] = rng.pick(HOSTILE_INTS);
      t.shape = dims;
      if (rng.chance(0.5) && Number.isSafeInteger(dims.reduce((a: number, b: number) => a * b, 4))) t.byteLength = 4 * dims.reduce((a: number, b: number) => a * b, 1);
      return `shape [${dims.join(',')}]`;
    }
    case 4:
      t.shape = Array.from({ length: rng.pick([33, 64, 1000]) }, () => 1);
      return `rank ${t.shape.length}`;
    case 5:
      t.dtype = rng.pick(['f16', 'i64', 'i32', 'u8', 'bool', 'binary', 'f64', 'string']);
      return `dtype ${t.dtype}`;
    case 6:
      t.storage = rng.pick(['f16', 'f32', 'f64', 'int8']);
      if (rng.chance(0.5)) t.scaleAxis = rng.pick([0, 1, 3, -1, 2 ** 32, 'x']);
      return `storage ${t.storage}${t.scaleAxis !== undefined ? ` scaleAxis ${t.scaleAxis}` : ''}`;
    default: {
      // Make the shape, byteLength and payload all agree on a big tensor, so only the size limits can stop it.
      t.shape = [rng.pick([65_536, 2 ** 20, 2 ** 31]), rng.pick([65_536, 2 ** 20, 2 ** 31])];
      t.byteLength = 4 * t.shape[0] * t.shape[1];
      p.header.payload.byteLength = t.byteOffset + t.byteLength;
      return `huge tensor ${t.shape.join('x')}`;
    }
  }
};

const payloadLength: HeaderMutation = (rng, p) => {
  p.header.payload.byteLength = rng.pick([...HOSTILE_INTS, p.payload.length + 1, p.payload.length - 1]);
  return `payload.byteLength ${p.header.payload.byteLength}`;
};

function nodes(p: Parts): Json[] {
  return Array.isArray(p.header?.graph?.nodes) ? p.header.graph.nodes : [];
}

const deepChain: HeaderMutation = (rng, p) => {
  const g = p.header.graph;
  const depth = chainDepth(rng);
  const op = rng.pick(['Relu', 'Identity', 'Neg', 'Abs']);
  let prev = g.outputs[0].name;
  for (let k = 0; k < depth; k++) {
    g.nodes.push({ name: `chain${k}`, op, inputs: [prev], outputs: [`chain_${k}`], attrs: {} });
    prev = `chain_${k}`;
  }
  g.outputs = [{ name: prev, dtype: 'f32', shape: [] }];
  return `chain ${op} x${depth}`;
};

const cycleOrOrder: HeaderMutation = (rng, p) => {
  const ns = nodes(p);
  if (!ns.length) return 'cycle (none)';
  if (rng.chance(0.3)) {
    p.header.graph.nodes = [...ns].reverse();
    return 'reverse nodes';
  }
  const i = rng.int(ns.length);
  const j = rng.range(i, ns.length - 1);
  const n = ns[i];
  n.inputs = [...(n.inputs ?? [])];
  n.inputs[n.inputs.length ? rng.int(n.inputs.length) : 0] = ns[j].outputs?.[0] ?? 'x';
  return `cycle node ${i} <- ${j}`;
};

const ATTR_KEYS = ['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'axis', 'axes', 'perm', 'split', 'to', 'shape',
  'starts', 'ends', 'steps', 'keepdims', 'transA', 'transB', 'alpha', 'epsilon', 'auto_pad', 'mode', 'ceil_mode', 'min', 'max', 'value', 'allowzero'];

const hostileAttr: HeaderMutation = (rng, p) => {
  const ns = nodes(p);
  if (!ns.length) return 'attr (none)';
  const n = rng.pick(ns);
  const keys = Object.keys(n.attrs ?? {});
  const key = keys.length && rng.chance(0.6) ? rng.pick(keys) : rng.pick(ATTR_KEYS);
  const num = () => (rng.chance(0.2) ? rng.pick(['NaN', 'Infinity', '-Infinity', '-0']) : rng.chance(0.5) ? rng.pick(HOSTILE_INTS) : rng.pick(HOSTILE_FLOATS.filter(Number.isFinite)));
  const value = rng.weighted<() => Json>([
    [4, () => ({ type: 'number', value: num() })],
    [4, () => ({ type: 'numbers', value: Array.from({ length: rng.range(0, 6) }, num) })],
    [2, () => ({ type: 'numbers', value: rng.pick([[1e9, 1e9], [0, 0], [-1, -1, -1, -1], [1, 1, 1]]) })],
    [1, () => ({ type: 'numbers', value: Array.from({ length: rng.pick([4097, 100_000]) }, (_, i) => i % 3) })],
    [2, () => ({ type: 'string', value: rng.pick(['SAME_UPPER', 'VALID', 'reflect', 'wrap', 'f64', 'i64', '}; fn main() {']) })],
    [1, () => ({ type: 'strings', value: ['a', 'b'] })],
    [1, () => ({ type: 'tensor', tensor: rng.pick(['missing', ...(p.header.tensors ?? []).map((t: Json) => t.name)]) })],
  ])();
  n.attrs = { ...(n.attrs ?? {}), [key]: value };
  return `attr ${n.op}.${key} = ${JSON.stringify(value).slice(0, 80)}`;
};

const OPS = ['Conv', 'Relu', 'Gemm', 'MatMul', 'Add', 'Concat', 'Reshape', 'Transpose', 'MaxPool', 'AveragePool', 'GlobalAveragePool',
  'Softmax', 'BatchNormalization', 'Slice', 'Pad', 'Split', 'Squeeze', 'Unsqueeze', 'Expand', 'Gather', 'Cast', 'ConstantOfShape',
  'Range', 'Where', 'ReduceMean', 'Flatten', 'Shape', 'FusedConv', 'FusedGemm', 'BinaryConv', 'Unknown', 'constructor', '__proto__'];

const opSwap: HeaderMutation = (rng, p) => {
  const ns = nodes(p);
  if (!ns.length) return 'op (none)';
  const n = rng.pick(ns);
  const before = n.op;
  n.op = rng.pick(OPS);
  return `op ${before} -> ${n.op}`;
};

const valueShapes: HeaderMutation = (rng, p) => {
  const g = p.header.graph;
  const list: Json[] = rng.chance(0.7) ? g.inputs : g.outputs;
  if (!list?.length) return 'value shape (none)';
  const v = rng.pick(list);
  const what = rng.int(4);
  if (what === 0) v.shape = Array.from({ length: rng.pick([7, 33, 200]) }, () => rng.pick([1, 2, -1]));
  else if (what === 1) v.dtype = rng.pick(['i64', 'f16', 'u8', 'bool', 'binary', 'i32']);
  else {
    v.shape = [...(v.shape ?? [])];
    v.shape[v.shape.length ? rng.int(v.shape.length) : 0] = rng.pick(HOSTILE_INTS);
  }
  return `value '${v.name}' ${v.dtype} [${(v.shape ?? []).slice(0, 8).join(',')}]`;
};

const dangling: HeaderMutation = (rng, p) => {
  const ns = nodes(p).filter((n) => n.inputs?.length);
  if (!ns.length) return 'dangling (none)';
  const n = rng.pick(ns);
  n.inputs = [...n.inputs];
  n.inputs[rng.int(n.inputs.length)] = rng.pick(['missing', '__proto__', 'constructor']);
  return `dangling input of ${n.op}`;
};

/** NaN / Inf / huge values written into float tensors of the payload; the payload hash is recomputed. */
const nanWeights: HeaderMutation = (rng, p) => {
  const floats: Json[] = (p.header.tensors ?? []).filter((t: Json) => t.dtype === 'f32' && t.byteLength >= 2);
  if (!floats.length) return 'nan weights (none)';
  const t = rng.pick(floats);
  const view = new DataView(p.payload.buffer, p.payload.byteOffset, p.payload.byteLength);
  const half = t.storage === 'f16';
  // Bounded by the real payload: an earlier step may have made the tensor claim terabytes.
  const n = Math.min(Math.floor(t.byteLength / (half ? 2 : 4)), p.payload.length);
  const all = rng.chance(0.2);
  for (let k = 0; k < (all ? n : rng.range(1, 16)); k++) {
    const at = t.byteOffset + (all ? k : rng.int(n)) * (half ? 2 : 4);
    if (!(at >= 0 && at + 4 <= p.payload.length)) continue; // an earlier mutation moved the tensor out of the payload
    if (half) view.setUint16(at, rng.pick([0x7c00, 0xfc00, 0x7e00, 0x7bff, 0x0001]), true);
    else view.setFloat32(at, rng.pick(HOSTILE_FLOATS), true);
  }
  p.rehashPayload = true;
  return `nan/inf weights in '${t.name}'${all ? ' (all)' : ''}`;
};

const payloadBytes: HeaderMutation = (rng, p) => {
  for (let k = 0; k < rng.range(1, 32) && p.payload.length; k++) p.payload[rng.int(p.payload.length)] = rng.int(256);
  p.rehashPayload = true;
  return 'payload bytes (rehashed)';
};

const metadata: HeaderMutation = (rng, p) => {
  const key = rng.pick(['name', 'labels', 'inputSize', 'mean', 'std', 'colorOrder', 'pixelScale', 'provenance', 'custom', 'layout']);
  p.header.metadata = { ...(p.header.metadata ?? {}), [key]: hostileJsonValue(rng) };
  return `metadata.${key}`;
};

export const TESSERA_HEADER_MUTATIONS: readonly (readonly [number, HeaderMutation])[] = [
  [4, replaceAnywhere],
  [2, deleteOrAddKey],
  [6, tensorEntry],
  [2, payloadLength],
  [2, deepChain],
  [3, cycleOrOrder],
  [8, hostileAttr],
  [4, opSwap],
  [4, valueShapes],
  [2, dangling],
  [4, nanWeights],
  [1, payloadBytes],
  [2, metadata],
];

/** 1-3 header/payload mutations of a valid `.tessera` file, re-signed. */
export function mutateTesseraStructure(rng: Rng, bytes: Uint8Array): { bytes: Uint8Array; what: string } {
  const parts = split(bytes);
  const steps: string[] = [];
  const n = rng.weighted([[6, 1], [3, 2], [1, 3]]);
  for (let k = 0; k < n; k++) steps.push(applyStep(() => rng.weighted(TESSERA_HEADER_MUTATIONS)(rng, parts)));
  return { bytes: join(parts), what: `${steps.join(' + ')} (re-signed)` };
}

/** Prelude fields (version, header length) set to hostile values; not re-signed (the hash covers them). */
export function mutateTesseraPrelude(rng: Rng, bytes: Uint8Array): { bytes: Uint8Array; what: string } {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const field = rng.pick([8, 12]);
  const value = rng.pick([0, 1, 2, 47, 48, 255, 256, 0x7fffffff, 0xffffffff, view.getUint32(field, true) + 1, view.getUint32(field, true) - 1]);
  view.setUint32(field, value >>> 0, true);
  return { bytes: out, what: `prelude u32@${field} = ${value >>> 0}` };
}
