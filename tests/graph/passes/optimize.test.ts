import { describe, expect, it } from 'vitest';
import { OPTIMIZATIONS_OFF, optimize } from '../../../src/graph/passes/index.js';
import type { Graph } from '../../../src/graph/ir.js';
import { GraphBuilder, addBn, addConv, expectEquivalent, opsOf, randomInput, snapshot, tensorF32, uniform } from './helpers.js';

/** Seeded random small CNN mixing the patterns the passes target. Returns the graph and its number of pre-act BNs. */
function randomNet(seed: number): { graph: Graph; preActBns: number } {
  let s = seed * 1000;
  const next = () => ++s;
  const pick = (n: number) => Math.floor(((uniform(1, next())[0]! + 1) / 2) * n);
  const b = new GraphBuilder();
  b.input('x', 'f32', [2, 3, 8, 8]);
  let c = 4;
  let y = b.node('Relu', [addBn(b, addConv(b, 'x', 3, c, next()), c, next())]);
  let preActBns = 0;
  for (let block = 0; block < 4; block++) {
    switch (pick(5)) {
      case 0: {
        // post-activation residual block with stochastic depth scaling, maybe downsampling
        const down = pick(2) === 1;
        const c2 = down ? c * 2 : c;
        const a = b.node('Relu', [addBn(b, addConv(b, y, c, c2, next(), { strides: down ? 2 : 1, bias: false }), c2, next())]);
        let m = addBn(b, addConv(b, a, c2, c2, next(), { bias: false }), c2, next());
        const survival = b.init(`p${s}`, tensorF32([], [0.9]));
        m = b.node('Mul', [m, survival]);
        const sc = down ? addBn(b, addConv(b, y, c, c2, next(), { k: 1, pads: 0, strides: 2, bias: false }), c2, next()) : y;
        y = b.node('Relu', [b.node('Add', [m, sc])]);
        c = c2;
        break;
      }
      case 1: {
        // conv-bn-silu then dropout
        const t = addBn(b, addConv(b, y, c, c, next()), c, next());
        y = b.node('Dropout', [b.node('Mul', [t, b.node('Sigmoid', [t])])]);
        break;
      }
      case 2: {
        // pre-activation block: BN -> ReLU -> conv, residual after
        const t = addConv(b, b.node('Relu', [addBn(b, y, c, next())]), c, c, next());
        preActBns++;
        y = b.node('Add', [y, t]);
        break;
      }
      case 3: {
        // BN directly before a pad-free 1x1 conv (forward fold), then ReLU6
        const t = addConv(b, addBn(b, y, c, next()), c, c, next(), { k: 1, pads: 0 });
        y = b.node('Clip', [t], { min: 0, max: 6 });
        break;
      }
      default: {
        // depthwise conv + per-channel bias Add + LeakyRelu + Identity
        const biasName = b.init(`bias${s}`, tensorF32([c, 1, 1], uniform(c, next())));
        const t = b.node('Add', [addConv(b, y, c, c, next(), { group: c, bias: false }), biasName]);
        y = b.node('Identity', [b.node('LeakyRelu', [t], { alpha: 0.05 })]);
      }
    }
  }
  const pooled = b.node('Flatten', [b.node('GlobalAveragePool', [y])], { axis: 1 });
  b.init('fc_w', tensorF32([5, c], uniform(5 * c, next())));
  b.init('fc_b', tensorF32([5], uniform(5, next())));
  b.output(b.node('Dropout', [b.node('Gemm', [pooled, 'fc_w', 'fc_b'], { transB: 1 })], {}, 'logits'));
  return { graph: b.build(), preActBns };
}

describe('optimize', () => {
  it('preserves outputs on seeded random CNNs and removes what it should', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const { graph, preActBns } = randomNet(seed);
      const before = snapshot(graph);
      const out = optimize(graph);
      expect(snapshot(graph)).toBe(before);
      const ops = opsOf(out);
      expect(ops).not.toContain('Dropout');
      expect(ops).not.toContain('Identity');
      expect(ops).not.toContain('Mul');
      // Pre-activation BNs cannot fold (a nonlinearity before the conv): each becomes one FusedBatchNorm with it.
      expect(ops.filter((o) => o === 'BatchNormalization')).toHaveLength(0);
      expect(ops.filter((o) => o === 'FusedBatchNorm')).toHaveLength(preActBns);
      expect(ops.filter((o) => o === 'Relu' || o === 'Clip' || o === 'LeakyRelu').length).toBe(0);
      const unfusedBn = opsOf(optimize(graph, { fuseBatchNormActivation: false }));
      expect(unfusedBn.filter((o) => o === 'BatchNormalization')).toHaveLength(preActBns);
      expect(unfusedBn.filter((o) => o === 'Relu' || o === 'Clip' || o === 'LeakyRelu').length).toBe(preActBns);
      expect(out.outputs.map((o) => o.name)).toEqual(['logits_out']);
      expect(new Set(out.initializers.keys()).size).toBeLessThanOrEqual(graph.initializers.size);
      for (const name of out.initializers.keys()) expect(out.nodes.some((n) => n.inputs.includes(name))).toBe(true);
      expectEquivalent(out, graph, { x: randomInput([2, 3, 8, 8], seed) }, 1e-5);
    }
  });

  it('with OPTIMIZATIONS_OFF returns the graph unchanged; single passes can be switched off', () => {
    const { graph } = randomNet(3);
    expect(opsOf(optimize(graph, OPTIMIZATIONS_OFF))).toEqual(opsOf(graph));
    const noFusion = optimize(graph, { fuseEpilogue: false, fuseBatchNormActivation: false });
    expect(opsOf(noFusion).some((o) => o.startsWith('Fused'))).toBe(false);
    expect(opsOf(noFusion)).not.toContain('Dropout');
    const seen: string[] = [];
    optimize(graph, { foldBatchNormForward: false, onPass: (p) => seen.push(p) });
    expect(seen).not.toContain('foldBatchNormForward');
    expect(seen).toContain('fuseEpilogue');
  });
});
