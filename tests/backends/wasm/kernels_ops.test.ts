/**
 * WASM kernels other than plain Conv vs the CPU reference (CpuExecutor on the same small graph), each case with 1
 * and 2 threads, relative L2 <= 1e-5: FusedConv with every activation x residual mode on every conv family;
 * Gemm / FusedGemm (transB, alpha/beta, bias [N] / [1,N] / scalar, residual, batch 1..5); MaxPool / AveragePool
 * (1-D and 2-D: ceil_mode, count_include_pad, asymmetric pads, strides, dilations for max); GlobalAveragePool /
 * GlobalMaxPool; Add / Sub / Mul / Div / Max / Min with broadcasting and constant operands; Relu / Sigmoid / Tanh /
 * Clip / LeakyRelu / HardSigmoid / HardSwish / Gelu (both forms); Concat of graph inputs (not written in place); BatchNormalization /
 * FusedBatchNorm; ChannelScale. Layouts a WASM kernel takes (lower.ts) must not fall back to the CPU reference;
 * the ones it does not (Gemm transA, 2-D BatchNormalization) must fall back and still match.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { WASM_OPS } from '../../../src/backends/wasm/index.js';
import { ACTIVATIONS } from '../../../src/graph/ops/fused.js';
import { CONV_FAMILIES, activationAttrs, convCase, type Epi } from './conv_cases.js';
import { Case, checkAll, lenFor, mulberry32, ODD, pick, randInt, randomData, size, type Rng } from './helpers.js';

const TOL = 1e-5;

const summary: string[] = [];
afterAll(() => console.log(['WASM kernels vs CPU reference (worst rel L2 over 1 and 2 threads)', ...summary].join('\n')));

async function expectAllMatch(name: string, cases: Case[], expectNoFallback: (c: Case) => boolean = () => true): Promise<void> {
  const res = await checkAll(cases, { tol: TOL, expectNoFallback });
  summary.push(`${name.padEnd(34)} ${String(res.count).padStart(4)} cases  worst ${res.worst.toExponential(2)}  with fallback ${res.fallbackCount}  problems ${res.problems.length}`);
  expect(res.count).toBe(cases.length);
  expect(res.problems, res.problems.slice(0, 20).join('\n')).toEqual([]);
}

/** Marks cases expected to run on the CPU reference (layouts no WASM kernel takes). */
const fallbackExpected = new WeakSet<Case>();

describe('WASM kernels vs CPU reference (1 and 2 threads)', () => {
  it('FusedConv: every activation x residual (none / before / after) on every conv family', async () => {
    const acts = ACTIVATIONS.filter((a) => a !== 'none');
    const r = mulberry32(2001);
    const cases: Case[] = [];
    for (const [family, make] of CONV_FAMILIES) {
      for (const act of [...acts, 'none' as const]) {
        for (const residual of [undefined, 0, 1] as const) {
          if (act === 'none' && residual === undefined) continue;
          const epi: Epi = { attrs: activationAttrs(r, act), residual };
          cases.push(convCase(r, `FusedConv ${family}`, make(r), epi));
        }
      }
    }
    expect(cases).toHaveLength(CONV_FAMILIES.length * (acts.length * 3 + 2));
    await expectAllMatch('FusedConv', cases);
  });

  it('Gemm / FusedGemm', async () => {
    const r = mulberry32(3001);
    const cases: Case[] = [];
    const acts = ACTIVATIONS;
    for (let i = 0; i < 150; i++) {
      const M = randInt(r, 1, 5);
      const K = r() < 0.5 ? pick(r, [1, 3, 7, 13, 37]) : randInt(r, 1, 48);
      const N = r() < 0.5 ? pick(r, [1, 3, 5, 10, 17, 33]) : randInt(r, 1, 48);
      const transB = randInt(r, 0, 1);
      const transA = i % 25 === 24 ? 1 : 0; // no WASM kernel: CPU fallback
      const alpha = r() < 0.5 ? 1 : 0.25 + 1.5 * r();
      const beta = r() < 0.5 ? 1 : -1 + 2 * r();
      const biasKind = pick(r, ['none', '[N]', '[1,N]', 'scalar[]', 'scalar[1]'] as const);
      const fused = r() < 0.5;
      const act = fused ? pick(r, acts) : 'none';
      const residual = fused && r() < 0.5 ? randInt(r, 0, 1) : undefined;
      const c = new Case(`Gemm #${i} M=${M} K=${K} N=${N} transA=${transA} transB=${transB} alpha=${alpha.toFixed(3)} beta=${beta.toFixed(3)} C=${biasKind}${fused ? ` FusedGemm ${act}` : ''}${residual !== undefined ? ` residual_after_activation=${residual}` : ''}`);
      const a = c.input('a', transA ? [K, M] : [M, K], randomData(r, M * K));
      const bShape = transB ? [N, K] : [K, N];
      const inputs = [a, c.init('b', bShape, randomData(r, K * N))];
      if (biasKind === '[N]') inputs.push(c.init('c', [N], randomData(r, N)));
      else if (biasKind === '[1,N]') inputs.push(c.init('c', [1, N], randomData(r, N)));
      else if (biasKind === 'scalar[]') inputs.push(c.init('c', [], randomData(r, 1)));
      else if (biasKind === 'scalar[1]') inputs.push(c.init('c', [1], randomData(r, 1)));
      const attrs: Record<string, number | string> = { alpha, beta, transA, transB };
      if (fused) {
        Object.assign(attrs, activationAttrs(r, act));
        if (residual !== undefined) {
          if (biasKind === 'none') inputs.push('');
          inputs.push(c.input('r', [M, N], randomData(r, M * N)));
          attrs['residual_after_activation'] = residual;
        }
      }
      c.output(c.node(fused ? 'FusedGemm' : 'Gemm', inputs, attrs, 'gemm'));
      if (transA) fallbackExpected.add(c);
      cases.push(c);
    }
    await expectAllMatch('Gemm / FusedGemm', cases, (c) => !fallbackExpected.has(c));
  });

  it('MaxPool / AveragePool (1-D, 2-D)', async () => {
    const r = mulberry32(4001);
    const cases: Case[] = [];
    for (let i = 0; i < 160; i++) {
      const op = i % 2 ? 'MaxPool' : 'AveragePool';
      const rank = r() < 0.8 ? 2 : 1;
      const kernel = Array.from({ length: rank }, () => randInt(r, 1, 4));
      const strides = Array.from({ length: rank }, () => randInt(r, 1, 3));
      const dilations = op === 'MaxPool' && r() < 0.3 ? kernel.map((k) => (k > 1 ? randInt(r, 1, 3) : 1)) : kernel.map(() => 1);
      const eff = kernel.map((k, d) => (k - 1) * dilations[d]! + 1);
      const pads = r() < 0.6 ? [...eff, ...eff].map((e) => randInt(r, 0, e >> 1)) : new Array<number>(2 * rank).fill(0);
      const ceil = randInt(r, 0, 1);
      const cip = op === 'AveragePool' ? randInt(r, 0, 1) : 0;
      const n = randInt(r, 1, 3);
      const ch = r() < 0.5 ? pick(r, ODD) : randInt(r, 1, 12);
      const sp = kernel.map((k, d) => lenFor(r, k, dilations[d]!, pads[d]!, pads[d + rank]!));
      const attrs: Record<string, number | number[]> = { kernel_shape: kernel, strides, pads, ceil_mode: ceil };
      if (op === 'MaxPool') attrs['dilations'] = dilations;
      else attrs['count_include_pad'] = cip;
      const c = new Case(`${op} #${i} x[${[n, ch, ...sp]}] kernel=[${kernel}] strides=[${strides}] pads=[${pads}] dilations=[${dilations}] ceil_mode=${ceil}${op === 'AveragePool' ? ` count_include_pad=${cip}` : ''}`);
      const shape = [n, ch, ...sp];
      c.output(c.node(op, [c.input('x', shape, randomData(r, size(shape)))], attrs, 'pool'));
      cases.push(c);
    }
    await expectAllMatch('MaxPool / AveragePool', cases);
  });

  it('MaxPool 3 wide, stride 2 (the column-max path of pool.c): heights, row dilation, pads, ceil_mode, NaN', async () => {
    const r = mulberry32(4002);
    const cases: Case[] = [];
    for (let i = 0; i < 60; i++) {
      const kh = randInt(r, 1, 4);
      const dh = kh > 1 && r() < 0.3 ? 2 : 1;
      const sh = randInt(r, 1, 3);
      const pads = r() < 0.6 ? [randInt(r, 0, ((kh - 1) * dh + 1) >> 1), randInt(r, 0, 1), randInt(r, 0, ((kh - 1) * dh + 1) >> 1), randInt(r, 0, 1)] : [0, 0, 0, 0];
      const ceil = randInt(r, 0, 1);
      const shape = [randInt(r, 1, 2), randInt(r, 1, 9), lenFor(r, kh, dh, pads[0]!, pads[2]!), randInt(r, 3, 41)];
      const data = randomData(r, size(shape));
      if (i % 5 === 4) for (let k = 0; k < 3; k++) data[randInt(r, 0, data.length - 1)] = NaN; // max propagates NaN as the reference
      const attrs = { kernel_shape: [kh, 3], strides: [sh, 2], pads, dilations: [dh, 1], ceil_mode: ceil };
      const c = new Case(`MaxPool3s2 #${i} x[${shape}] kernel=[${kh},3] strides=[${sh},2] pads=[${pads}] dilations=[${dh},1] ceil_mode=${ceil}`);
      c.output(c.node('MaxPool', [c.input('x', shape, data)], attrs, 'pool'));
      cases.push(c);
    }
    await expectAllMatch('MaxPool 3 wide stride 2', cases);
  });

  it('GlobalAveragePool / GlobalMaxPool', async () => {
    const r = mulberry32(5001);
    const cases: Case[] = [];
    for (let i = 0; i < 40; i++) {
      const op = i % 2 ? 'GlobalMaxPool' : 'GlobalAveragePool';
      const shape = r() < 0.75 ? [randInt(r, 1, 3), pick(r, ODD), randInt(r, 1, 20), randInt(r, 1, 20)] : [randInt(r, 1, 3), randInt(r, 1, 12), randInt(r, 1, 30)];
      const c = new Case(`${op} #${i} x[${shape}]`);
      c.output(c.node(op, [c.input('x', shape, randomData(r, size(shape)))], {}, 'gpool'));
      cases.push(c);
    }
    await expectAllMatch('GlobalAveragePool / GlobalMaxPool', cases);
  });

  it('Add / Sub / Mul / Div / Max / Min with broadcasting (incl. constant operands)', async () => {
    const r = mulberry32(6001);
    const ops = ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min'];
    const cases: Case[] = [];
    for (let i = 0; i < 180; i++) {
      const op = ops[i % ops.length]!;
      const rank = randInt(r, 1, 4);
      const out = Array.from({ length: rank }, () => (r() < 0.5 ? pick(r, ODD.slice(0, 5)) : randInt(r, 1, 8)));
      const operand = (): number[] => {
        if (r() < 0.3) return [...out];
        let s = out.map((d) => (r() < 0.4 ? 1 : d));
        if (r() < 0.3) s = s.slice(randInt(r, 0, s.length)); // fewer dims (right-aligned), possibly a scalar []
        return s;
      };
      let aShape = operand();
      let bShape = operand();
      // one of them spans the output on every dim it lacks, so the output is `out`
      if (r() < 0.5) aShape = [...out];
      else bShape = [...out];
      const kind = pick(r, ['inputs', 'inputs', 'const A', 'const B', 'same input']);
      const c = new Case(`${op} #${i} A[${kind === 'same input' ? out : aShape}] B[${kind === 'same input' ? out : bShape}] ${kind}`);
      // Div: denominators away from zero
      const data = (shape: number[], denom: boolean) => {
        const d = randomData(r, size(shape));
        if (denom) for (let k = 0; k < d.length; k++) d[k] = (d[k]! < 0 ? -1 : 1) * (0.5 + Math.abs(d[k]!));
        return d;
      };
      let a: string;
      let b: string;
      if (kind === 'same input') {
        a = c.input('a', out, data(out, op === 'Div'));
        b = a;
      } else {
        a = kind === 'const A' ? c.init('a', aShape, data(aShape, false)) : c.input('a', aShape, data(aShape, false));
        b = kind === 'const B' ? c.init('b', bShape, data(bShape, op === 'Div')) : c.input('b', bShape, data(bShape, op === 'Div'));
      }
      c.output(c.node(op, [a, b], {}, 'elt'));
      cases.push(c);
    }
    await expectAllMatch('binary element-wise', cases);
  });

  it('Relu / Sigmoid / Tanh / Clip / LeakyRelu / HardSigmoid / HardSwish / Gelu', async () => {
    const r = mulberry32(7001);
    const variants: [string, (r: Rng) => Record<string, number | string>][] = [
      ['Relu', () => ({})],
      ['Sigmoid', () => ({})],
      ['Tanh', () => ({})],
      ['Clip', () => ({ min: -1 - r(), max: 0.5 + 2 * r() })],
      ['Clip', () => ({ min: 0, max: 6 })],
      ['Clip', () => ({ min: -0.5 })],
      ['Clip', () => ({ max: 0.25 })],
      ['Clip', () => ({})],
      ['LeakyRelu', () => ({})],
      ['LeakyRelu', () => ({ alpha: 0.05 + 0.5 * r() })],
      ['HardSigmoid', () => ({})],
      ['HardSigmoid', () => ({ alpha: 0.1 + 0.3 * r(), beta: 0.2 + 0.6 * r() })],
      ['HardSwish', () => ({})],
      ['Gelu', () => ({})],
      ['Gelu', () => ({ approximate: 'tanh' })],
    ];
    const cases: Case[] = [];
    for (let i = 0; i < 104; i++) {
      const [op, attrsOf] = variants[i % variants.length]!;
      const rank = randInt(r, 1, 4);
      const shape = Array.from({ length: rank }, () => randInt(r, 1, 9));
      const attrs = attrsOf(r);
      const c = new Case(`${op} #${i} x[${shape}] ${JSON.stringify(attrs)}`);
      c.output(c.node(op, [c.input('x', shape, randomData(r, size(shape), -8, 8))], attrs, 'act'));
      cases.push(c);
    }
    // GELU where its erf / tanh saturate, where x³ overflows f32, and near 0 (finite: relative L2 of ±Inf is NaN)
    const extremes = Float32Array.from([0, -0, 1e-30, -1e-20, 3.9, -3.9, 4, -4, 6, -6, 10, -10, 1e4, -1e4, 1e20, -1e20, 3.4e38, -3.4e38]);
    for (const approximate of ['none', 'tanh']) {
      const c = new Case(`Gelu ${approximate} at extremes`);
      c.output(c.node('Gelu', [c.input('x', [extremes.length], extremes)], { approximate }, 'act'));
      cases.push(c);
    }
    await expectAllMatch('unary activations', cases);
  });

  it('Concat of graph inputs (axis 1 and others) and of an in-place producer', async () => {
    const r = mulberry32(8001);
    const cases: Case[] = [];
    for (let i = 0; i < 60; i++) {
      const rank = randInt(r, 2, 4);
      const rawAxis = i < 40 ? 1 : randInt(r, -rank, rank - 1);
      const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
      const base = Array.from({ length: rank }, () => randInt(r, 1, 6));
      const k = randInt(r, 2, 4);
      const inPlace = i % 5 === 4; // the first input produced by a Relu (the planner may write it in place)
      const shapes = Array.from({ length: k }, () => base.map((d, j) => (j === axis ? pick(r, [1, 2, 3, 5, 7]) : d)));
      const c = new Case(`Concat #${i} axis=${rawAxis} inputs ${shapes.map((s) => `[${s}]`).join(' ')}${inPlace ? ' (first from Relu)' : ''}`);
      const names = shapes.map((s, j) => c.input(`x${j}`, s, randomData(r, size(s))));
      if (inPlace) names[0] = c.node('Relu', [names[0]!], {}, 'relu');
      c.output(c.node('Concat', names, { axis: rawAxis }, 'concat'));
      cases.push(c);
    }
    await expectAllMatch('Concat', cases);
  });

  it('BatchNormalization / FusedBatchNorm', async () => {
    const r = mulberry32(9001);
    const cases: Case[] = [];
    const acts = ACTIVATIONS;
    for (let i = 0; i < 60; i++) {
      const fused = i % 2 === 1;
      const rank = i % 10 === 8 ? 2 : pick(r, [3, 4, 4]);
      const C = pick(r, ODD);
      const shape = rank === 2 ? [randInt(r, 1, 3), C] : rank === 3 ? [randInt(r, 1, 3), C, randInt(r, 1, 20)] : [randInt(r, 1, 3), C, randInt(r, 1, 20), randInt(r, 1, 20)];
      const eps = pick(r, [1e-5, 1e-3, 0.1]);
      const attrs: Record<string, number | string> = { epsilon: eps };
      if (fused) Object.assign(attrs, activationAttrs(r, pick(r, acts)));
      const c = new Case(`${fused ? 'FusedBatchNorm' : 'BatchNormalization'} #${i} x[${shape}] ${JSON.stringify(attrs)}`);
      const x = c.input('x', shape, randomData(r, size(shape), -2, 2));
      const params = [
        c.init('scale', [C], randomData(r, C, -2, 2)),
        c.init('bias', [C], randomData(r, C)),
        c.init('mean', [C], randomData(r, C)),
        c.init('var', [C], randomData(r, C, 0.05, 2)),
      ];
      c.output(c.node(fused ? 'FusedBatchNorm' : 'BatchNormalization', [x, ...params], attrs, 'bn'));
      if (rank === 2) fallbackExpected.add(c); // no H x W plane: the CPU reference
      cases.push(c);
    }
    await expectAllMatch('BatchNormalization / FusedBatchNorm', cases, (c) => !fallbackExpected.has(c));
  });

  it('ChannelScale (S per sample / per channel / scalar, input or constant; residual; activation)', async () => {
    const r = mulberry32(10001);
    const acts = ACTIVATIONS.filter((a) => a !== 'silu'); // silu is not allowed on ChannelScale
    const cases: Case[] = [];
    for (let i = 0; i < 60; i++) {
      const rank = r() < 0.8 ? 4 : 3;
      const N = randInt(r, 1, 3);
      const C = pick(r, ODD);
      const shape = rank === 4 ? [N, C, randInt(r, 1, 16), randInt(r, 1, 16)] : [N, C, randInt(r, 1, 30)];
      const ones = new Array<number>(rank - 2).fill(1);
      const sShape = pick(r, [[N, C, ...ones], [1, C, ...ones], [C, ...ones], [1, 1, ...ones], [N, 1, ...ones]]);
      const sConst = r() < 0.4;
      const residual = r() < 0.5 ? randInt(r, 0, 1) : undefined;
      const attrs: Record<string, number | string> = activationAttrs(r, pick(r, acts));
      if (residual !== undefined) attrs['residual_after_activation'] = residual;
      const c = new Case(`ChannelScale #${i} x[${shape}] S[${sShape}]${sConst ? ' const' : ''}${residual !== undefined ? ' +R' : ''} ${JSON.stringify(attrs)}`);
      const inputs = [c.input('x', shape, randomData(r, size(shape), -2, 2))];
      inputs.push(sConst ? c.init('s', sShape, randomData(r, size(sShape))) : c.input('s', sShape, randomData(r, size(sShape))));
      if (residual !== undefined) inputs.push(c.input('r', shape, randomData(r, size(shape))));
      c.output(c.node('ChannelScale', inputs, attrs, 'cs'));
      cases.push(c);
    }
    await expectAllMatch('ChannelScale', cases);
  });

  it('ChannelScaleConv: stride 1 scales as its columns are copied (one conv2d call); strided scales first', async () => {
    const r = mulberry32(10002);
    const cases: Case[] = [];
    let pointwise = 0;
    for (let i = 0; i < 60; i++) {
      const N = randInt(r, 1, 3);
      const group = r() < 0.2 ? 2 : 1;
      const cin = group * pick(r, [1, 3, 5, 8, 13, 16]);
      const cout = group * randInt(r, 1, 20);
      const stride = r() < 0.8 ? 1 : 2;
      if (stride === 1) pointwise++;
      // a fifth on a 1x1 input: the SE excite conv's shape (conv.c's one-pixel path)
      const shape = [N, cin, ...(r() < 0.2 ? [1, 1] : [randInt(r, 1, 15), randInt(r, 1, 15)])];
      const sShape = pick(r, [[N, cin, 1, 1], [1, cin, 1, 1], [cin, 1, 1], [1, 1, 1, 1]]);
      const sConst = r() < 0.3;
      const bias = r() < 0.7;
      const residual = r() < 0.4 ? randInt(r, 0, 1) : undefined;
      const attrs: Record<string, number | number[] | string> = { ...activationAttrs(r, pick(r, ACTIVATIONS)), kernel_shape: [1, 1], strides: [stride, stride], group };
      if (residual !== undefined) attrs['residual_after_activation'] = residual;
      const c = new Case(`ChannelScaleConv #${i} x[${shape}] w[${[cout, cin / group, 1, 1]}] stride=${stride} group=${group} S[${sShape}]${sConst ? ' const' : ''}${bias ? ' +B' : ''}${residual !== undefined ? ' +R' : ''} ${JSON.stringify(attrs)}`);
      const inputs = [c.input('x', shape, randomData(r, size(shape), -2, 2)), c.init('w', [cout, cin / group, 1, 1], randomData(r, (cout * cin) / group))];
      inputs.push(bias ? c.init('b', [cout], randomData(r, cout)) : '');
      const outShape = [N, cout, Math.ceil(shape[2]! / stride), Math.ceil(shape[3]! / stride)];
      inputs.push(residual !== undefined ? c.input('r', outShape, randomData(r, size(outShape))) : '');
      inputs.push(sConst ? c.init('s', sShape, randomData(r, size(sShape), 0, 1)) : c.input('s', sShape, randomData(r, size(sShape), 0, 1)));
      c.output(c.node('ChannelScaleConv', inputs, attrs, 'csc'));
      cases.push(c);
    }
    const res = await checkAll(cases, { tol: TOL, expectNoFallback: () => true });
    summary.push(`${'ChannelScaleConv'.padEnd(34)} ${String(res.count).padStart(4)} cases  worst ${res.worst.toExponential(2)}  problems ${res.problems.length}  kernels ${JSON.stringify(res.kernels)}`);
    expect(res.problems, res.problems.slice(0, 20).join('\n')).toEqual([]);
    expect(res.kernels['conv2d']).toBe(pointwise);
  });

  it('WASM_OPS lists every op covered above', () => {
    for (const op of ['Conv', 'FusedConv', 'Gemm', 'FusedGemm', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'Concat',
      'BatchNormalization', 'FusedBatchNorm', 'ChannelScale', 'Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Relu', 'Sigmoid', 'Tanh', 'Clip',
      'LeakyRelu', 'HardSigmoid', 'HardSwish'])
      expect(WASM_OPS.has(op), op).toBe(true);
  });
});
