import { describe, expect, it } from 'vitest';
import { fmtMs, markdownTable, median, profileLine, ratio, relL2 } from '../../bench/metrics.js';

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

  it('table shows Tessera/ORT ratios and lists failures', () => {
    const md = markdownTable([
      {
        model: 'resnet20',
        gmacs: 0.041,
        tessera: { ok: true, coldMs: 1000, medianMs: 100, relL2: 1e-7 },
        ortWebgpu: { ok: true, coldMs: 10_000, medianMs: 400, relL2: 2e-7 },
        ortWasm: { ok: true, coldMs: 900, medianMs: 3.2 },
      },
      { model: 'resnet18', tessera: { ok: false, error: 'WebGPUKernelError: boom' }, ortWebgpu: { ok: true, coldMs: 20_000, medianMs: 10_000 } },
    ]);
    const lines = md.split('\n');
    const r20 = lines.find((l) => l.startsWith('| resnet20'))!;
    expect(r20).toContain('| 0.25× | 0.10× |');
    expect(r20).toContain('1.0e-7 / 2.0e-7');
    const r18 = lines.find((l) => l.startsWith('| resnet18'))!;
    expect(r18).toContain('failed / failed');
    expect(r18).toContain('| – | – |');
    expect(md).toContain('- resnet18, Tessera: WebGPUKernelError: boom');
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
