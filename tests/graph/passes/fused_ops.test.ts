/** The FusedConv / FusedGemm op definitions: shape rules and the CPU reference against hand-written formulas. */
import { describe, expect, it } from 'vitest';
import { cpuKernels } from '../../../src/backends/cpu/index.js';
import { GraphError, type Node, type Tensor } from '../../../src/graph/ir.js';
import { inferShapes } from '../../../src/graph/infer.js';
import { GraphBuilder, randomInput, tensorF32, uniform } from './helpers.js';

const formulas: Record<string, (y: number) => number> = {
  none: (y) => y,
  relu: (y) => Math.max(y, 0),
  clip: (y) => Math.min(Math.max(y, -0.3), 0.7),
  leaky_relu: (y) => (y < 0 ? 0.2 * y : y),
  hard_sigmoid: (y) => Math.min(Math.max(0.25 * y + 0.4, 0), 1),
  hard_swish: (y) => (y * Math.min(Math.max(y + 3, 0), 6)) / 6,
  sigmoid: (y) => 1 / (1 + Math.exp(-y)),
  silu: (y) => y / (1 + Math.exp(-y)),
  tanh: (y) => Math.tanh(y),
};
const actAttrs = { act_min: -0.3, act_max: 0.7 };

function fusedConvNode(activation: string, after: number, withResidual: boolean): Node {
  const alpha = activation === 'leaky_relu' ? 0.2 : 0.25;
  return {
    name: 'fc',
    op: 'FusedConv',
    inputs: ['x', 'w', 'b', ...(withResidual ? ['r'] : [])],
    outputs: ['y'],
    attrs: { pads: [1, 1, 1, 1], activation, act_alpha: alpha, act_beta: 0.4, ...actAttrs, residual_after_activation: after },
  };
}

describe('FusedConv / FusedGemm CPU reference', () => {
  const x = randomInput([2, 3, 4, 4], 1);
  const w = tensorF32([5, 3, 3, 3], uniform(135, 2, -0.3, 0.3));
  const b = tensorF32([5], uniform(5, 3));
  const r = randomInput([2, 5, 4, 4], 4);
  const plain = cpuKernels['Conv']!({ name: 'c', op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1] } }, [x, w, b])[0]!;

  for (const activation of Object.keys(formulas)) {
    for (const after of [0, 1]) {
      it(`${activation}, residual ${after ? 'after' : 'before'} the activation`, () => {
        const [y] = cpuKernels['FusedConv']!(fusedConvNode(activation, after, true), [x, w, b, r]);
        const f = formulas[activation]!;
        for (let i = 0; i < plain.data.length; i++) {
          const c = plain.data[i] as number;
          const rv = r.data[i] as number;
          const want = after ? f(c) + rv : f(c + rv);
          expect(Math.abs((y!.data[i] as number) - want)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
        }
      });
    }
  }

  it('without residual, FusedGemm = activation(Gemm)', () => {
    const a = randomInput([3, 4], 5);
    const wg = tensorF32([4, 2], uniform(8, 6));
    const node: Node = { name: 'fg', op: 'FusedGemm', inputs: ['a', 'w'], outputs: ['y'], attrs: { alpha: 2, activation: 'relu' } };
    const [y] = cpuKernels['FusedGemm']!(node, [a, wg]);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 2; j++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += (a.data[i * 4 + k] as number) * (wg.data[k * 2 + j] as number);
        expect(y!.data[i * 2 + j]).toBeCloseTo(Math.max(0, 2 * s), 5);
      }
  });
});

describe('FusedConv / FusedGemm shape rules', () => {
  function graphWith(rShape: number[], attrs = {}) {
    const g = new GraphBuilder();
    g.input('x', 'f32', [1, 3, 4, 4]);
    g.input('r', 'f32', rShape);
    g.init('w', tensorF32([5, 3, 3, 3], uniform(135, 2)));
    g.node('FusedConv', ['x', 'w', '', 'r'], { pads: [1, 1, 1, 1], activation: 'relu', ...attrs }, 'fc');
    return g.build();
  }

  it('infers the conv output shape and checks the residual shape', () => {
    expect(inferShapes(graphWith([1, 5, 4, 4])).get('fc_out')!.shape).toEqual([1, 5, 4, 4]);
    expect(() => inferShapes(graphWith([1, 5, 1, 1]))).toThrow(GraphError);
    expect(() => inferShapes(graphWith([1, 5, 4, 4]))).not.toThrow();
  });

  it('rejects unknown activations, naming the node', () => {
    expect(() => inferShapes(graphWith([1, 5, 4, 4], { activation: 'mish' }))).toThrow(/fc.*mish/);
  });

  it('FusedGemm shape', () => {
    const g = new GraphBuilder();
    g.input('a', 'f32', [2, 7]);
    g.init('w', tensorF32([3, 7], uniform(21, 1)));
    g.node('FusedGemm', ['a', 'w'], { transB: 1, activation: 'sigmoid' }, 'fg');
    expect(inferShapes(g.build()).get('fg_out')!.shape).toEqual([2, 3]);
  });

  it('FusedConv with the residual but no residual tensor is the plain conv', () => {
    const t: Tensor = randomInput([1, 3, 4, 4], 8);
    const w = tensorF32([2, 3, 1, 1], uniform(6, 9));
    const node: Node = { name: 'n', op: 'FusedConv', inputs: ['x', 'w'], outputs: ['y'], attrs: {} };
    const plain = cpuKernels['Conv']!({ ...node, op: 'Conv' }, [t, w])[0]!;
    expect(Array.from(cpuKernels["FusedConv"]!(node, [t, w])[0]!.data as Float32Array)).toEqual(Array.from(plain.data as Float32Array));
  });
});
