import { describe, expect, it } from 'vitest';
import {
  bytesOf,
  classify,
  classTable,
  classTotals,
  gflopsOf,
  kernelBreakdown,
  layerRows,
  layerTable,
  parseRooflineArgs,
  RooflineArgsError,
  targetHolds,
  type DispatchRow,
} from '../../bench/roofline_table.js';

/** A conv dispatch with MACs computed from its shapes (not copied from the code under test). */
function conv(node: string, cin: number, cout: number, hw: number, k: number, ms: number, opts: { group?: number; stride?: number; kernel?: string; minMs?: number } = {}): DispatchRow {
  const g = opts.group ?? 1;
  const s = opts.stride ?? 1;
  const o = Math.floor((hw + 2 * ((k - 1) >> 1) - k) / s) + 1;
  return {
    node,
    op: 'FusedConv',
    kernel: opts.kernel ?? 'k',
    inputShapes: [[1, cin, hw, hw], [cout, cin / g, k, k], [cout]],
    outputShape: [1, cout, o, o],
    macs: cout * o * o * (cin / g) * k * k,
    medianMs: ms,
    minMs: opts.minMs ?? ms,
    kernelShape: [k, k],
    strides: [s, s],
    group: g,
  };
}

const other = (node: string, op: string, ms: number): DispatchRow => ({ node, op, kernel: op.toLowerCase(), inputShapes: [[1, 64, 56, 56]], outputShape: [1, 64, 56, 56], macs: 0, medianMs: ms, minMs: ms });

describe('roofline classification', () => {
  it('puts convs in 3x3 / 1x1 / grouped / other conv and the rest in gemm or other ops', () => {
    expect(classify('FusedConv', [3, 3], 1)).toBe('3x3');
    expect(classify('Conv', [1, 1], 1)).toBe('1x1');
    expect(classify('Conv', [3, 3], 32)).toBe('depthwise/grouped');
    expect(classify('Conv', [1, 1], 4)).toBe('depthwise/grouped');
    expect(classify('FusedConv', [7, 7], 1)).toBe('other conv');
    expect(classify('Conv', [3, 1], 1)).toBe('other conv');
    expect(classify('FusedGemm', undefined, undefined)).toBe('gemm');
    expect(classify('MatMul', undefined, undefined)).toBe('gemm');
    expect(classify('MaxPool', [3, 3], undefined)).toBe('other ops');
  });
});

describe('roofline layer rows', () => {
  it('computes GFLOP/s as 2·MAC / time and the share of the ceiling', () => {
    // 64>64 3x3 at 56x56: 64·56·56·64·9 = 115,605,504 MAC; in 100 ms that is 2.312 GFLOP/s.
    const rows = layerRows([conv('a', 64, 64, 56, 3, 100)], 4);
    expect(rows[0]!.macs).toBe(115_605_504);
    expect(rows[0]!.gflops).toBeCloseTo(2.312, 3);
    expect(rows[0]!.ofCeiling).toBeCloseTo(2.312 / 4, 3);
    expect(rows[0]!.shape).toBe('3x3 64>64 @56x56');
    expect(gflopsOf(1e9, 1000)).toBeCloseTo(2, 12);
    expect(gflopsOf(5, 0)).toBe(0);
  });

  it('merges the dispatches of one node and keeps dispatch order', () => {
    const a1 = conv('a', 16, 32, 8, 1, 2, { kernel: 'x' });
    const a2 = { ...conv('a', 16, 32, 8, 1, 3, { kernel: 'y' }) };
    const rows = layerRows([a1, other('p', 'MaxPool', 1), a2], 1);
    expect(rows.map((r) => r.node)).toEqual(['a', 'p']);
    expect(rows[0]!.ms).toBe(5);
    expect(rows[0]!.macs).toBe(2 * 32 * 8 * 8 * 16);
    expect(rows[0]!.kernel).toBe('x+y');
    expect(rows[0]!.bytes).toBe(bytesOf(a1) + bytesOf(a2));
  });

  it('shows stride and group in the shape text', () => {
    const [r] = layerRows([conv('d', 128, 128, 56, 3, 1, { group: 128, stride: 2 })], 1);
    expect(r!.shape).toBe('3x3/2x2 128>128 g128 @28x28');
    expect(r!.cls).toBe('depthwise/grouped');
  });

  it('charges a lowered conv (several dispatches, MACs on the first) to one row, its bytes counted once', () => {
    const first = conv('c', 64, 64, 56, 3, 2, { kernel: 'winograd_input' });
    const rest = (kernel: string, ms: number): DispatchRow => ({ ...first, kernel, macs: 0, medianMs: ms, minMs: ms, continued: true });
    const [row] = layerRows([first, rest('winograd_gemm', 5), rest('winograd_output', 1)], 10);
    expect(row!.ms).toBe(8);
    expect(row!.macs).toBe(first.macs);
    expect(row!.bytes).toBe(bytesOf(first));
    expect(row!.kernel).toBe('winograd_input+winograd_gemm+winograd_output');
    expect(row!.gflops).toBeCloseTo((2 * first.macs) / 8e6, 6);
  });
  it('counts compulsory bytes of inputs, weights and output as f32', () => {
    // input 1·3·4·4 = 48, weight 8·3·1·1 = 24, bias 8, output 1·8·4·4 = 128 -> 208 floats
    expect(bytesOf(conv('c', 3, 8, 4, 1, 1))).toBe(4 * 208);
  });
});

describe('roofline class totals', () => {
  const ceiling = 2;
  // Two 3x3 layers: one at exactly 80 % of the ceiling, one at 40 %; one 1x1 at 75 %; one other op.
  const mac3 = 64 * 56 * 56 * 64 * 9;
  const msAt = (macs: number, gflops: number) => (2 * macs) / (gflops * 1e6);
  const mac1 = 256 * 56 * 56 * 64;
  const d = [
    conv('c1', 64, 64, 56, 3, msAt(mac3, 1.6), { minMs: msAt(mac3, 2) }),
    conv('c2', 64, 64, 56, 3, msAt(mac3, 0.8)),
    conv('p1', 256, 64, 56, 1, msAt(mac1, 1.5)),
    other('bn', 'BatchNormalization', 10),
  ];
  const rows = layerRows(d, ceiling);
  const totals = classTotals(rows, ceiling, 0.7);

  it('aggregates per class as ΣMAC over Σtime, with layer counts at the threshold', () => {
    expect(totals.map((t) => t.cls)).toEqual(['3x3', '1x1', 'other ops']);
    const t3 = totals[0]!;
    // 2·(2 mac3) / (t(1.6) + t(0.8)): harmonic mean of 1.6 and 0.8 = 1.0667
    expect(t3.gflops).toBeCloseTo(2 / (1 / 1.6 + 1 / 0.8), 6);
    expect(t3.ofCeiling).toBeCloseTo(t3.gflops / ceiling, 9);
    expect(t3.atTarget).toBe(1);
    expect(t3.layers).toBe(2);
    // best: c1 at 2.0, c2 at 0.8
    expect(t3.gflopsBest).toBeCloseTo(2 / (1 / 2 + 1 / 0.8), 6);
    expect(totals[1]!.atTarget).toBe(1);
    const sum = totals.reduce((s, t) => s + t.timeShare, 0);
    expect(sum).toBeCloseTo(1, 9);
    expect(totals[2]!.atTarget).toBe(0);
  });

  it('judges the target on the aggregate of each listed class', () => {
    expect(targetHolds(totals, ['1x1'], 0.7)).toBe(true);
    expect(targetHolds(totals, ['3x3', '1x1'], 0.7)).toBe(false);
    expect(targetHolds(totals, ['3x3'], 0.5)).toBe(true);
    expect(targetHolds(totals, ['depthwise/grouped'], 0.1)).toBe(false); // absent class
  });

  it('renders tables with one line per layer with MACs and per class', () => {
    const lt = layerTable(rows).split('\n');
    expect(lt).toHaveLength(2 + 3);
    expect(lt[2]).toContain('| 80 % |');
    const ct = classTable(totals).split('\n');
    expect(ct).toHaveLength(2 + 3);
    expect(ct[2]).toContain('1/2 (50 %)');
    expect(ct[4]).toMatch(/^\| other ops \| 1 \|/);
  });

  it('breaks the time down by op/kernel, largest first, shares summing to 1', () => {
    const k = kernelBreakdown(rows);
    for (let i = 1; i < k.length; i++) expect(k[i - 1]!.ms).toBeGreaterThanOrEqual(k[i]!.ms);
    expect(k.reduce((s, x) => s + x.share, 0)).toBeCloseTo(1, 9);
    expect(k.find((x) => x.key === 'FusedConv/k')!.count).toBe(3);
  });
});

describe('roofline arguments', () => {
  it('has defaults and parses the options', () => {
    expect(parseRooflineArgs([])).toEqual({ models: ['resnet50', 'densenet121'], reps: 3, gemmReps: 3, outDir: 'bench/results' });
    expect(parseRooflineArgs(['--models', 'resnet18', '--reps', '5', '--gemm-reps', '2', '--out', '/tmp/x'])).toEqual({ models: ['resnet18'], reps: 5, gemmReps: 2, outDir: '/tmp/x' });
  });

  it('rejects bad values with a typed error naming the flag', () => {
    expect(() => parseRooflineArgs(['--reps', '0'])).toThrow(RooflineArgsError);
    expect(() => parseRooflineArgs(['--reps', 'x'])).toThrow(/--reps/);
    expect(() => parseRooflineArgs(['--models', '../etc'])).toThrow(/--models/);
    expect(() => parseRooflineArgs(['--bogus'])).toThrow(/unknown option '--bogus'/);
    expect(() => parseRooflineArgs(['--out'])).toThrow(RooflineArgsError);
  });
});
