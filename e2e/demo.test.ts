/**
 * End-to-end: the demo page (Vite dev server) in headless Chromium with WebGPU (SwiftShader where there is no GPU).
 * Screenshots go to e2e/artifacts/ (git-ignored; CI keeps them as artifacts).
 *
 * The tests share one browser context, so IndexedDB persists between them, and run in order: the first visit
 * downloads ResNet-20 and tunes its conv kernels, the second must come from the cache (model and tuning table), the
 * third corrupts the cached copy.
 */
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, REPO, startDemo, TEST_CIFAR10_DIR, type DemoEnv } from './demo_server.js';

const expected = JSON.parse(readFileSync(`${REPO}e2e/expected_accuracy.json`, 'utf8')) as { model: string; limit: number; correct: number };
const samples = JSON.parse(readFileSync(`${REPO}demo/public/samples/samples.json`, 'utf8')) as { samples: { className: string }[] };
const MODEL = 'resnet20-cifar10';

let env: DemoEnv;
let context: BrowserContext;
const pageErrors: string[] = [];

beforeAll(async () => {
  env = await startDemo({ cifarDir: TEST_CIFAR10_DIR });
  context = await env.browser.newContext({ viewport: { width: 1280, height: 1000 } });
});
afterAll(async () => {
  await env?.close();
});

async function open(query: string, viewport?: { width: number; height: number }): Promise<Page> {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${env.baseUrl}/${query}`);
  return page;
}

/** Waits until a model is loaded (or the page reports an error) and returns the status line's source. */
async function modelLoaded(page: Page): Promise<string> {
  await page.waitForFunction(() => document.body.dataset['state'] === 'ready' || document.body.dataset['state'] === 'error', undefined, { timeout: 120_000 });
  const state = await page.evaluate(() => document.body.dataset['state']);
  if (state !== 'ready') throw new Error(`the demo did not load the model: ${await page.locator('#notices').innerText()}`);
  return page.evaluate(() => document.querySelector<HTMLElement>('#model-status')!.dataset['source']!);
}

/** Clicks sample `i` and returns the top-5 labels the page shows for it. */
async function classifySample(page: Page, i: number): Promise<string[]> {
  await page.evaluate(() => document.querySelector('#top5')!.replaceChildren());
  await page.locator(`.sample[data-index="${i}"]`).click();
  await page.waitForSelector('#top5 li', { timeout: 60_000 });
  return page.$$eval('#top5 li', (lis) => lis.map((li) => (li as HTMLElement).dataset['label']!));
}

describe('demo page', () => {
  // ?backend=webgpu: 'auto' picks WASM on SwiftShader (e2e/demo_wasm.test.ts); these check WebGPU kernel tuning.
  it('loads ResNet-20 over the network and classifies CIFAR-10 test image 0 as a cat', async () => {
    const page = await open(`?model=${MODEL}&backend=webgpu`);
    expect(await modelLoaded(page)).toBe('network');
    expect(await page.locator('#model-status').innerText()).toMatch(/Downloaded .* stored in the browser cache/);
    // The streamed load's figures, as last shown (the bar hides once the model is ready): all complete, and every
    // tensor of the file on the GPU (uploaded as its bytes arrived: the session built while streaming was kept).
    const figures = await page.evaluate(() => document.querySelector('#download-text')!.textContent);
    expect(figures).toMatch(/^([\d.]+ (?:B|KiB|MiB)) \/ \1 · tensors (\d+) \/ \2 · pipelines (\d+) \/ \3 · on the GPU \2 \/ \2$/);
    const top5 = await classifySample(page, 0);
    expect(samples.samples[0]!.className).toBe('cat');
    expect(top5[0]).toBe('cat');
    expect(top5).toHaveLength(5);
    // Latency and the per-layer chart come once the steady-state runs are done.
    await page.waitForFunction(() => !!document.querySelector('#latency')?.getAttribute('data-steady') && document.querySelectorAll('#layer-chart .layer').length > 0, undefined, { timeout: 120_000 });
    const latency = await page.locator('#latency').innerText();
    expect(latency).toMatch(/first run [\d.]+ ms · steady [\d.]+ ms/);
    expect(await page.locator('#adapter').innerText()).toMatch(/WebGPU|CPU/);
    expect(await page.locator('#layer-chart .layer').count()).toBeGreaterThan(10);
    expect(await page.locator('#facts dd[data-fact="Parameters"]').innerText()).toBe('269,034');
    // A fresh browser profile has no tuning table: the kernels are measured now (autotune: true) and stored.
    const kernels = page.locator('#facts dd[data-fact="Kernels"]');
    console.log(`first visit, Kernels: ${await kernels.innerText()}`);
    expect(await kernels.getAttribute('data-tuning')).toBe('measured');
    expect(await kernels.innerText()).toMatch(/^tuned now \([\d.]+ m?s, \d+ of \d+ layers?; \d+ changed from the default rule\), stored for next time$/);
    await page.screenshot({ path: `${ARTIFACTS}demo-result.png`, fullPage: true });
    await page.close();
  });

  it('loads the model from the IndexedDB cache on the second visit (phone-sized viewport)', async () => {
    const page = await open(`?model=${MODEL}&backend=webgpu`, { width: 390, height: 844 });
    expect(await modelLoaded(page)).toBe('cache');
    expect(await page.locator('#model-status').innerText()).toMatch(/Loaded from this browser’s cache .*SHA-256 verified/);
    // The tuning table stored by the first visit is loaded: nothing is measured again.
    const kernels = page.locator('#facts dd[data-fact="Kernels"]');
    console.log(`second visit, Kernels: ${await kernels.innerText()}`);
    expect(await kernels.getAttribute('data-tuning')).toBe('cache');
    expect(await kernels.innerText()).toMatch(/^tuned table from this browser’s cache \(\d+ layers?; \d+ changed from the default rule\)$/);
    expect((await classifySample(page, 0))[0]).toBe('cat');
    // Nothing may stick out sideways on a phone.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${ARTIFACTS}demo-phone.png`, fullPage: true });
    await page.close();
  });

  it('detects a corrupted cache entry by its SHA-256 and downloads the model again', async () => {
    const page = await open('?model=none');
    // Flip one byte of every cached model blob, straight in IndexedDB.
    const corrupted = await page.evaluate(
      () =>
        new Promise<number>((resolve, reject) => {
          const req = indexedDB.open('tessera-model-cache');
          req.onerror = () => reject(req.error);
          req.onsuccess = () => {
            const tx = req.result.transaction('models', 'readwrite');
            const store = tx.objectStore('models');
            let n = 0;
            const cursor = store.openCursor();
            cursor.onsuccess = () => {
              const c = cursor.result;
              if (!c) return;
              if (String(c.key).startsWith('sha256:')) {
                const bytes = new Uint8Array(c.value as Uint8Array);
                bytes[bytes.length >> 1] ^= 0xff;
                c.update(bytes);
                n++;
              }
              c.continue();
            };
            tx.oncomplete = () => resolve(n);
            tx.onerror = () => reject(tx.error);
          };
        }),
    );
    expect(corrupted).toBeGreaterThanOrEqual(1);
    await page.goto(`${env.baseUrl}/?model=${MODEL}`);
    expect(await modelLoaded(page)).toBe('network');
    expect(await page.locator('#notices').innerText()).toMatch(/failed its SHA-256 check .* downloaded again/);
    expect((await classifySample(page, 0))[0]).toBe('cat');
    await page.close();
    // And the fresh copy is cached again.
    const again = await open(`?model=${MODEL}`);
    expect(await modelLoaded(again)).toBe('cache');
    await again.close();
  });

  it('reports a corrupt model file clearly', async () => {
    const page = await open(`?model=${MODEL}`);
    await modelLoaded(page);
    const bytes = readFileSync(`${REPO}models/${MODEL}.tessera`);
    bytes[bytes.length - 100] ^= 0x55; // inside the weights: the payload hash no longer matches
    await page.setInputFiles('#model-file', { name: 'broken.tessera', mimeType: 'application/octet-stream', buffer: bytes });
    const notice = page.locator('#notice-model');
    await notice.waitFor({ timeout: 60_000 });
    const text = await notice.innerText();
    expect(text).toContain('broken.tessera is not a valid model file (FormatError)');
    expect(text).toContain('payload SHA-256');
    await page.screenshot({ path: `${ARTIFACTS}demo-bad-model.png`, fullPage: true });
    await page.close();
  });

  it('reports a failed download clearly', async () => {
    const page = await open('?model=/models/missing.tessera');
    await page.waitForFunction(() => document.body.dataset['state'] === 'error', undefined, { timeout: 60_000 });
    const text = await page.locator('#notice-model').innerText();
    expect(text).toMatch(/Could not download the model at \/models\/missing\.tessera: .*HTTP 404/);
    await page.close();
  });

  it('says so visibly when it runs on the CPU backend instead of WebGPU', async () => {
    const page = await open(`?model=${MODEL}&backend=cpu`);
    await modelLoaded(page);
    expect(await page.locator('#notice-backend').innerText()).toContain('runs on the CPU backend');
    expect(await page.locator('#adapter').innerText()).toBe('CPU backend');
    expect(await page.locator('#facts dd[data-fact="Kernels"]').getAttribute('data-tuning')).toBe('cpu');
    expect((await classifySample(page, 0))[0]).toBe('cat');
    await page.close();
  });

  it(`counts exactly PyTorch's correct predictions on the first ${expected.limit} CIFAR-10 test images`, async () => {
    expect(expected.model).toBe(`${MODEL}.tessera`);
    // On WebGPU here; e2e/demo_wasm.test.ts counts the same 182 on the WASM backend ('auto' on SwiftShader).
    const page = await open(`?model=${MODEL}&backend=webgpu`);
    await modelLoaded(page);
    await page.selectOption('#acc-count', String(expected.limit));
    await page.locator('#acc-run').click();
    // SwiftShader manages a few images per second on a small CI machine.
    await page.waitForFunction(() => document.querySelector('#acc-result')?.getAttribute('data-done') === 'true', undefined, { timeout: 300_000 });
    const r = await page.evaluate(() => {
      const e = document.querySelector<HTMLElement>('#acc-result')!;
      return { correct: Number(e.dataset['correct']), total: Number(e.dataset['total']), text: e.innerText };
    });
    expect(r.total).toBe(expected.limit);
    expect(r.correct).toBe(expected.correct);
    expect(r.text).toContain('published: 91.73 %');
    await page.screenshot({ path: `${ARTIFACTS}demo-accuracy.png`, fullPage: true });
    await page.close();
  }, 360_000);

  it('classifies a digit drawn on the pad with the XNOR LeNet (binary layers shown in the model facts)', async () => {
    const page = await open('?model=xnor-lenet-mnist');
    await modelLoaded(page);
    await expect.poll(() => page.locator('#draw-pad').isVisible()).toBe(true);
    expect(await page.locator('.sample').first().isVisible()).toBe(false); // CIFAR samples hidden for a digit model
    expect(await page.locator('#facts dd[data-fact="Binary layers"]').innerText()).toMatch(/^2\b/);
    // A user draws a "1": one vertical stroke down the middle of the pad.
    const box = (await page.locator('#draw-pad').boundingBox())!;
    await page.evaluate(() => document.querySelector('#top5')!.replaceChildren());
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.18);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * (0.18 + (0.64 * i) / 12));
    await page.mouse.up();
    await page.waitForSelector('#top5 li', { timeout: 60_000 });
    const top5 = await page.$$eval('#top5 li', (lis) => lis.map((li) => (li as HTMLElement).dataset['label']!));
    expect(top5[0]).toBe('1');
    await page.screenshot({ path: `${ARTIFACTS}demo-mnist.png`, fullPage: true });
    await page.close();
  });

  it('offers ResNet-20 with int8 weights: a smaller file, the same answer', async () => {
    const manifest = JSON.parse(readFileSync(`${REPO}models/index.json`, 'utf8')) as { models: { id: string; bytes: number }[] };
    const f32 = manifest.models.find((m) => m.id === MODEL)!;
    const int8 = manifest.models.find((m) => m.id === `${MODEL}-int8`)!;
    expect(int8.bytes).toBeLessThan(0.6 * f32.bytes);
    const page = await open(`?model=${MODEL}-int8&backend=webgpu`);
    expect(await modelLoaded(page)).toBe('network');
    expect(await page.locator(`#model-select option[value="${MODEL}-int8"]`).textContent()).toMatch(/^ResNet-20 \(CIFAR-10\), int8 weights · [\d.]+ KiB$/);
    const pct = Math.round((100 * int8.bytes) / f32.bytes);
    expect(await page.locator('#facts dd[data-fact="Weights"]').innerText()).toMatch(new RegExp(`^int8 storage: [\\d.]+ KiB, ${pct} % of the f16 file \\([\\d.]+ KiB\\)$`));
    expect(await page.locator('#facts dd[data-fact="Parameters"]').innerText()).toBe('269,034');
    expect((await classifySample(page, 0))[0]).toBe('cat');
    await page.close();
  });

  it('raised no uncaught page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
