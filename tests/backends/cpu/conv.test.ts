import { describe, expect, it } from 'vitest';
import { conv } from '../../../src/backends/cpu/conv.js';
import type { Tensor } from '../../../src/graph/ir.js';
import { expectClose, f32, node, randInt, randomF32, rng } from './helpers.js';

interface Cfg {
  n: number; c: number; oc: number; group: number;
  spatial: number[]; kernel: number[]; strides: number[]; dilations: number[]; pads: number[]; bias: boolean;
}

/** Textbook convolution: sum over channels of the group and every kernel tap, skipping taps outside the input. */
function naiveConv(x: Tensor, w: Tensor, b: Tensor | undefined, cfg: Cfg): { shape: number[]; data: number[] } {
  const r = cfg.spatial.length;
  const outSp = cfg.spatial.map((s, i) =>
    Math.floor((s + cfg.pads[i]! + cfg.pads[i + r]! - (cfg.kernel[i]! - 1) * cfg.dilations[i]! - 1) / cfg.strides[i]!) + 1);
  const icg = cfg.c / cfg.group;
  const ocg = cfg.oc / cfg.group;
  const flat = (dims: number[], idx: number[]) => idx.reduce((acc, v, i) => acc * dims[i]! + v, 0);
  const enumerate = (dims: number[]): number[][] => {
    let all: number[][] = [[]];
    for (const d of dims) all = all.flatMap((p) => Array.from({ length: d }, (_, i) => [...p, i]));
    return all;
  };
  const outPositions = enumerate(outSp);
  const taps = enumerate(cfg.kernel);
  const data: number[] = [];
  for (let n = 0; n < cfg.n; n++) {
    for (let o = 0; o < cfg.oc; o++) {
      const g = Math.floor(o / ocg);
      for (const op of outPositions) {
        let s = b ? b.data[o] as number : 0;
        for (let ic = 0; ic < icg; ic++) {
          const c = g * icg + ic;
          for (const t of taps) {
            const ip = op.map((v, i) => v * cfg.strides[i]! - cfg.pads[i]! + t[i]! * cfg.dilations[i]!);
            if (ip.some((v, i) => v < 0 || v >= cfg.spatial[i]!)) continue;
            const xv = x.data[flat([cfg.n, cfg.c, ...cfg.spatial], [n, c, ...ip])] as number;
            const wv = w.data[flat([cfg.oc, icg, ...cfg.kernel], [o, ic, ...t])] as number;
            s += xv * wv;
          }
        }
        data.push(s);
      }
    }
  }
  return { shape: [cfg.n, cfg.oc, ...outSp], data };
}

function runCase(cfg: Cfg, seed: number, attrs: Record<string, unknown> = {}): void {
  const r = rng(seed);
  const x = randomF32(r, [cfg.n, cfg.c, ...cfg.spatial]);
  const w = randomF32(r, [cfg.oc, cfg.c / cfg.group, ...cfg.kernel]);
  const b = cfg.bias ? randomF32(r, [cfg.oc]) : undefined;
  const nd = node('Conv', {
    kernel_shape: cfg.kernel, strides: cfg.strides, dilations: cfg.dilations, pads: cfg.pads, group: cfg.group,
    ...(attrs as object),
  }, 3);
  const [y] = conv(nd, [x, w, b]);
  const ref = naiveConv(x, w, b, cfg);
  expectClose(y!, ref.shape, ref.data, 1e-5);
}

function randomCfg(seed: number, rank: number): Cfg {
  const r = rng(seed);
  const depthwise = r() < 0.2;
  const group = depthwise ? randInt(r, 1, 5) : [1, 1, 2, 3][randInt(r, 0, 3)]!;
  const c = depthwise ? group : group * randInt(r, 1, 3);
  const oc = depthwise ? group * randInt(r, 1, 2) : group * randInt(r, 1, 5);
  const kernel = Array.from({ length: rank }, () => randInt(r, 1, rank === 3 ? 3 : 4));
  const dilations = Array.from({ length: rank }, () => randInt(r, 1, 2));
  const strides = Array.from({ length: rank }, () => randInt(r, 1, 3));
  const pads = Array.from({ length: 2 * rank }, () => randInt(r, 0, 2));
  const spatial = kernel.map((k, i) => (k - 1) * dilations[i]! + 1 + randInt(r, 0, rank === 3 ? 3 : 7));
  return { n: randInt(r, 1, 3), c, oc, group, spatial, kernel, strides, dilations, pads, bias: r() < 0.7 };
}

describe('Conv (CPU)', () => {
  it('matches a hand-computed 2-D case', () => {
    // 1x1x3x3 input 1..9, 2x2 kernel of ones, no pad: each output is the sum of a 2x2 block, +10 bias.
    const x = f32([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = f32([1, 1, 2, 2], [1, 1, 1, 1]);
    const [y] = conv(node('Conv', {}, 3), [x, w, f32([1], [10])]);
    expectClose(y!, [1, 1, 2, 2], [22, 26, 34, 38]);
  });

  it('matches a hand-computed 1-D case with stride, pad and dilation', () => {
    // x = [1,2,3,4,5], pads 1 -> [0,1,2,3,4,5,0]; kernel [1,-1] dilation 2; stride 2: taps (i, i+2) at i = 0,2,4
    const x = f32([1, 1, 5], [1, 2, 3, 4, 5]);
    const w = f32([1, 1, 2], [1, -1]);
    const [y] = conv(node('Conv', { pads: [1, 1], dilations: [2], strides: [2] }, 3), [x, w, undefined]);
    expectClose(y!, [1, 1, 3], [0 - 2, 2 - 4, 4 - 0]);
  });

  it('handles kernel windows that hit padding in every 3x3 position', () => {
    const cfg: Cfg = { n: 2, c: 3, oc: 5, group: 1, spatial: [4, 5], kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], bias: true };
    runCase(cfg, 7);
  });

  it('works for ResNet-like shapes (4-channel output blocks, pixel remainders)', () => {
    runCase({ n: 2, c: 16, oc: 16, group: 1, spatial: [8, 8], kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], bias: false }, 11);
    runCase({ n: 1, c: 8, oc: 18, group: 1, spatial: [7, 7], kernel: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [1, 1, 1, 1], bias: true }, 12);
    runCase({ n: 3, c: 8, oc: 12, group: 1, spatial: [5, 5], kernel: [1, 1], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], bias: false }, 13);
  });

  it('chunks large outputs (more pixels than one col chunk)', () => {
    runCase({ n: 1, c: 40, oc: 7, group: 1, spatial: [40, 41], kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], bias: true }, 14);
  });

  it('depthwise', () => {
    runCase({ n: 2, c: 6, oc: 6, group: 6, spatial: [6, 7], kernel: [3, 3], strides: [1, 2], dilations: [1, 1], pads: [1, 0, 1, 2], bias: true }, 15);
    runCase({ n: 1, c: 5, oc: 10, group: 5, spatial: [9], kernel: [5], strides: [1], dilations: [2], pads: [4, 4], bias: false }, 16);
  });

  for (const rank of [1, 2, 3]) {
    it(`matches the naive ${rank}-D convolution on 25 seeded random configurations`, () => {
      for (let s = 0; s < 25; s++) runCase(randomCfg(1000 * rank + s, rank), 5000 + s);
    });
  }

  it('resolves auto_pad SAME_UPPER / SAME_LOWER / VALID', () => {
    const base: Cfg = { n: 1, c: 2, oc: 3, group: 1, spatial: [6, 5], kernel: [4, 3], strides: [2, 1], dilations: [1, 1], pads: [0, 0, 0, 0], bias: true };
    // out = ceil(6/2)=3 -> total pad rows (3-1)*2+4-6 = 2; cols: out 5, total 5-1+3-5 = 2
    runCase({ ...base, pads: [1, 1, 1, 1] }, 21, { auto_pad: 'SAME_UPPER', pads: undefined });
    const odd: Cfg = { ...base, spatial: [5, 5], kernel: [2, 2], strides: [1, 1] };
    // total pad 1 per axis: SAME_UPPER puts it at the end, SAME_LOWER at the beginning
    runCase({ ...odd, pads: [0, 0, 1, 1] }, 22, { auto_pad: 'SAME_UPPER', pads: undefined });
    runCase({ ...odd, pads: [1, 1, 0, 0] }, 23, { auto_pad: 'SAME_LOWER', pads: undefined });
    runCase({ ...odd, pads: [0, 0, 0, 0] }, 24, { auto_pad: 'VALID', pads: undefined });
  });

  it('rejects a channel / group mismatch with an error naming the node', () => {
    const r = rng(1);
    const x = randomF32(r, [1, 4, 5, 5]);
    const w = randomF32(r, [6, 3, 3, 3]);
    expect(() => conv(node('Conv', {}, 2), [x, w])).toThrow(/test_Conv/);
  });
});
