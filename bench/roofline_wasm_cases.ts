/**
 * The WASM GEMM roofline's pure half (bench/roofline_wasm.ts): the measured cases, their ONNX models (built with the
 * importer's own protobuf schema, so the page needs no file), a sampled reference check, and the table.
 */
import { onnxModelType } from '../src/import/onnx/schema.js';

export type RooflineCaseKind = 'gemm' | 'conv';

export interface RooflineCase {
  name: string;
  kind: RooflineCaseKind;
  /** GEMM view: output rows M, columns N, reduction K (for a conv: M = H·W, N = Cout, K = Cin·kh·kw). */
  m: number;
  n: number;
  k: number;
  /** Conv only: input [1, cin, h, w], square kernel, stride 1, 'same' padding. */
  conv?: { cin: number; cout: number; h: number; w: number; kernel: number };
}

const convCase = (name: string, cin: number, cout: number, hw: number, kernel: number): RooflineCase => ({
  name,
  kind: 'conv',
  m: hw * hw,
  n: cout,
  k: cin * kernel * kernel,
  conv: { cin, cout, h: hw, w: hw, kernel },
});

/** Square GEMMs (Gemm node, constant B) and the two conv shapes that dominate ResNet-style models. */
export const ROOFLINE_CASES: RooflineCase[] = [
  { name: 'gemm 512³', kind: 'gemm', m: 512, n: 512, k: 512 },
  { name: 'gemm 1024³', kind: 'gemm', m: 1024, n: 1024, k: 1024 },
  convCase('conv 1×1 256→64 @56² (ResNet-50)', 256, 64, 56, 1),
  convCase('conv 3×3 64→64 @56² (ResNet-18/50)', 64, 64, 56, 3),
];

export const caseFlops = (c: RooflineCase): number => 2 * c.m * c.n * c.k;

/** Deterministic pseudo-random floats in [-1, 1) (xorshift32). */
export function seededFloats(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export interface CaseModel {
  bytes: Uint8Array;
  inputName: string;
  inputShape: number[];
  input: Float32Array;
  weights: Float32Array;
  outputShape: number[];
}

const FLOAT = 1;
const valueInfo = (name: string, dims: number[]) => ({ name, type: { tensor_type: { elem_type: FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } } } });

/** The case as a one-node ONNX model: Gemm(X[M,K], W[K,N]) or Conv(X[1,Cin,H,W], W[Cout,Cin,k,k]), weights seeded. */
export function caseModel(c: RooflineCase): CaseModel {
  let node: object;
  let inputShape: number[];
  let wShape: number[];
  let outputShape: number[];
  if (c.kind === 'gemm') {
    inputShape = [c.m, c.k];
    wShape = [c.k, c.n];
    outputShape = [c.m, c.n];
    node = { op_type: 'Gemm', input: ['x', 'w'], output: ['y'], name: 'gemm', attribute: [] };
  } else {
    const v = c.conv!;
    const pad = (v.kernel - 1) >> 1;
    inputShape = [1, v.cin, v.h, v.w];
    wShape = [v.cout, v.cin, v.kernel, v.kernel];
    outputShape = [1, v.cout, v.h, v.w];
    node = {
      op_type: 'Conv',
      input: ['x', 'w'],
      output: ['y'],
      name: 'conv',
      attribute: [
        { name: 'kernel_shape', type: 7, ints: [v.kernel, v.kernel] },
        { name: 'pads', type: 7, ints: [pad, pad, pad, pad] },
        { name: 'strides', type: 7, ints: [1, 1] },
      ],
    };
  }
  const weights = seededFloats(wShape.reduce((a, b) => a * b, 1), 7);
  const input = seededFloats(inputShape.reduce((a, b) => a * b, 1), 11);
  const type = onnxModelType();
  const msg = type.fromObject({
    ir_version: 8,
    producer_name: 'tessera-bench-roofline-wasm',
    opset_import: [{ domain: '', version: 13 }],
    graph: {
      name: c.name,
      node: [node],
      input: [valueInfo('x', inputShape)],
      output: [valueInfo('y', outputShape)],
      initializer: [{ name: 'w', data_type: FLOAT, dims: wShape, float_data: Array.from(weights) }],
    },
  });
  return { bytes: type.encode(msg).finish(), inputName: 'x', inputShape, input, weights, outputShape };
}

/** Largest |got - want| / (1 + |want|) over `samples` output positions computed directly (f64). */
export function sampledError(c: RooflineCase, model: CaseModel, out: ArrayLike<number>, samples = 64): number {
  let worst = 0;
  const total = c.m * c.n;
  for (let t = 0; t < samples; t++) {
    const idx = Math.floor(((t * 2654435761) >>> 0) % total);
    let want = 0;
    if (c.kind === 'gemm') {
      const i = Math.floor(idx / c.n);
      const j = idx % c.n;
      for (let p = 0; p < c.k; p++) want += model.input[i * c.k + p]! * model.weights[p * c.n + j]!;
    } else {
      const v = c.conv!;
      const pad = (v.kernel - 1) >> 1;
      const co = Math.floor(idx / (v.h * v.w));
      const y = Math.floor((idx % (v.h * v.w)) / v.w);
      const x = idx % v.w;
      for (let ci = 0; ci < v.cin; ci++)
        for (let ky = 0; ky < v.kernel; ky++)
          for (let kx = 0; kx < v.kernel; kx++) {
            const iy = y + ky - pad;
            const ix = x + kx - pad;
            if (iy < 0 || ix < 0 || iy >= v.h || ix >= v.w) continue;
            want += model.input[(ci * v.h + iy) * v.w + ix]! * model.weights[((co * v.cin + ci) * v.kernel + ky) * v.kernel + kx]!;
          }
    }
    worst = Math.max(worst, Math.abs(out[idx]! - want) / (1 + Math.abs(want)));
  }
  return worst;
}

export interface PeakResult {
  variant: 'simd' | 'relaxed';
  ok: boolean;
  error?: string;
  /** Best and median GFLOP/s over the timed calls. */
  bestGflops?: number;
  medianGflops?: number;
  calls?: number;
}

export interface CaseResult {
  name: string;
  threads: number;
  ok: boolean;
  error?: string;
  flops: number;
  bestMs?: number;
  medianMs?: number;
  reps?: number;
  /** Sampled max relative error vs a direct f64 computation (sampledError). */
  maxErr?: number;
  relaxedSimd?: boolean;
  threadsUsed?: number;
  fallbackNodes?: string[];
}

const f1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));

/** The single-core ceiling: the best measured peak, else the estimate. */
export function ceilingGflops(peaks: readonly PeakResult[], estimate: number | undefined): { gflops: number; source: string } | undefined {
  const best = peaks.filter((p) => p.ok && p.bestGflops !== undefined).sort((a, b) => b.bestGflops! - a.bestGflops!)[0];
  if (best) return { gflops: best.bestGflops!, source: `measured (${best.variant} loop)` };
  return estimate === undefined ? undefined : { gflops: estimate, source: 'estimate' };
}

/** Markdown table: per case and thread count, best / median time, GFLOP/s, and % of (threads × single-core ceiling). */
export function rooflineWasmTable(results: readonly CaseResult[], ceiling: number | undefined): string {
  const head = ['case', 'threads (used)', 'best / median ms', 'GFLOP/s best / median', '% of ceiling (best)', 'relaxed SIMD', 'sampled max err'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of results) {
    if (!r.ok) {
      lines.push(`| ${r.name} | ${r.threads} | failed: ${r.error ?? '?'} | – | – | – | – |`);
      continue;
    }
    const gBest = r.flops / (r.bestMs! / 1000) / 1e9;
    const gMed = r.flops / (r.medianMs! / 1000) / 1e9;
    const pct = ceiling ? `${((100 * gBest) / (ceiling * (r.threadsUsed ?? r.threads))).toFixed(0)} %` : '–';
    lines.push(
      `| ${r.name} | ${r.threads} (${r.threadsUsed ?? '?'}) | ${r.bestMs!.toFixed(2)} / ${r.medianMs!.toFixed(2)} | ${f1(gBest)} / ${f1(gMed)} | ${pct} | ` +
        `${r.relaxedSimd === undefined ? '–' : r.relaxedSimd ? 'yes' : 'no'} | ${r.maxErr === undefined ? '–' : r.maxErr.toExponential(1)} |`,
    );
  }
  return lines.join('\n');
}
