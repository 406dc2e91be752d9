/**
 * The transformer kernels of the WASM backend (kernels/transformer.c, the copy6 kernel, lower_transformer.ts) vs the
 * CPU reference on seeded random shapes (odd sizes), 1 and 2 threads, relative L2 <= 1e-5, none on the CPU fallback:
 * LayerNormalization (any axis, Scale / B of the row's size or one element, no B), ChannelLayerNorm (1-D, 2-D, 3-D
 * spatial), Softmax (last axis, masked entries of -100), Attention (both K layouts, batch broadcasting between Q, K, V
 * and Bias, Bias broadcast over heads / rows / batches, -100 masks, scale), Erf, Transposes of rank 5 and 6, Reshape
 * of a strided view, Gather at constant indices, Concat with a constant input.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Tensor } from '../../../src/graph/ir.js';
import { Case, checkAll, mulberry32, ODD, pick, randInt, randomData, size, type Rng } from './helpers.js';

const TOL = 1e-5;
const summary: string[] = [];
afterAll(() => console.log(['WASM transformer kernels vs CPU reference (worst rel L2 over 1 and 2 threads)', ...summary].join('\n')));

async function expectAllMatch(name: string, cases: Case[]): Promise<void> {
  const res = await checkAll(cases, { tol: TOL, expectNoFallback: () => true });
  summary.push(`${name.padEnd(22)} ${String(res.count).padStart(4)} cases  worst ${res.worst.toExponential(2)}  kernels ${JSON.stringify(res.kernels)}`);
  expect(res.count).toBe(cases.length);
  expect(res.problems, res.problems.slice(0, 20).join('\n')).toEqual([]);
}

const dim = (r: Rng, max = 13) => (r() < 0.5 ? pick(r, ODD) : randInt(r, 1, max));
const shape = (r: Rng, rank: number, max = 13) => Array.from({ length: rank }, () => dim(r, max));
const fmt = (s: readonly number[]) => `[${s.join(',')}]`;

/** Random data with about a fifth of the entries set to -100 (an attention mask). */
function masked(r: Rng, n: number): Float32Array {
  const a = randomData(r, n, -2, 2);
  for (let i = 0; i < n; i++) if (r() < 0.2) a[i] = -100;
  return a;
}

describe('WASM transformer kernels vs CPU reference (1 and 2 threads)', () => {
  it('LayerNormalization', async () => {
    const r = mulberry32(7101);
    const cases: Case[] = [];
    for (let i = 0; i < 40; i++) {
      const rank = randInt(r, 1, 4);
      const xs = shape(r, rank);
      if (i % 5 === 0) xs[rank - 1] = pick(r, [64, 96, 192, 197]);
      const axis = randInt(r, 0, rank - 1);
      const rowShape = xs.slice(axis);
      const one = r() < 0.2;
      const bias = pick(r, ['row', 'one', 'none'] as const);
      const eps = pick(r, [1e-5, 1e-6, 1e-3]);
      const c = new Case(`LayerNormalization #${i} X ${fmt(xs)} axis=${axis} scale=${one ? 'one' : 'row'} B=${bias} eps=${eps}`);
      const x = c.input('x', xs, randomData(r, size(xs), -3, 5));
      const inputs = [x, c.init('s', one ? [1] : rowShape, randomData(r, one ? 1 : size(rowShape), 0.5, 1.5))];
      if (bias !== 'none') inputs.push(c.init('b', bias === 'one' ? [1] : rowShape, randomData(r, bias === 'one' ? 1 : size(rowShape))));
      c.output(c.node('LayerNormalization', inputs, { axis: r() < 0.5 ? axis : axis - rank, epsilon: eps }, 'ln'));
      cases.push(c);
    }
    await expectAllMatch('LayerNormalization', cases);
  });

  it('ChannelLayerNorm', async () => {
    const r = mulberry32(7102);
    const cases: Case[] = [];
    for (let i = 0; i < 30; i++) {
      const spatial = shape(r, randInt(r, 1, 3), 9);
      const C = i % 4 === 0 ? pick(r, [96, 192]) : dim(r, 40);
      const xs = [randInt(r, 1, 3), C, ...spatial];
      const bias = r() < 0.8;
      const c = new Case(`ChannelLayerNorm #${i} X ${fmt(xs)} B=${bias}`);
      const inputs = [c.input('x', xs, randomData(r, size(xs), -2, 3)), c.init('s', [C], randomData(r, C, 0.5, 1.5))];
      if (bias) inputs.push(c.init('b', [C], randomData(r, C)));
      c.output(c.node('ChannelLayerNorm', inputs, { epsilon: 1e-6 }, 'cln'));
      cases.push(c);
    }
    await expectAllMatch('ChannelLayerNorm', cases);
  });

  it('Softmax (last axis)', async () => {
    const r = mulberry32(7103);
    const cases: Case[] = [];
    for (let i = 0; i < 30; i++) {
      const xs = shape(r, randInt(r, 1, 4));
      if (i % 4 === 0) xs[xs.length - 1] = pick(r, [49, 197, 64]);
      const c = new Case(`Softmax #${i} X ${fmt(xs)}`);
      c.output(c.node('Softmax', [c.input('x', xs, masked(r, size(xs)))], { axis: r() < 0.5 ? -1 : xs.length - 1 }, 'sm'));
      cases.push(c);
    }
    await expectAllMatch('Softmax', cases);
  });

  it('Attention: both K layouts, broadcast batches, biases and -100 masks', async () => {
    const r = mulberry32(7104);
    const cases: Case[] = [];
    for (let i = 0; i < 60; i++) {
      const N = i % 6 === 0 ? pick(r, [49, 50, 197]) : dim(r, 20);
      const M = r() < 0.6 ? N : dim(r, 20);
      const D = i % 5 === 0 ? pick(r, [32, 64]) : dim(r, 24);
      const Dv = r() < 0.6 ? D : dim(r, 40);
      const batch = shape(r, randInt(r, 0, 3), 4);
      // each operand drops or sets to 1 some of the batch dims (numpy broadcasting)
      const sub = () => {
        const keep = randInt(r, 0, batch.length);
        return batch.slice(batch.length - keep).map((d) => (r() < 0.3 ? 1 : d));
      };
      const layout = pick(r, ['k', 'kt'] as const);
      const qs = [...batch, N, D];
      const ks = layout === 'kt' ? [...sub(), D, M] : [...sub(), M, D];
      const vs = [...sub(), M, Dv];
      const biasKind = pick(r, ['none', 'full', 'heads', 'rows', 'mask'] as const);
      const bs =
        biasKind === 'full' ? [...batch, N, M] : biasKind === 'heads' ? [...sub(), N, M] : biasKind === 'rows' ? [...sub(), 1, M] : biasKind === 'mask' ? [...sub(), N, M] : [];
      const scale = r() < 0.3 ? 1 : 1 / Math.sqrt(D);
      const c = new Case(`Attention #${i} Q ${fmt(qs)} K ${fmt(ks)} (${layout}) V ${fmt(vs)} Bias ${biasKind} ${fmt(bs)} scale=${scale.toFixed(4)}`);
      const q = c.input('q', qs, randomData(r, size(qs), -2, 2));
      const k = c.input('k', ks, randomData(r, size(ks), -2, 2));
      const v = c.input('v', vs, randomData(r, size(vs)));
      const inputs = [q, k, v];
      if (biasKind !== 'none') {
        const data = biasKind === 'mask' ? masked(r, size(bs)) : randomData(r, size(bs));
        // relative-position biases and masks are constants in the models; a runtime bias is tested too
        inputs.push(r() < 0.5 ? c.init('bias', bs, data) : c.input('bias', bs, data));
      }
      c.output(c.node('Attention', inputs, { scale, k_layout: layout }, 'att'));
      cases.push(c);
    }
    await expectAllMatch('Attention', cases);
  });

  it('Attention on strided views (Q, K, V sliced from one qkv tensor)', async () => {
    const r = mulberry32(7105);
    const cases: Case[] = [];
    for (let i = 0; i < 12; i++) {
      const [B, H, N, D] = [randInt(r, 1, 2), randInt(r, 1, 3), dim(r, 30), dim(r, 20)];
      const c = new Case(`Attention views #${i} qkv [${B},${N},3,${H},${D}]`);
      const qkv = c.input('qkv', [B, N, 3, H, D], randomData(r, B * N * 3 * H * D, -2, 2));
      // [3, B, H, N, D]; Q, K, V are step-1 slices of it (views in the plan)
      const t = c.node('Transpose', [qkv], { perm: [2, 0, 3, 1, 4] }, 'perm');
      const part = (j: number) => c.node('Squeeze', [c.node('Slice', [t], { starts: [j], ends: [j + 1], axes: [0] }, `s${j}`)], { axes: [0] }, `q${j}`);
      c.output(c.node('Attention', [part(0), part(1), part(2)], { scale: 0.125, k_layout: 'k' }, 'att'));
      cases.push(c);
    }
    await expectAllMatch('Attention (views)', cases);
  });

  it('Erf', async () => {
    const r = mulberry32(7106);
    const cases: Case[] = [];
    for (let i = 0; i < 10; i++) {
      const xs = shape(r, randInt(r, 1, 4));
      const c = new Case(`Erf #${i} X ${fmt(xs)}`);
      c.output(c.node('Erf', [c.input('x', xs, randomData(r, size(xs), -5, 5))], {}, 'erf'));
      cases.push(c);
    }
    await expectAllMatch('Erf', cases);
  });

  it('Transpose of rank 5 and 6, Reshape of a strided view, Gather at constant indices, Concat with a constant', async () => {
    const r = mulberry32(7107);
    const cases: Case[] = [];
    for (let i = 0; i < 16; i++) {
      const rank = 5 + (i % 2);
      const xs = shape(r, rank, 5).map((d) => Math.max(d, 2));
      const perm = [...Array(rank).keys()].sort(() => r() - 0.5);
      const c = new Case(`Transpose #${i} X ${fmt(xs)} perm=${fmt(perm)}`);
      c.output(c.node('Transpose', [c.input('x', xs, randomData(r, size(xs)))], { perm }, 'tr'));
      cases.push(c);
    }
    for (let i = 0; i < 8; i++) {
      const xs = [randInt(r, 1, 3), dim(r), dim(r) + 2];
      const end = xs[2]! - randInt(r, 1, 2);
      const c = new Case(`Reshape of Slice #${i} X ${fmt(xs)} [..., 1:${end}]`);
      const s = c.node('Slice', [c.input('x', xs, randomData(r, size(xs)))], { starts: [1], ends: [end], axes: [2] }, 'sl');
      c.output(c.node('Reshape', [s], { shape: [-1] }, 'rs'));
      cases.push(c);
    }
    for (let i = 0; i < 12; i++) {
      const xs = shape(r, randInt(r, 1, 4), 7);
      const axis = randInt(r, 0, xs.length - 1);
      const kind = pick(r, ['scalar', '1-D', '2-D'] as const);
      const idxShape = kind === 'scalar' ? [] : kind === '1-D' ? [randInt(r, 1, 4)] : [2, randInt(r, 1, 3)];
      const idx = Array.from({ length: size(idxShape) }, () => randInt(r, -xs[axis]!, xs[axis]! - 1));
      // every third case: the Gather writes into a Concat's slice (a strided output)
      const intoConcat = i % 3 === 2;
      const c = new Case(`Gather #${i} X ${fmt(xs)} axis=${axis} indices ${fmt(idxShape)} ${fmt(idx)}${intoConcat ? ' into a Concat' : ''}`);
      const ind = c.b.init('idx', { dtype: 'i64', shape: idxShape, data: BigInt64Array.from(idx.map(BigInt)) } as Tensor);
      const g = c.node('Gather', [c.input('x', xs, randomData(r, size(xs))), ind], { axis }, 'g');
      if (!intoConcat) c.output(g);
      else {
        const ys = [...xs.slice(0, axis), ...idxShape, ...xs.slice(axis + 1)];
        const other = c.input('o', ys, randomData(r, size(ys)));
        c.output(c.node('Concat', [other, g], { axis: ys.length - 1 }, 'cat'));
      }
      cases.push(c);
    }
    for (let i = 0; i < 6; i++) {
      const [B, N, C] = [1, dim(r), dim(r)];
      const c = new Case(`Concat class token #${i} [${B},1,${C}] + [${B},${N},${C}]`);
      const tok = c.init('tok', [B, 1, C], randomData(r, C));
      c.output(c.node('Concat', [tok, c.input('x', [B, N, C], randomData(r, B * N * C))], { axis: 1 }, 'cat'));
      cases.push(c);
    }
    await expectAllMatch('copies', cases);
  });
});
