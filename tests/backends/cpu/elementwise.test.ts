import { describe, expect, it } from 'vitest';
import { elementwiseKernels as K } from '../../../src/backends/cpu/elementwise.js';
import type { Tensor } from '../../../src/graph/ir.js';
import { bool, expectClose, f32, i32, i64, node, randInt, randomF32, rng, values } from './helpers.js';

/** Reference broadcasting: output multi-index, mapped into each input by dropping leading dims and clamping size-1 dims. */
function naiveBroadcast(shapes: number[][], f: (...v: number[]) => number, datas: ArrayLike<number>[]) {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = Array.from({ length: rank }, (_, i) => Math.max(...shapes.map((s) => s[i - (rank - s.length)] ?? 1)));
  const total = out.reduce((a, b) => a * b, 1);
  const res: number[] = [];
  for (let flat = 0; flat < total; flat++) {
    const idx: number[] = [];
    let rem = flat;
    for (let d = rank - 1; d >= 0; d--) {
      idx.unshift(rem % out[d]!);
      rem = Math.floor(rem / out[d]!);
    }
    const args = shapes.map((s, j) => {
      let off = 0;
      s.forEach((dim, i) => {
        off = off * dim + (dim === 1 ? 0 : idx[i + rank - s.length]!);
      });
      return datas[j]![off]!;
    });
    res.push(f(...args));
  }
  return { shape: out, data: res };
}

const unaryRefs: Record<string, (x: number) => number> = {
  Relu: (x) => Math.max(x, 0),
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Tanh: (x) => (Math.exp(2 * x) - 1) / (Math.exp(2 * x) + 1),
  Sign: (x) => (x === 0 ? 0 : x > 0 ? 1 : -1),
  HardSwish: (x) => (x <= -3 ? 0 : x >= 3 ? x : (x * (x + 3)) / 6),
  Neg: (x) => -x,
  Abs: (x) => (x < 0 ? -x : x),
  Exp: (x) => Math.E ** x,
  Sqrt: (x) => x ** 0.5,
  Floor: (x) => x - (((x % 1) + 1) % 1),
  Ceil: (x) => -Math.floor(-x),
  Reciprocal: (x) => 1 / x,
};

describe('unary elementwise (CPU)', () => {
  const r = rng(3);
  const x = f32([2, 3, 5], Array.from({ length: 30 }, () => (r() - 0.5) * 10));
  x.data[0] = 0; // Sign(0) = 0, Relu(0) = 0
  x.data[1] = 3; // HardSwish knee
  for (const [op, ref] of Object.entries(unaryRefs)) {
    it(op, () => {
      const input = op === 'Sqrt' ? f32([2, 3, 5], values(x).map(Math.abs)) : x;
      const [y] = K[op]!(node(op), [input]);
      expectClose(y!, [2, 3, 5], values(input).map((v) => ref(Math.fround(v))), 1e-6);
    });
  }
  it('LeakyRelu, HardSigmoid and Clip read their attributes', () => {
    const t = f32([5], [-4, -1, 0, 1, 4]);
    expectClose(K.LeakyRelu!(node('LeakyRelu', { alpha: 0.1 }), [t])[0]!, [5], [-0.4, -0.1, 0, 1, 4]);
    expectClose(K.LeakyRelu!(node('LeakyRelu'), [t])[0]!, [5], [-0.04, -0.01, 0, 1, 4]);
    expectClose(K.HardSigmoid!(node('HardSigmoid'), [t])[0]!, [5], [0, 0.3, 0.5, 0.7, 1]);
    expectClose(K.HardSigmoid!(node('HardSigmoid', { alpha: 0.5, beta: 0 }), [t])[0]!, [5], [0, 0, 0, 0.5, 1]);
    expectClose(K.Clip!(node('Clip', { min: -1.5, max: 2 }), [t])[0]!, [5], [-1.5, -1, 0, 1, 2]);
    expectClose(K.Clip!(node('Clip', { min: 0 }), [t])[0]!, [5], [0, 0, 0, 1, 4]);
  });
  it('Sigmoid is stable for large magnitudes', () => {
    expectClose(K.Sigmoid!(node('Sigmoid'), [f32([2], [-1000, 1000])])[0]!, [2], [0, 1]);
  });
  it('integer unary ops keep the dtype', () => {
    const [n] = K.Neg!(node('Neg'), [i64([3], [1, -2, 0])]);
    expect(n!.dtype).toBe('i64');
    expect(values(n!)).toEqual([-1, 2, 0]);
    expect(values(K.Abs!(node('Abs'), [i32([2], [-5, 5])])[0]!)).toEqual([5, 5]);
    expect(values(K.Sign!(node('Sign'), [i64([3], [-9, 0, 9])])[0]!)).toEqual([-1, 0, 1]);
    expect(() => K.Exp!(node('Exp'), [i64([1], [1])])).toThrow(/test_Exp/);
  });
});

describe('binary elementwise with broadcasting (CPU)', () => {
  const refs: Record<string, (a: number, b: number) => number> = {
    Add: (a, b) => a + b, Sub: (a, b) => a - b, Mul: (a, b) => a * b, Div: (a, b) => a / b,
    Pow: (a, b) => Math.abs(a) ** b,
    Equal: (a, b) => (a === b ? 1 : 0), Less: (a, b) => (a < b ? 1 : 0), Greater: (a, b) => (a > b ? 1 : 0),
  };
  const shapePairs: [number[], number[]][] = [
    [[2, 3, 4], [2, 3, 4]], [[2, 3, 4], [4]], [[2, 1, 4], [3, 1]], [[1], [2, 3]], [[], [3, 2]],
    [[2, 16, 3, 3], [1, 16, 1, 1]], [[5, 1, 1], [1, 4, 1]],
  ];
  for (const [op, ref] of Object.entries(refs)) {
    it(`${op} over ${shapePairs.length} shape pairs`, () => {
      const r = rng(op.length * 31);
      for (const [sa, sb] of shapePairs) {
        let a = randomF32(r, sa);
        const b = randomF32(r, sb);
        if (op === 'Pow') a = f32(sa, values(a).map(Math.abs));
        if (op === 'Equal') (b.data as Float32Array).fill(a.data[0] as number); // make some equal
        const [y] = K[op]!(node(op, {}, 2), [a, b]);
        const ref2 = naiveBroadcast([sa, sb], ref, [a.data as Float32Array, b.data as Float32Array]);
        const cmp = op === 'Equal' || op === 'Less' || op === 'Greater';
        expectClose(y!, ref2.shape, ref2.data.map((v) => (cmp ? v : Math.fround(v))), 1e-6, cmp ? 'bool' : 'f32');
      }
    });
  }
  it('i64 arithmetic is exact beyond 2^53 and Div truncates toward zero', () => {
    const big = 2n ** 60n + 1n;
    const a: Tensor = { dtype: 'i64', shape: [3], data: BigInt64Array.from([big, -7n, 7n]) };
    const b = i64([3], [1, 2, -2]);
    expect(Array.from(K.Add!(node('Add', {}, 2), [a, b])[0]!.data as BigInt64Array)).toEqual([big + 1n, -5n, 5n]);
    expect(Array.from(K.Div!(node('Div', {}, 2), [a, b])[0]!.data as BigInt64Array)).toEqual([big, -3n, -3n]);
    expect(values(K.Div!(node('Div', {}, 2), [i32([2], [-7, 7]), i32([1], [2])])[0]!)).toEqual([-3, 3]);
    const [eq] = K.Equal!(node('Equal', {}, 2), [i64([3], [1, 2, 3]), i64([1], [2])]);
    expect(eq!.dtype).toBe('bool');
    expect(values(eq!)).toEqual([0, 1, 0]);
    const [mul] = K.Mul!(node('Mul', {}, 2), [i64([2, 1], [2, 3]), i64([3], [1, 10, 100])]);
    expect(mul!.shape).toEqual([2, 3]);
    expect(values(mul!)).toEqual([2, 20, 200, 3, 30, 300]);
  });
  it('Equal works on bools; mismatched dtypes and shapes are rejected', () => {
    expect(values(K.Equal!(node('Equal', {}, 2), [bool([2], [1, 0]), bool([2], [1, 1])])[0]!)).toEqual([1, 0]);
    expect(() => K.Add!(node('Add', {}, 2), [f32([1], [1]), i64([1], [1])])).toThrow(/dtypes differ/);
    expect(() => K.Add!(node('Add', {}, 2), [f32([2], [1, 2]), f32([3], [1, 2, 3])])).toThrow(/broadcast/);
  });
});

describe('variadic elementwise (CPU)', () => {
  const refs: Record<string, (...v: number[]) => number> = {
    Sum: (...v) => v.reduce((a, b) => a + b, 0),
    Mean: (...v) => v.reduce((a, b) => a + b, 0) / v.length,
    Min: (...v) => v.reduce((a, b) => (b < a ? b : a)),
    Max: (...v) => v.reduce((a, b) => (b > a ? b : a)),
  };
  for (const [op, ref] of Object.entries(refs)) {
    it(`${op} of 1..4 broadcast inputs`, () => {
      const r = rng(op.length);
      for (let count = 1; count <= 4; count++) {
        const shapes = Array.from({ length: count }, (_, i) => [[2, 3, 4], [3, 1], [4], [1, 1, 1]][(i + randInt(r, 0, 3)) % 4]!);
        const ts = shapes.map((s) => randomF32(r, s));
        const [y] = K[op]!(node(op, {}, count), ts);
        const ref2 = naiveBroadcast(shapes, ref, ts.map((t) => t.data as Float32Array));
        expectClose(y!, ref2.shape, ref2.data.map(Math.fround), 1e-6);
      }
    });
  }
  it('Max of i64 stays exact', () => {
    const [y] = K.Max!(node('Max', {}, 2), [i64([2], [5, -1]), i64([1], [3])]);
    expect(y!.dtype).toBe('i64');
    expect(values(y!)).toEqual([5, 3]);
  });
});
