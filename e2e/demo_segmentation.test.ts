/**
 * End-to-end: the demo's segmentation example (issue 18). The page builds LR-ASPP MobileNetV3 with random weights from
 * the committed weight-free skeleton (demo/lib/segmentation.ts), runs a photo and a CIFAR-10 sample through it on
 * WebGPU (SwiftShader where there is no GPU) and draws the argmax class map over the image. The class map must agree
 * with the same model built independently in Node (tests/harness/segmentation.ts) and run on the CPU backend on the
 * page's exact input tensor. Screenshot: e2e/artifacts/demo-segmentation.png.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../src/runtime/session.js';
import { refilledOnnx, segmentationManifest } from '../tests/harness/segmentation.js';
import { ARTIFACTS, REPO, startDemo, type DemoEnv } from './demo_server.js';

const PHOTO = `${REPO}demo/public/photos/chelsea-cat.jpg`; // 451×300
const PHOTO_W = 451;
const PHOTO_H = 300;

let env: DemoEnv;
let context: BrowserContext;
const pageErrors: string[] = [];

beforeAll(async () => {
  env = await startDemo();
  context = await env.browser.newContext({ viewport: { width: 1280, height: 1000 } });
});
afterAll(async () => {
  await env?.close();
});

interface SegResult {
  input: { shape: number[]; data: number[] };
  classes: number[];
  h: number;
  w: number;
}

/** Waits until the page has drawn a class map of size w×h and returns what it ran. */
async function segmentation(page: Page, w: number, h: number): Promise<SegResult> {
  await page.waitForFunction(
    ([w, h]) => {
      const r = (globalThis as Record<string, unknown>)['__tesseraSegmentation'] as { w: number; h: number } | undefined;
      return (r?.w === w && r.h === h) || document.body.dataset['state'] === 'error';
    },
    [w, h],
    { timeout: 150_000 },
  );
  return page.evaluate(() => (globalThis as Record<string, unknown>)['__tesseraSegmentation'] as SegResult);
}

/** Argmax per pixel of a [1, C, H, W] output. */
function argmaxMap(data: Float32Array, c: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (data[k * n + p]! > data[best * n + p]!) best = k;
    out[p] = best;
  }
  return out;
}

describe('demo page: segmentation example', () => {
  it('segments a photo on WebGPU, overlays the class map at the image aspect ratio, and matches the CPU backend', async () => {
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') console.log(`page console: ${msg.text()}`);
    });
    // backend=webgpu: auto would pick WASM on this software adapter (SwiftShader); this test is about the WebGPU path
    await page.goto(`${env.baseUrl}/?model=none&backend=webgpu`);
    await page.waitForFunction(() => document.body.dataset['state'] === 'ready');
    // Pick the segmentation model in the picker: its entry says random weights.
    const option = page.locator('#model-select option[value="lraspp-random"]');
    expect(await option.innerText()).toMatch(/random weights/i);
    await page.selectOption('#model-select', 'lraspp-random');
    await page.waitForFunction(() => document.body.dataset['state'] === 'ready' || document.body.dataset['state'] === 'error', undefined, { timeout: 120_000 });
    expect(await page.evaluate(() => document.body.dataset['state']), await page.locator('#notices').innerText()).toBe('ready');
    expect(await page.locator('#model-status').innerText()).toMatch(/Built in this page .* random weights/);
    expect(await page.evaluate(() => document.body.dataset['backend'])).toBe('webgpu');
    expect(await page.locator('#seg-note').innerText()).toMatch(/^Random weights: the mask shows the pipeline works, not a trained segmentation\.$/);
    expect(await page.locator('#top5').isHidden()).toBe(true);
    expect(await page.locator('#accuracy-panel').isHidden()).toBe(true);

    // The first sample of the strip runs on load (32×32 → 224×224).
    await segmentation(page, 224, 224);
    // A sample from the strip, clicked.
    await page.evaluate(() => delete (globalThis as Record<string, unknown>)['__tesseraSegmentation']);
    await page.locator('.sample[data-index="3"]').click();
    await segmentation(page, 224, 224);

    // The photo, through the file picker: 451×300 → 224×149 (aspect kept: the model's H/W are symbolic).
    await page.locator('#image-file').setInputFiles(PHOTO);
    const got = await segmentation(page, 224, 149);
    expect(got.input.shape).toEqual([1, 3, 149, 224]);
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#seg-overlay')!.dataset['done'] === 'true');

    // The overlay canvas and the image under it: the photo's aspect ratio, same box.
    const boxes = await page.evaluate(() => {
      const r = (id: string) => {
        const b = document.getElementById(id)!.getBoundingClientRect();
        return { x: b.x, y: b.y, w: b.width, h: b.height };
      };
      const o = document.querySelector<HTMLCanvasElement>('#seg-overlay')!;
      return { overlay: r('seg-overlay'), image: r('seg-image'), canvas: { w: o.width, h: o.height }, opacity: getComputedStyle(o).opacity };
    });
    const aspect = PHOTO_W / PHOTO_H;
    expect(Math.abs(boxes.overlay.w / boxes.overlay.h / aspect - 1)).toBeLessThan(0.01);
    expect(Math.abs(boxes.canvas.w / boxes.canvas.h / aspect - 1)).toBeLessThan(0.01);
    expect(boxes.overlay).toEqual(boxes.image);
    expect(Number(boxes.opacity)).toBeGreaterThan(0);
    expect(Number(boxes.opacity)).toBeLessThan(1);

    // The overlay's pixels: one colour per class, and more than one colour.
    const colours = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('#seg-overlay')!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < d.length; i += 4) seen.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
      return seen.size;
    });
    const histogram = JSON.parse((await page.locator('#seg-legend').getAttribute('data-histogram'))!) as number[];
    expect(histogram).toHaveLength(5);
    expect(histogram.reduce((a, b) => a + b, 0)).toBe(224 * 149);
    expect(colours).toBe(histogram.filter((n) => n > 0).length);
    expect(colours).toBeGreaterThan(1);
    expect(await page.locator('#seg-legend li').count()).toBe(5);

    // Independently: the harness's refilled model on the CPU backend in Node, same input tensor.
    const m = segmentationManifest().models.find((x) => x.name === 'lraspp_mobilenet_v3_large')!;
    const s = await Session.create(refilledOnnx(m), { backend: 'cpu' });
    const out = (await s.run({ input: { dtype: 'f32', shape: got.input.shape, data: Float32Array.from(got.input.data) } })).output!;
    s.release();
    expect([...out.shape]).toEqual([1, 5, 149, 224]);
    const cpu = argmaxMap(out.data as Float32Array, 5, 224 * 149);
    const cpuHist = [0, 0, 0, 0, 0];
    let differ = 0;
    for (let p = 0; p < cpu.length; p++) {
      cpuHist[cpu[p]!]!++;
      if (cpu[p] !== got.classes[p]) differ++;
    }
    console.log(`segmentation: page (WebGPU) histogram ${JSON.stringify(histogram)}, CPU backend ${JSON.stringify(cpuHist)}, ${differ} of ${cpu.length} pixels differ`);
    // f32 on both sides: only argmax near-ties may flip.
    expect(differ).toBeLessThanOrEqual(cpu.length * 0.002);
    for (let k = 0; k < 5; k++) expect(Math.abs(histogram[k]! - cpuHist[k]!)).toBeLessThanOrEqual(cpu.length * 0.002);

    // Latency shown.
    expect(await page.locator('#latency').innerText()).toMatch(/first run [\d.]+ m?s .* this image [\d.]+ m?s/);
    await page.locator('#result-panel').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${ARTIFACTS}demo-segmentation.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
