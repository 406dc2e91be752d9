/** WebGPU-only graph lowering (src/backends/webgpu/lower.ts), checked on the CPU reference: same results. */
import { describe, expect, it } from 'vitest';
import { subsampleStridedPointwise } from '../../../src/backends/webgpu/lower.js';
import type { Graph } from '../../../src/graph/ir.js';
import { optimize } from '../../../src/graph/passes/index.js';
import { GraphBuilder, addBn, addConv, expectEquivalent, randomInput, snapshot } from '../../graph/passes/helpers.js';

const ops = (g: Graph) => g.nodes.map((n) => n.op);

describe('subsampleStridedPointwise', () => {
  it('turns a stride-2 1x1 conv into Slice(steps 2) + stride-1 conv, bit-exact on the CPU (odd sizes)', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [2, 5, 7, 9]);
    b.output(addConv(b, 'x', 5, 6, 1, { k: 1, pads: 0, strides: 2 }));
    const g = b.build();
    const before = snapshot(g);
    const low = subsampleStridedPointwise(g);
    expect(snapshot(g)).toBe(before); // input graph untouched
    expect(ops(low)).toEqual(['Slice', 'Conv']);
    const slice = low.nodes[0]!;
    expect(slice.attrs['steps']).toEqual([2, 2]);
    expect(low.nodes[1]!.attrs['strides']).toEqual([1, 1]);
    expect(low.nodes[1]!.inputs[0]).toBe(slice.outputs[0]);
    expectEquivalent(low, g, { x: randomInput([2, 5, 7, 9], 11) });
  });

  it('keeps a fused projection shortcut (FusedConv with residual and ReLU) exact', () => {
    // ResNet downsample block: relu(bn(conv3x3 s2(x)) + bn(conv1x1 s2(x))), optimised into FusedConvs.
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 6, 9, 9]);
    const main = addBn(b, addConv(b, 'x', 6, 8, 2, { k: 3, pads: 1, strides: 2, bias: false }), 8, 4);
    const short = addBn(b, addConv(b, 'x', 6, 8, 6, { k: 1, pads: 0, strides: 2, bias: false }), 8, 8);
    b.output(b.node('Relu', [b.node('Add', [main, short])]));
    const opt = optimize(b.build());
    const low = subsampleStridedPointwise(opt);
    expect(ops(low).filter((o) => o === 'Slice')).toHaveLength(1);
    const slice = low.nodes.find((n) => n.op === 'Slice')!;
    const reader = low.nodes.find((n) => n.inputs[0] === slice.outputs[0])!;
    expect(['Conv', 'FusedConv']).toContain(reader.op); // the shortcut conv (BN folded) feeds the main conv's residual
    expect(low.initializers.get(reader.inputs[1]!)!.shape.slice(2)).toEqual([1, 1]);
    expect(reader.attrs['strides']).toEqual([1, 1]);
    expectEquivalent(low, opt, { x: randomInput([1, 6, 9, 9], 12) });
  });

  it('leaves padded, grouped, wider and stride-1 convs alone', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 4, 8, 8]);
    const a = addConv(b, 'x', 4, 4, 1, { k: 1, pads: 1, strides: 2 });
    const c = addConv(b, 'x', 4, 4, 2, { k: 1, pads: 0, strides: 2, group: 2 });
    const d = addConv(b, 'x', 4, 4, 3, { k: 3, pads: 1, strides: 2 });
    const e = addConv(b, 'x', 4, 4, 4, { k: 1, pads: 0, strides: 1 });
    for (const o of [a, c, d, e]) b.output(o);
    const g = b.build();
    expect(subsampleStridedPointwise(g)).toBe(g);
  });
});
