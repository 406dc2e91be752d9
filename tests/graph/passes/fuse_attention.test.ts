/**
 * fuseAttention: the scaled dot-product attention patterns of torchvision's ViT, Swin and MaxViT exports become one
 * Attention node that computes the same values on the CPU (bit for bit where the pass only regroups the reference
 * kernels), and near-misses stay as they are.
 */
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../../src/graph/ir.js';
import { fuseAttention, optimize } from '../../../src/graph/passes/index.js';
import { GraphBuilder, expectEquivalent, opsOf, randomInput, snapshot, tensorF32, uniform } from './helpers.js';

interface Spec {
  batch: number[];
  n: number;
  m: number;
  d: number;
  dv: number;
  /** K given as [.., M, D] and transposed in the graph (ViT/Swin) or already [.., D, M] */
  transposeK?: boolean;
  scale?: { op: 'Mul' | 'Div'; value: number };
  /** a constant relative-position bias added to S (shape), or a runtime one (an input) */
  bias?: number[];
  runtimeBias?: number[];
  /** Swin's mask: S viewed as [B, nW, nH, N, M] + constant [1, nW, 1, N, M], viewed back */
  swinMask?: { nW: number; nH: number };
}

function attention(spec: Spec): { graph: Graph; inputs: Record<string, number[]> } {
  const b = new GraphBuilder();
  const { batch, n, m, d, dv } = spec;
  const shapes: Record<string, number[]> = { q: [...batch, n, d], k: spec.transposeK ? [...batch, m, d] : [...batch, d, m], v: [...batch, m, dv] };
  for (const [name, shape] of Object.entries(shapes)) b.input(name, 'f32', shape);
  const r = batch.length + 2;
  const kt = spec.transposeK ? b.node('Transpose', ['k'], { perm: [...Array(r - 2).keys(), r - 1, r - 2] }) : 'k';
  let s = b.node('MatMul', ['q', kt]);
  if (spec.scale) {
    b.init('c', tensorF32([], [spec.scale.value]));
    s = b.node(spec.scale.op, [s, 'c']);
  }
  if (spec.bias) {
    b.init('bias', tensorF32(spec.bias, uniform(spec.bias.reduce((a, x) => a * x, 1), 7)));
    s = b.node('Add', ['bias', s]);
  }
  if (spec.runtimeBias) {
    b.input('rb', 'f32', spec.runtimeBias);
    shapes['rb'] = spec.runtimeBias;
    s = b.node('Add', [s, 'rb']);
  }
  if (spec.swinMask) {
    const { nW, nH } = spec.swinMask;
    const mask = new Float32Array(nW * n * m).map((_, i) => ((i * 7919) % 5 === 0 ? -100 : 0));
    b.init('mask', tensorF32([1, nW, 1, n, m], mask));
    // the IR's Reshape carries its target as an attribute (the importer folds the shape input)
    s = b.node('Reshape', [b.node('Add', [b.node('Reshape', [s], { shape: [1, nW, nH, n, m] }), 'mask'])], { shape: [nW, nH, n, m] });
  }
  const p = b.node('Softmax', [s], { axis: -1 });
  b.node('MatMul', [p, 'v'], {}, 'pv', ['y']);
  b.output('y');
  return { graph: b.build(), inputs: shapes };
}

const feeds = (shapes: Record<string, number[]>, seed: number) =>
  Object.fromEntries(Object.entries(shapes).map(([k, s], i) => [k, randomInput(s, seed * 10 + i)]));

describe('fuseAttention', () => {
  it.each<[string, Spec, number]>([
    ['ViT: [B, H] batch, K transposed in the graph, no scale (q pre-divided)', { batch: [1, 3], n: 17, m: 17, d: 8, dv: 8, transposeK: true }, 0],
    ['Mul scale + constant relative bias [H, N, M], K already [D, M]', { batch: [2, 3], n: 7, m: 9, d: 5, dv: 6, scale: { op: 'Mul', value: 0.125 }, bias: [3, 7, 9] }, 0],
    ['Div scale (becomes a Mul by 1/c) and a runtime bias [B, 1, 1, M]', { batch: [2, 3], n: 5, m: 11, d: 4, dv: 3, scale: { op: 'Div', value: 3 }, runtimeBias: [2, 1, 1, 11] }, 1e-6],
    ['Swin: relative bias [1, nH, N, N] + the shifted-window mask on a [1, nW, nH, N, N] view', { batch: [4, 3], n: 9, m: 9, d: 4, dv: 4, transposeK: true, bias: [1, 3, 9, 9], swinMask: { nW: 4, nH: 3 } }, 1e-6],
    ['MaxViT-like 5-D: [B, G, H] batch dims', { batch: [1, 4, 2], n: 6, m: 6, d: 3, dv: 3, bias: [2, 6, 6] }, 0],
  ])('%s -> one Attention node, same values on the CPU', (_, spec, tol) => {
    const { graph, inputs } = attention(spec);
    const before = snapshot(graph);
    const out = fuseAttention(graph);
    expect(snapshot(graph)).toBe(before);
    expect(opsOf(out)).toEqual(['Attention']);
    const att = out.nodes[0]!;
    expect(att.attrs['k_layout']).toBe(spec.transposeK ? 'k' : 'kt');
    expect(att.inputs.length).toBe(spec.bias || spec.runtimeBias ? 4 : 3);
    for (const seed of [1, 2]) expectEquivalent(out, graph, feeds(inputs, seed), tol);
  });

  it('optimize() runs it (the mask folds into one bias constant)', () => {
    const { graph } = attention({ batch: [4, 3], n: 9, m: 9, d: 4, dv: 4, transposeK: true, bias: [1, 3, 9, 9], swinMask: { nW: 4, nH: 3 } });
    const out = optimize(graph);
    expect(opsOf(out)).toEqual(['Attention']);
    expect(out.initializers.has('mask')).toBe(false); // folded into the one bias
    expect(out.nodes[0]!.inputs.length).toBe(4);
    expect(opsOf(optimize(graph, { fuseAttention: false }))).toContain('Softmax');
  });

  it('leaves near-misses alone: softmax on another axis, probabilities read elsewhere, P as the second MatMul operand', () => {
    const axis = attention({ batch: [2], n: 4, m: 4, d: 3, dv: 3 }).graph;
    axis.nodes.find((x) => x.op === 'Softmax')!.attrs['axis'] = 1;
    expect(opsOf(fuseAttention(axis))).toContain('Softmax');

    const shared = attention({ batch: [2], n: 4, m: 4, d: 3, dv: 3 }).graph;
    const p = shared.nodes.find((x) => x.op === 'Softmax')!.outputs[0]!;
    shared.outputs.push({ name: p, dtype: 'f32', shape: [2, 4, 4] });
    expect(opsOf(fuseAttention(shared))).toContain('Softmax');

    const swapped = attention({ batch: [2], n: 4, m: 4, d: 4, dv: 4 }).graph;
    const pv = swapped.nodes.find((x) => x.name === 'pv')!;
    pv.inputs = [...pv.inputs].reverse();
    expect(opsOf(fuseAttention(swapped))).toContain('Softmax');
  });
});
