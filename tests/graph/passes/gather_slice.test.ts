/** gatherToSlice: a Gather of one constant index becomes a Slice (+ Reshape), same values; other Gathers stay. */
import { describe, expect, it } from 'vitest';
import { gatherToSlice, removeIdentityOps } from '../../../src/graph/passes/index.js';
import { GraphBuilder, expectEquivalent, opsOf, randomInput } from './helpers.js';

function gather(shape: number[], axis: number, indices: { shape: number[]; values: number[] }) {
  const b = new GraphBuilder();
  b.input('x', 'f32', shape);
  b.init('i', { dtype: 'i64', shape: indices.shape, data: BigInt64Array.from(indices.values.map(BigInt)) });
  b.node('Gather', ['x', 'i'], { axis }, 'g', ['y']);
  b.output('y');
  return b.build();
}

describe('gatherToSlice', () => {
  it.each<[string, number[], number, { shape: number[]; values: number[] }, string[]]>([
    ["Swin's qkv[1] (scalar index, axis 0)", [3, 4, 2, 5, 6], 0, { shape: [], values: [1] }, ['Slice', 'Reshape']],
    ["ViT's x[:, 0] (scalar, axis 1)", [1, 5, 8], 1, { shape: [], values: [0] }, ['Slice', 'Reshape']],
    ['a negative index, axis -1', [2, 3, 7], -1, { shape: [], values: [-2] }, ['Slice', 'Reshape']],
    ['indices of shape [1] keep the axis', [4, 6], 0, { shape: [1], values: [3] }, ['Slice']],
  ])('%s', (_, shape, axis, indices, ops) => {
    const g = gather(shape, axis, indices);
    const out = gatherToSlice(g);
    expect(opsOf(out)).toEqual(ops);
    expect(out.nodes[out.nodes.length - 1]!.outputs).toEqual(['y']);
    expectEquivalent(out, g, { x: randomInput(shape, 5) });
  });

  it('leaves several indices and runtime indices alone', () => {
    expect(opsOf(gatherToSlice(gather([4, 6], 0, { shape: [2], values: [0, 3] })))).toEqual(['Gather']);
    const b = new GraphBuilder();
    b.input('x', 'f32', [4, 6]);
    b.input('i', 'i64', []);
    b.node('Gather', ['x', 'i'], { axis: 0 }, 'g', ['y']);
    b.output('y');
    expect(opsOf(gatherToSlice(b.build()))).toEqual(['Gather']);
  });
});

describe('removeIdentityOps and Pad', () => {
  it('drops a Pad whose pads are all 0, keeps one that pads', () => {
    for (const [pads, ops] of [[[0, 0, 0, 0, 0, 0], ['Relu']], [[0, 1, 0, 0, 0, 0], ['Pad', 'Relu']]] as const) {
      const b = new GraphBuilder();
      b.input('x', 'f32', [2, 3, 4]);
      const p = b.node('Pad', ['x'], { pads: [...pads], mode: 'constant', value: 0 });
      b.node('Relu', [p], {}, 'r', ['y']);
      b.output('y');
      const g = b.build();
      const out = removeIdentityOps(g);
      expect(opsOf(out)).toEqual(ops);
      expectEquivalent(out, g, { x: randomInput([2, 3, 4], 1) });
    }
  });
});
