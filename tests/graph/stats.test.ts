import { describe, expect, it } from 'vitest';
import { GraphBuilder, tensorF32 } from '../../src/graph/builder.js';
import { inferShapes } from '../../src/graph/infer.js';
import { graphStats } from '../../src/graph/stats.js';

describe('graphStats', () => {
  it('counts conv, gemm and matmul MACs and parameters', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [2, 4, 8, 8]);
    b.init('w', tensorF32([6, 2, 3, 3])); // group 2: 2 input channels per group
    b.init('bias', tensorF32([6]));
    b.init('fc', tensorF32([10, 6]));
    b.init('m', tensorF32([10, 3]));
    const c = b.node('Conv', ['x', 'w', 'bias'], { group: 2, pads: [1, 1, 1, 1] }, 'conv');
    const p = b.node('GlobalAveragePool', [c], {}, 'gap');
    const f = b.node('Flatten', [p], {}, 'flat');
    const g = b.node('Gemm', [f, 'fc'], { transB: 1 }, 'fc');
    const mm = b.node('MatMul', [g, 'm'], {}, 'mm');
    b.output(mm);
    const graph = b.build();
    const stats = graphStats(graph, inferShapes(graph));
    const byName = Object.fromEntries(stats.rows.map((r) => [r.node, r]));
    // Conv: N 2 * Cout 6 * 8*8 outputs * (Cin 4 / group 2) * 3*3.
    expect(byName['conv']!.macs).toBe(2 * 6 * 64 * 2 * 9);
    expect(byName['conv']!.params).toBe(6 * 2 * 9 + 6);
    expect(byName['conv']!.outputShape).toEqual([2, 6, 8, 8]);
    expect(byName['fc']!.macs).toBe(2 * 10 * 6);
    expect(byName['mm']!.macs).toBe(2 * 3 * 10);
    expect(byName['gap']!.macs).toBe(0);
    expect(stats.totals.params).toBe(6 * 2 * 9 + 6 + 60 + 30);
    expect(stats.totals.macs).toBe(2 * 6 * 64 * 2 * 9 + 120 + 60);
  });

  it('counts shared weights once and treats a dynamic batch as 1', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [-1, 3]);
    b.init('w', tensorF32([3, 3]));
    const y1 = b.node('MatMul', ['x', 'w'], {}, 'm1');
    const y2 = b.node('MatMul', [y1, 'w'], {}, 'm2');
    b.output(y2);
    const graph = b.build();
    const stats = graphStats(graph, inferShapes(graph));
    expect(stats.rows.map((r) => r.params)).toEqual([9, 0]);
    expect(stats.totals.macs).toBe(9 + 9);
  });

  it('counts FusedConv like Conv', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 3, 5, 5]);
    b.init('w', tensorF32([4, 3, 3, 3]));
    b.output(b.node('FusedConv', ['x', 'w'], { activation: 'relu' }, 'fc0'));
    const graph = b.build();
    // 1 * 4 * (3*3 outputs) * 3 * (3*3)
    expect(graphStats(graph, inferShapes(graph)).totals).toEqual({ params: 108, macs: 4 * 9 * 3 * 9 });
  });
});
