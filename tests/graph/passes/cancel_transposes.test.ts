import { describe, expect, it } from 'vitest';
import { cancelTransposes, optimize } from '../../../src/graph/passes/index.js';
import type { Graph } from '../../../src/graph/ir.js';
import { GraphBuilder, addConv, expectEquivalent, opsOf, randomInput, snapshot, tensorF32, uniform } from './helpers.js';

const NCHW = [2, 3, 4, 5];
const TO_NHWC = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];

function check(g: Graph, ops: string[]): Graph {
  const before = snapshot(g);
  const out = cancelTransposes(g);
  expect(snapshot(g)).toBe(before);
  expect(opsOf(out)).toEqual(ops);
  expectEquivalent(out, g, { x: randomInput([...g.inputs[0]!.shape], 5) }); // bit-identical
  return out;
}

function start(shape = NCHW): GraphBuilder {
  const b = new GraphBuilder();
  b.input('x', 'f32', shape);
  return b;
}

describe('cancelTransposes', () => {
  it('removes an adjacent inverse pair (NCHW -> NHWC -> NCHW)', () => {
    const b = start();
    const t = b.node('Transpose', [b.node('Transpose', ['x'], { perm: TO_NHWC })], { perm: TO_NCHW });
    b.output(b.node('Relu', [t]));
    const out = check(b.build(), ['Relu']);
    expect(out.nodes[0]!.inputs).toEqual(['x']);
  });

  it('merges two Transposes into one with the composed permutation', () => {
    const b = start();
    b.output(b.node('Transpose', [b.node('Transpose', ['x'], { perm: TO_NHWC })], { perm: [1, 0, 2, 3] }));
    const out = check(b.build(), ['Transpose']);
    expect(out.nodes[0]!.attrs['perm']).toEqual([2, 0, 3, 1]);
  });

  it('cancels a chain of three, and default (reversed) permutations', () => {
    const b = start();
    const t1 = b.node('Transpose', ['x'], { perm: [1, 2, 3, 0] });
    const t2 = b.node('Transpose', [t1], { perm: [1, 2, 3, 0] });
    const t3 = b.node('Transpose', [t2], { perm: [0, 1, 3, 2] });
    const r = b.node('Transpose', [b.node('Transpose', [t3])]); // reversed twice
    b.output(b.node('Sigmoid', [r]));
    const g = b.build();
    // [1,2,3,0] twice = [2,3,0,1]; then swap the last two: [2,3,1,0] -- not the identity, one Transpose remains.
    const out = check(g, ['Transpose', 'Sigmoid']);
    expect(out.nodes[0]!.attrs['perm']).toEqual([2, 3, 1, 0]);
  });

  it('an identity Transpose goes; as a graph output its producer takes the name', () => {
    const b = start();
    b.output(b.node('Transpose', [b.node('Relu', ['x'])], { perm: [0, 1, 2, 3] }, 'tr', ['y'])[0]!);
    const out = check(b.build(), ['Relu']);
    expect(out.nodes[0]!.outputs).toEqual(['y']);
  });

  it('sinks through elementwise ops with per-channel constants: the NHWC island around a Conv disappears', () => {
    const b = start([1, 3, 6, 6]);
    const c = 4;
    const y = addConv(b, 'x', 3, c, 3);
    let h = b.node('Transpose', [y], { perm: TO_NHWC }); // tf2onnx: back to NHWC after the conv
    b.init('bias', tensorF32([c], uniform(c, 1)));
    b.init('scale', tensorF32([1, 1, 1, c], uniform(c, 2)));
    b.init('k', tensorF32([], [0.5]));
    h = b.node('Add', [h, 'bias']);
    h = b.node('Relu', [h]);
    h = b.node('Mul', ['scale', h]);
    h = b.node('Sub', [h, 'k']);
    h = b.node('Transpose', [h], { perm: TO_NCHW }); // and to NCHW before the next conv
    b.output(addConv(b, h, c, 2, 4));
    const g = b.build();
    const out = check(g, ['Conv', 'Add', 'Relu', 'Mul', 'Sub', 'Conv']);
    expect(out.initializers.get(out.nodes[1]!.inputs[1]!)!.shape).toEqual([1, c, 1, 1]);
    expect(out.initializers.get(out.nodes[3]!.inputs[0]!)!.shape).toEqual([1, c, 1, 1]);
    // and optimize then folds the per-channel arithmetic and fuses the Relu, as for an NCHW export
    expect(opsOf(optimize(g))).not.toContain('Transpose');
    expectEquivalent(optimize(g), g, { x: randomInput([1, 3, 6, 6], 9) }, 1e-6);
  });

  it('keeps a Transpose that a graph output or another node reads; composes the other reader', () => {
    const b = start();
    const t1 = b.node('Transpose', ['x'], { perm: TO_NHWC }, 't1', ['nhwc'])[0]!;
    b.output(t1);
    b.output(b.node('Relu', [b.node('Transpose', [t1], { perm: TO_NCHW })]));
    const out = check(b.build(), ['Transpose', 'Relu']);
    expect(out.nodes[1]!.inputs).toEqual(['x']);
  });

  it('does not move a chain across a shared first Transpose or a constant varying along two axes', () => {
    const shared = start();
    const t = shared.node('Transpose', ['x'], { perm: TO_NHWC });
    shared.output(shared.node('Transpose', [shared.node('Relu', [t])], { perm: TO_NCHW }));
    shared.output(shared.node('Sigmoid', [t]));
    const g1 = shared.build();
    expect(opsOf(cancelTransposes(g1))).toEqual(opsOf(g1));

    const twoAxes = start();
    twoAxes.init('c', tensorF32([5, 3], uniform(15, 3)));
    const a = twoAxes.node('Add', [twoAxes.node('Transpose', ['x'], { perm: TO_NHWC }), 'c']);
    twoAxes.output(twoAxes.node('Transpose', [a], { perm: TO_NCHW }));
    const g2 = twoAxes.build();
    expect(opsOf(cancelTransposes(g2))).toEqual(opsOf(g2));
  });

  it('leaves a lone Transpose to a graph output alone', () => {
    const b = start();
    b.output(b.node('Transpose', [b.node('Relu', ['x'])], { perm: TO_NHWC }));
    check(b.build(), ['Relu', 'Transpose']);
  });
});
