/**
 * WebGPU ScatterND (constant indices) against the CPU reference: seeded shapes with k = 1..rank addressed dims,
 * negative and repeated indices (reduction 'none': the last update wins), the four reductions on distinct indices,
 * and the box MViT-V2 writes (`attn[:, :, 1:, 1:] += rel_pos` as torch exports it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebGPUKernelError } from '../../../src/backends/webgpu/program.js';
import { scatterNDKernel } from '../../../src/backends/webgpu/scatter_nd.js';
import { makeTensor } from '../../../src/graph/ir.js';
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

/** `rows` index tuples over the first k dims of `shape`; distinct unless `repeats`; some written negative. */
function indexTuples(r: () => number, shape: number[], k: number, rows: number, repeats: boolean): number[] {
  const taken = new Set<string>();
  const out: number[] = [];
  const slots = shape.slice(0, k).reduce((a, b) => a * b, 1);
  for (let j = 0; j < rows; j++) {
    let tuple: number[];
    do tuple = shape.slice(0, k).map((d) => randInt(r, 0, d - 1));
    while (!repeats && taken.has(tuple.join()) && taken.size < slots);
    taken.add(tuple.join());
    out.push(...tuple.map((v, d) => (r() < 0.25 ? v - shape[d]! : v)));
  }
  return out;
}

describe('WebGPU ScatterND with constant indices vs CPU reference', () => {
  it('k = 1..rank, repeated and negative indices, every reduction', async () => {
    const r = mulberry32(2201);
    const cases: NodeCase[] = [];
    const reductions = ['none', 'none', 'add', 'mul', 'max', 'min'];
    for (let i = 0; i < 30; i++) {
      const rank = randInt(r, 1, 4);
      const shape = Array.from({ length: rank }, () => randInt(r, 1, 6));
      const k = randInt(r, 1, rank);
      const slots = shape.slice(0, k).reduce((a, b) => a * b, 1);
      const reduction = reductions[i % reductions.length]!;
      const repeats = reduction === 'none' && i % 2 === 0;
      const rows = randInt(r, 1, repeats ? slots + 3 : slots);
      const values = indexTuples(r, shape, k, rows, repeats);
      cases.push({
        label: `ScatterND#${i} [${shape}] k ${k} rows ${rows} ${reduction}${repeats ? ' (repeats)' : ''}`,
        op: 'ScatterND',
        attrs: reduction === 'none' ? {} : { reduction },
        inputs: [{ shape }, { shape: [rows, k], kind: 'const', dtype: 'i64', values }, { shape: [rows, ...shape.slice(k)] }],
        seed: 2210 + i,
      });
    }
    // MViT-V2: attn [1, 2, 5, 5], attn[:, :, 1:, 1:] += rel, exported as ScatterND with every index of the box.
    const box: number[] = [];
    for (let h = 0; h < 2; h++) for (let a = 1; a < 5; a++) for (let b = 1; b < 5; b++) box.push(0, h, a, b);
    cases.push({
      label: 'ScatterND MViT box',
      op: 'ScatterND',
      attrs: {},
      inputs: [{ shape: [1, 2, 5, 5] }, { shape: [1, 2, 4, 4, 4], kind: 'const', dtype: 'i64', values: box }, { shape: [1, 2, 4, 4] }],
      seed: 2260,
    });
    const results = await runCases(session, cases);
    expect(failures(results, 0)).toEqual([]);
    expect(new Set(results.flatMap((c) => c.kernels))).toEqual(new Set(['scatter_copy', 'scatter_nd']));
  });

  it('runtime indices and a reduction over repeated indices are typed errors naming the node', () => {
    const node = { name: 'put', op: 'ScatterND', inputs: ['x', 'i', 'u'], outputs: ['y'], attrs: {} };
    const shapes = { inputShapes: [[4, 3], [2, 1], [2, 3]], outputShapes: [[4, 3]] };
    expect(() => scatterNDKernel({ node, ...shapes, constant: () => undefined })).toThrowError(/indices must be a constant/);
    const twice = makeTensor('i64', [2, 1], BigInt64Array.of(1n, 1n));
    const add = { ...node, attrs: { reduction: 'add' } };
    expect(() => scatterNDKernel({ node: add, ...shapes, constant: () => twice })).toThrowError(WebGPUKernelError);
    expect(() => scatterNDKernel({ node: add, ...shapes, constant: () => twice })).toThrowError(/repeated indices/);
  });
});
