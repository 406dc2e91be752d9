import { describe, expect, it } from 'vitest';
import { CpuExecutor, ExecutionError, InputError, cpuKernels } from '../../../src/backends/cpu/index.js';
import { f16ToF32, f32ToF16, type Graph, type Node, type Tensor } from '../../../src/graph/ir.js';
import { expectClose, f32, randomF32, rng, values } from './helpers.js';

function n(name: string, op: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node {
  return { name, op, inputs, outputs, attrs };
}

/** A tiny residual CNN: conv-bn-relu, residual add, global pool, flatten, gemm, softmax; batch dim free. */
function tinyResNet(seed: number, weightDtype: 'f32' | 'f16' = 'f32'): Graph {
  const r = rng(seed);
  const init = new Map<string, Tensor>();
  const put = (name: string, t: Tensor) => {
    if (weightDtype === 'f16' && name.startsWith('w')) {
      init.set(name, { dtype: 'f16', shape: t.shape, data: Uint16Array.from(t.data as Float32Array, f32ToF16) });
    } else init.set(name, t);
  };
  put('w1', randomF32(r, [4, 3, 3, 3]));
  put('b1', randomF32(r, [4]));
  put('scale', randomF32(r, [4]));
  put('shift', randomF32(r, [4]));
  put('mean', randomF32(r, [4]));
  put('var', f32([4], [0.5, 1, 1.5, 2]));
  put('w2', randomF32(r, [4, 4, 3, 3]));
  put('wfc', randomF32(r, [5, 4]));
  put('bfc', randomF32(r, [5]));
  return {
    inputs: [{ name: 'image', dtype: 'f32', shape: [-1, 3, 6, 6] }],
    outputs: [
      { name: 'probs', dtype: 'f32', shape: [-1, 5] },
      { name: 'a1', dtype: 'f32', shape: [-1, 4, 6, 6] },
    ],
    nodes: [
      n('conv1', 'Conv', ['image', 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1] }),
      n('bn1', 'BatchNormalization', ['c1', 'scale', 'shift', 'mean', 'var'], ['n1']),
      n('relu1', 'Relu', ['n1'], ['a1']),
      n('conv2', 'Conv', ['a1', 'w2', ''], ['c2'], { pads: [1, 1, 1, 1] }),
      n('add', 'Add', ['c2', 'a1'], ['s']),
      n('gap', 'GlobalAveragePool', ['s'], ['g']),
      n('flat', 'Flatten', ['g'], ['f']),
      n('fc', 'Gemm', ['f', 'wfc', 'bfc'], ['logits'], { transB: 1 }),
      n('softmax', 'Softmax', ['logits'], ['probs']),
    ],
    initializers: init,
    metadata: {},
  };
}

/** Runs the nodes one by one with the kernels and a plain map (no freeing): the plumbing reference. */
function stepByStep(g: Graph, image: Tensor): Map<string, Tensor> {
  const vals = new Map<string, Tensor>(g.initializers);
  vals.set('image', image);
  for (const node of g.nodes) {
    const outs = cpuKernels[node.op]!(node, node.inputs.map((i) => (i === '' ? undefined : vals.get(i))));
    node.outputs.forEach((o, k) => vals.set(o, outs[k]!));
  }
  return vals;
}

describe('CpuExecutor', () => {
  it('runs a residual graph like the kernels chained by hand, keeping tensors used later', () => {
    const g = tinyResNet(1);
    const image = randomF32(rng(2), [2, 3, 6, 6]);
    const out = new CpuExecutor(g).run({ image });
    const ref = stepByStep(g, image);
    expectClose(out.probs!, [2, 5], values(ref.get('probs')!), 0);
    expectClose(out.a1!, [2, 4, 6, 6], values(ref.get('a1')!), 0);
    for (let b = 0; b < 2; b++) expect(Math.abs(values(out.probs!).slice(b * 5, b * 5 + 5).reduce((a, v) => a + v, 0) - 1)).toBeLessThan(1e-6);
  });

  it('a batch gives the same result as images one at a time', () => {
    const exec = new CpuExecutor(tinyResNet(3));
    const batch = randomF32(rng(4), [3, 3, 6, 6]);
    const whole = values(exec.run({ image: batch }).probs!);
    for (let i = 0; i < 3; i++) {
      const one = f32([1, 3, 6, 6], Array.from((batch.data as Float32Array).subarray(i * 108, (i + 1) * 108)));
      expectClose(exec.run({ image: one }).probs!, [1, 5], whole.slice(i * 5, i * 5 + 5), 1e-6);
    }
  });

  it('converts f16 initializers to f32 once, at construction', () => {
    const g16 = tinyResNet(5, 'f16');
    const g32 = tinyResNet(5, 'f32');
    for (const [name, t] of g16.initializers)
      if (t.dtype === 'f16') g32.initializers.set(name, f32([...t.shape], Array.from(t.data as Uint16Array, f16ToF32)));
    const image = randomF32(rng(6), [1, 3, 6, 6]);
    const a = new CpuExecutor(g16).run({ image }).probs!;
    const b = new CpuExecutor(g32).run({ image }).probs!;
    expectClose(a, [1, 5], values(b), 0);
  });

  it('rejects bad inputs with InputError', () => {
    const exec = new CpuExecutor(tinyResNet(1));
    const ok = randomF32(rng(1), [1, 3, 6, 6]);
    const bad = (inputs: Record<string, Tensor>, re: RegExp) => {
      let err: unknown;
      try {
        exec.run(inputs);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).name).toBe('InputError');
      expect((err as Error).message).toMatch(re);
    };
    bad({}, /'image'.*missing/);
    bad({ image: ok, extra: ok }, /'extra'.*unknown/);
    bad({ image: { dtype: 'i32', shape: [1, 3, 6, 6], data: new Int32Array(108) } }, /dtype/);
    bad({ image: randomF32(rng(1), [1, 3, 5, 6]) }, /shape/);
    bad({ image: randomF32(rng(1), [3, 6, 6]) }, /shape/);
    bad({ image: { dtype: 'f32', shape: [1, 3, 6, 6], data: new Float32Array(10) } }, /elements/);
    expect(() => exec.run({ image: randomF32(rng(1), [4, 3, 6, 6]) })).not.toThrow();
  });

  it('wraps kernel failures in ExecutionError naming node and op', () => {
    const g: Graph = {
      inputs: [{ name: 'x', dtype: 'f32', shape: [-1, 4] }],
      outputs: [{ name: 'y', dtype: 'f32', shape: [-1, 3] }],
      nodes: [n('bad_reshape', 'Reshape', ['x'], ['y'], { shape: [-1, 3] })],
      initializers: new Map(),
      metadata: {},
    };
    let err: unknown;
    try {
      new CpuExecutor(g).run({ x: f32([1, 4], [1, 2, 3, 4]) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExecutionError);
    expect((err as ExecutionError).nodeName).toBe('bad_reshape');
    expect((err as ExecutionError).op).toBe('Reshape');
    expect((err as Error).message).toMatch(/Reshape node 'bad_reshape'/);
    expect((err as Error).cause).toBeDefined();
  });

  it('refuses a graph with an op it has no kernel for', () => {
    const g: Graph = {
      inputs: [{ name: 'x', dtype: 'f32', shape: [1] }],
      outputs: [{ name: 'y', dtype: 'f32', shape: [1] }],
      nodes: [n('mystery', 'FancyOp', ['x'], ['y'])],
      initializers: new Map(),
      metadata: {},
    };
    expect(() => new CpuExecutor(g)).toThrow(ExecutionError);
    expect(() => new CpuExecutor(g)).toThrow(/FancyOp node 'mystery'/);
    const withKernel = new CpuExecutor(g, { FancyOp: (_node, [x]) => [f32([1], [values(x!)[0]! * 2])] });
    expect(values(withKernel.run({ x: f32([1], [21]) }).y!)).toEqual([42]);
  });

  it('covers every op of the canonical IR', () => {
    const ops = `Conv BatchNormalization Relu Sigmoid Tanh Sign HardSwish Identity Neg Abs Exp Sqrt Floor Ceil Reciprocal
      LeakyRelu HardSigmoid Clip Dropout Add Sub Mul Div Pow Equal Less Greater Min Max Sum Mean Concat Split Slice Pad
      Reshape Flatten Transpose Squeeze Unsqueeze Expand MaxPool AveragePool GlobalAveragePool GlobalMaxPool ReduceMean
      ReduceMax ReduceSum Gemm MatMul Softmax Shape Gather Cast ConstantOfShape Range Where`.split(/\s+/);
    expect(ops.filter((op) => cpuKernels[op] === undefined)).toEqual([]);
  });
});
