import { describe, expect, it } from 'vitest';
import { GraphBuilder, randomValues, tensorF32, tensorI64 } from '../../src/graph/builder.js';

describe('GraphBuilder', () => {
  it('builds a graph with inferred output infos', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 3, 8, 8]);
    b.init('w', tensorF32([4, 3, 3, 3]));
    const y = b.node('Conv', ['x', 'w'], { strides: [1, 1] }, 'conv0');
    expect(y).toBe('conv0_out');
    b.output(y);
    b.metadata({ labels: ['a'] });
    const g = b.build();
    expect(g.nodes).toEqual([{ name: 'conv0', op: 'Conv', inputs: ['x', 'w'], outputs: ['conv0_out'], attrs: { strides: [1, 1] } }]);
    expect(g.outputs).toEqual([{ name: 'conv0_out', dtype: 'f32', shape: [1, 4, 6, 6] }]);
    expect(g.initializers.get('w')!.shape).toEqual([4, 3, 3, 3]);
    expect(g.metadata.labels).toEqual(['a']);
  });

  it('names multi-output nodes and auto-names nodes', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [4]);
    expect(b.node('Split', ['x'], { split: [2, 2] }, 'sp', 2)).toEqual(['sp_out0', 'sp_out1']);
    const r = b.node('Relu', ['x']);
    expect(r).toMatch(/^relu_\d+_out$/);
  });

  it('still builds a broken graph (outputs left undeclared)', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [4]);
    b.output(b.node('Relu', ['missing'], {}, 'r'));
    expect(b.build().outputs).toEqual([{ name: 'r_out', dtype: 'f32', shape: [] }]);
  });

  it('tensor helpers and seeded values', () => {
    expect(Array.from(tensorI64([2], [3, -1]).data as BigInt64Array)).toEqual([3n, -1n]);
    const a = randomValues(100, 7);
    expect(Array.from(a)).toEqual(Array.from(randomValues(100, 7)));
    expect(Array.from(a)).not.toEqual(Array.from(randomValues(100, 8)));
    expect(a.every((v) => v >= -1 && v < 1)).toBe(true);
  });
});
