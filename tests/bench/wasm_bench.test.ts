import { describe, expect, it } from 'vitest';
import { ALL_RUNTIMES, NODE_RUNTIMES, parseBenchArgs, WASM_RUNTIMES } from '../../bench/args.js';
import { figureRatio, gflops, wasmTable, type ModelRow, type RuntimeFigures } from '../../bench/metrics.js';
import { caseFlops, caseModel, ceilingGflops, rooflineWasmTable, ROOFLINE_CASES, sampledError, seededFloats, type RooflineCase } from '../../bench/roofline_wasm_cases.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { inferShapes } from '../../src/graph/infer.js';
import { graphStats } from '../../src/graph/stats.js';

const fig = (coldMs: number, medianMs: number, extra: Partial<RuntimeFigures> = {}): RuntimeFigures => ({ ok: true, coldMs, medianMs, relL2: 1e-7, ...extra });

describe('bench WASM runtimes', () => {
  it("'--runtimes wasm' expands to the five WASM runtimes; each is known, browser-only, and in the default run", () => {
    expect(parseBenchArgs(['--runtimes', 'wasm']).runtimes).toEqual(WASM_RUNTIMES);
    expect(WASM_RUNTIMES).toEqual(['tessera-wasm', 'ort-wasm', 'tfjs-wasm', 'tessera-wasm-1t', 'ort-wasm-1t']);
    expect(parseBenchArgs(['--runtimes', 'tessera,wasm,ort-wasm']).runtimes).toEqual(['tessera', ...WASM_RUNTIMES]);
    for (const r of WASM_RUNTIMES) expect(ALL_RUNTIMES).toContain(r);
    expect(parseBenchArgs([]).runtimes).toEqual(expect.arrayContaining(WASM_RUNTIMES));
    for (const r of WASM_RUNTIMES) expect(NODE_RUNTIMES).not.toContain(r);
    expect(() => parseBenchArgs(['--host', 'node', '--runtimes', 'tessera-wasm'])).toThrow(/runs only in Chromium/);
  });

  it('wasmTable: cold / median per runtime, Tessera ratios at the same thread count, GFLOP/s, threads, relaxed SIMD', () => {
    const row: ModelRow = {
      model: 'm',
      gmacs: 0.5,
      tesseraWasm: fig(100, 10, { threads: 2, relaxedSimd: true }),
      ortWasm: fig(400, 20, { threads: 2 }),
      tfjsWasm: fig(300, 40, { threads: 2 }),
      tesseraWasm1t: fig(90, 16, { threads: 1, relaxedSimd: true }),
      ortWasm1t: fig(380, 32, { threads: 1 }),
    };
    const t = wasmTable([row], 2);
    const line = t.split('\n')[2]!;
    expect(line).toContain('| m (0.500) | 100 ms / 10.0 ms | 400 ms / 20.0 ms | 300 ms / 40.0 ms | 0.50× | 0.25× | 0.25× | 0.33× |');
    // 1 GFLOP (2 × 0.5 GMAC) in 10 ms = 100 GFLOP/s; in 16 ms = 62.5.
    expect(line).toContain('| 0.50× | 100.0 / 62.5 | 2 / 2 / 2 | yes |');
    expect(t).not.toContain('Failures');
    expect(gflops(0.5, 10)).toBeCloseTo(100, 9);
    expect(figureRatio(row.tesseraWasm, { ok: false }, 'median')).toBeUndefined();
  });

  it('wasmTable lists failed jobs and outputs far from PyTorch', () => {
    const row: ModelRow = { model: 'm', tesseraWasm: fig(1, 1, { relL2: 1 }), tfjsWasm: { ok: false, error: 'boom' } };
    const t = wasmTable([row], 2);
    expect(t).toContain('| not run / not run |'); // ORT not run
    expect(t).toContain("- m, Tessera-WASM: output differs from PyTorch's (rel L2 1.0e+0)");
    expect(t).toContain('- m, TF.js WASM: boom');
  });
});

describe('WASM roofline cases', () => {
  it('each case is a one-node ONNX model with the MACs its M·N·K says, which the importer reads', () => {
    for (const c of ROOFLINE_CASES) {
      const m = caseModel(c);
      const g = importOnnx(m.bytes);
      expect(graphStats(g, inferShapes(g)).totals.macs).toBe(c.m * c.n * c.k);
      expect(caseFlops(c)).toBe(2 * c.m * c.n * c.k);
      expect(m.input.length).toBe(m.inputShape.reduce((a, b) => a * b, 1));
    }
  });

  it('sampledError is zero for the exact product and catches a wrong one', () => {
    const c: RooflineCase = { name: 'tiny', kind: 'conv', m: 16, n: 3, k: 18, conv: { cin: 2, cout: 3, h: 4, w: 4, kernel: 3 } };
    const m = caseModel(c);
    const out = new Float64Array(c.m * c.n);
    for (let co = 0; co < 3; co++)
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 4; x++) {
          let s = 0;
          for (let ci = 0; ci < 2; ci++)
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++) {
                const iy = y + ky - 1;
                const ix = x + kx - 1;
                if (iy >= 0 && ix >= 0 && iy < 4 && ix < 4) s += m.input[(ci * 4 + iy) * 4 + ix]! * m.weights[((co * 2 + ci) * 3 + ky) * 3 + kx]!;
              }
          out[(co * 4 + y) * 4 + x] = s;
        }
    expect(sampledError(c, m, out, 48)).toBeLessThan(1e-12);
    out.fill(0);
    expect(sampledError(c, m, out, 48)).toBeGreaterThan(0.01);
    const g: RooflineCase = { name: 'g', kind: 'gemm', m: 3, n: 2, k: 4 };
    const gm = caseModel(g);
    const prod = Array.from({ length: 6 }, (_, idx) => [0, 1, 2, 3].reduce((s, p) => s + gm.input[Math.floor(idx / 2) * 4 + p]! * gm.weights[p * 2 + (idx % 2)]!, 0));
    expect(sampledError(g, gm, prod, 6)).toBeLessThan(1e-12);
  });

  it('seeded floats are deterministic in [-1, 1); the ceiling is the best measured peak, else the estimate', () => {
    expect(Array.from(seededFloats(4, 3))).toEqual(Array.from(seededFloats(4, 3)));
    for (const v of seededFloats(1000, 9)) expect(v >= -1 && v < 1).toBe(true);
    expect(ceilingGflops([{ variant: 'simd', ok: true, bestGflops: 30 }, { variant: 'relaxed', ok: true, bestGflops: 40 }], 41)).toEqual({ gflops: 40, source: 'measured (relaxed loop)' });
    expect(ceilingGflops([{ variant: 'relaxed', ok: false, error: 'no' }], 41)).toEqual({ gflops: 41, source: 'estimate' });
    const t = rooflineWasmTable([{ name: 'gemm', threads: 2, threadsUsed: 2, ok: true, flops: 2e9, bestMs: 50, medianMs: 100, relaxedSimd: true, maxErr: 1e-6 }], 40);
    // 2 GFLOP in 50 ms = 40 GFLOP/s = 50 % of 2 threads × 40.
    expect(t).toContain('| gemm | 2 (2) | 50.00 / 100.00 | 40.0 / 20.0 | 50 % | yes | 1.0e-6 |');
  });
});
