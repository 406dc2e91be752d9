/**
 * BatchNormConv (a 1x1 conv with its input's BN + activation as a prologue, src/graph/ops/batchnorm_conv.ts) on the
 * WASM backend vs the CPU reference: the executor expands it back into FusedBatchNorm → FusedConv
 * (expandBatchNormConvs), each a WASM kernel. Seeded cases: odd channels, batch 1-3, random BN statistics, every
 * prologue and epilogue activation, bias and residual on or off; 1 and 2 threads, relative L2 <= 1e-5, no fallback.
 */
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS } from '../../../src/graph/ops/fused.js';
import { activationAttrs } from './conv_cases.js';
import { Case, checkAll, mulberry32, ODD, pick, randInt, randomData, size } from './helpers.js';

/** The activation attributes as the BatchNormConv prologue's (in_activation, in_act_alpha...). */
function prologueAttrs(attrs: Record<string, number | string>): Record<string, number | string> {
  return Object.fromEntries(Object.entries(attrs).map(([k, v]) => [`in_${k}`, v]));
}

describe('WASM BatchNormConv vs CPU reference', () => {
  it('40 seeded cases', async () => {
    const r = mulberry32(16003);
    const cases: Case[] = [];
    for (let i = 0; i < 40; i++) {
      const n = randInt(r, 1, 3);
      const cin = pick(r, ODD);
      const cout = randInt(r, 1, 20);
      const shape = [n, cin, randInt(r, 1, 12), randInt(r, 1, 12)];
      const bias = r() < 0.6;
      const residual = r() < 0.3;
      const attrs = {
        kernel_shape: [1, 1],
        ...activationAttrs(r, pick(r, ['none', 'relu', 'clip'])),
        ...prologueAttrs(activationAttrs(r, pick(r, ACTIVATIONS))),
        epsilon: pick(r, [1e-5, 1e-3]),
      };
      const c = new Case(`BatchNormConv #${i} x[${shape}] cout ${cout}${bias ? ' +B' : ''}${residual ? ' +R' : ''} ${JSON.stringify(attrs)}`);
      const outShape = [n, cout, shape[2]!, shape[3]!];
      const inputs = [
        c.input('x', shape, randomData(r, size(shape), -2, 2)),
        c.init('w', [cout, cin, 1, 1], randomData(r, cout * cin)),
        bias ? c.init('b', [cout], randomData(r, cout)) : '',
        residual ? c.input('r', outShape, randomData(r, size(outShape))) : '',
        c.init('scale', [cin], randomData(r, cin, -2, 2)),
        c.init('bn_b', [cin], randomData(r, cin)),
        c.init('mean', [cin], randomData(r, cin)),
        c.init('var', [cin], randomData(r, cin, 0.05, 2)),
      ];
      c.output(c.node('BatchNormConv', inputs, attrs, 'bnconv'));
      cases.push(c);
    }
    const res = await checkAll(cases, { tol: 1e-5, expectNoFallback: () => true });
    console.log(`BatchNormConv: ${res.count} cases, worst rel L2 ${res.worst.toExponential(2)}, kernels ${JSON.stringify(res.kernels)}`);
    expect(res.problems, res.problems.slice(0, 20).join('\n')).toEqual([]);
    expect(res.count).toBe(cases.length);
  });
});
