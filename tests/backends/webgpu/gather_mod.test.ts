/**
 * WebGPU Gather (constant indices), Mod (fmod 0 / 1), CumSum and the rank-5/6 layout ops of Swin's window partition
 * (Transpose, stepped Slice) against the CPU reference, on seeded random shapes with odd sizes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatherKernel } from '../../../src/backends/webgpu/gather.js';
import { WebGPUKernelError } from '../../../src/backends/webgpu/program.js';
import type { BrowserSession } from '../../../src/node/browser_harness.js';
import { failures, runCases, startTestBrowser, type NodeCase } from '../../harness/browser.js';
import { mulberry32, randInt } from '../../harness/rng.js';

let session: BrowserSession;
beforeAll(async () => {
  session = await startTestBrowser();
});
afterAll(async () => {
  await session?.close();
});

const shapeOf = (r: () => number, rank: number, lo = 1, hi = 5) => Array.from({ length: rank }, () => randInt(r, lo, hi));

describe('WebGPU Gather with constant indices vs CPU reference', () => {
  it('scalar, ranges, stepped, arbitrary (negative, repeated) and 2-D indices on every axis', async () => {
    const r = mulberry32(1601);
    const cases: NodeCase[] = [];
    for (let i = 0; i < 24; i++) {
      const rank = randInt(r, 1, 4);
      const shape = shapeOf(r, rank, 1, 6);
      const axisPos = randInt(r, 0, rank - 1);
      const axis = r() < 0.3 ? axisPos - rank : axisPos;
      const dim = shape[axisPos]!;
      const kind = i % 4;
      let values: number[];
      let idxShape: number[];
      if (kind === 0) {
        values = [randInt(r, -dim, dim - 1)];
        idxShape = [];
      } else if (kind === 1) {
        const start = randInt(r, 0, dim - 1);
        values = Array.from({ length: randInt(r, 1, dim - start) }, (_, k) => start + k);
        idxShape = [values.length];
      } else if (kind === 2) {
        values = Array.from({ length: randInt(r, 1, 5) }, () => randInt(r, -dim, dim - 1));
        idxShape = [values.length];
      } else {
        idxShape = [randInt(r, 1, 3), randInt(r, 1, 3)];
        values = Array.from({ length: idxShape[0]! * idxShape[1]! }, () => randInt(r, -dim, dim - 1));
      }
      cases.push({
        label: `Gather#${i} [${shape}] axis ${axis} indices [${idxShape}] = ${values}`,
        op: 'Gather',
        attrs: { axis },
        inputs: [{ shape }, { shape: idxShape, kind: 'const', dtype: 'i64', values }],
        seed: 1610 + i,
      });
    }
    // ViT's class token x[:, 0] and Swin's qkv[0] (the strided path), and a stepped progression 4, 2, 0.
    cases.push({ label: 'Gather class token', op: 'Gather', attrs: { axis: 1 }, inputs: [{ shape: [1, 7, 12] }, { shape: [], kind: 'const', dtype: 'i64', values: [0] }], seed: 1650 });
    cases.push({ label: 'Gather qkv[2]', op: 'Gather', attrs: { axis: 0 }, inputs: [{ shape: [3, 2, 3, 5, 4] }, { shape: [], kind: 'const', dtype: 'i64', values: [-1] }], seed: 1651 });
    cases.push({ label: 'Gather stepped', op: 'Gather', attrs: { axis: 2 }, inputs: [{ shape: [2, 3, 5, 3] }, { shape: [3], kind: 'const', dtype: 'i64', values: [4, 2, 0] }], seed: 1652 });
    const results = await runCases(session, cases);
    expect(failures(results, 0)).toEqual([]);
    const kernels = new Set(results.flatMap((c) => c.kernels));
    expect(kernels).toEqual(new Set(['gather', 'gather_strided']));
  });

  it('runtime indices are a typed error naming the node (the backend never produces integer tensors)', () => {
    const node = { name: 'pick', op: 'Gather', inputs: ['x', 'i'], outputs: ['y'], attrs: { axis: 0 } };
    const ctx = { node, inputShapes: [[4, 3], [2]], outputShapes: [[2, 3]], constant: () => undefined };
    expect(() => gatherKernel(ctx)).toThrowError(WebGPUKernelError);
    expect(() => gatherKernel(ctx)).toThrowError(/indices must be a constant/);
  });
});

describe('WebGPU Mod vs CPU reference', () => {
  it('fmod 0 (divisor sign) and fmod 1 (dividend sign), broadcasting, negative divisors', async () => {
    const r = mulberry32(1701);
    const cases: NodeCase[] = [];
    for (let i = 0; i < 16; i++) {
      const rank = randInt(r, 1, 4);
      const a = shapeOf(r, rank, 1, 7);
      const b = a.slice(randInt(r, 0, rank - 1)).map((d) => (r() < 0.3 ? 1 : d));
      const fmod = i % 2;
      const negative = (i >> 1) % 2 === 1;
      cases.push({
        label: `Mod#${i} [${a}] % [${b}] fmod ${fmod}${negative ? ' b<0' : ''}`,
        op: 'Mod',
        attrs: { fmod },
        inputs: [{ shape: a, lo: -6, hi: 6 }, { shape: b, kind: i % 3 ? 'input' : 'const', lo: negative ? -2 : 0.3, hi: negative ? -0.3 : 2 }],
        seed: 1710 + i,
      });
    }
    expect(failures(await runCases(session, cases))).toEqual([]);
  });
});

describe('WebGPU CumSum vs CPU reference', () => {
  it('every axis, exclusive, reverse, odd sizes', async () => {
    const r = mulberry32(1751);
    const cases: NodeCase[] = [];
    for (let i = 0; i < 12; i++) {
      const rank = randInt(r, 1, 4);
      const shape = shapeOf(r, rank, 1, 9);
      const axis = randInt(r, -rank, rank - 1);
      const attrs = { axis, exclusive: i % 2, reverse: (i >> 1) % 2 };
      cases.push({ label: `CumSum#${i} [${shape}] ${JSON.stringify(attrs)}`, op: 'CumSum', attrs, inputs: [{ shape }], seed: 1760 + i });
    }
    expect(failures(await runCases(session, cases))).toEqual([]);
  });
});

describe("WebGPU rank-5/6 layout ops of Swin's window partition vs CPU reference", () => {
  it('rank-6 Transpose and stepped rank-5/6 Slices (the roll as Slice + Concat)', async () => {
    const r = mulberry32(1801);
    const cases: NodeCase[] = [];
    // torchvision: x.view(B, H/w, w, W/w, w, C).permute(0, 1, 3, 2, 4, 5) and its inverse.
    cases.push({ label: 'Transpose window partition', op: 'Transpose', attrs: { perm: [0, 1, 3, 2, 4, 5] }, inputs: [{ shape: [1, 3, 2, 3, 2, 5] }], seed: 1810 });
    for (let i = 0; i < 6; i++) {
      const perm = [0, 1, 2, 3, 4, 5].sort(() => r() - 0.5);
      cases.push({ label: `Transpose rank 6 perm ${perm}`, op: 'Transpose', attrs: { perm }, inputs: [{ shape: shapeOf(r, 6, 1, 4) }], seed: 1820 + i });
    }
    for (let i = 0; i < 8; i++) {
      const rank = 5 + (i % 2);
      const shape = shapeOf(r, rank, 2, 5);
      const axes = [randInt(r, 0, rank - 1), randInt(r, 0, rank - 1)].filter((a, k, all) => all.indexOf(a) === k);
      const steps = axes.map(() => [1, 2, -1, -2, 3][randInt(r, 0, 4)]!);
      const starts = axes.map((_, k) => (steps[k]! > 0 ? randInt(r, -2, 1) : -1));
      const ends = axes.map((_, k) => (steps[k]! > 0 ? 9999 : -9999));
      cases.push({ label: `Slice rank ${rank} axes ${axes} steps ${steps}`, op: 'Slice', attrs: { starts, ends, axes, steps }, inputs: [{ shape }], seed: 1840 + i });
    }
    expect(failures(await runCases(session, cases), 0)).toEqual([]);
  });
});
