import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    const results = await runCases(session, cases);
    expect(failures(results)).toEqual([]);
    // Both the same-shape and the broadcasting variants were exercised.
    const kernels = new Set(results.flatMap((x) => x.kernels));
    expect([...kernels].some((k) => k.endsWith('_bcast'))).toBe(true);
    expect([...kernels].some((k) => !k.endsWith('_bcast'))).toBe(true);
  });
});
