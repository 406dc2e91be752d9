import { describe, expect, it } from 'vitest';
import { GraphBuilder, randomValues, tensorF32, tensorI64 } from '../../src/graph/builder.js';
import { inferShapes } from '../../src/graph/infer.js';
import { GraphError } from '../../src/graph/ir.js';

function smallCnn(batch = -1) {
  const b = new GraphBuilder();
  b.input('x', 'f32', [batch, 3, 8, 8]);
  b.init('w', tensorF32([4, 3, 3, 3], randomValues(108, 1)));
  b.init('bn_s', tensorF32([4]));
  b.init('bn_b', tensorF32([4]));
  b.init('bn_m', tensorF32([4]));
  b.init('bn_v', tensorF32([4]));
  b.init('fc_w', tensorF32([10, 4], randomValues(40, 2)));
  b.init('fc_b', tensorF32([10]));
  const c = b.node('Conv', ['x', 'w'], { pads: [1, 1, 1, 1], strides: [2, 2] }, 'conv0');
  const bn = b.node('BatchNormalization', [c, 'bn_s', 'bn_b', 'bn_m', 'bn_v'], {}, 'bn0');
  const r = b.node('Relu', [bn], {}, 'relu0');
  const p = b.node('GlobalAveragePool', [r], {}, 'gap');
  const f = b.node('Flatten', [p], {}, 'flat');
  const y = b.node('Gemm', [f, 'fc_w', 'fc_b'], { transB: 1 }, 'fc');
  b.output(y);
  return b.build();
}

describe('inferShapes', () => {
  it('infers every value, keeping the dynamic batch', () => {
    const infos = inferShapes(smallCnn());
    expect(infos.get('conv0_out')).toEqual({ name: 'conv0_out', dtype: 'f32', shape: [-1, 4, 4, 4] });
    expect(infos.get('fc_out')!.shape).toEqual([-1, 10]);
    expect(infos.get('fc_w')!.shape).toEqual([10, 4]);
    expect(infos.get('x')!.shape).toEqual([-1, 3, 8, 8]);
  });

  it('lets inputShapes pin the batch', () => {
    const infos = inferShapes(smallCnn(), { x: [5, 3, 8, 8] });
    expect(infos.get('fc_out')!.shape).toEqual([5, 10]);
    expect(infos.get('x')!.shape).toEqual([5, 3, 8, 8]);
  });

  it('rejects inputShapes that conflict with the declared shape', () => {
    expect(() => inferShapes(smallCnn(), { x: [5, 3, 9, 8] })).toThrowError(/conflicts/);
    expect(() => inferShapes(smallCnn(), { x: [5, 3, 8] })).toThrowError(/rank 3/);
    expect(() => inferShapes(smallCnn(), { nope: [1] })).toThrowError(/not a graph input/);
  });

  it('passes initializer values to rules (Gather bounds, Range length)', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [4, 2]);
    b.init('idx', tensorI64([1], [7]));
    b.node('Gather', ['x', 'idx'], {}, 'g');
    expect(() => inferShapes(b.build())).toThrowError(/Gather node 'g': index 7 is out of range/);

    const r = new GraphBuilder();
    r.init('s', tensorI64([], [0]));
    r.init('l', tensorI64([], [9]));
    r.init('d', tensorI64([], [2]));
    const out = r.node('Range', ['s', 'l', 'd'], {}, 'range');
    expect(inferShapes(r.build()).get(out)).toEqual({ name: out, dtype: 'i64', shape: [5] });
  });

  it('reports unknown inputs, unknown ops and rule failures with node and op', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 4]);
    b.node('Relu', ['missing'], {}, 'r1');
    expect(() => inferShapes(b.build())).toThrowError(/Relu node 'r1': unknown input 'missing'/);

    const u = new GraphBuilder();
    u.input('x', 'f32', [1, 4]);
    u.node('FancyOp', ['x'], {}, 'f1');
    const err = (() => {
      try {
        inferShapes(u.build());
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).nodeName).toBe('f1');
    expect((err as GraphError).op).toBe('FancyOp');
    expect((err as GraphError).message).toMatch(/unknown op 'FancyOp'/);

    const bad = new GraphBuilder();
    bad.input('x', 'f32', [1, 4]);
    bad.node('Split', ['x'], { axis: 1, split: [2, 2] }, 'sp', 3);
    expect(() => inferShapes(bad.build())).toThrowError(/Split node 'sp'/);
  });

  it('skips absent optional inputs and outputs', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 2, 5, 5]);
    b.init('w', tensorF32([3, 2, 3, 3]));
    const [y] = b.node('Conv', ['x', 'w', ''], {}, 'c', ['y']);
    const d = b.node('Dropout', [y!], {}, 'drop', ['z', '']);
    const infos = inferShapes(b.build());
    expect(infos.get(d[0]!)!.shape).toEqual([1, 3, 3, 3]);
    expect(infos.has('')).toBe(false);
  });
});
