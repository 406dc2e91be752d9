/**
 * channelsLastToNchw: ConvNeXt's channels-last islands (Transpose → LayerNorm / Linear / per-channel ops → Transpose
 * back) rewritten in NCHW without the Transposes, same values on the CPU; look-alikes left as they are.
 */
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../../src/graph/ir.js';
import { channelsLastToNchw, optimize } from '../../../src/graph/passes/index.js';
import { GraphBuilder, expectEquivalent, opsOf, randomInput, snapshot, tensorF32, uniform } from './helpers.js';

interface Spec {
  n: number;
  c: number;
  hw: [number, number];
  hidden: number;
  transB?: boolean;
  /** break the island: 'reshape' (a Reshape to another shape), 'shared' (the LN output read twice), 'transA' */
  breakWith?: 'reshape' | 'shared' | 'transA' | 'row-bias';
}

/** x NCHW -> ConvNeXt block body (LN, Linear + GELU, Linear, layer scale) in channels-last -> + x. */
function block(spec: Spec): Graph {
  const { n, c, hw, hidden } = spec;
  const [h, w] = hw;
  const p = n * h * w;
  const b = new GraphBuilder();
  b.input('x', 'f32', [n, c, h, w]);
  const t = b.node('Transpose', ['x'], { perm: [0, 2, 3, 1] });
  b.init('g', tensorF32([c], uniform(c, 1, 0.5, 1.5)));
  b.init('beta', tensorF32([c], uniform(c, 2)));
  const ln = b.node('LayerNormalization', [t, 'g', 'beta'], { axis: -1, epsilon: 1e-6 });
  const flat = b.node('Reshape', [ln], { shape: spec.breakWith === 'reshape' ? [p * c] : [p, c] });
  b.init('w1', tensorF32([c, hidden], uniform(c * hidden, 3, -0.3, 0.3)));
  b.init('b1', tensorF32([hidden], uniform(hidden, 4)));
  const g1 = spec.breakWith === 'transA'
    ? b.node('Gemm', [b.node('Transpose', [flat], { perm: [1, 0] }), 'w1'], { transA: 1 })
    : b.node('Gemm', [flat, 'w1']);
  const a1 = b.node('Add', [g1, 'b1']);
  const act = b.node('Gelu', [a1], { approximate: 'none' });
  const back = b.node('Reshape', [act], { shape: [n, h, w, hidden] });
  const flat2 = b.node('Reshape', [back], { shape: [p, hidden] });
  b.init('w2', spec.transB ? tensorF32([c, hidden], uniform(c * hidden, 5, -0.3, 0.3)) : tensorF32([hidden, c], uniform(c * hidden, 5, -0.3, 0.3)));
  b.init('b2', spec.breakWith === 'row-bias' ? tensorF32([p, c], uniform(p * c, 6)) : tensorF32([c], uniform(c, 6)));
  const g2 = b.node('Gemm', [flat2, 'w2', 'b2'], { transB: spec.transB ? 1 : 0, alpha: 0.5, beta: 2 });
  const back2 = b.node('Reshape', [g2], { shape: [n, h, w, c] });
  const t2 = b.node('Transpose', [back2], { perm: [0, 3, 1, 2] });
  b.init('gamma', tensorF32([c, 1, 1], uniform(c, 7, 0.1, 0.2)));
  const scaled = b.node('Mul', [t2, 'gamma']);
  b.node('Add', [scaled, 'x'], {}, 'res', ['y']);
  if (spec.breakWith === 'shared') b.node('Relu', [ln], {}, 'leak', ['z']);
  b.output('y');
  if (spec.breakWith === 'shared') b.output('z');
  return b.build();
}

describe('channelsLastToNchw', () => {
  it.each<[string, Spec]>([
    ['ConvNeXt block: LN, Linear (+ bias Add, GELU), Linear (alpha, beta, bias)', { n: 1, c: 8, hw: [5, 7], hidden: 32 }],
    ['batch 2, odd channels, transB weights', { n: 2, c: 5, hw: [3, 3], hidden: 11, transB: true }],
  ])('%s -> no Transpose, ChannelLayerNorm + 1x1 convs, same values on the CPU', (_, spec) => {
    const g = block(spec);
    const before = snapshot(g);
    const out = channelsLastToNchw(g);
    expect(snapshot(g)).toBe(before);
    expect(opsOf(out)).toEqual(['ChannelLayerNorm', 'Conv', 'Add', 'Gelu', 'Conv', 'Mul', 'Add']);
    const x = { x: randomInput([spec.n, spec.c, ...spec.hw], 11) };
    expectEquivalent(out, g, x, 1e-6);
    // and through optimize(): layer scale folded into the second conv, GELU and the residual fused
    const opt = optimize(g);
    expect(opsOf(opt)).toEqual(['ChannelLayerNorm', 'FusedConv', 'FusedConv']);
    expectEquivalent(opt, g, x, 1e-6);
  });

  it('an island of only LayerNorm (ConvNeXt LayerNorm2d) becomes one ChannelLayerNorm, bit-identical', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [2, 6, 4, 3]);
    b.init('g', tensorF32([6], uniform(6, 1, 0.5, 1.5)));
    const t = b.node('Transpose', ['x'], { perm: [0, 2, 3, 1] });
    const ln = b.node('LayerNormalization', [t, 'g'], { axis: -1, epsilon: 1e-6 });
    b.node('Transpose', [ln], { perm: [0, 3, 1, 2] }, 'back', ['y']);
    b.output('y');
    const g = b.build();
    const out = channelsLastToNchw(g);
    expect(opsOf(out)).toEqual(['ChannelLayerNorm']);
    expect(out.nodes[0]!.outputs).toEqual(['y']);
    expectEquivalent(out, g, { x: randomInput([2, 6, 4, 3], 3) });
  });

  it.each<Spec['breakWith']>(['reshape', 'shared', 'transA', 'row-bias'])('leaves the island alone when broken by %s', (breakWith) => {
    const g = block({ n: 1, c: 4, hw: [2, 3], hidden: 8, breakWith });
    expect(opsOf(channelsLastToNchw(g))).toEqual(opsOf(g));
  });
});
