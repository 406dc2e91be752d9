/**
 * Einsum lowered at import (src/import/onnx/einsum.ts): each equation, on seeded random inputs, against a direct
 * nested-loop einsum written here (independent of the lowering) and against onnxruntime-node on the same one-node
 * ONNX model; plus the node shapes of the lowering and the typed rejection of diagonals.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import type { Tensor } from '../../../src/graph/ir.js';
import { importOnnx, UnsupportedOpsError } from '../../../src/import/onnx/index.js';
import { rng } from '../../backends/cpu/helpers.js';
import { encodeModel, node, valueInfo } from './helpers.js';

const TOL = 1e-5;

function einsumModel(equation: string, shapes: number[][], opset = 12): Uint8Array {
  const names = shapes.map((_, i) => `x${i}`);
  return encodeModel({
    opset,
    nodes: [node('Einsum', names, ['y'], 'einsum0', [{ name: 'equation', type: 3, s: new TextEncoder().encode(equation) }])],
    inputs: shapes.map((s, i) => valueInfo(names[i]!, s)),
    outputs: [valueInfo('y', [])],
  });
}

/**
 * numpy.einsum by brute force: every assignment of every label, summing products into the output cell. "..." dims
 * are right-aligned across operands and broadcast where one side has 1; implicit output = labels used once, ASCII order.
 */
function directEinsum(equation: string, inputs: { shape: number[]; data: Float32Array }[]): { shape: number[]; data: Float64Array } {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs] = eq.includes('->') ? eq.split('->') : [eq, undefined];
  const terms = lhs!.split(',');
  const ell = Math.max(0, ...terms.map((t, i) => (t.includes('...') ? inputs[i]!.shape.length - (t.length - 3) : 0)));
  const ellLabels = Array.from({ length: ell }, (_, i) => String(i));
  const expand = (t: string, rank: number) => {
    if (!t.includes('...')) return [...t];
    const [pre, post] = t.split('...') as [string, string];
    const r = rank - pre.length - post.length;
    return [...pre, ...ellLabels.slice(ell - r), ...post];
  };
  const labels = terms.map((t, i) => expand(t, inputs[i]!.shape.length));
  let out: string[];
  if (rhs === undefined) {
    const all = labels.flat().filter((l) => !/\d/.test(l));
    out = [...ellLabels, ...[...new Set(all)].filter((l) => all.indexOf(l) === all.lastIndexOf(l)).sort()];
  } else out = expand(rhs, ell + rhs.replace('...', '').length);
  const size = new Map<string, number>();
  labels.forEach((ls, i) => ls.forEach((l, d) => size.set(l, Math.max(size.get(l) ?? 1, inputs[i]!.shape[d]!))));
  const all = [...size.keys()];
  const outShape = out.map((l) => size.get(l)!);
  const result = new Float64Array(outShape.reduce((a, b) => a * b, 1));
  const idx = new Map<string, number>(all.map((l) => [l, 0]));
  const offset = (shape: number[], ls: string[]) => ls.reduce((o, l, d) => o * shape[d]! + (shape[d] === 1 ? 0 : idx.get(l)!), 0);
  for (;;) {
    let p = 1;
    inputs.forEach((x, i) => (p *= x.data[offset(x.shape, labels[i]!)]!));
    result[offset(outShape, out)]! += p;
    let d = all.length - 1;
    for (; d >= 0; d--) {
      const l = all[d]!;
      if (idx.get(l)! + 1 < size.get(l)!) {
        idx.set(l, idx.get(l)! + 1);
        break;
      }
      idx.set(l, 0);
    }
    if (d < 0) break;
  }
  return { shape: outShape, data: result };
}

/** `ort: false`: onnxruntime-node rejects the model (its own limits, noted per case); the direct einsum still checks it. */
const CASES: { eq: string; shapes: number[][]; ort?: false }[] = [
  // MaxViT's two attention products (torch writes them with spaces and capitals).
  { eq: 'B G H I D, B G H J D -> B G H I J', shapes: [[2, 3, 2, 5, 4], [2, 3, 2, 7, 4]] },
  { eq: 'B G H I J, B G H J D -> B G H I D', shapes: [[2, 3, 2, 5, 7], [2, 3, 2, 7, 3]] },
  { eq: 'bij,bjk->bik', shapes: [[3, 5, 7], [3, 7, 4]] },
  { eq: 'bik,bjk->bij', shapes: [[3, 5, 7], [3, 6, 7]] },
  { eq: 'bki,bkj->bij', shapes: [[2, 7, 5], [2, 7, 3]] },
  { eq: 'bhqd,bhkd->bhqk', shapes: [[2, 3, 5, 4], [2, 3, 6, 4]] },
  { eq: 'ij,jk', shapes: [[3, 5], [5, 2]] },
  { eq: 'ij,kj->ik', shapes: [[3, 5], [4, 5]] },
  { eq: 'ij->ji', shapes: [[3, 5]] },
  { eq: 'ijk->kij', shapes: [[2, 3, 4]] },
  { eq: 'ij->i', shapes: [[3, 5]] },
  { eq: 'bchw,bkc->bkhw', shapes: [[2, 3, 4, 5], [2, 6, 3]] },
  { eq: 'bijk,bjkl->bil', shapes: [[2, 3, 4, 5], [2, 4, 5, 3]] },
  { eq: 'bij,bjk->bk', shapes: [[2, 3, 4], [2, 4, 5]] },
  { eq: 'bik,bkj->bij', shapes: [[2, 5, 1], [2, 1, 3]] }, // K = 1
  { eq: 'i,j->ij', shapes: [[3], [4]] }, // outer product: MatMul with K = 1
  { eq: 'ij,jk,kl->il', shapes: [[2, 3], [3, 4], [4, 5]] },
  { eq: '...ij,...jk->...ik', shapes: [[2, 1, 3, 4], [1, 5, 4, 6]] }, // ellipsis with broadcast batch dims
  // Ellipses of different ranks (numpy right-aligns them; onnxruntime: "Ellipsis represents incompatible dimensions").
  { eq: '...ij,...jk->...ik', shapes: [[2, 1, 3, 4], [5, 4, 6]], ort: false },
  { eq: '...ij->...ji', shapes: [[2, 3, 4]] },
  // Implicit output of mixed-case labels, ASCII order (onnxruntime fails on upper case in implicit mode).
  { eq: 'Ab,bC', shapes: [[3, 4], [4, 2]], ort: false },
  { eq: 'Ab,bC->AC', shapes: [[3, 4], [4, 2]] },
  { eq: 'bnd,dk->bnk', shapes: [[2, 7, 5], [5, 3]] }, // one side a 2-D weight
  { eq: 'bhid,bhjd->bhji', shapes: [[2, 3, 5, 4], [2, 3, 6, 4]] }, // operands swapped: no final Transpose
  { eq: 'ij,jk->ki', shapes: [[3, 5], [5, 2]] },
];

function random(shape: number[], seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('Einsum lowered at import', () => {
  for (const [ci, c] of CASES.entries()) {
    it(`"${c.eq}" ${c.shapes.map((s) => `[${s}]`).join(' x ')} matches a direct einsum and onnxruntime`, async () => {
      const bytes = einsumModel(c.eq, c.shapes);
      const data = c.shapes.map((s, i) => random(s, 100 * ci + i));
      const graph = importOnnx(bytes);
      expect(graph.nodes.some((n) => n.op === 'Einsum')).toBe(false);
      const feeds: Record<string, Tensor> = {};
      c.shapes.forEach((s, i) => (feeds[`x${i}`] = { dtype: 'f32', shape: s, data: data[i]! }));
      const y = new CpuExecutor(graph).run(feeds)['y']!;
      const ref = directEinsum(c.eq, c.shapes.map((s, i) => ({ shape: s, data: data[i]! })));
      expect([...y.shape]).toEqual(ref.shape);
      expect(maxAbs(y.data as Float32Array, ref.data)).toBeLessThan(TOL);
      if (c.ort === false) return;

      const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
      const ortFeeds: Record<string, ort.Tensor> = {};
      c.shapes.forEach((s, i) => (ortFeeds[`x${i}`] = new ort.Tensor('float32', data[i]!, s)));
      const o = (await session.run(ortFeeds))['y']!;
      expect([...o.dims]).toEqual(ref.shape);
      expect(maxAbs(y.data as Float32Array, o.data as Float32Array)).toBeLessThan(TOL);
    });
  }

  it("MaxViT's Q·Kᵀ becomes one Transpose (of K) and one MatMul; its attention·V one MatMul", () => {
    const ops = (eq: string, shapes: number[][]) => importOnnx(einsumModel(eq, shapes)).nodes.map((n) => n.op).filter((op) => op !== 'Identity');
    expect(ops('B G H I D, B G H J D -> B G H I J', [[1, 4, 2, 49, 32], [1, 4, 2, 49, 32]])).toEqual(['Transpose', 'MatMul']);
    expect(ops('B G H I J, B G H J D -> B G H I D', [[1, 4, 2, 49, 49], [1, 4, 2, 49, 32]])).toEqual(['MatMul']);
    // Output wants B's free label first: B·Aᵀ, one Transpose (of A) and no Transpose after the MatMul.
    expect(ops('bhid,bhjd->bhji', [[2, 3, 5, 4], [2, 3, 6, 4]])).toEqual(['Transpose', 'MatMul']);
  });

  it('works at opset 14 and 17 too', () => {
    for (const opset of [14, 17]) expect(importOnnx(einsumModel('bij,bjk->bik', [[2, 3, 4], [2, 4, 5]], opset)).nodes.some((n) => n.op === 'MatMul')).toBe(true);
  });

  it('rejects a repeated label within one operand (a diagonal) with an UnsupportedOpsError naming node and equation', () => {
    let err: unknown;
    try {
      importOnnx(einsumModel('ii->i', [[3, 3]]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedOpsError);
    expect(String((err as Error).message)).toMatch(/Einsum "ii->i".*einsum0/);
  });

  it('rejects malformed equations with an import error naming the node', () => {
    expect(() => importOnnx(einsumModel('ij,jk->ik', [[3, 4]]))).toThrow(/einsum0.*1 inputs/);
    expect(() => importOnnx(einsumModel('ijk->ij', [[3, 4]]))).toThrow(/einsum0.*rank 2/);
    expect(() => importOnnx(einsumModel('ij->iz', [[3, 4]]))).toThrow(/einsum0.*'z'/);
  });
});
