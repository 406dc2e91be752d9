import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../src/backends/cpu/index.js';
import { GraphBuilder, tensorF32 } from '../../src/graph/builder.js';
import { inferShapes } from '../../src/graph/infer.js';
import { sizeOf, type Graph, type Tensor } from '../../src/graph/ir.js';
import { optimize } from '../../src/graph/passes/index.js';
import { PlanError, describePlan, planMemory, type PlanOptions } from '../../src/plan/index.js';
import { addBn, addConv, randomInput, uniform } from '../graph/passes/helpers.js';
import { checkNoOverlap, simulate } from './helpers.js';

function planAndCheck(graph: Graph, inputShape: number[], options: PlanOptions = {}, seed = 1) {
  const shapes = inferShapes(graph);
  const plan = planMemory(graph, shapes, options);
  checkNoOverlap(plan);
  const inputs: Record<string, Tensor> = { x: randomInput(inputShape, seed) };
  const want = new CpuExecutor(graph).run(inputs);
  const got = simulate(graph, plan, inputs);
  for (const name of Object.keys(want)) expect(Array.from(got[name]!.data as Float32Array)).toEqual(Array.from(want[name]!.data as Float32Array));
  expect(plan.peakActivationBytes).toBeGreaterThanOrEqual(plan.lowerBoundBytes);
  return plan;
}

/** Seeded random DAG over [N, c, 4, 4] tensors: conv, relu, add, concat, channel slice, split, reshape round trips. */
function randomDag(seed: number, batch: number): Graph {
  let s = seed * 7919;
  const rnd = (n: number) => Math.floor(((uniform(1, ++s)[0]! + 1) / 2) * n);
  const b = new GraphBuilder();
  b.input('x', 'f32', [batch, 4, 4, 4]);
  const pool: { name: string; c: number }[] = [{ name: 'x', c: 4 }];
  const pickT = () => pool[pool.length - 1 - rnd(Math.min(pool.length, 5))]!;
  for (let i = 0; i < 14; i++) {
    const t = pickT();
    switch (rnd(7)) {
      case 0: {
        const c = 2 + rnd(5);
        pool.push({ name: addConv(b, t.name, t.c, c, ++s, { k: rnd(2) ? 3 : 1 }), c });
        break;
      }
      case 1:
        pool.push({ name: b.node('Relu', [t.name]), c: t.c });
        break;
      case 2: {
        const u = pool.find((p) => p.c === t.c && p.name !== t.name);
        pool.push({ name: b.node('Add', [t.name, u?.name ?? t.name]), c: t.c });
        break;
      }
      case 3: {
        const parts = [t, pickT(), ...(rnd(2) ? [pickT()] : [])].filter((p, k, arr) => arr.findIndex((q) => q.name === p.name) === k);
        pool.push({ name: b.node('Concat', parts.map((p) => p.name), { axis: 1 }), c: parts.reduce((a, p) => a + p.c, 0) });
        break;
      }
      case 4: {
        if (t.c < 2) break;
        const start = rnd(t.c - 1);
        const end = start + 1 + rnd(t.c - start - 1);
        pool.push({ name: b.node('Slice', [t.name], { starts: [start], ends: [end], axes: [1] }), c: end - start });
        break;
      }
      case 5: {
        if (t.c < 2) break;
        const first = 1 + rnd(t.c - 1);
        const [p, q] = b.node('Split', [t.name], { axis: 1, split: [first, t.c - first] }, undefined, 2) as [string, string];
        pool.push({ name: p, c: first }, { name: q, c: t.c - first });
        break;
      }
      default: {
        const flat = b.node('Flatten', [t.name], { axis: 1 });
        pool.push({ name: b.node('Reshape', [b.node('Relu', [flat])], { shape: [batch, t.c, 4, 4] }), c: t.c });
      }
    }
  }
  b.output(pool[pool.length - 1]!.name);
  if (pool.length > 3) b.output(pool[Math.floor(pool.length / 2)]!.name);
  return b.build();
}

describe('planMemory: liveness (brute force on random graphs)', () => {
  for (const batch of [1, 2]) {
    it(`no live overlap and plan-driven execution matches the reference (batch ${batch})`, () => {
      for (let seed = 1; seed <= 25; seed++) {
        const g = randomDag(seed, batch);
        for (const options of [{}, { stridedViews: false }, { concatViews: false, sliceViews: false, reshapeViews: false }, { alignment: 4 }]) {
          planAndCheck(g, [batch, 4, 4, 4], options, seed);
        }
      }
    });
  }
});

/** torchvision-style dense block: every layer reads concat(x0..x_{k-1}); ends with the block's full concat. */
function denseBlock(layers: number, growth: number, batch: number, chained: boolean): Graph {
  const b = new GraphBuilder();
  b.input('x', 'f32', [batch, 3, 6, 6]);
  const x0 = addConv(b, 'x', 3, 8, 1, { name: 'stem' });
  const features = [x0];
  let c = 8;
  let running = x0;
  for (let k = 1; k <= layers; k++) {
    const input = features.length === 1 ? x0 : chained ? running : b.node('Concat', [...features], { axis: 1 }, `cat${k}`);
    const h = b.node('Relu', [addBn(b, input, c, 10 * k)]);
    const y = addConv(b, h, c, growth, 10 * k + 5, { name: `layer${k}` });
    features.push(y);
    if (chained) running = b.node('Concat', [running, y], { axis: 1 }, `cat${k}`);
    c += growth;
  }
  const block = chained ? running : b.node('Concat', [...features], { axis: 1 }, 'block');
  const trans = addConv(b, b.node('Relu', [block]), c, 4, 99, { k: 1, pads: 0, name: 'transition' });
  b.output(b.node('GlobalAveragePool', [trans]));
  return b.build();
}

describe('planMemory: concat without copies', () => {
  for (const chained of [false, true]) {
    it(`DenseNet-like block (${chained ? 'chained concat(x, y)' : 'concat of all features'}), batch 1: everything lives in the final concat`, () => {
      const g = denseBlock(4, 4, 1, chained);
      const plan = planAndCheck(g, [1, 3, 6, 6]);
      const finalConcat = chained ? 'cat4_out' : 'block_out';
      expect(plan.tensors.get(finalConcat)!.view).toBeUndefined();
      for (const name of ['stem_out', 'layer1_out', 'layer2_out', 'layer3_out', 'layer4_out', 'cat2_out', 'cat3_out']) {
        const p = plan.tensors.get(name)!;
        expect(p.view?.root).toBe(finalConcat);
        expect(p.contiguous).toBe(true);
      }
      // channel offsets: stem at 0, layer k at 8 + 4(k-1) channels of 6x6 floats
      const base = plan.tensors.get(finalConcat)!.offset;
      for (let k = 1; k <= 4; k++) expect(plan.tensors.get(`layer${k}_out`)!.offset - base).toBe((8 + 4 * (k - 1)) * 36 * 4);
      for (const name of ['cat2', 'cat3', chained ? 'cat4' : 'block']) expect(plan.elidedNodes.has(name)).toBe(true);
      expect(plan.concatInPlace.size).toBe(0);
      console.log(describePlan(plan, { maxRows: 0 }));
    });
  }

  it('batch 2: concat inputs become strided views (or copies when strided views are off)', () => {
    const g = denseBlock(3, 4, 2, false);
    const plan = planAndCheck(g, [2, 3, 6, 6]);
    const y = plan.tensors.get('layer2_out')!;
    expect(y.view?.root).toBe('block_out');
    expect(y.contiguous).toBe(false);
    expect(y.strides).toEqual([(8 + 3 * 4) * 36, 36, 6, 1]);
    const off = planAndCheck(g, [2, 3, 6, 6], { stridedViews: false });
    expect([...off.tensors.values()].some((t) => t.view?.kind === 'concat')).toBe(false);
    expect(off.elidedNodes.has('block')).toBe(false);
  });

  it('a concat input that is a graph input or used twice is copied, the others stay in place', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 2, 3, 3]);
    const r = b.node('Relu', ['x'], {}, 'r');
    b.output(b.node('Concat', ['x', r, r], { axis: 1 }, 'cat'));
    const s = b.node('Sigmoid', ['x'], {}, 's');
    b.output(b.node('Concat', ['x', s], { axis: 1 }, 'cat2'));
    const g = b.build();
    const plan = planAndCheck(g, [1, 2, 3, 3]);
    expect(plan.concatInPlace.has('cat') || plan.elidedNodes.has('cat')).toBe(false);
    expect(plan.concatInPlace.get('cat2')).toEqual([false, true]);
  });
});

describe('planMemory: views', () => {
  it('reshape-like outputs alias their input; channel slices of batch-1 tensors are offsets', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 6, 4, 4]);
    const y = b.node('Relu', ['x'], {}, 'y');
    const f = b.node('Flatten', [y], { axis: 1 }, 'f');
    const sl = b.node('Slice', [y], { starts: [2], ends: [5], axes: [1] }, 'sl');
    b.output(b.node('Sigmoid', [f]));
    b.output(b.node('Tanh', [sl]));
    const g = b.build();
    const plan = planAndCheck(g, [1, 6, 4, 4]);
    expect(plan.tensors.get('f_out')!.offset).toBe(plan.tensors.get('y_out')!.offset);
    expect(plan.tensors.get('sl_out')!.offset - plan.tensors.get('y_out')!.offset).toBe(2 * 16 * 4);
    expect(plan.tensors.get('sl_out')!.contiguous).toBe(true);
    expect([...plan.elidedNodes].sort()).toEqual(['f', 'sl']);
  });
});

describe('planMemory: peak vs lower bound', () => {
  it('a chain of equal-sized activations needs exactly two slots', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 8, 8, 8]);
    let y = 'x';
    for (let i = 0; i < 10; i++) y = b.node(i % 2 ? 'Relu' : 'Sigmoid', [y]);
    b.output(y);
    const plan = planAndCheck(b.build(), [1, 8, 8, 8]);
    expect(plan.lowerBoundBytes).toBe(2 * 8 * 8 * 8 * 4);
    expect(plan.peakActivationBytes).toBe(plan.lowerBoundBytes);
  });

  it('a conv chain with varying widths stays close to the lower bound', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 4, 8, 8]);
    const widths = [4, 16, 8, 32, 8, 16, 4];
    let y = 'x';
    for (let i = 1; i < widths.length; i++) y = b.node('Relu', [addConv(b, y, widths[i - 1]!, widths[i]!, i)]);
    b.output(y);
    const plan = planAndCheck(b.build(), [1, 4, 8, 8]);
    console.log(`conv chain: peak ${plan.peakActivationBytes} lower bound ${plan.lowerBoundBytes}`);
    expect(plan.peakActivationBytes).toBeLessThanOrEqual(1.25 * plan.lowerBoundBytes);
    expect(plan.weightBytes).toBe([...b.build().initializers.values()].reduce((a, t) => a + sizeOf(t.shape) * 4, 0));
  });

  it('dense block: peak within 1.25x of the lower bound, and far below the sum of all tensors', () => {
    const g = denseBlock(6, 4, 1, false);
    const plan = planAndCheck(g, [1, 3, 6, 6]);
    const total = [...plan.tensors.values()].filter((t) => !t.view).reduce((a, t) => a + t.bytes, 0);
    console.log(`dense block: peak ${plan.peakActivationBytes} lower bound ${plan.lowerBoundBytes} unshared ${total}`);
    expect(plan.peakActivationBytes).toBeLessThanOrEqual(1.25 * plan.lowerBoundBytes);
    expect(plan.peakActivationBytes).toBeLessThan(total);
  });
});

describe('planMemory: integration and errors', () => {
  it('plans an optimized network (fused ops, residuals) and runs it through the plan', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 3, 8, 8]);
    const stem = b.node('Relu', [addBn(b, addConv(b, 'x', 3, 8, 1, { bias: false }), 8, 2)]);
    const a = b.node('Relu', [addBn(b, addConv(b, stem, 8, 8, 3, { bias: false }), 8, 4)]);
    const m = addBn(b, addConv(b, a, 8, 8, 5, { bias: false }), 8, 6);
    const res = b.node('Relu', [b.node('Add', [m, stem])]);
    const cat = b.node('Concat', [res, b.node('MaxPool', [stem], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })], { axis: 1 });
    const pooled = b.node('Flatten', [b.node('GlobalAveragePool', [cat])], { axis: 1 });
    b.init('fc_w', tensorF32([5, 16], uniform(80, 9)));
    b.output(b.node('Gemm', [pooled, 'fc_w'], { transB: 1 }));
    const g = optimize(b.build());
    expect(g.nodes.some((n) => n.op === 'FusedConv' && n.inputs.length === 4)).toBe(true);
    const plan = planAndCheck(g, [1, 3, 8, 8]);
    expect(plan.elidedNodes.size).toBeGreaterThanOrEqual(2); // the concat and the flatten
  });

  it('rejects dynamic shapes and oversized tensors with PlanError', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [-1, 4]);
    b.output(b.node('Relu', ['x']));
    const g = b.build();
    expect(() => planMemory(g, inferShapes(g))).toThrow(PlanError);
    expect(() => planMemory(g, inferShapes(g, { x: [1024, 4] }), { maxBufferBytes: 1024 })).toThrow(/maxBufferBytes/);
    expect(planMemory(g, inferShapes(g, { x: [2, 4] })).buffers).toHaveLength(1);
  });
});
