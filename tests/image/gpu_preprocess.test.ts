/**
 * GPU image preprocessing (src/image/gpu_preprocess.ts) in headless Chromium (WebGPU on SwiftShader): for every kind of
 * source and several sizes (model size, up- and downscaling, non-square targets, a 1x1 image, grey and BGR models)
 * the GPU tensor equals the CLI's imageToTensor on the same pixels within 1e-5, and the CPU path (imageToInput) too
 * wherever that path reads the pixels 1:1. Also: typed errors and the CPU fallback. Page side: gpu_preprocess_page.ts.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserSession, type BrowserSession } from '../../src/node/browser_harness.js';
import type { SizeCase, SourceResult, ViewCase, ViewResult } from './gpu_preprocess_page.js';

type PageApi = {
  compareSources(c: SizeCase[]): Promise<(SourceResult & { label: string })[]>;
  compareVideo(): Promise<{ meanAbsGpuVsCpuPath: number; meanAbsGpuVsCli: number; shape: number[] }>;
  errorCases(): Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  batchBuffer(): Promise<{ offsets: number[]; sameBuffer: boolean; maxAbs: number }>;
  compareViews(c: ViewCase[]): Promise<ViewResult[]>;
};

let session: BrowserSession;
beforeAll(async () => {
  session = await startBrowserSession({ entry: fileURLToPath(new URL('./gpu_preprocess_page.ts', import.meta.url)) });
});
afterAll(async () => {
  await session?.close();
});

function call<K extends keyof PageApi>(name: K, ...args: Parameters<PageApi[K]>): ReturnType<PageApi[K]> {
  return session.page.evaluate(
    ([n, a]) => ((globalThis as unknown as { gpuImageTest: Record<string, (...x: unknown[]) => unknown> }).gpuImageTest[n as string]!(...(a as unknown[]))),
    [name, args] as const,
  ) as ReturnType<PageApi[K]>;
}

const TOL = 1e-5;

describe('GPU preprocessing vs the CPU path in Chromium', () => {
  it('matches on every source kind for model-size, upscaled, downscaled, non-square and 1x1 images', async () => {
    const cases: SizeCase[] = [
      { label: '32x32 -> 32x32 (model size)', width: 32, height: 32, input: [3, 32, 32], pattern: 'noise', seed: 1 },
      { label: '64x48 -> 32x32 (down, landscape)', width: 64, height: 48, input: [3, 32, 32], pattern: 'noise', seed: 2 },
      { label: '20x50 -> 32x32 (up, portrait)', width: 20, height: 50, input: [3, 32, 32], pattern: 'noise', seed: 3 },
      { label: '1x1 -> 7x5', width: 1, height: 1, input: [3, 7, 5], pattern: 'noise', seed: 4 },
      { label: '150x40 -> 12x40 BGR, pixelScale 1', width: 150, height: 40, input: [3, 12, 40], pattern: 'noise', seed: 5, meta: { mean: [127.5, 120, 110], std: [64, 60, 58], pixelScale: 1, colorOrder: 'BGR' } },
      { label: '45x45 -> grey 28x28', width: 45, height: 45, input: [1, 28, 28], pattern: 'noise', seed: 6, meta: { mean: [0.1307], std: [0.3081] } },
    ];
    const results = await call('compareSources', cases);
    expect(results.length).toBe(cases.length * 6);
    const bad = results.filter((r) => r.error || !(r.maxAbsVsCli <= TOL) || !(r.maxAbsVsCpuPath <= TOL));
    expect(bad).toEqual([]);
    for (const r of results) expect(r.shape).toEqual([1, ...cases.find((c) => c.label === r.label)!.input]);
    console.log(`GPU vs CLI/CPU path, ${results.length} source x size pairs: max |diff| ${Math.max(...results.map((r) => Math.max(r.maxAbsVsCli, r.maxAbsVsCpuPath))).toExponential(2)}`);
  });

  it('applies the exact rule to large sources, where the CPU path only approximates it', async () => {
    const results = await call('compareSources', [{ label: '640x400 -> 32x24', width: 640, height: 400, input: [3, 24, 32], pattern: 'smooth', seed: 0 }]);
    for (const r of results) {
      expect({ source: r.source, error: r.error, exact: r.maxAbsVsCli <= TOL }).toEqual({ source: r.source, error: undefined, exact: true });
      // The CPU path of canvas-drawn sources lets the browser shrink the crop first: close, not equal.
      if (r.source === 'ImageData') expect(r.maxAbsVsCpuPath).toBeLessThanOrEqual(TOL);
      else expect(r.meanAbsVsCpuPath).toBeLessThan(0.03);
    }
    console.log(`640x400 -> 32x24: mean |GPU - CPU path| per source: ${results.map((r) => `${r.source} ${r.meanAbsVsCpuPath.toExponential(1)}`).join(', ')}`);
  });

  it('reads <video> frames (through the video colour pipeline, like the CPU path)', async () => {
    const r = await call('compareVideo');
    expect(r.shape).toEqual([1, 3, 32, 32]);
    expect(r.meanAbsGpuVsCpuPath).toBeLessThan(0.05);
    expect(r.meanAbsGpuVsCli).toBeLessThan(0.1);
  });

  it('writes into a caller-owned buffer at any 4-byte offset (a batch)', async () => {
    const r = await call('batchBuffer');
    expect(r.offsets).toEqual([0, 420]);
    expect(r.sameBuffer).toBe(true);
    expect(r.maxAbs).toBeLessThanOrEqual(TOL);
  });

  it('gives typed errors, and preprocessImage falls back to the CPU path where the GPU cannot do it', async () => {
    const r = await call('errorCases');
    expect(r['emptyGpu']).toMatchObject({ name: 'ImageInputError', message: expect.stringMatching(/no pixels \(0x0\)/) });
    expect(r['emptyAuto']).toMatchObject({ name: 'ImageInputError' });
    expect(r['unloadedImg']).toMatchObject({ name: 'ImageInputError' });
    expect(r['tooLarge']).toMatchObject({ name: 'ImageTooLargeError', limit: r['limit'] });
    expect(r['wideAuto']).toMatchObject({ backend: 'cpu', reason: expect.stringMatching(/^ImageTooLargeError/), shape: [1, 3, 1, (r['limit'] + 100) / 2], finite: true });
    expect(r['capped']).toMatchObject({ name: 'ImageTooLargeError', limit: 64 });
    expect(r['notStorage']).toMatchObject({ name: 'GpuPreprocessError', kind: 'output' });
    expect(r['tooSmall']).toMatchObject({ name: 'GpuPreprocessError', kind: 'output' });
    expect(r['badOffset']).toMatchObject({ name: 'GpuPreprocessError', kind: 'output' });
    expect(r['fourChannels']).toMatchObject({ name: 'PreprocessError' });
    expect(r['okBefore']).toBe(3 * 32 * 32);
    expect(r['lostRun']).toMatchObject({ name: 'GpuPreprocessError', kind: 'device-lost' });
    expect(r['lostAuto'].backend).toBe('cpu');
    expect(r['lostAuto'].reason).toMatch(/device-lost|device is lost/);
    expect(r['lostAuto'].maxAbsVsCpu).toBe(0);
    expect(r['gpuOnlyAuto']).toBe('gpu');
    expect(r['isTypes']).toEqual([true, true]);
  });

  it('flip TTA, ten-crop, EXIF orientation and mirroring: one view matrix, the same tensor on the GPU and the CPU path', async () => {
    const base = { pattern: 'noise' as const };
    const cases: ViewCase[] = [
      { ...base, label: '32x32 -> 32x32 flip (CIFAR)', width: 32, height: 32, input: [3, 32, 32], seed: 21, views: { tta: 'flip' } },
      { ...base, label: '64x48 -> 32x32 flip', width: 64, height: 48, input: [3, 32, 32], seed: 22, views: { tta: 'flip' } },
      { ...base, label: '20x50 -> 24x16 flip', width: 20, height: 50, input: [3, 16, 24], seed: 23, views: { tta: 'flip' } },
      { ...base, label: '64x48 -> 32x32 ten-crop', width: 64, height: 48, input: [3, 32, 32], seed: 24, views: { tta: 'ten-crop' } },
      { ...base, label: '45x30 -> 16x12 EXIF 6 + mirror', width: 45, height: 30, input: [3, 12, 16], seed: 25, views: { orientation: 6, mirror: true } },
      { ...base, label: '45x30 -> 16x12 EXIF 7 flip', width: 45, height: 30, input: [3, 12, 16], seed: 26, views: { orientation: 7, tta: 'flip' } },
    ];
    const results = await call('compareViews', cases);
    expect(results.filter((r) => r.error)).toEqual([]);
    expect(results.length).toBe(cases.length * 2);
    const views = { none: 1, flip: 2, 'ten-crop': 10 };
    for (const r of results) {
      const c = cases.find((k) => k.label === r.label)!;
      expect(r.shape).toEqual([views[c.views.tta ?? 'none'], ...c.input]);
      expect({ label: r.label, source: r.source, cli: r.maxAbsGpuVsCli <= 1e-6, cpu: r.maxAbsCpuVsGpu <= 1e-6 }).toEqual({ label: r.label, source: r.source, cli: true, cpu: true });
      // A mirror moves values, it computes nothing: the flipped view is the first one mirrored, exactly.
      if (c.views.tta === 'flip') expect([r.mirrorGpu, r.mirrorCpu]).toEqual([0, 0]);
    }
    console.log(`views GPU vs CPU, ${results.length} cases: max |diff| ${Math.max(...results.map((r) => Math.max(r.maxAbsGpuVsCli, r.maxAbsCpuVsGpu))).toExponential(2)}`);
  });

  it('views of a large source: exact on the GPU; the CPU path pre-shrinks the views\' bounding box (close, not equal)', async () => {
    const cases: ViewCase[] = [
      { label: '640x400 -> 32x24 ten-crop', width: 640, height: 400, input: [3, 24, 32], pattern: 'smooth', seed: 0, views: { tta: 'ten-crop' } },
      { label: '640x400 -> 32x24 EXIF 8 flip', width: 640, height: 400, input: [3, 24, 32], pattern: 'smooth', seed: 0, views: { orientation: 8, tta: 'flip' } },
    ];
    const results = await call('compareViews', cases);
    expect(results.filter((r) => r.error)).toEqual([]);
    for (const r of results) {
      expect(r.maxAbsGpuVsCli).toBeLessThanOrEqual(1e-5);
      if (r.source === 'ImageData') expect(r.maxAbsCpuVsGpu).toBeLessThanOrEqual(1e-5);
      else expect(r.meanAbsCpuVsGpu).toBeLessThan(0.03);
      if (r.mirrorGpu !== undefined) expect(r.mirrorGpu).toBe(0);
    }
    console.log(`large-source views, mean |GPU - CPU path|: ${results.map((r) => `${r.label} ${r.source} ${r.meanAbsCpuVsGpu.toExponential(1)}`).join(', ')}`);
  });
});
