/**
 * Erf / Gelu CPU reference (src/graph/ops/gelu.ts, src/backends/cpu/gelu.ts): the float64 erf against Python's
 * math.erf (C library, correctly rounded to ~1 ulp), special values, the GELU forms against their formulas written
 * with an independent erf (the continued fraction of erfc), and the shape rule's typed errors.
 */
import { describe, expect, it } from 'vitest';
import { geluCpuKernels as K } from '../../../src/backends/cpu/gelu.js';
import { GraphError } from '../../../src/graph/ir.js';
import { erf, gelu, geluTanh } from '../../../src/graph/ops/gelu.js';
import { shapeRules } from '../../../src/graph/ops/registry.js';
import { f32, node } from './helpers.js';

/** [x, math.erf(x)] recorded once from Python's math.erf (constants: the test runs no Python). */
const PY_ERF: [number, number][] = [
  [1e-300, 1.1283791670955126e-300],
  [1e-20, 1.1283791670955125e-20],
  [1e-8, 1.1283791670955126e-8],
  [0.001, 0.0011283787909692365],
  [0.1, 0.1124629160182849],
  [0.25, 0.2763263901682369],
  [0.5, 0.5204998778130465],
  [0.75, 0.7111556336535151],
  [1, 0.8427007929497149],
  [1.25, 0.9229001282564582],
  [1.5, 0.9661051464753108],
  [2, 0.9953222650189527],
  [2.5, 0.999593047982555],
  [3, 0.9999779095030014],
  [3.5, 0.9999992569016276],
  [4, 0.9999999845827421],
  [4.5, 0.9999999998033839],
  [5, 0.9999999999984626],
  [5.5, 0.9999999999999927],
  [5.9, 0.9999999999999999],
  [6.5, 1.0],
  [-0.3, -0.3286267594591274],
  [-2.2, -0.9981371537020182],
  [-4.7, -0.9999999999700474],
];

/** erfc(x) for x >= 2 by its continued fraction (Lentz), an algorithm independent of the series under test. */
function erfcContinuedFraction(x: number): number {
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 300; k++) {
    const a = k / 2;
    d = 1 / (x + a * d);
    c = x + a / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (f * Math.sqrt(Math.PI));
}

describe('erf (float64 reference)', () => {
  it('matches math.erf to 1e-15 absolute, relative accuracy near 0', () => {
    for (const [x, want] of PY_ERF) {
      expect(Math.abs(erf(x) - want), `erf(${x})`).toBeLessThanOrEqual(1e-15);
      expect(Math.abs(erf(x) - want) / Math.abs(want), `erf(${x}) relative`).toBeLessThanOrEqual(4e-15);
      expect(erf(-x)).toBe(-erf(x));
    }
  });

  it('matches 1 - erfc (continued fraction) on a dense grid over [2, 6]', () => {
    let worst = 0;
    for (let x = 2; x <= 6; x += 1 / 64) worst = Math.max(worst, Math.abs(erf(x) - (1 - erfcContinuedFraction(x))));
    expect(worst).toBeLessThanOrEqual(2e-15);
  });

  it('special values: ±0 keep their sign, ±Inf -> ±1, NaN -> NaN, large -> ±1', () => {
    expect(Object.is(erf(0), 0)).toBe(true);
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(1e30)).toBe(1);
    expect(erf(-3.4e38)).toBe(-1);
    expect(erf(NaN)).toBeNaN();
  });
});

describe('Erf / Gelu CPU kernels', () => {
  const xs = [0, -0, 1e-30, -1e-7, 0.3, -0.7, 1.5, -2.5, 3.9, 4.1, -10, 1e4, -1e4, Infinity, -Infinity, NaN];
  const x = f32([4, 4], xs);

  it('Erf: one f32 rounding of the float64 erf', () => {
    const y = K['Erf']!(node('Erf', {}), [x])[0]!;
    expect(y.shape).toEqual([4, 4]);
    expect(Array.from(y.data as Float32Array)).toEqual(xs.map((v) => Math.fround(erf(Math.fround(v)))));
  });

  it('Gelu erf / tanh forms follow their formulas (independent erf for |x| >= 2), NaN propagates', () => {
    const exact = K['Gelu']!(node('Gelu', {}), [x])[0]!.data as Float32Array;
    const tanh = K['Gelu']!(node('Gelu', { approximate: 'tanh' }), [x])[0]!.data as Float32Array;
    xs.forEach((v, i) => {
      const v32 = Math.fround(v);
      if (Number.isNaN(v) || !Number.isFinite(v)) {
        // 0.5 · -Inf · (1 + erf(-Inf)) = -Inf · 0 = NaN in the formula; +Inf stays +Inf
        expect(exact[i]).toEqual(v > 0 ? Infinity : NaN);
        expect(tanh[i]).toEqual(v > 0 ? Infinity : NaN);
        return;
      }
      const e = Math.abs(v32) >= 2 ? Math.sign(v32) * (1 - erfcContinuedFraction(Math.abs(v32) * Math.SQRT1_2)) : erf(v32 * Math.SQRT1_2);
      const want = 0.5 * v32 * (1 + e);
      expect(Math.abs(exact[i]! - want), `gelu(${v})`).toBeLessThanOrEqual(Math.abs(want) * 1.2e-7 + 1e-30);
      const u = Math.sqrt(2 / Math.PI) * (v32 + 0.044715 * v32 ** 3);
      expect(tanh[i]).toBe(Math.fround(0.5 * v32 * (1 + Math.tanh(u))));
    });
    expect(gelu(1)).toBeCloseTo(0.8413447460685429, 15);
    expect(geluTanh(1)).toBeCloseTo(0.8411919906082768, 15);
  });

  it('shape rules: float input only, approximate validated (GraphError naming the node)', () => {
    expect(shapeRules['Erf']!(node('Erf', {}), [{ dtype: 'f32', shape: [2, 3] }])).toEqual([{ dtype: 'f32', shape: [2, 3] }]);
    expect(shapeRules['Gelu']!(node('Gelu', { approximate: 'tanh' }), [{ dtype: 'f16', shape: [5] }])).toEqual([{ dtype: 'f32', shape: [5] }]);
    expect(() => shapeRules['Erf']!(node('Erf', {}), [{ dtype: 'i64', shape: [2] }])).toThrow(GraphError);
    const bad = node('Gelu', { approximate: 'fast' });
    expect(() => shapeRules['Gelu']!(bad, [{ dtype: 'f32', shape: [2] }])).toThrow(/approximate must be 'none' or 'tanh'/);
    expect(() => K['Gelu']!(bad, [f32([1], [1])])).toThrow(GraphError);
  });
});
