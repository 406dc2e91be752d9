import { describe, expect, it } from 'vitest';
import { removeDeadCode } from '../../../src/graph/passes/index.js';
import { GraphBuilder, addConv, expectEquivalent, opsOf, randomInput, snapshot, tensorF32 } from './helpers.js';

describe('removeDeadCode', () => {
  it('drops nodes that reach no output and initializers nobody reads', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 2, 4, 4]);
    const y = addConv(b, 'x', 2, 3, 1);
    const dead = addConv(b, y, 3, 3, 2); // unused branch
    b.node('Relu', [dead]);
    b.init('orphan', tensorF32([4], [1, 2, 3, 4]));
    b.output(b.node('Sigmoid', [y]));
    const g = b.build();
    const before = snapshot(g);
    const out = removeDeadCode(g);
    expect(snapshot(g)).toBe(before);
    expect(opsOf(out)).toEqual(['Conv', 'Sigmoid']);
    expect([...out.initializers.keys()].sort()).toEqual(['conv1_b', 'conv1_w']);
    expectEquivalent(out, g, { x: randomInput([1, 2, 4, 4], 3) });
  });

  it('keeps a multi-output node when any of its outputs is used', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 4, 2, 2]);
    const [p, q] = b.node('Split', ['x'], { axis: 1, split: [2, 2] }, 'split', 2) as [string, string];
    void q;
    b.output(b.node('Relu', [p]));
    const g = b.build();
    expect(opsOf(removeDeadCode(g))).toEqual(['Split', 'Relu']);
  });
});
