/** Shared helpers for the pass tests: seeded random graphs pieces, CPU execution, output comparison. */
import { expect } from 'vitest';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import { GraphBuilder, randomValues, tensorF32 } from '../../../src/graph/builder.js';
import type { Graph, Tensor } from '../../../src/graph/ir.js';
import { sizeOf } from '../../../src/graph/ir.js';

/** Seeded uniform values in [lo, hi). */
export function uniform(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  return randomValues(count, seed).map((v) => lo + ((v + 1) / 2) * (hi - lo));
}

/** Adds a BatchNormalization with randomized statistics (positive variance, scale in [0.5, 1.5)). */
export function addBn(b: GraphBuilder, x: string, channels: number, seed: number, name?: string): string {
  const p = name ?? `bn${seed}`;
  b.init(`${p}_scale`, tensorF32([channels], uniform(channels, seed, 0.5, 1.5)));
  b.init(`${p}_bias`, tensorF32([channels], uniform(channels, seed + 1, -0.5, 0.5)));
  b.init(`${p}_mean`, tensorF32([channels], uniform(channels, seed + 2, -0.5, 0.5)));
  b.init(`${p}_var`, tensorF32([channels], uniform(channels, seed + 3, 0.2, 2)));
  return b.node('BatchNormalization', [x, `${p}_scale`, `${p}_bias`, `${p}_mean`, `${p}_var`], { epsilon: 1e-5 }, p);
}

/** Adds a Conv with random weights (and bias unless bias = false). */
export function addConv(
  b: GraphBuilder,
  x: string,
  cin: number,
  cout: number,
  seed: number,
  opts: { k?: number; pads?: number; strides?: number; group?: number; bias?: boolean; name?: string } = {},
): string {
  const k = opts.k ?? 3;
  const group = opts.group ?? 1;
  const p = opts.name ?? `conv${seed}`;
  const fanIn = (cin / group) * k * k;
  const scale = 1 / Math.sqrt(fanIn);
  b.init(`${p}_w`, tensorF32([cout, cin / group, k, k], uniform(cout * (cin / group) * k * k, seed, -scale * 1.7, scale * 1.7)));
  const inputs = [x, `${p}_w`];
  if (opts.bias ?? true) {
    b.init(`${p}_b`, tensorF32([cout], uniform(cout, seed + 7, -0.2, 0.2)));
    inputs.push(`${p}_b`);
  }
  const pad = opts.pads ?? Math.floor(k / 2);
  const s = opts.strides ?? 1;
  return b.node('Conv', inputs, { kernel_shape: [k, k], pads: [pad, pad, pad, pad], strides: [s, s], group }, p);
}

export function randomInput(shape: number[], seed: number): Tensor {
  return tensorF32(shape, uniform(sizeOf(shape), seed, -2, 2));
}

export function run(graph: Graph, inputs: Record<string, Tensor>): Record<string, Tensor> {
  return new CpuExecutor(graph).run(inputs);
}

/** max |a - b| / max |b| over every output (norm-relative error). */
export function relativeError(a: Record<string, Tensor>, b: Record<string, Tensor>): number {
  let worst = 0;
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const name of Object.keys(b)) {
    const [x, y] = [a[name]!, b[name]!];
    expect(x.shape).toEqual(y.shape);
    let maxDiff = 0;
    let maxRef = 0;
    for (let i = 0; i < y.data.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs((x.data[i] as number) - (y.data[i] as number)));
      maxRef = Math.max(maxRef, Math.abs(y.data[i] as number));
    }
    if (Number.isNaN(maxDiff)) return Infinity;
    worst = Math.max(worst, maxDiff / Math.max(maxRef, 1e-30));
  }
  return worst;
}

/** Runs both graphs on the same inputs and expects (bitwise) equal outputs, or norm-relative error <= tol. */
export function expectEquivalent(optimized: Graph, original: Graph, inputs: Record<string, Tensor>, tol = 0): void {
  const want = run(original, inputs);
  const got = run(optimized, inputs);
  if (tol === 0) {
    for (const name of Object.keys(want)) {
      expect(got[name]!.shape).toEqual(want[name]!.shape);
      expect(Array.from(got[name]!.data as Float32Array)).toEqual(Array.from(want[name]!.data as Float32Array));
    }
  } else {
    expect(relativeError(got, want)).toBeLessThanOrEqual(tol);
  }
}

export function opsOf(graph: Graph): string[] {
  return graph.nodes.map((n) => n.op);
}

/** A deep, comparable snapshot of a graph (to prove passes do not mutate their input). */
export function snapshot(graph: Graph): string {
  return JSON.stringify({
    inputs: graph.inputs,
    outputs: graph.outputs,
    nodes: graph.nodes,
    init: [...graph.initializers].map(([k, t]) => [k, t.dtype, t.shape, Array.from(t.data as Float32Array)]),
  });
}

export { GraphBuilder, tensorF32 };
