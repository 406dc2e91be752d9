import { describe, expect, it } from 'vitest';
import { removeIdentityOps } from '../../../src/graph/passes/index.js';
import { GraphBuilder, addConv, expectEquivalent, opsOf, randomInput, snapshot } from './helpers.js';

describe('removeIdentityOps', () => {
  it('removes Dropout and Identity, keeps the graph output name, and computes the same outputs', () => {
    for (const seed of [1, 2, 3]) {
      const b = new GraphBuilder();
      b.input('x', 'f32', [1, 3, 6, 6]);
      let y = addConv(b, 'x', 3, 4, seed * 10);
      y = b.node('Dropout', [y]);
      y = b.node('Relu', [y]);
      y = b.node('Identity', [y]);
      const z = b.node('Identity', [y], {}, 'final');
      b.output(z);
      const g = b.build();
      const before = snapshot(g);
      const out = removeIdentityOps(g);
      expect(snapshot(g)).toBe(before);
      expect(opsOf(out)).toEqual(['Conv', 'Relu']);
      expect(out.outputs.map((o) => o.name)).toEqual(['final_out']);
      expect(out.nodes[1]!.outputs).toEqual(['final_out']);
      expectEquivalent(out, g, { x: randomInput([1, 3, 6, 6], seed) });
    }
  });

  it('keeps an Identity that copies a graph input (or another graph output) to a graph output', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [2, 3]);
    const r = b.node('Relu', ['x'], {}, 'r');
    const copyIn = b.node('Identity', ['x'], {}, 'copy_in');
    const copyOut = b.node('Identity', [r], {}, 'copy_out');
    b.output(r);
    b.output(copyIn);
    b.output(copyOut);
    const g = b.build();
    const out = removeIdentityOps(g);
    expect(opsOf(out)).toEqual(['Relu', 'Identity', 'Identity']);
    expectEquivalent(out, g, { x: randomInput([2, 3], 4) });
  });

  it('rewires consumers of a removed Identity that are not graph outputs', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [2, 5]);
    const i = b.node('Identity', ['x']);
    const a = b.node('Relu', [i]);
    const c = b.node('Add', [i, a]);
    b.output(c);
    const g = b.build();
    const out = removeIdentityOps(g);
    expect(opsOf(out)).toEqual(['Relu', 'Add']);
    expect(out.nodes[1]!.inputs[0]).toBe('x');
    expectEquivalent(out, g, { x: randomInput([2, 5], 9) });
  });
});
