/**
 * 3-D convolutions on WASM (lowered to 2-D conv calls over depth slices, src/backends/wasm/lower_conv3d.ts) and
 * element-wise ops / copies of rank 5 (dims merged to the kernel's 4 where the layouts allow): seeded random shapes
 * vs the CPU reference, 1 and 2 threads, relative L2 <= 1e-5, no CPU-reference fallback.
 */
import { describe, expect, it } from 'vitest';
import { Case, checkAll, lenFor, mulberry32, ODD, outLen, pick, randInt, randomData } from './helpers.js';

const TOL = 1e-5;

describe('WASM 3-D conv and rank-5 element-wise ops vs the CPU reference', () => {
  it('Conv / FusedConv 3-D: 60 seeded shapes (strides, pads, dilations, groups, bias, residual, activation)', async () => {
    const r = mulberry32(3003);
    const cases: Case[] = [];
    for (let i = 0; i < 60; i++) {
      const g = pick(r, [1, 1, 1, 2]);
      const cin = g * pick(r, ODD.slice(0, 4));
      const cout = g * pick(r, [1, 2, 3, 5]);
      const k = [randInt(r, 1, 3), randInt(r, 1, 3), randInt(r, 1, 3)];
      const s = [randInt(r, 1, 2), randInt(r, 1, 2), randInt(r, 1, 2)];
      const dl = [randInt(r, 1, 2), 1, randInt(r, 1, 2)];
      // depth pads below the kernel extent so every output depth has a tap (3-D lowering's rule)
      const pads = [randInt(r, 0, k[0]! - 1), randInt(r, 0, 1), randInt(r, 0, 1), randInt(r, 0, k[0]! - 1), randInt(r, 0, 1), randInt(r, 0, 1)];
      const dims = [0, 1, 2].map((a) => lenFor(r, k[a]!, dl[a]!, pads[a]!, pads[a + 3]!, 9));
      const n = randInt(r, 1, 2);
      const out = [0, 1, 2].map((a) => outLen(dims[a]!, k[a]!, s[a]!, dl[a]!, pads[a]!, pads[a + 3]!));
      const fused = r() < 0.6;
      const residual = fused && r() < 0.5;
      const c = new Case(`conv3d #${i} n${n} c${cin}->${cout} g${g} in ${dims.join('x')} k ${k.join('x')} s ${s.join(',')} d ${dl.join(',')} p ${pads.join(',')}${fused ? ' fused' : ''}${residual ? ' +R' : ''}`);
      const x = c.input('x', [n, cin, ...dims], randomData(r, n * cin * dims[0]! * dims[1]! * dims[2]!));
      const w = c.init('w', [cout, cin / g, ...k], randomData(r, (cout * cin * k[0]! * k[1]! * k[2]!) / g));
      const b = r() < 0.7 ? c.init('b', [cout], randomData(r, cout)) : '';
      const inputs = [x, w, b];
      if (residual) inputs.push(c.input('res', [n, cout, ...out], randomData(r, n * cout * out[0]! * out[1]! * out[2]!)));
      const attrs = { kernel_shape: k, strides: s, dilations: dl, pads, group: g, ...(fused ? { activation: pick(r, ['relu', 'clip', 'none']), act_min: 0, act_max: 6 } : {}) };
      c.output(c.node(fused ? 'FusedConv' : 'Conv', inputs, attrs, 'conv'));
      cases.push(c);
    }
    const res = await checkAll(cases, { tol: TOL, expectNoFallback: () => true });
    console.log(`conv3d: ${res.count} shapes, worst rel L2 ${res.worst.toExponential(2)}, kernels ${JSON.stringify(Object.keys(res.kernels).length)} paths`);
    expect(res.problems, res.problems.slice(0, 20).join('\n')).toEqual([]);
  }, 180_000);

  it('rank-5 Relu / Add with broadcasting / Concat / Transpose', async () => {
    const r = mulberry32(5005);
    const cases: Case[] = [];
    for (let i = 0; i < 20; i++) {
      const shape = [randInt(r, 1, 2), randInt(r, 1, 5), randInt(r, 1, 4), randInt(r, 1, 5), randInt(r, 1, 6)];
      const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
      const c = new Case(`rank5 #${i} ${shape.join('x')}`);
      const x = c.input('x', shape, randomData(r, size(shape)));
      const bshape = shape.map((d) => (r() < 0.4 ? 1 : d));
      const y = c.input('y', bshape, randomData(r, size(bshape)));
      const add = c.node('Add', [x, y], {}, 'add');
      const relu = c.node('Relu', [add], {}, 'relu');
      const cat = c.node('Concat', [relu, x], { axis: 1 }, 'cat');
      c.output(c.node('Transpose', [cat], { perm: [0, 2, 1, 3, 4] }, 'tr'));
      cases.push(c);
    }
    const res = await checkAll(cases, { tol: TOL, expectNoFallback: () => true });
    expect(res.problems, res.problems.slice(0, 20).join('\n')).toEqual([]);
  }, 120_000);
});
