/**
 * Memory-plan views on WebGPU (Chromium): producers writing into channel slices of a Concat output at element
 * offsets that are not 256-byte aligned, Slice / Split outputs read in place, inputs shared between bindings,
 * variadic elementwise ops. Every graph runs with views on and off and must match the CPU executor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../../src/node/browser_harness.js';
import type { Node } from '../../../src/graph/ir.js';
import { failures, runGraphCases, startTestBrowser, type GraphCase, type GraphCaseResult } from '../../harness/browser.js';

let session: BrowserSession;
beforeAll(async () => {
  session = await startTestBrowser();
});
afterAll(async () => {
  await session?.close();
});

type Inputs = GraphCase['inputs'];

/** Builds graphs node by node, declaring constant weights as it goes. */
class Builder {
  nodes: Node[] = [];
  inputs: Inputs = [];
  private n = 0;
  input(name: string, shape: number[]): string {
    this.inputs.push({ name, shape });
    return name;
  }
  const(shape: number[], lo = -1, hi = 1): string {
    const name = `c${this.n++}`;
    this.inputs.push({ name, shape, kind: 'const', lo, hi });
    return name;
  }
  op(op: string, inputs: string[], attrs: Node['attrs'] = {}, outputs = 1): string[] {
    const k = this.n++;
    const outs = Array.from({ length: outputs }, (_, i) => `t${k}_${i}`);
    this.nodes.push({ name: `n${k}_${op}`, op, inputs, outputs: outs, attrs });
    return outs;
  }
  conv(x: string, cin: number, cout: number, k: number, extra: Node['attrs'] = {}): string {
    const p = k >> 1;
    return this.op('FusedConv', [x, this.const([cout, cin, k, k]), this.const([cout])], { kernel_shape: [k, k], pads: [p, p, p, p], activation: 'relu', ...extra })[0]!;
  }
  bnRelu(x: string, c: number): string {
    const bn = this.op('BatchNormalization', [x, this.const([c]), this.const([c]), this.const([c]), this.const([c], 0.5, 2)])[0]!;
    return this.op('Relu', [bn])[0]!;
  }
}

/** torchvision-style dense block: every layer reads concat(x0..xk) and the block ends with the full concat. */
function denseBlock(n: number, c0: number, growth: number, layers: number, hw: number): GraphCase {
  const b = new Builder();
  // x0 comes from a conv (as from a stem or transition): a graph input itself could not be written in place.
  const feats = [b.conv(b.input('x', [n, 3, hw, hw]), 3, c0, 3)];
  let c = c0;
  for (let l = 0; l < layers; l++) {
    const cat = feats.length === 1 ? feats[0]! : b.op('Concat', [...feats], { axis: 1 })[0]!;
    const h = b.conv(b.bnRelu(cat, c), c, 2 * growth, 1);
    feats.push(b.op('Conv', [b.bnRelu(h, 2 * growth), b.const([growth, 2 * growth, 3, 3])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })[0]!);
    c += growth;
  }
  const out = b.op('Concat', [...feats], { axis: 1 })[0]!;
  const y = b.op('GlobalAveragePool', [b.bnRelu(out, c)])[0]!;
  return { label: `dense block n${n} c0=${c0} k=${growth} L=${layers} ${hw}x${hw}`, nodes: b.nodes, inputs: b.inputs, outputs: [y, out], seed: c0 * 7 + growth };
}

/** Chained form x = concat(x, f(x)) (DenseNet-BC CIFAR exports). */
function chainedDense(c0: number, growth: number, layers: number, hw: number): GraphCase {
  const b = new Builder();
  let x = b.conv(b.input('x', [1, 2, hw, hw]), 2, c0, 3);
  let c = c0;
  for (let l = 0; l < layers; l++) {
    const f = b.conv(b.bnRelu(x, c), c, growth, 3);
    x = b.op('Concat', [x, f], { axis: 1 })[0]!;
    c += growth;
  }
  const y = b.op('Relu', [x])[0]!;
  return { label: `chained concat c0=${c0} k=${growth} L=${layers} ${hw}x${hw}`, nodes: b.nodes, inputs: b.inputs, outputs: [y], seed: 3 };
}

/** Ghost-module-like: a primary conv, a cheap depthwise op on it, both written into one concat; Split halves read in place. */
function ghostSplit(c: number, hw: number): GraphCase {
  const b = new Builder();
  const x = b.input('x', [1, 2 * c, hw, hw]);
  const [lo, hi] = b.op('Split', [x], { axis: 1, split: [c - 1, c + 1] }, 2) as [string, string];
  const p = b.conv(lo, c - 1, c, 3);
  const cheap = b.op('FusedConv', [p, b.const([c, 1, 3, 3]), b.const([c])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: c, activation: 'relu' })[0]!;
  const q = b.conv(hi, c + 1, 3, 1);
  const cat = b.op('Concat', [p, cheap, q], { axis: 1 })[0]!;
  const s = b.op('Slice', [cat], { starts: [1], ends: [c + 2], axes: [1] })[0]!;
  const added = b.op('Add', [s, b.op('Slice', [cat], { starts: [c], ends: [2 * c + 1], axes: [1] })[0]!])[0]!;
  const pooled = b.op('MaxPool', [cat], { kernel_shape: [2, 2], strides: [2, 2] })[0]!;
  return { label: `split/slice views + 3-way concat c=${c} ${hw}x${hw}`, nodes: b.nodes, inputs: b.inputs, outputs: [added, pooled], seed: 11 };
}

/** A concat with a graph input (copied) next to in-place producers, duplicated operands, variadic ops. */
function mixed(n: number): GraphCase {
  const b = new Builder();
  const x = b.input('x', [n, 5, 7, 7]);
  const a = b.conv(x, 5, 3, 3);
  const cat = b.op('Concat', [x, a, x], { axis: 1 })[0]!; // x twice and a graph input: copies
  const cat2 = b.op('Concat', [a, b.op('Sigmoid', [a])[0]!], { axis: 1 })[0]!;
  const sum = b.op('Sum', [cat2, cat2, b.op('Tanh', [cat2])[0]!, b.const([6, 1, 1])])[0]!;
  const mean = b.op('Mean', [a, b.const([3, 7, 1]), b.op('Neg', [a])[0]!])[0]!;
  const mx = b.op('Max', [a, b.const([1, 7])])[0]!;
  const sq = b.op('Mul', [mean, mean])[0]!;
  const one = b.op('Min', [mx])[0]!;
  return { label: `mixed concat / variadic n=${n}`, nodes: b.nodes, inputs: b.inputs, outputs: [cat, sum, sq, one], seed: 5 + n };
}

const CASES: GraphCase[] = [
  denseBlock(1, 16, 8, 4, 7), // 8 channels of 7x7 floats: 1568 bytes, slices start off the 256-byte grid
  denseBlock(1, 13, 5, 3, 6), // odd channel counts
  denseBlock(2, 8, 4, 3, 5), // batch 2: slices are strided, the plan falls back to copies
  chainedDense(6, 3, 5, 7),
  ghostSplit(5, 7),
  mixed(1),
  mixed(2),
];

describe('memory-plan views on WebGPU vs CPU reference', () => {
  let on: GraphCaseResult[] = [];
  let off: GraphCaseResult[] = [];
  beforeAll(async () => {
    on = await runGraphCases(session, CASES);
    off = await runGraphCases(session, CASES.map((c) => ({ ...c, label: `${c.label} (views off)`, views: false })));
  });

  it('every graph matches the CPU reference, with views and without', () => {
    expect(failures(on)).toEqual([]);
    expect(failures(off)).toEqual([]);
  });

  it('dense blocks at batch 1 run no Concat dispatch: producers write into their slices', () => {
    for (const i of [0, 1, 3]) {
      expect(on[i]!.ops['Concat'] ?? 0, on[i]!.label).toBe(0);
      expect(on[i]!.views['concat'] ?? 0, on[i]!.label).toBeGreaterThan(2);
      expect(off[i]!.ops['Concat'] ?? 0, off[i]!.label).toBeGreaterThan(0);
    }
    // Batch 2: channel slices are not dense blocks, so the executor's kernels (offset, no strides) copy instead.
    expect(on[2]!.ops['Concat'] ?? 0).toBeGreaterThan(0);
  });

  it('Split and channel Slice outputs are views (no dispatch) and the 3-way concat is in place', () => {
    const g = on[4]!;
    expect(g.ops['Split'] ?? 0).toBe(0);
    expect(g.ops['Slice'] ?? 0).toBe(0);
    expect(g.ops['Concat'] ?? 0).toBe(0);
    expect((g.views['split'] ?? 0) + (g.views['slice'] ?? 0)).toBe(4);
  });

  it('a concat with a graph input copies only what is not in place', () => {
    const g = on[5]!;
    // cat2 = [a, sigmoid(a)] is fully in place (elided). cat = [x, a, x]: x is a graph input (copied twice) and a
    // already lives in cat2 (copied): 3 copy dispatches.
    expect(g.ops['Concat']).toBe(3);
    expect(g.views['concat']).toBe(2);
  });
});
