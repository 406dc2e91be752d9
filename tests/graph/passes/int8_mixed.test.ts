/** Mixed-precision int8 (`convert --int8 --int8-calibration`): the agreement estimate and the per-layer choice. */
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import type { Graph, Tensor } from '../../../src/graph/ir.js';
import { quantizeWeightsInt8 } from '../../../src/graph/passes/quantize_int8.js';
import { largestErrorFor, quantizeWeightsInt8Mixed, referenceStats, relativeError, syntheticCalibration } from '../../../src/graph/passes/int8_mixed.js';
import { seededRandom, syntheticCnn } from '../../format/helpers.js';

const argmax = (v: Float32Array, k: number, i: number) => {
  let best = 0;
  for (let j = 1; j < k; j++) if (v[i * k + j]! > v[i * k + best]!) best = j;
  return best;
};

describe('referenceStats: agreement estimate', () => {
  it('predicts the top-1 flips of a Gaussian perturbation of relative size eps (Monte Carlo, 4,000 inputs)', () => {
    const rand = seededRandom(7);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const count = 4000;
    const k = 10;
    const ref = Float32Array.from({ length: count * k }, gauss);
    const stats = referenceStats(ref, count);
    for (const eps of [0.01, 0.03]) {
      // Perturb every output by eps times its input's spread: relativeError reads eps back, less the part
      // common to all outputs of an input (which moves no top-1): eps·√((k−1)/k).
      const got = Float32Array.from(ref, (v, i) => v + eps * stats.spread[Math.floor(i / k)]! * gauss());
      expect(relativeError(ref, got, stats) / (eps * Math.sqrt((k - 1) / k))).toBeCloseTo(1, 1);
      let flips = 0;
      for (let i = 0; i < count; i++) if (argmax(ref, k, i) !== argmax(got, k, i)) flips++;
      const predicted = (1 - stats.agreementAt(eps)) * count;
      expect(flips, `eps ${eps}: predicted ${predicted.toFixed(1)}`).toBeGreaterThan(0.6 * predicted);
      expect(flips, `eps ${eps}: predicted ${predicted.toFixed(1)}`).toBeLessThan(1.5 * predicted);
    }
    expect(stats.agreementAt(0)).toBe(1);
    const eps = largestErrorFor(stats.agreementAt, 0.99, 1);
    expect(stats.agreementAt(eps)).toBeGreaterThanOrEqual(0.99);
    expect(stats.agreementAt(eps * 1.01)).toBeLessThan(0.99);
  });

  it('decided outputs (no near ties) estimate full agreement; a common offset is no error', () => {
    const ref = Float32Array.from({ length: 50 * 3 }, (_, i) => [5, 0, -5][i % 3]!);
    const stats = referenceStats(ref, 50);
    expect(stats.agreementAt(0.05)).toBe(1);
    expect(relativeError(ref, ref.map((v) => v + 3), stats)).toBe(0);
  });
});

describe('quantizeWeightsInt8Mixed', () => {
  const graph = syntheticCnn(3);
  const rand = seededRandom(11);
  const calibration: Tensor = { dtype: 'f32', shape: [32, 1, 28, 28], data: Float32Array.from({ length: 32 * 784 }, () => rand() * 2 - 1) };
  const logits = (g: Graph) => new CpuExecutor(g).run({ image: calibration })['logits']!.data as Float32Array;

  it('without calibration or with minAgreement 0: every candidate int8, nothing measured', () => {
    const all = quantizeWeightsInt8(graph).summary.layers.map((l) => l.tensor);
    expect(all).toEqual(['conv2.W', 'fc1.W']); // fc2.W has 160 values: too small to bother
    for (const r of [quantizeWeightsInt8Mixed(graph), quantizeWeightsInt8Mixed(graph, { calibration, minAgreement: 0 })]) {
      expect(r.summary.layers.map((l) => l.tensor)).toEqual(all);
      expect(r.floatLayers).toEqual([]);
      expect(r.estimate).toBeUndefined();
    }
  });

  it('keeps float what the target needs; the estimate it reports is the returned graph on the calibration inputs', () => {
    const ref = logits(graph);
    const stats = referenceStats(ref, 32);
    const allError = relativeError(ref, logits(quantizeWeightsInt8(graph).graph), stats);
    // A target between "all int8" and "all float" on these inputs: something must stay float, not everything.
    const target = (1 + stats.agreementAt(allError)) / 2;
    expect(target).toBeLessThan(1);
    const r = quantizeWeightsInt8Mixed(graph, { calibration, minAgreement: target });
    expect(r.estimate!.allInt8Error).toBeCloseTo(allError, 6);
    expect(r.floatLayers.length).toBeGreaterThan(0);
    expect(r.summary.layers.length + r.floatLayers.length).toBe(2);
    for (const f of r.floatLayers) {
      expect(r.graph.initializers.get(f.tensor)).toBe(graph.initializers.get(f.tensor)); // untouched f32
      expect(f.error).toBeGreaterThan(0);
    }
    const error = relativeError(ref, logits(r.graph), stats);
    expect(r.estimate!.error).toBeCloseTo(error, 6);
    expect(stats.agreementAt(error)).toBeGreaterThanOrEqual(target);
    expect(r.estimate!.agreement).toBeGreaterThanOrEqual(target);
    // Reproducible: the same inputs give the same choice.
    expect(quantizeWeightsInt8Mixed(graph, { calibration, minAgreement: target }).floatLayers).toEqual(r.floatLayers);
  });

  it('minAgreement 1 tolerates no flip: everything stays float (error 0)', () => {
    const r = quantizeWeightsInt8Mixed(graph, { calibration, minAgreement: 1 });
    expect(r.summary.layers).toEqual([]);
    expect(r.floatLayers.map((f) => f.tensor).sort()).toEqual(['conv2.W', 'fc1.W']);
    expect(r.estimate!.error).toBe(0);
  });

  it("synthetic calibration: seeded images in the model's input size, the same on every call", () => {
    const a = syntheticCalibration(graph, 4);
    expect(a.shape).toEqual([4, 1, 28, 28]);
    expect(a.data).toEqual(syntheticCalibration(graph, 4).data);
    const d = a.data as Float32Array;
    const std = Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
    expect(std).toBeGreaterThan(0.5);
    expect(std).toBeLessThan(1.5);
    const r = quantizeWeightsInt8Mixed(graph, { calibration: 'synthetic', syntheticCount: 8 });
    expect(r.estimate!.synthetic).toBe(true);
    expect(r.estimate!.inputs).toBe(8);
  });
});
