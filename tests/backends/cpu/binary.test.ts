/**
 * CPU reference of the binary ops against an independent oracle: the float Conv / Gemm kernels run on explicitly
 * binarised +-1 (or 0) inputs and +-1 weights. Binary arithmetic is exact, so outputs must be identical.
 */
import { describe, expect, it } from 'vitest';
import { binaryConv, binaryConvBits, binaryGemm, binaryWeightConv, channelMask, packActivations, popcount32 } from '../../../src/backends/cpu/binary.js';
import { conv } from '../../../src/backends/cpu/conv.js';
import { gemmKernels } from '../../../src/backends/cpu/gemm.js';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import type { Node, Tensor } from '../../../src/graph/ir.js';
import { packWeightSigns, paddedChannels, unpackWeightSigns } from '../../../src/graph/ops/binary.js';
import { mulberry32, randInt } from '../../harness/rng.js';

const f32 = (shape: number[], data: ArrayLike<number>): Tensor => ({ dtype: 'f32', shape, data: Float32Array.from(data) });

/** Random activations with exact zeros and values right at the thresholds sprinkled in. */
function randomActivations(r: () => number, count: number, t?: Float32Array, c = 1, inner = 1): Float32Array {
  const x = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u = r();
    const ch = Math.floor(i / inner) % c;
    if (u < 0.1) x[i] = 0;
    else if (u < 0.2 && t) x[i] = t[ch]! * (r() < 0.5 ? t[c + ch]! : t[2 * c + ch]!); // x' exactly lo or hi
    else x[i] = (r() * 2 - 1) * 2;
  }
  return x;
}

/** Random thresholds [s, lo, hi] with lo <= hi (sometimes equal, sometimes infinite). */
function randomThresholds(r: () => number, c: number): Float32Array {
  const t = new Float32Array(3 * c);
  for (let ch = 0; ch < c; ch++) {
    t[ch] = r() < 0.3 ? -1 : 1;
    const a = Math.fround(r() * 2 - 1);
    const b = r() < 0.3 ? a : Math.fround(a + r() * 0.5);
    t[c + ch] = r() < 0.05 ? -Infinity : a;
    t[2 * c + ch] = r() < 0.05 ? Infinity : b;
  }
  return t;
}

/** The op's binarisation rule written out plainly (the oracle's input). */
function signOf(x: number, s: number, lo: number, hi: number, zeroSign: number): number {
  const v = s * x;
  return v > hi ? 1 : v < lo ? -1 : zeroSign;
}

interface ConvCase {
  n: number; c: number; m: number; h: number; w: number; kh: number; kw: number;
  strides: number[]; dilations: number[]; pads: number[]; padValue: 0 | -1; zeroSign: 0 | -1; withT: boolean; withBias: boolean;
}

function randomConvCase(r: () => number): ConvCase {
  const kh = randInt(r, 1, 4);
  const kw = randInt(r, 1, 4);
  const dilations = [randInt(r, 1, 2), randInt(r, 1, 2)];
  const pads = [randInt(r, 0, 2), randInt(r, 0, 2), randInt(r, 0, 2), randInt(r, 0, 2)];
  const c = [1, 3, 20, 31, 32, 33, 40, 64, 65, 70][randInt(r, 0, 9)]!;
  return {
    n: randInt(r, 1, 2),
    c,
    m: randInt(r, 1, 7),
    h: Math.max(1, (kh - 1) * dilations[0]! + 1 - pads[0]! - pads[2]!) + randInt(r, 0, 6),
    w: Math.max(1, (kw - 1) * dilations[1]! + 1 - pads[1]! - pads[3]!) + randInt(r, 0, 6),
    kh,
    kw,
    strides: [randInt(r, 1, 2), randInt(r, 1, 2)],
    dilations,
    pads,
    padValue: r() < 0.5 ? -1 : 0,
    zeroSign: r() < 0.6 ? -1 : 0,
    withT: r() < 0.6,
    withBias: r() < 0.5,
  };
}

function runConvCase(k: ConvCase, seed: number): { got: Float32Array; want: Float32Array; label: string } {
  const r = mulberry32(seed);
  const { n, c, m, h, w, kh, kw } = k;
  const t = k.withT ? randomThresholds(r, c) : undefined;
  const x = randomActivations(r, n * c * h * w, t, c, h * w);
  const signs = Array.from({ length: m * c * kh * kw }, () => (r() < 0.5 ? -1 : 1));
  const alpha = Array.from({ length: m }, () => Math.fround(r() * 2));
  const bias = Array.from({ length: m }, () => Math.fround(r() - 0.5));

  const node: Node = {
    name: 'bc',
    op: 'BinaryConv',
    inputs: ['x', 'w', 'alpha', k.withBias ? 'b' : '', ...(t ? ['t'] : [])],
    outputs: ['y'],
    attrs: { kernel_shape: [kh, kw], strides: k.strides, dilations: k.dilations, pads: k.pads, pad_value: k.padValue, zero_sign: k.zeroSign },
  };
  const wBits: Tensor = { dtype: 'binary', shape: [m, kh, kw, paddedChannels(c)], data: packWeightSigns(signs, m, c, kh * kw) };
  const inputs = [f32([n, c, h, w], x), wBits, f32([m], alpha), k.withBias ? f32([m], bias) : undefined, t ? f32([3, c], t) : undefined];
  const got = binaryConv(node, inputs)[0]!.data as Float32Array;

  // Oracle: binarise explicitly, pad explicitly with the pad value, float conv with +-1 weights, pads 0.
  const [pt, pl, pb, pr] = k.pads as [number, number, number, number];
  const H = h + pt + pb;
  const W = w + pl + pr;
  const xb = new Float32Array(n * c * H * W).fill(k.padValue);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < w; xx++) {
          const v = x[((b * c + ch) * h + y) * w + xx]!;
          xb[((b * c + ch) * H + y + pt) * W + xx + pl] = t ? signOf(v, t[ch]!, t[c + ch]!, t[2 * c + ch]!, k.zeroSign) : signOf(v, 1, 0, 0, k.zeroSign);
        }
  const convNode: Node = { name: 'oracle', op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { kernel_shape: [kh, kw], strides: k.strides, dilations: k.dilations } };
  const dots = conv(convNode, [f32([n, c, H, W], xb), f32([m, c, kh, kw], signs)])[0]!.data as Float32Array;
  const oh = dots.length / (n * m);
  const want = dots.map((d, i) => Math.fround(alpha[Math.floor(i / oh) % m]! * d + (k.withBias ? bias[Math.floor(i / oh) % m]! : 0)));
  const label = `x[${n},${c},${h},${w}] w[${m},${kh},${kw}] s${k.strides} d${k.dilations} p${k.pads} pv${k.padValue} zs${k.zeroSign} T=${k.withT}`;
  return { got, want, label };
}

describe('bit helpers', () => {
  it('popcount32 counts bits of any u32', () => {
    const r = mulberry32(3);
    for (let i = 0; i < 2000; i++) {
      const v = (r() * 2 ** 32) >>> 0;
      let naive = 0;
      for (let b = 0; b < 32; b++) naive += (v >>> b) & 1;
      expect(popcount32(v)).toBe(naive);
    }
    expect(popcount32(0xffffffff)).toBe(32);
    expect(popcount32(0)).toBe(0);
  });

  it('channelMask covers exactly the real channels of each word', () => {
    expect(channelMask(32, 0) >>> 0).toBe(0xffffffff);
    expect(channelMask(33, 1)).toBe(1);
    expect(channelMask(40, 1)).toBe(0xff);
    expect(channelMask(40, 2)).toBe(0);
    expect(channelMask(20, 0)).toBe(0xfffff);
  });

  it('packWeightSigns / unpackWeightSigns round-trip and leave padding bits 0', () => {
    const r = mulberry32(9);
    const [m, c, taps] = [3, 37, 4];
    const signs = Array.from({ length: m * c * taps }, () => (r() < 0.5 ? -1 : 1));
    const bits = packWeightSigns(signs, m, c, taps);
    expect(bits.length).toBe(m * taps * 2);
    expect(Array.from(unpackWeightSigns(bits, m, c, taps))).toEqual(signs);
    for (let i = 1; i < bits.length; i += 2) expect(bits[i]! & ~0x1f).toBe(0);
    // channel 0 of output 0, tap 0 is bit 0 of word 0
    expect(bits[0]! & 1).toBe(signs[0]! > 0 ? 1 : 0);
  });
});

describe('BinaryConv CPU reference vs float conv of +-1 inputs', () => {
  it('is identical on 240 seeded random shapes (pads, strides 1/2, dilations, C not divisible by 32, both pad conventions)', () => {
    const r = mulberry32(2024);
    const failures: string[] = [];
    let padded = 0;
    let minusOnePadded = 0;
    let stride2 = 0;
    let odd = 0;
    for (let i = 0; i < 240; i++) {
      const k = randomConvCase(r);
      if (k.pads.some((p) => p > 0)) padded++;
      if (k.pads.some((p) => p > 0) && k.padValue === -1) minusOnePadded++;
      if (k.strides.includes(2)) stride2++;
      if (k.c % 32 !== 0) odd++;
      const { got, want, label } = runConvCase(k, 500 + i);
      if (got.length !== want.length || got.some((v, j) => v !== want[j])) failures.push(`#${i} ${label}`);
    }
    expect(failures).toEqual([]);
    // The random plan really covers what it claims.
    expect(padded).toBeGreaterThan(100);
    expect(minusOnePadded).toBeGreaterThan(50);
    expect(stride2).toBeGreaterThan(100);
    expect(odd).toBeGreaterThan(150);
  });

  it('treats -1 padding and zero padding differently at the border', () => {
    const k: ConvCase = { n: 1, c: 5, m: 2, h: 3, w: 3, kh: 3, kw: 3, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], padValue: 0, zeroSign: -1, withT: false, withBias: false };
    const zero = runConvCase(k, 1).got;
    const minus = runConvCase({ ...k, padValue: -1 }, 1).got;
    expect(zero[4]).toBe(minus[4]); // the centre output sees no padding
    expect(zero.some((v, i) => v !== minus[i])).toBe(true);
  });

  it('applies the fused activation after alpha and bias', () => {
    const node: Node = { name: 'bc', op: 'BinaryConv', inputs: ['x', 'w', 'a', 'b'], outputs: ['y'], attrs: { kernel_shape: [1, 1], activation: 'clip', act_min: -1, act_max: 2 } };
    const w: Tensor = { dtype: 'binary', shape: [2, 1, 1, 32], data: packWeightSigns([1, 1, 1, -1, -1, -1], 2, 3, 1) };
    const x = f32([1, 3, 1, 2], [1, -1, 2, -2, 3, 0]); // pixel 0: (1, 2, 3) +++ ; pixel 1: (-1, -2, 0) --- (0 -> -1)
    const y = binaryConv(node, [x, w, f32([2], [1, 0.5]), f32([2], [0.25, 0])])[0]!;
    // o0: dots 3, -3 -> 3.25 -> clip 2, -2.75 -> -1; o1: dots -3, 3 -> -1.5 -> -1, 1.5
    expect(Array.from(y.data as Float32Array)).toEqual([2, -1, -1, 1.5]);
  });
});

describe('BinaryGemm CPU reference vs Gemm of +-1 inputs', () => {
  it('is identical on 60 seeded random shapes', () => {
    const r = mulberry32(77);
    for (let i = 0; i < 60; i++) {
      const [n, k, m] = [randInt(r, 1, 4), randInt(r, 1, 100), randInt(r, 1, 9)];
      const zeroSign = r() < 0.5 ? -1 : 0;
      const t = r() < 0.5 ? randomThresholds(r, k) : undefined;
      const a = randomActivations(r, n * k, t, k, 1);
      const signs = Array.from({ length: m * k }, () => (r() < 0.5 ? -1 : 1));
      const alpha = Array.from({ length: m }, () => Math.fround(r()));
      const bias = Array.from({ length: m }, () => Math.fround(r() - 0.5));
      const node: Node = { name: 'bg', op: 'BinaryGemm', inputs: ['a', 'w', 'alpha', 'b', ...(t ? ['t'] : [])], outputs: ['y'], attrs: { zero_sign: zeroSign } };
      const w: Tensor = { dtype: 'binary', shape: [m, paddedChannels(k)], data: packWeightSigns(signs, m, k, 1) };
      const got = binaryGemm(node, [f32([n, k], a), w, f32([m], alpha), f32([m], bias), t ? f32([3, k], t) : undefined])[0]!.data as Float32Array;
      const ab = a.map((v, j) => (t ? signOf(v, t[j % k]!, t[k + (j % k)]!, t[2 * k + (j % k)]!, zeroSign) : signOf(v, 1, 0, 0, zeroSign)));
      const gemmNode: Node = { name: 'oracle', op: 'Gemm', inputs: ['a', 'w'], outputs: ['y'], attrs: { transB: 1 } };
      const dots = gemmKernels['Gemm']!(gemmNode, [f32([n, k], ab), f32([m, k], signs)])[0]!.data as Float32Array;
      const want = dots.map((d, j) => Math.fround(Math.fround(alpha[j % m]! * d) + bias[j % m]!));
      expect(Array.from(got), `case ${i} [${n},${k}]x[${m}]`).toEqual(Array.from(want));
    }
  });
});

describe('BinaryWeightConv CPU reference', () => {
  it('equals the float Conv with +-alpha weights bit for bit on 40 random shapes', () => {
    const r = mulberry32(5);
    for (let i = 0; i < 40; i++) {
      const k = randomConvCase(r);
      const x = Float32Array.from({ length: k.n * k.c * k.h * k.w }, () => r() * 2 - 1);
      const signs = Array.from({ length: k.m * k.c * k.kh * k.kw }, () => (r() < 0.5 ? -1 : 1));
      const alpha = Array.from({ length: k.m }, () => Math.fround(r()));
      const bias = Array.from({ length: k.m }, () => Math.fround(r() - 0.5));
      const attrs = { kernel_shape: [k.kh, k.kw], strides: k.strides, dilations: k.dilations, pads: k.pads };
      const w: Tensor = { dtype: 'binary', shape: [k.m, k.kh, k.kw, paddedChannels(k.c)], data: packWeightSigns(signs, k.m, k.c, k.kh * k.kw) };
      const node: Node = { name: 'bwn', op: 'BinaryWeightConv', inputs: ['x', 'w', 'a', 'b'], outputs: ['y'], attrs: { ...attrs, activation: 'relu' } };
      const got = binaryWeightConv(node, [f32([k.n, k.c, k.h, k.w], x), w, f32([k.m], alpha), f32([k.m], bias)])[0]!.data as Float32Array;
      const per = k.c * k.kh * k.kw;
      const wf = signs.map((s, j) => s * alpha[Math.floor(j / per)]!);
      const convNode: Node = { name: 'oracle', op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs };
      const want = (conv(convNode, [f32([k.n, k.c, k.h, k.w], x), f32([k.m, k.c, k.kh, k.kw], wf), f32([k.m], bias)])[0]!.data as Float32Array).map((v) => Math.max(v, 0));
      expect(Array.from(got), `case ${i}`).toEqual(Array.from(want));
    }
  });
});

describe('errors', () => {
  it('rejects float weights and a wrong thresholds shape with a GraphError naming the node', () => {
    const node: Node = { name: 'bad_layer', op: 'BinaryConv', inputs: ['x', 'w', 'a', '', 't'], outputs: ['y'], attrs: { kernel_shape: [1, 1] } };
    const x = f32([1, 2, 2, 2], new Float32Array(8));
    expect(() => binaryConv(node, [x, f32([1, 1, 1, 32], new Float32Array(32)), f32([1], [1])])).toThrow(/bad_layer.*binary/);
    const w: Tensor = { dtype: 'binary', shape: [1, 1, 1, 32], data: new Uint32Array(1) };
    expect(() => binaryConv(node, [x, w, f32([1], [1]), undefined, f32([3, 3], new Float32Array(9))])).toThrow(/bad_layer.*\[3, 2\]/);
  });

  it('runs through CpuExecutor (kernels are registered)', () => {
    const w: Tensor = { dtype: 'binary', shape: [1, 1, 1, 32], data: Uint32Array.of(0b11) };
    const graph = {
      inputs: [{ name: 'x', dtype: 'f32' as const, shape: [1, 2, 1, 1] }],
      outputs: [{ name: 'y', dtype: 'f32' as const, shape: [1, 1, 1, 1] }],
      nodes: [{ name: 'bc', op: 'BinaryConv', inputs: ['x', 'w', 'a'], outputs: ['y'], attrs: { kernel_shape: [1, 1] } }],
      initializers: new Map<string, Tensor>([['w', w], ['a', f32([1], [3])]]),
      metadata: {},
    };
    const y = new CpuExecutor(graph).run({ x: f32([1, 2, 1, 1], [0.5, -0.5]) })['y']!;
    expect(Array.from(y.data as Float32Array)).toEqual([0]); // (+1)(+1) + (-1)(+1) = 0
    const y2 = new CpuExecutor(graph).run({ x: f32([1, 2, 1, 1], [0.5, 0.5]) })['y']!;
    expect(Array.from(y2.data as Float32Array)).toEqual([6]);
  });

  it('bit-packed X: wrong words, thresholds with packed X, a bad Q are GraphErrors naming the node', () => {
    const w: Tensor = { dtype: 'binary', shape: [2, 1, 1, 32], data: new Uint32Array(2) };
    const packed: Tensor = { dtype: 'binary', shape: [1, 2, 2, 32], data: new Uint32Array(4) };
    const node: Node = { name: 'packed_layer', op: 'BinaryConv', inputs: ['x', 'w', 'a'], outputs: ['y'], attrs: { kernel_shape: [1, 1], in_channels: 5 } };
    expect(() => binaryConv(node, [{ ...packed, data: new Uint32Array(2) }, w, f32([2], [1, 1])])).toThrow(/packed_layer.*holds 2 words, needs 4/);
    expect(() => binaryConv(node, [packed, w, f32([2], [1, 1]), undefined, f32([3, 5], new Float32Array(15))])).toThrow(/packed_layer.*no thresholds/);
    const bits: Node = { name: 'bits_layer', op: 'BinaryConvBits', inputs: ['x', 'w', 'q'], outputs: ['y'], attrs: { kernel_shape: [1, 1], in_channels: 5 } };
    expect(() => binaryConvBits(bits, [packed, w, f32([3, 2], new Float32Array(6))])).toThrow(/bits_layer.*Q must be i32 \[3, 2\]/);
  });
});

describe('bit-packed activations', () => {
  it('BinaryConv on packed X equals BinaryConv on the f32 X it was packed from (40 random layers, both paddings)', () => {
    const r = mulberry32(77);
    for (let i = 0; i < 40; i++) {
      const [n, c, m, h, w] = [randInt(r, 1, 2), randInt(r, 1, 70), randInt(r, 1, 9), randInt(r, 3, 7), randInt(r, 3, 7)];
      const t = randomThresholds(r, c);
      const x = f32([n, c, h, w], randomActivations(r, n * c * h * w, t, c, h * w));
      const signs = Array.from({ length: m * c * 9 }, () => (r() < 0.5 ? -1 : 1));
      const wT: Tensor = { dtype: 'binary', shape: [m, 3, 3, paddedChannels(c)], data: packWeightSigns(signs, m, c, 9) };
      const alpha = f32([m], Array.from({ length: m }, () => Math.fround(0.1 + r())));
      const attrs = { kernel_shape: [3, 3], pads: [1, 0, 1, 1], strides: [1, randInt(r, 1, 2)], pad_value: i % 2 ? -1 : 0, activation: 'relu' };
      const viaFloat = binaryConv({ name: 'f', op: 'BinaryConv', inputs: [], outputs: ['y'], attrs }, [x, wT, alpha, undefined, f32([3, c], t)])[0]!;
      // Packed words: the sign plane of packActivations, with garbage in the padding bits (they must be ignored).
      const words = packActivations(x.data as Float32Array, n, c, h * w, t, -1).sign.map((v, k) => (k % Math.ceil(c / 32) === Math.ceil(c / 32) - 1 ? v | ~channelMask(c, Math.ceil(c / 32) - 1) : v));
      const packedX: Tensor = { dtype: 'binary', shape: [n, h, w, paddedChannels(c)], data: words };
      const viaBits = binaryConv({ name: 'b', op: 'BinaryConv', inputs: [], outputs: ['y'], attrs: { ...attrs, in_channels: c } }, [packedX, wT, alpha])[0]!;
      expect(Array.from(viaBits.data as Float32Array)).toEqual(Array.from(viaFloat.data as Float32Array));
    }
  });
});
