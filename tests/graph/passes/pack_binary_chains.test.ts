import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { binaryConv, binaryConvBits, packActivations } from '../../../src/backends/cpu/binary.js';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import { poolKernels } from '../../../src/backends/cpu/pool.js';
import type { Graph, Node, Tensor } from '../../../src/graph/ir.js';
import { binaryConvValue, epilogueActivation, packWeightSigns, paddedChannels, signBit } from '../../../src/graph/ops/binary.js';
import { readEpilogue } from '../../../src/graph/ops/fused.js';
import { validateGraph } from '../../../src/graph/ops/index.js';
import { binarize } from '../../../src/graph/passes/binarize.js';
import { optimize } from '../../../src/graph/passes/index.js';
import { binarizeAndPack, bitIntervals, dotInterval, packBinaryChains } from '../../../src/graph/passes/pack_binary_chains.js';
import { importOnnx } from '../../../src/import/onnx/index.js';
import { readNpy } from '../../../src/io/npy.js';
import { randomChain } from '../../harness/binary_chains.js';
import { mulberry32, randInt } from '../../harness/rng.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'xnor');

function run(graph: Graph, x: Tensor): Float32Array {
  return Object.values(new CpuExecutor(graph).run({ [graph.inputs[0]!.name]: x }))[0]!.data as Float32Array;
}

/** Bit-for-bit equality of two f32 arrays (NaN payloads and -0 included). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.every((v, i) => v === y[i]);
}

const ops = (g: Graph) => g.nodes.map((n) => n.op);
const count = (g: Graph, op: string) => g.nodes.filter((n) => n.op === op).length;
const f32 = (shape: number[], data: ArrayLike<number>): Tensor => ({ dtype: 'f32', shape, data: Float32Array.from(data) });

describe('packBinaryChains on seeded random chains', () => {
  it('CPU output identical bit for bit before / after on 120 chains (odd C, pads 0 / -1, stride 2, pools, negative BN scales)', () => {
    let fused = 0;
    let pools = 0;
    let exotic = 0;
    for (let i = 0; i < 120; i++) {
      const { graph, x, label } = randomChain(i, { unitLast: i % 2 === 0, exotic: i % 4 === 3 });
      const packed = packBinaryChains(graph);
      validateGraph(packed);
      fused += count(packed, 'BinaryConvBits');
      pools += count(graph, 'MaxPool') - count(packed, 'MaxPool');
      if (i % 4 === 3) exotic += count(packed, 'BinaryConvBits');
      expect(sameBits(run(graph, x), run(packed, x)), label).toBe(true);
    }
    console.log(`random chains: ${fused} producers packed, ${pools} pools fused, ${exotic} on the exhaustive path`);
    // Most producers qualify; pools are fused; the exhaustive path (non-monotone activations, alpha < 0) is used.
    expect(fused).toBeGreaterThan(120);
    expect(pools).toBeGreaterThan(40);
    expect(exotic).toBeGreaterThan(15);
  });

  it('rewrites a whole chain: producers become BinaryConvBits, pools disappear, consumers read packed bits', () => {
    const { graph } = randomChain(7, { unitLast: true });
    const packed = packBinaryChains(graph);
    const bits = packed.nodes.filter((n) => n.op === 'BinaryConvBits');
    expect(bits.length).toBe(graph.nodes.filter((n) => n.op === 'BinaryConv').length - 1);
    expect(count(packed, 'MaxPool')).toBe(0);
    for (const consumer of packed.nodes.slice(1)) {
      expect(consumer.attrs['in_channels']).toBeGreaterThan(0);
      expect(consumer.inputs[consumer.op === 'BinaryConvBits' ? 3 : 4] ?? '').toBe('');
    }
    expect(packBinaryChains(packed)).toBe(packed); // nothing left to do
  });

  it('binarizeAndPack = binarize then packBinaryChains', () => {
    const g = importOnnx(new Uint8Array(readFileSync(join(FIXTURES, 'tiny', 'model.onnx'))));
    const o = optimize(g);
    expect(ops(binarizeAndPack(o))).toEqual(ops(packBinaryChains(binarize(o))));
  });
});

describe('packBinaryChains on the committed XNOR fixtures', () => {
  it.each([
    ['tiny', 1],
    ['bin_lenet', 0],
  ])('%s: %i chain(s) packed, CPU output identical bit for bit', (name, chains) => {
    const dir = join(FIXTURES, name as string);
    const graph = binarize(optimize(importOnnx(new Uint8Array(readFileSync(join(dir, 'model.onnx'))))));
    const x = readNpy(new Uint8Array(readFileSync(join(dir, 'input.npy'))), `${name}/input.npy`);
    const packed = packBinaryChains(graph);
    expect(count(packed, 'BinaryConvBits')).toBe(chains);
    expect(sameBits(run(graph, x), run(packed, x))).toBe(true);
  });
});

describe('BinaryConvBits words are what binary_pack makes of the float output', () => {
  it('equals packActivations (thresholds, zero_sign -1) of BinaryConv -> MaxPool on 60 random layers', () => {
    const r = mulberry32(5);
    for (let i = 0; i < 60; i++) {
      const [n, c, m, h, w] = [randInt(r, 1, 2), randInt(r, 1, 70), randInt(r, 1, 70), randInt(r, 4, 9), randInt(r, 4, 9)];
      const signs = Array.from({ length: m * c * 9 }, () => (r() < 0.5 ? -1 : 1));
      const wT: Tensor = { dtype: 'binary', shape: [m, 3, 3, paddedChannels(c)], data: packWeightSigns(signs, m, c, 9) };
      const alpha = f32([m], Array.from({ length: m }, () => Math.fround(0.1 + r())));
      const bias = f32([m], Array.from({ length: m }, () => Math.fround(r() - 0.5)));
      const xT = f32([n, c, h, w], Array.from({ length: n * c * h * w }, () => (r() < 0.1 ? 0 : r() * 2 - 1)));
      const attrs = { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [i % 3 === 0 ? 2 : 1, 1], pad_value: i % 2 ? -1 : 0, activation: 'relu' };
      const node: Node = { name: 'p', op: 'BinaryConv', inputs: ['x', 'w', 'a', 'b'], outputs: ['y'], attrs };
      const act = epilogueActivation(readEpilogue(node));
      const t = new Float32Array(3 * m);
      for (let o = 0; o < m; o++) {
        t[o] = r() < 0.4 ? -1 : 1;
        t[2 * m + o] = Math.fround(t[o]! * binaryConvValue(randInt(r, -9, 9), alpha.data[o] as number, bias.data[o] as number, act));
        t[m + o] = t[2 * m + o]!;
      }
      const graph: Graph = { inputs: [], outputs: [], nodes: [node], initializers: new Map([['a', alpha], ['b', bias]]), metadata: {} };
      const q = bitIntervals(graph, node, m, c * 9, t, true)!;
      expect(q).toBeDefined();
      const pool = i % 2 === 0;
      const poolAttrs = { kernel_shape: [2, 2], strides: [2, 2] };
      let y = binaryConv(node, [xT, wT, alpha, bias])[0]!;
      if (pool) y = poolKernels['MaxPool']!({ name: 'pool', op: 'MaxPool', inputs: ['y'], outputs: ['z'], attrs: poolAttrs }, [y])[0]!;
      const [, , ph, pw] = y.shape as number[];
      const expected = packActivations(y.data as Float32Array, n, m, ph! * pw!, t, -1).sign;
      const bitsAttrs: Node['attrs'] = { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: attrs.strides, pad_value: attrs.pad_value };
      if (pool) Object.assign(bitsAttrs, { pool_kernel_shape: [2, 2], pool_strides: [2, 2] });
      const qT: Tensor = { dtype: 'i32', shape: [3, m], data: q };
      const got = binaryConvBits({ name: 'b', op: 'BinaryConvBits', inputs: ['x', 'w', 'q'], outputs: ['z'], attrs: bitsAttrs }, [xT, wT, qT])[0]!;
      expect(got.dtype).toBe('binary');
      expect(got.shape).toEqual([n, ph, pw, paddedChannels(m)]);
      expect(Array.from(got.data as Uint32Array)).toEqual(Array.from(expected));
    }
  });
});

describe('bit intervals', () => {
  it('the monotone shortcut (bisection) equals evaluating every dot, ties included', () => {
    const r = mulberry32(9);
    const acts: Node['attrs'][] = [{}, { activation: 'relu' }, { activation: 'leaky_relu', act_alpha: 0.2 }, { activation: 'clip', act_min: -1, act_max: 1 }];
    for (let i = 0; i < 200; i++) {
      const m = randInt(r, 1, 40);
      const maxDot = randInt(r, 1, 600);
      const node: Node = { name: 'p', op: 'BinaryConv', inputs: ['x', 'w', 'a', 'b'], outputs: ['y'], attrs: acts[i % 4]! };
      const alpha = Float32Array.from({ length: m }, () => (r() < 0.05 ? 0 : Math.fround(r() * 2)));
      const bias = Float32Array.from({ length: m }, () => Math.fround((r() - 0.5) * 50));
      const act = epilogueActivation(readEpilogue(node));
      const t = new Float32Array(3 * m);
      for (let o = 0; o < m; o++) {
        t[o] = r() < 0.5 ? -1 : 1;
        t[2 * m + o] = r() < 0.1 ? Infinity * t[o]! : Math.fround(t[o]! * binaryConvValue(randInt(r, -maxDot, maxDot), alpha[o]!, bias[o]!, act));
      }
      const graph: Graph = { inputs: [], outputs: [], nodes: [], initializers: new Map([['a', f32([m], alpha)], ['b', f32([m], bias)]]), metadata: {} };
      expect(bitIntervals(graph, node, m, maxDot, t, true)).toEqual(bitIntervals(graph, node, m, maxDot, t, true, true));
    }
  });

  it('dotInterval: an interval, the empty set, everything; a gap is refused', () => {
    const none = () => 0;
    expect(dotInterval((d) => d >= 3, none, 10, false, false)).toEqual([3, 10]);
    expect(dotInterval((d) => d < -2, none, 10, true, false)).toEqual([-10, -3]);
    expect(dotInterval(() => false, none, 5, true, false)).toEqual([1, 0]);
    expect(dotInterval(() => true, none, 5, false, false)).toEqual([-5, 5]);
    expect(dotInterval((d) => d === 0 || d === 2, none, 5, false, false)).toBeUndefined();
    expect(dotInterval(() => true, () => NaN, 5, false, true)).toBeUndefined();
  });

  it('a non-interval activation (hard_swish dips below the threshold) stays unfused', () => {
    const { graph } = randomChain(3, { unitLast: true });
    const p = graph.nodes[0]!;
    Object.assign(p.attrs, { activation: 'hard_swish' });
    const m = (graph.initializers.get(p.inputs[1]!)!.shape[0])!;
    graph.initializers.set(p.inputs[2]!, f32([m], new Array(m).fill(1)));
    graph.initializers.set(p.inputs[3]!, f32([m], new Array(m).fill(0)));
    const consumer = graph.nodes.find((n) => n.op === 'BinaryConv' && n !== p)!;
    // bit = y > -0.2: 1 at dot <= -3 (hard_swish = 0) and dot >= 0, 0 at dot = -1, -2 (hard_swish = -1/3).
    graph.initializers.set('t_gap', f32([3, m], [...new Array(m).fill(1), ...new Array(m).fill(-0.2), ...new Array(m).fill(-0.2)]));
    consumer.inputs[4] = 't_gap';
    expect(signBit(Math.fround(-1 / 3), 1, Math.fround(-0.2))).toBe(false);
    expect(packBinaryChains(graph).nodes[0]!.op).toBe('BinaryConv');
  });
});

describe('packBinaryChains leaves other shapes of graph alone', () => {
  function twoConsumers(sameT: boolean, zeroSign: 0 | -1 = -1): Graph {
    const r = mulberry32(11);
    const c = 33;
    const init = new Map<string, Tensor>();
    const bits = (m: number, cin: number): Tensor => ({ dtype: 'binary', shape: [m, 1, 1, paddedChannels(cin)], data: packWeightSigns(Array.from({ length: m * cin }, () => (r() < 0.5 ? -1 : 1)), m, cin, 1) });
    init.set('w0', bits(c, c)).set('w1', bits(4, c)).set('w2', bits(4, c));
    init.set('a', f32([c], new Array(c).fill(0.5))).set('a4', f32([4], [1, 1, 1, 1]));
    init.set('t1', f32([3, c], [...new Array(c).fill(-1), ...new Array(c).fill(0.25), ...new Array(c).fill(0.25)]));
    init.set('t2', f32([3, c], [...new Array(c).fill(-1), ...new Array(c).fill(0.25), ...new Array(c).fill(sameT ? 0.25 : 0.5)]));
    const nodes: Node[] = [
      { name: 'p', op: 'BinaryConv', inputs: ['x', 'w0', 'a'], outputs: ['y'], attrs: { kernel_shape: [1, 1], activation: 'relu' } },
      { name: 'c1', op: 'BinaryConv', inputs: ['y', 'w1', 'a4', '', 't1'], outputs: ['z1'], attrs: { kernel_shape: [1, 1] } },
      { name: 'c2', op: 'BinaryConv', inputs: ['y', 'w2', 'a4', '', 't2'], outputs: ['z2'], attrs: { kernel_shape: [1, 1], zero_sign: zeroSign } },
    ];
    return { inputs: [{ name: 'x', dtype: 'f32', shape: [1, c, 3, 3] }], outputs: [{ name: 'z1', dtype: 'f32', shape: [1, 4, 3, 3] }, { name: 'z2', dtype: 'f32', shape: [1, 4, 3, 3] }], nodes, initializers: init, metadata: {} };
  }

  it('two consumers with the same thresholds share one packed tensor, with different ones nothing changes', () => {
    const same = packBinaryChains(twoConsumers(true));
    expect(ops(same)).toEqual(['BinaryConvBits', 'BinaryConv', 'BinaryConv']);
    expect(same.nodes[1]!.inputs[0]).toBe(same.nodes[0]!.outputs[0]);
    expect(same.nodes[2]!.inputs[0]).toBe(same.nodes[0]!.outputs[0]);
    const x = f32([1, 33, 3, 3], Array.from({ length: 297 }, (_, i) => Math.sin(i)));
    const before = new CpuExecutor(twoConsumers(true)).run({ x });
    const after = new CpuExecutor(same).run({ x });
    for (const k of ['z1', 'z2']) expect(sameBits(before[k]!.data as Float32Array, after[k]!.data as Float32Array)).toBe(true);
    const diff = twoConsumers(false);
    expect(packBinaryChains(diff)).toBe(diff);
  });

  it('a consumer with zero_sign 0, a residual producer, a graph-output producer, a pool read by a float op: unchanged', () => {
    const zs = twoConsumers(true, 0);
    expect(packBinaryChains(zs)).toBe(zs);
    const res = twoConsumers(true);
    res.nodes[0]!.inputs.push('', '', 'x');
    expect(packBinaryChains(res)).toBe(res);
    const out = twoConsumers(true);
    out.outputs.push({ name: 'y', dtype: 'f32', shape: [1, 33, 3, 3] });
    expect(packBinaryChains(out)).toBe(out);
    let seed = 21;
    while (!randomChain(seed, { unitLast: true }).graph.nodes.some((n) => n.op === 'MaxPool')) seed++;
    const { graph } = randomChain(seed, { unitLast: true });
    const pool = graph.nodes.find((n) => n.op === 'MaxPool');
    expect(pool).toBeDefined();
    graph.nodes.push({ name: 'float_reader', op: 'Relu', inputs: [pool!.outputs[0]!], outputs: ['extra'], attrs: {} });
    graph.outputs.push({ name: 'extra', dtype: 'f32', shape: [] });
    const packed = packBinaryChains(graph);
    expect(packed.nodes.find((n) => n.name === pool!.name)).toBeDefined();
    expect(packed.nodes.find((n) => n.outputs.includes(pool!.inputs[0]!))!.op).toBe('BinaryConv');
  });
});
