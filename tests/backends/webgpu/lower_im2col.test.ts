/** WebGPU-only im2col lowering (src/backends/webgpu/lower.ts lowerIm2col), checked on the CPU reference: same results. */
import { describe, expect, it } from 'vitest';
import { isIm2colShape, type ConvShape } from '../../../src/backends/webgpu/conv_select.js';
import { lowerIm2col } from '../../../src/backends/webgpu/lower.js';
import type { Graph } from '../../../src/graph/ir.js';
import { inferShapes } from '../../../src/graph/infer.js';
import { optimize } from '../../../src/graph/passes/index.js';
import { mulberry32, randInt } from '../../harness/rng.js';
import { GraphBuilder, addBn, addConv, expectEquivalent, randomInput, snapshot } from '../../graph/passes/helpers.js';

const ops = (g: Graph) => g.nodes.map((n) => n.op);
const always = () => 'im2col' as const;

describe('lowerIm2col', () => {
  it('turns a forced strided conv into Im2col + a 1x1 stride-1 conv, equal on the CPU (seeded random shapes)', () => {
    const r = mulberry32(4242);
    for (let i = 0; i < 10; i++) {
      const k = i % 3 === 2 ? 7 : 3;
      const pads = k === 7 ? [0, 3][i % 2]! : [0, 1][i % 2]!;
      const strides = 2;
      const cin = [1, 3, 5, 7][i % 4]!;
      const cout = [4, 7, 9][i % 3]!;
      const h = k + randInt(r, 0, 9);
      const w = k + randInt(r, 0, 11);
      const shape = [i % 2 === 0 ? 2 : 1, cin, h, w];
      const b = new GraphBuilder();
      b.input('x', 'f32', shape);
      b.output(addConv(b, 'x', cin, cout, 10 + i, { k, pads, strides, bias: i % 4 !== 1 }));
      const g = b.build();
      const before = snapshot(g);
      const low = lowerIm2col(g, undefined, always);
      expect(snapshot(g)).toBe(before); // input graph untouched
      expect(ops(low)).toEqual(['Im2col', 'Conv']);
      const conv = low.nodes[1]!;
      expect(conv.attrs['strides']).toEqual([1, 1]);
      expect(conv.attrs['kernel_shape']).toEqual([1, 1]);
      expect(low.initializers.get(conv.inputs[1]!)!.shape).toEqual([cout, cin * k * k, 1, 1]);
      expect(inferShapes(low).get(conv.outputs[0]!)!.shape).toEqual(inferShapes(g).get(conv.outputs[0]!)!.shape);
      // Same products in the same order per output? Not guaranteed (a 1x1 conv sums C·k·k terms in row order, as
      // the direct conv does on the CPU), so allow f32 rounding.
      expectEquivalent(low, g, { x: randomInput(shape, 50 + i) }, 1e-6);
    }
  });

  it('keeps a fused downsampling block (FusedConv with residual and ReLU) equal; leaves 1x1 / stride-1 convs alone', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 6, 9, 9]);
    const main = addBn(b, addConv(b, 'x', 6, 8, 2, { k: 3, pads: 1, strides: 2, bias: false }), 8, 4);
    const short = addBn(b, addConv(b, 'x', 6, 8, 6, { k: 1, pads: 0, strides: 2, bias: false }), 8, 8);
    const y = b.node('Relu', [b.node('Add', [main, short])]);
    b.output(addConv(b, y, 8, 4, 9, { k: 3, pads: 1, strides: 1 }));
    const opt = optimize(b.build());
    const low = lowerIm2col(opt, undefined, always);
    expect(ops(low).filter((o) => o === 'Im2col')).toHaveLength(1);
    const im = low.nodes.find((n) => n.op === 'Im2col')!;
    const reader = low.nodes.find((n) => n.inputs[0] === im.outputs[0])!;
    expect(['Conv', 'FusedConv']).toContain(reader.op);
    expectEquivalent(low, opt, { x: randomInput([1, 6, 9, 9], 3) }, 1e-6);
  });

  it('is a no-op without the im2col choice (the rule) and for runtime weights', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 4, 8, 8]);
    b.output(addConv(b, 'x', 4, 4, 1, { k: 3, pads: 1, strides: 2 }));
    const g = b.build();
    expect(lowerIm2col(g, undefined, () => 'conv2d_gemm')).toBe(g);
  });

  it('isIm2colShape: strided k>1, group 1, P within 128 MiB', () => {
    const s: ConvShape = { n: 1, cin: 128, ih: 56, iw: 56, cout: 128, oh: 28, ow: 28, kh: 3, kw: 3, sh: 2, sw: 2, dh: 1, dw: 1, pads: [1, 1, 1, 1], group: 1, constWeights: true };
    expect(isIm2colShape(s)).toBe(true);
    expect(isIm2colShape({ ...s, sh: 1, sw: 1 })).toBe(false);
    expect(isIm2colShape({ ...s, kh: 1, kw: 1 })).toBe(false);
    expect(isIm2colShape({ ...s, group: 2 })).toBe(false);
    expect(isIm2colShape({ ...s, n: 64, cin: 512 })).toBe(false); // 64·4608·784·4 B > 128 MiB
  });
});
