import { describe, expect, it } from 'vitest';
import { coldSplitTable, fmtMs, gpuRatio, markdownTable, median, profileLine, ratio, relL2, type ModelRow } from '../../bench/metrics.js';
import { ratioChartSvg } from '../../bench/chart.js';

describe('bench metrics', () => {
  it('relL2 is ||a-b|| / ||b||, absolute for a zero reference, NaN on mismatch', () => {
    expect(relL2([1, 2], [1, 1])).toBeCloseTo(Math.sqrt(1 / 2), 12);
    expect(relL2([3, 4], [0, 0])).toBeCloseTo(5, 12);
    expect(relL2([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(relL2([1], [1, 2])).toBeNaN();
    expect(relL2([NaN], [1])).toBeNaN();
  });

  it('median of odd and even lists, unsorted input untouched', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('ratio needs two finite values and a positive denominator', () => {
    expect(ratio(50, 200)).toBe(0.25);
    expect(ratio(undefined, 2)).toBeUndefined();
    expect(ratio(1, 0)).toBeUndefined();
    expect(ratio(1, NaN)).toBeUndefined();
  });

  it('formats milliseconds by magnitude', () => {
    expect(fmtMs(3.214)).toBe('3.21 ms');
    expect(fmtMs(384.6)).toBe('385 ms');
    expect(fmtMs(10_400)).toBe('10.4 s');
    expect(fmtMs(undefined)).toBe('–');
  });

  it('table shows Tessera over the faster of ORT-web and TF.js, and lists failures', () => {
    const md = markdownTable([
      {
        model: 'resnet20',
        gmacs: 0.041,
        tessera: { ok: true, coldMs: 1000, medianMs: 100, relL2: 1e-7, dispatches: 23 },
        ortWebgpu: { ok: true, coldMs: 10_000, medianMs: 400, relL2: 2e-7 },
        tfjsWebgpu: { ok: true, coldMs: 5000, medianMs: 800, relL2: 3e-7 },
        ortWasm: { ok: true, coldMs: 900, medianMs: 3.2 },
      },
      { model: 'resnet18', tessera: { ok: false, error: 'WebGPUKernelError: boom' }, ortWebgpu: { ok: true, coldMs: 20_000, medianMs: 10_000 } },
      { model: 'squeezenet1_1', tessera: { ok: true, coldMs: 600, medianMs: 30 }, ortWebgpu: { ok: false, error: 'x' }, tfjsWebgpu: { ok: true, coldMs: 3000, medianMs: 60 } },
    ]);
    const lines = md.split('\n');
    const r20 = lines.find((l) => l.startsWith('| resnet20'))!;
    // median: ORT (400) is faster than TF.js (800); cold: TF.js (5000) beats ORT (10000).
    expect(r20).toContain('| 0.25× (ORT) | 0.20× (TF.js) |');
    expect(r20).toContain('1.0e-7 / 2.0e-7 / 3.0e-7 / – | 23 |');
    const r18 = lines.find((l) => l.startsWith('| resnet18'))!;
    expect(r18).toContain('failed / failed');
    expect(r18).toContain('not run / not run | – | – |');
    // A failed ORT leaves TF.js as the reference.
    expect(lines.find((l) => l.startsWith('| squeezenet1_1'))).toContain('| 0.50× (TF.js) | 0.20× (TF.js) |');
    expect(md).toContain('- resnet18, Tessera: WebGPUKernelError: boom');
    expect(md).toContain('- squeezenet1_1, ORT-web WebGPU: x');
  });

  it('gpuRatio picks the faster WebGPU runtime and needs a Tessera figure', () => {
    const row: ModelRow = { model: 'm', tessera: { ok: true, coldMs: 30, medianMs: 3 }, ortWebgpu: { ok: true, coldMs: 60, medianMs: 2 }, tfjsWebgpu: { ok: true, coldMs: 40, medianMs: 6 } };
    expect(gpuRatio(row, 'median')).toEqual({ ratio: 1.5, vs: 'ORT' });
    expect(gpuRatio(row, 'cold')).toEqual({ ratio: 0.75, vs: 'TF.js' });
    expect(gpuRatio({ ...row, tessera: { ok: false } }, 'cold')).toBeUndefined();
    expect(gpuRatio({ model: 'm', tessera: row.tessera }, 'cold')).toBeUndefined();
  });

  it('cold split table: phases in reported order, shares of cold, fetch apart', () => {
    const md = coldSplitTable(
      [
        { model: 'a', tessera: { ok: true, coldMs: 200, fetchMs: 5, phasesMs: { parse: 50, compile: 100, 'first run': 50 } } },
        { model: 'b', tessera: { ok: false } },
      ],
      (r) => r.tessera,
    );
    const lines = md.split('\n');
    expect(lines[0]).toBe('| model | fetch (not in cold) | parse | compile | first run | cold |');
    expect(lines[2]).toBe('| a | 5.00 ms | 50.0 ms (25 %) | 100 ms (50 %) | 50.0 ms (25 %) | 200 ms |');
    expect(lines).toHaveLength(3);
    expect(coldSplitTable([{ model: 'b' }], (r) => r.tessera)).toBe('');
  });

  it('chart: one bar per model and series, left of parity when Tessera is faster, names escaped', () => {
    const svg = ratioChartSvg(
      [
        { model: 'fast<net>', tessera: { ok: true, coldMs: 10, medianMs: 1 }, ortWebgpu: { ok: true, coldMs: 100, medianMs: 10 } },
        { model: 'slow', tessera: { ok: true, coldMs: 300, medianMs: 30 }, tfjsWebgpu: { ok: true, coldMs: 100, medianMs: 10 } },
        { model: 'none', tessera: { ok: false } },
      ],
      'sub & title',
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('fast&lt;net&gt;');
    expect(svg).toContain('sub &amp; title');
    const bars = [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="14" fill="[^"]+"><title>([^<]+)<\/title>/g)];
    expect(bars.map((b) => b[3])).toEqual(['fast&lt;net&gt; median: 0.10× vs ORT', 'fast&lt;net&gt; cold: 0.10× vs ORT', 'slow median: 3.00× vs TF.js', 'slow cold: 3.00× vs TF.js']);
    const parity = Number(/<line x1="([\d.]+)"[^>]*stroke="#000"/.exec(svg)![1]);
    const [fast, slow] = [bars[0]!, bars[2]!];
    expect(Number(fast[1]) + Number(fast[2])).toBeCloseTo(parity, 0); // ends at parity, extends left
    expect(Number(slow[1])).toBeCloseTo(parity, 0); // starts at parity, extends right
    expect(svg.match(/>n\/a</g)).toHaveLength(2);
  });

  it('profile line gives each kernel its share of the summed GPU time', () => {
    const line = profileLine('m', [
      { op: 'FusedConv', kernel: 'conv_a', dispatches: 3, gpuMs: 75 },
      { op: 'MaxPool', kernel: 'pool', dispatches: 1, gpuMs: 25 },
    ]);
    expect(line).toBe('- m: 100 ms GPU in 4 dispatches: FusedConv/conv_a ×3 75.0 %, MaxPool/pool ×1 25.0 %');
    expect(profileLine('m', [{ op: 'Conv', kernel: 'k', dispatches: 1, gpuMs: null }])).toContain('no GPU timestamps');
  });
});
