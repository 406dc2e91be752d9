import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../../src/node/browser_harness.js';
import { failures, runCases, runGraphCases, startTestBrowser, type GraphCase, type NodeCase } from '../../harness/browser.js';
import { mulberry32, randInt } from '../../harness/rng.js';

let session: BrowserSession;
beforeAll(async () => {
  session = await startTestBrowser();
});
afterAll(async () => {
  await session?.close();
});

function randomShape(r: () => number, rank: number): number[] {
  return Array.from({ length: rank }, () => randInt(r, 1, 6));
}

describe('WebGPU elementwise kernels vs CPU reference', () => {
  it('unary ops on random shapes', async () => {
    const r = mulberry32(1);
    const ops: [string, NodeCase['attrs']][] = [
      ['Relu', {}],
      ['LeakyRelu', { alpha: 0.1 }],
      ['Clip', { min: -0.3, max: 0.5 }],
      ['Clip', {}],
      ['Sigmoid', {}],
      ['HardSigmoid', { alpha: 0.3, beta: 0.4 }],
      ['HardSwish', {}],
      ['Tanh', {}],
      ['Sign', {}],
      ['Neg', {}],
      ['Abs', {}],
      ['Exp', {}],
      ['Floor', {}],
      ['Ceil', {}],
    ];
    const cases: NodeCase[] = ops.map(([op, attrs], i) => {
      const shape = randomShape(r, randInt(r, 1, 4));
      return { label: `${op}#${i} [${shape}]`, op, attrs, inputs: [{ shape, lo: -4, hi: 4 }], seed: 100 + i };
    });
    cases.push({ label: 'Sqrt', op: 'Sqrt', inputs: [{ shape: [3, 7], lo: 0.01, hi: 9 }], seed: 7 });
    cases.push({ label: 'Reciprocal', op: 'Reciprocal', inputs: [{ shape: [2, 5, 3], lo: 0.5, hi: 3 }], seed: 8 });
    cases.push({ label: 'Relu big (folded dispatch)', op: 'Relu', inputs: [{ shape: [65536 * 64 + 17] }], seed: 9 });
    const results = await runCases(session, cases);
    expect(results.length).toBe(cases.length);
    expect(failures(results)).toEqual([]);
  });

  it('binary ops with numpy broadcasting', async () => {
    const r = mulberry32(2);
    const cases: NodeCase[] = [];
    const ops = ['Add', 'Sub', 'Mul', 'Div', 'Min', 'Max'];
    for (let i = 0; i < 24; i++) {
      const op = ops[i % ops.length]!;
      const rank = randInt(r, 0, 5);
      const out = randomShape(r, rank);
      // Each input drops leading dims and sets random dims to 1.
      const mk = () => {
        const drop = randInt(r, 0, rank);
        return out.slice(drop).map((d) => (r() < 0.3 ? 1 : d));
      };
      const a = mk();
      const b = mk();
      const lo = op === 'Div' ? 0.5 : -2;
      cases.push({ label: `${op} [${a}] x [${b}]`, op, inputs: [{ shape: a, lo: -2, hi: 2 }, { shape: b, lo, hi: 2, kind: i % 2 ? 'const' : 'input' }], seed: 200 + i });
    }
    cases.push({ label: 'Add NCHW + per-channel', op: 'Add', inputs: [{ shape: [2, 16, 8, 8] }, { shape: [1, 16, 1, 1], kind: 'const' }], seed: 300 });
    cases.push({ label: 'Pow', op: 'Pow', inputs: [{ shape: [4, 5], lo: 0.1, hi: 3 }, { shape: [5], lo: -2, hi: 2 }], seed: 301 });
    // Ranks over the backend's 6 that coalesce to fewer dims (MViT-V2's relative-position sum is rank 8).
    cases.push({ label: 'Add rank 8 (MViT-V2)', op: 'Add', inputs: [{ shape: [1, 2, 2, 3, 3, 1, 4, 1] }, { shape: [1, 2, 2, 3, 3, 1, 1, 5] }], seed: 302 });
    cases.push({ label: 'Mul rank 7', op: 'Mul', inputs: [{ shape: [2, 3, 1, 2, 2, 3, 2] }, { shape: [3, 4, 1, 1, 1, 1], kind: 'const' }], seed: 303 });
    const results = await runCases(session, cases);
    expect(failures(results)).toEqual([]);
    // Both the same-shape and the broadcasting variants were exercised.
    const kernels = new Set(results.flatMap((x) => x.kernels));
    expect([...kernels].some((k) => k.endsWith('_bcast'))).toBe(true);
    expect([...kernels].some((k) => !k.endsWith('_bcast'))).toBe(true);
  });

  // Same-shape unary / binary / BatchNorm kernels run 4 elements per thread (vec4 accessors) and finish a partial last
  // vector element by element; BatchNorm takes the vec4 path only when its channel plane is a multiple of 4.
  it('vec4 paths: lengths with and without a scalar tail (total % 4 = 0..3), BatchNorm planes % 4 = 0 and != 0', async () => {
    const cases: NodeCase[] = [];
    [[4], [5], [6], [7], [2, 3, 5], [1], [3], [8, 9], [2, 4, 4, 4]].forEach((shape, i) => {
      cases.push({ label: `Relu [${shape}]`, op: 'Relu', inputs: [{ shape, lo: -2, hi: 2 }], seed: 400 + i });
      cases.push({ label: `HardSwish [${shape}]`, op: 'HardSwish', inputs: [{ shape, lo: -4, hi: 4 }], seed: 420 + i });
      cases.push({ label: `Add [${shape}]`, op: 'Add', inputs: [{ shape, lo: -2, hi: 2 }, { shape, lo: -2, hi: 2, kind: i % 2 ? 'const' : 'input' }], seed: 440 + i });
    });
    cases.push({ label: 'Max x3 [3,7] (variadic, in place)', op: 'Max', inputs: [{ shape: [3, 7] }, { shape: [3, 7] }, { shape: [3, 7] }], seed: 460 });
    cases.push({ label: 'Mean x3 [2,8]', op: 'Mean', inputs: [{ shape: [2, 8] }, { shape: [2, 8] }, { shape: [2, 8] }], seed: 461 });
    for (const [i, shape] of [[2, 3, 4, 5], [1, 5, 3, 3], [2, 3, 7], [1, 6, 2, 2, 2]].entries()) {
      const c = shape[1]!;
      cases.push({
        label: `BatchNormalization [${shape}]`,
        op: 'BatchNormalization',
        attrs: { epsilon: 1e-3 },
        inputs: [{ shape, lo: -3, hi: 3 }, { shape: [c], kind: 'const', lo: 0.5, hi: 2 }, { shape: [c], kind: 'const' }, { shape: [c], kind: 'const' }, { shape: [c], kind: 'const', lo: 0.1, hi: 2 }],
        seed: 470 + i,
      });
    }
    const results = await runCases(session, cases);
    expect(failures(results)).toEqual([]);
    for (const r of results) expect(r.maxAbs, r.label).toBeLessThan(1e-5);
    const kernels = new Set(results.flatMap((x) => x.kernels));
    expect(kernels.has('batchnorm_v4') && kernels.has('batchnorm')).toBe(true);
  });

  it('vec4 paths on views: Relu / Add / BatchNorm writing concat slices at offsets that are and are not multiples of 4', async () => {
    // Concat(Neg(a) [1,ca,h,w], f(b) [1,2,h,w], f(c) [1,4,h,w]) with f = Relu / Add / BatchNorm: with planes of 1×6 and
    // ca = 1, f's slices start at elements 6 and 18 (not vector-aligned: the binding stays scalar and x_at4 / y_set4
    // fall back to 4 scalar accesses); with ca = 2 at 12 and 24 (aligned: array<vec4> bindings); 2×2 planes run
    // BatchNorm's vec4 path.
    const graphs: GraphCase[] = [];
    const geometries: [number, number, number][] = [[1, 1, 6], [2, 1, 6], [1, 2, 2]];
    for (const [k, op] of ['Relu', 'Add', 'BatchNormalization'].entries())
      for (const [g, [ca, h, w]] of geometries.entries()) {
        const inputs: GraphCase['inputs'] = [
          { name: 'a', shape: [1, ca, h, w] },
          { name: 'b', shape: [1, 2, h, w] },
          { name: 'c', shape: [1, 4, h, w] },
        ];
        const nodes: GraphCase['nodes'] = [
          { name: 'pa', op: 'Neg', inputs: ['a'], outputs: ['na'], attrs: {} },
          { name: 'pb', op: 'Neg', inputs: ['b'], outputs: ['nb'], attrs: {} },
          { name: 'pc', op: 'Neg', inputs: ['c'], outputs: ['nc'], attrs: {} },
        ];
        const apply = (x: string, c: number, out: string) => {
          if (op === 'Relu') nodes.push({ name: `f_${out}`, op, inputs: [x], outputs: [out], attrs: {} });
          else if (op === 'Add') nodes.push({ name: `f_${out}`, op, inputs: [x, x], outputs: [out], attrs: {} });
          else {
            const p = ['s', 'o', 'm', 'v'].map((n) => `${n}_${out}`);
            p.forEach((name, j) => inputs.push({ name, shape: [c], kind: 'const', lo: j === 3 ? 0.1 : -1, hi: 2 }));
            nodes.push({ name: `f_${out}`, op, inputs: [x, ...p], outputs: [out], attrs: {} });
          }
        };
        apply('nb', 2, 'fb');
        apply('nc', 4, 'fc');
        nodes.push({ name: 'cat', op: 'Concat', inputs: ['na', 'fb', 'fc'], outputs: ['y'], attrs: { axis: 1 } });
        const base: GraphCase = { label: `${op} into concat slices, a [1,${ca},${h},${w}]`, nodes, inputs, outputs: ['y'], seed: 480 + 3 * k + g };
        graphs.push(base, { ...base, label: `${base.label} (views off)`, views: false });
      }
    const results = await runGraphCases(session, graphs);
    expect(failures(results)).toEqual([]);
    // With views the producers wrote straight into the slices (no Concat dispatch), so the offsets above were real.
    results.forEach((r, i) => expect((r.ops['Concat'] ?? 0) > 0, r.label).toBe(i % 2 === 1));
  });
});
