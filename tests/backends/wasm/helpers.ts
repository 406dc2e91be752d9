/**
 * Helpers for the WASM backend tests: a seeded PRNG, single-op graph building, and "run on WasmExecutor (1 and 2
 * threads) vs CpuExecutor, relative L2" with every mismatch collected (not only the first) so that a failing test
 * names every bad case with its exact shapes and attributes.
 */
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import { WasmExecutor } from '../../../src/backends/wasm/index.js';
import { GraphBuilder } from '../../../src/graph/builder.js';
import type { Attrs, Graph, Tensor } from '../../../src/graph/ir.js';
import { relativeL2 } from '../../../src/util/relative_l2.js';
import { mulberry32 } from '../../harness/rng.js';

export type Rng = () => number;

export { mulberry32 };

export const randInt = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
export const ODD = [1, 3, 5, 7, 9, 11, 13];

/** Uniform values in [lo, hi). */
export function randomData(r: Rng, count: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(count);
  for (let i = 0; i < count; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
export const f32 = (shape: readonly number[], data: Float32Array): Tensor => ({ dtype: 'f32', shape: [...shape], data });

/**
 * The shared relative L2 error (0 when both are all zero), except that a position holding the same NaN / Infinity
 * on both sides counts as equal (a reference can produce them legitimately) and any other NaN / Infinity, or a length
 * mismatch, gives Infinity.
 */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  const sameNonFinite = (i: number) => !Number.isFinite(b[i]!) && Object.is(a[i], b[i]);
  const idx = Array.from({ length: b.length }, (_, i) => i);
  const keep = idx.some(sameNonFinite) ? idx.filter((i) => !sameNonFinite(i)) : undefined;
  const r = keep ? relativeL2(keep.map((i) => a[i]!), keep.map((i) => b[i]!)) : relativeL2(a, b);
  return Number.isNaN(r) ? Infinity : r;
}

/** A single-op (or small) graph under construction: inputs with data, constants, one or more nodes. */
export class Case {
  readonly b = new GraphBuilder();
  readonly feeds: Record<string, Float32Array> = {};
  readonly shapes: Record<string, number[]> = {};
  private outs: string[] = [];
  constructor(readonly label: string) {}

  input(name: string, shape: number[], data: Float32Array): string {
    this.b.input(name, 'f32', shape);
    this.feeds[name] = data;
    this.shapes[name] = [...shape];
    return name;
  }

  init(name: string, shape: number[], data: Float32Array): string {
    this.b.init(name, f32(shape, data));
    return name;
  }

  node(op: string, inputs: string[], attrs: Attrs = {}, name?: string): string {
    return this.b.node(op, inputs, attrs, name);
  }

  output(name: string): void {
    this.b.output(name);
    this.outs.push(name);
  }

  build(): Graph {
    return this.b.build();
  }
}

export interface CheckResult {
  label: string;
  threads: number;
  err: number;
  fallback: string[];
  /** Kernels the executor ran (from profile(), single-thread run only), e.g. ['pad2d', 'conv2d']. */
  kernels?: string[];
  error?: string;
}

/** CPU reference outputs of a graph. */
export function cpuOutputs(graph: Graph, feeds: Record<string, Float32Array>, shapes: Record<string, number[]>): Record<string, Tensor> {
  const tensors: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) tensors[k] = f32(shapes[k]!, v);
  return new CpuExecutor(graph).run(tensors);
}

/**
 * Runs `c` on the CPU reference and on WasmExecutor with each thread count (one executor per count, released
 * after; a threaded one runs on its pool and on the calling thread alone); returns one result per thread count: the worst rel L2 over the outputs and the fallback nodes.
 */
export async function check(c: Case, threads: readonly number[] = [1, 2]): Promise<CheckResult[]> {
  const graph = c.build();
  let ref: Record<string, Tensor>;
  try {
    ref = cpuOutputs(graph, c.feeds, c.shapes);
  } catch (e) {
    return [{ label: c.label, threads: 0, err: Infinity, fallback: [], error: `CPU reference: ${(e as Error).message}` }];
  }
  const results: CheckResult[] = [];
  for (const t of threads) {
    let ex: WasmExecutor | undefined;
    try {
      ex = await WasmExecutor.create(graph, { inputShapes: c.shapes, numThreads: t });
      // with threads: the pool's program and the one-thread program beside it (encoded apart: lower.ts Addresses.threads)
      const runs = t > 1 ? [ex.run(c.feeds, 'pool'), ex.run(c.feeds, 'single')] : [ex.run(c.feeds)];
      let err = 0;
      for (const out of runs)
        for (const o of graph.outputs) {
          const a = out[o.name];
          const b = ref[o.name]!;
          if (!a || a.shape.join(',') !== b.shape.join(',')) err = Infinity;
          else err = Math.max(err, relL2(a.data as Float32Array, b.data as Float32Array));
        }
      // single thread: also which kernels ran (profile() runs the same program once more, call by call)
      const kernels = t === 1 ? ex.profile(c.feeds).rows.map((row) => row.kernel) : undefined;
      results.push({ label: c.label, threads: t, err, fallback: [...ex.info.fallbackNodes], ...(kernels ? { kernels } : {}) });
    } catch (e) {
      results.push({ label: c.label, threads: t, err: Infinity, fallback: [], error: `${(e as Error).name}: ${(e as Error).message}` });
    } finally {
      ex?.release();
    }
  }
  return results;
}

/** Runs cases in order; returns a list of human-readable problems (empty = all good) and the worst error seen. */
export async function checkAll(
  cases: Iterable<Case>,
  opts: { tol?: number; threads?: readonly number[]; expectNoFallback?: (c: Case) => boolean } = {},
): Promise<{ problems: string[]; worst: number; count: number; fallbackCount: number; kernels: Record<string, number> }> {
  const tol = opts.tol ?? 1e-5;
  const problems: string[] = [];
  let worst = 0;
  let count = 0;
  let fallbackCount = 0;
  const kernels: Record<string, number> = {};
  for (const c of cases) {
    count++;
    const noFallback = opts.expectNoFallback?.(c) ?? false;
    for (const r of await check(c, opts.threads)) {
      if (r.error) problems.push(`${r.label} threads=${r.threads}: ERROR ${r.error}`);
      else if (!(r.err <= tol)) problems.push(`${r.label} threads=${r.threads}: relL2 ${r.err.toExponential(3)} > ${tol}`);
      if (!r.error) worst = Math.max(worst, r.err);
      if (r.fallback.length > 0) fallbackCount++;
      if (r.kernels) {
        const key = r.kernels.join('+');
        kernels[key] = (kernels[key] ?? 0) + 1;
      }
      if (noFallback && r.fallback.length > 0) problems.push(`${r.label} threads=${r.threads}: unexpected CPU fallback: ${r.fallback.join(', ')}`);
    }
  }
  return { problems, worst, count, fallbackCount, kernels };
}

/** Output length of a conv / pool window along one axis (floor mode). */
export const outLen = (n: number, k: number, s: number, d: number, pb: number, pe: number) => Math.floor((n + pb + pe - ((k - 1) * d + 1)) / s) + 1;

/** An input length in 1..max (random) that leaves at least one output position. */
export function lenFor(r: Rng, k: number, d: number, pb: number, pe: number, max = 20): number {
  const eff = (k - 1) * d + 1;
  return Math.max(randInt(r, 1, max), eff - pb - pe, 1);
}
