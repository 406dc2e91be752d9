/**
 * CPU reference for Mod, Not, And / Or / Xor, LessOrEqual / GreaterOrEqual, ScatterND and CumSum against ONNX
 * Runtime (an independent implementation): one-node ONNX models on seeded random data, odd shapes, broadcasting,
 * negative indices, f32 / i32 / i64 / bool.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { cpuKernels } from '../../../src/backends/cpu/index.js';
import { GraphError, sizeOf, type DType, type Node, type Tensor } from '../../../src/graph/ir.js';
import { encodeModel, node, valueInfo } from '../../import/onnx/helpers.js';
import { randInt, rng } from './helpers.js';

const ONNX_TYPE: Record<string, number> = { f32: 1, i32: 6, i64: 7, bool: 9 };
const ORT_TYPE: Record<string, ort.Tensor.Type> = { f32: 'float32', i32: 'int32', i64: 'int64', bool: 'bool' };

function toOrt(t: Tensor): ort.Tensor {
  return new ort.Tensor(ORT_TYPE[t.dtype]!, t.dtype === 'bool' ? Uint8Array.from(t.data as Uint8Array) : t.data, [...t.shape]);
}

/** A graph output with its element type only (the shape is left to ONNX Runtime's inference). */
const outInfo = (dtype: DType) => ({ name: 'y', type: { tensor_type: { elem_type: ONNX_TYPE[dtype] } } });

function values(t: { data: unknown }): number[] {
  return Array.from(t.data as ArrayLike<number | bigint | boolean>, (v) => Number(v));
}

/** Runs `op` in ONNX Runtime (every input a graph input) and on the CPU reference; returns both outputs. */
async function both(op: string, inputs: Tensor[], attrs: object[], canonical: Node['attrs'], outType: DType, opset = 17) {
  const names = inputs.map((_, i) => `x${i}`);
  const bytes = encodeModel({
    opset,
    nodes: [node(op, names, ['y'], 'n', attrs)],
    inputs: inputs.map((t, i) => valueInfo(names[i]!, [...t.shape], ONNX_TYPE[t.dtype])),
    outputs: [outInfo(outType)],
  });
  const session = await ort.InferenceSession.create(bytes);
  const want = (await session.run(Object.fromEntries(inputs.map((t, i) => [names[i]!, toOrt(t)]))))['y']!;
  const n: Node = { name: 'n', op, inputs: names, outputs: ['y'], attrs: canonical };
  const got = cpuKernels[op]!(n, inputs)[0]!;
  return { want, got };
}

function randomTensor(r: () => number, dtype: DType, shape: number[], lo = -9, hi = 9): Tensor {
  const n = sizeOf(shape);
  if (dtype === 'f32') return { dtype, shape, data: Float32Array.from({ length: n }, () => lo + (hi - lo) * r()) };
  if (dtype === 'bool') return { dtype, shape, data: Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0)) };
  const ints = Array.from({ length: n }, () => randInt(r, lo, hi));
  return dtype === 'i64' ? { dtype, shape, data: BigInt64Array.from(ints, BigInt) } : { dtype, shape, data: Int32Array.from(ints) };
}

/** A pair of broadcast-compatible odd shapes: b drops leading dims of a and sets some dims to 1. */
function broadcastPair(r: () => number): [number[], number[]] {
  const a = Array.from({ length: randInt(r, 1, 4) }, () => randInt(r, 1, 5));
  const b = a.slice(randInt(r, 0, a.length - 1)).map((d) => (r() < 0.3 ? 1 : d));
  return r() < 0.5 ? [a, b] : [b, a];
}

describe('CPU Mod / logical / comparison ops match onnxruntime', () => {
  it('Mod: fmod 0 and 1 on i32 / i64, fmod 1 on f32, broadcasting, negative operands', async () => {
    const r = rng(1501);
    for (let i = 0; i < 18; i++) {
      const dtype = (['i32', 'i64', 'f32'] as const)[i % 3];
      const fmod = dtype === 'f32' ? 1 : (i >> 1) % 2;
      const [sa, sb] = broadcastPair(r);
      const a = randomTensor(r, dtype, sa, -50, 50);
      const b = randomTensor(r, dtype, sb, -7, 7);
      // No zero divisors (ONNX leaves x mod 0 undefined).
      const bd = b.data as unknown as { [k: number]: number | bigint; length: number };
      for (let k = 0; k < bd.length; k++) if (Number(bd[k]) === 0) bd[k] = dtype === 'i64' ? 3n : 3;
      const { want, got } = await both('Mod', [a, b], [{ name: 'fmod', type: 2, i: fmod }], { fmod }, dtype);
      expect(got.shape, `case ${i}`).toEqual([...want.dims]);
      expect(values(got), `case ${i} ${dtype} fmod ${fmod}`).toEqual(values(want));
    }
  });

  it('Mod fmod 0 on f32 is floored modulo (torch.remainder), exact', () => {
    const n: Node = { name: 'm', op: 'Mod', inputs: ['a', 'b'], outputs: ['y'], attrs: { fmod: 0 } };
    const a: Tensor = { dtype: 'f32', shape: [4], data: Float32Array.of(5.5, -5.5, 5.5, -5.5) };
    const b: Tensor = { dtype: 'f32', shape: [4], data: Float32Array.of(2, 2, -2, -2) };
    expect(values(cpuKernels['Mod']!(n, [a, b])[0]!)).toEqual([1.5, 0.5, -0.5, -1.5]);
  });

  it('Not, And, Or, Xor, LessOrEqual, GreaterOrEqual with broadcasting', async () => {
    const r = rng(1502);
    for (let i = 0; i < 6; i++) {
      const [sa] = broadcastPair(r);
      const { want, got } = await both('Not', [randomTensor(r, 'bool', sa)], [], {}, 'bool');
      expect(got.dtype).toBe('bool');
      expect(values(got), `Not ${i}`).toEqual(values(want));
    }
    for (const op of ['And', 'Or', 'Xor']) {
      for (let i = 0; i < 6; i++) {
        const [sa, sb] = broadcastPair(r);
        const { want, got } = await both(op, [randomTensor(r, 'bool', sa), randomTensor(r, 'bool', sb)], [], {}, 'bool');
        expect(got.shape).toEqual([...want.dims]);
        expect(values(got), `${op} ${i}`).toEqual(values(want));
      }
    }
    for (const op of ['LessOrEqual', 'GreaterOrEqual']) {
      for (let i = 0; i < 9; i++) {
        const dtype = (['f32', 'i32', 'i64'] as const)[i % 3];
        const [sa, sb] = broadcastPair(r);
        // Small integer ranges so that ties (the "or equal" part) occur.
        const { want, got } = await both(op, [randomTensor(r, dtype, sa, -2, 2), randomTensor(r, dtype, sb, -2, 2)], [], {}, 'bool');
        expect(got.dtype).toBe('bool');
        expect(values(got), `${op} ${i} ${dtype}`).toEqual(values(want));
      }
    }
  });

  it('logical ops reject non-bool operands, arithmetic rejects bool (GraphError naming the node)', () => {
    const n = (op: string): Node => ({ name: 'bad', op, inputs: ['a', 'b'], outputs: ['y'], attrs: {} });
    const f: Tensor = { dtype: 'f32', shape: [2], data: new Float32Array(2) };
    const b: Tensor = { dtype: 'bool', shape: [2], data: new Uint8Array(2) };
    expect(() => cpuKernels['And']!(n('And'), [f, f])).toThrow(GraphError);
    expect(() => cpuKernels['Not']!(n('Not'), [f])).toThrow(/bad|bool/);
    expect(() => cpuKernels['Add']!(n('Add'), [b, b])).toThrow(GraphError);
    expect(cpuKernels['Equal']!(n('Equal'), [b, b])[0]!.dtype).toBe('bool');
  });
});

describe('CPU ScatterND and CumSum match onnxruntime', () => {
  it('ScatterND (reduction none): element, row and slab updates, negative indices, f32 / i64', async () => {
    const r = rng(1503);
    for (let i = 0; i < 12; i++) {
      const rank = randInt(r, 1, 4);
      const data = Array.from({ length: rank }, () => randInt(r, 2, 5));
      const k = randInt(r, 1, rank);
      // Distinct index tuples (duplicates make reduction 'none' order-dependent in ONNX).
      const all: number[][] = [[]];
      for (let d = 0; d < k; d++) all.splice(0, all.length, ...all.flatMap((t) => Array.from({ length: data[d]! }, (_, v) => [...t, v])));
      const count = randInt(r, 1, Math.min(4, all.length));
      const picked = all.sort(() => r() - 0.5).slice(0, count).map((t) => t.map((v, d) => (r() < 0.3 ? v - data[d]! : v)));
      const batch = count === 1 && r() < 0.5 ? [] : [count];
      const indices: Tensor = { dtype: 'i64', shape: [...batch, k], data: BigInt64Array.from(picked.flat(), BigInt) };
      const dtype = i % 2 ? 'i64' : 'f32';
      const updates = randomTensor(r, dtype, [...batch, ...data.slice(k)], -20, 20);
      const { want, got } = await both('ScatterND', [randomTensor(r, dtype, data, -20, 20), indices, updates], [], {}, dtype);
      expect(got.shape).toEqual([...want.dims]);
      expect(values(got), `case ${i}`).toEqual(values(want));
    }
  });

  it('ScatterND reductions add / mul / max / min accumulate duplicates (opset 18)', async () => {
    const r = rng(1504);
    for (const reduction of ['add', 'mul', 'max', 'min']) {
      const indices: Tensor = { dtype: 'i64', shape: [4, 1], data: BigInt64Array.of(1n, -2n, 0n, 1n) };
      const data = randomTensor(r, 'f32', [3, 5], -2, 2);
      const updates = randomTensor(r, 'f32', [4, 5], -2, 2);
      const { want, got } = await both('ScatterND', [data, indices, updates], [{ name: 'reduction', type: 3, s: new TextEncoder().encode(reduction) }], { reduction }, 'f32', 18);
      const w = values(want);
      values(got).forEach((v, j) => expect(v, `${reduction} [${j}]`).toBeCloseTo(w[j]!, 5));
    }
  });

  it('ScatterND rejects out-of-range indices and mis-shaped updates', () => {
    const n: Node = { name: 'sc', op: 'ScatterND', inputs: ['d', 'i', 'u'], outputs: ['y'], attrs: {} };
    const d: Tensor = { dtype: 'f32', shape: [3, 2], data: new Float32Array(6) };
    const u: Tensor = { dtype: 'f32', shape: [1, 2], data: new Float32Array(2) };
    expect(() => cpuKernels['ScatterND']!(n, [d, { dtype: 'i64', shape: [1, 1], data: BigInt64Array.of(3n) }, u])).toThrow(/out of range/);
    expect(() => cpuKernels['ScatterND']!(n, [d, { dtype: 'i64', shape: [1, 1], data: BigInt64Array.of(0n) }, { ...u, shape: [2] }])).toThrow(/updates shape/);
  });

  it('CumSum: every axis (negative too), exclusive, reverse, f32 / i32 / i64', async () => {
    const r = rng(1505);
    for (let i = 0; i < 16; i++) {
      const rank = randInt(r, 1, 4);
      const shape = Array.from({ length: rank }, () => randInt(r, 1, 6));
      const axis = randInt(r, -rank, rank - 1);
      const exclusive = i % 2;
      const reverse = (i >> 1) % 2;
      const dtype = (['f32', 'i32', 'i64'] as const)[i % 3];
      const x = randomTensor(r, dtype, shape, -9, 9);
      const attrs = [{ name: 'exclusive', type: 2, i: exclusive }, { name: 'reverse', type: 2, i: reverse }];
      const bytes = encodeModel({
        opset: 14,
        nodes: [node('CumSum', ['x', 'axis'], ['y'], 'n', attrs)],
        inputs: [valueInfo('x', shape, ONNX_TYPE[dtype])],
        outputs: [outInfo(dtype)],
        initializers: [{ name: 'axis', data_type: 7, dims: [], int64_data: [axis] }],
      });
      const session = await ort.InferenceSession.create(bytes);
      const want = (await session.run({ x: toOrt(x) }))['y']!;
      const got = cpuKernels['CumSum']!({ name: 'n', op: 'CumSum', inputs: ['x'], outputs: ['y'], attrs: { axis, exclusive, reverse } }, [x])[0]!;
      expect(got.dtype).toBe(dtype);
      const w = values(want);
      values(got).forEach((v, j) => expect(v, `case ${i} [${j}]`).toBeCloseTo(w[j]!, 4));
    }
  });
});
