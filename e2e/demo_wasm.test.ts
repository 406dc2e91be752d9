/**
 * End-to-end: the demo on the WebAssembly backend. `?backend=auto` in headless Chromium finds only SwiftShader (a
 * software WebGPU adapter), so it runs on WASM and says why; with WebGPU switched off it runs on WASM too. The dev
 * server sends COOP/COEP (vite.config.ts), so the page is cross-origin isolated and WASM gets threads.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, DEFAULT_CHROMIUM } from '../src/node/browser_harness.js';
import { ARTIFACTS, REPO, startDemo, TEST_CIFAR10_DIR, type DemoEnv } from './demo_server.js';

const expected = JSON.parse(readFileSync(`${REPO}e2e/expected_accuracy.json`, 'utf8')) as { model: string; limit: number; correct: number };
const MODEL = 'resnet20-cifar10';

let env: DemoEnv;
let noGpuBrowser: Browser | undefined;
const pageErrors: string[] = [];

beforeAll(async () => {
  env = await startDemo({ cifarDir: TEST_CIFAR10_DIR });
});
afterAll(async () => {
  await noGpuBrowser?.close().catch(() => undefined);
  await env?.close();
});

async function open(browser: Browser, query: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${env.baseUrl}/${query}`);
  await page.waitForFunction(() => document.body.dataset['state'] === 'ready' || document.body.dataset['state'] === 'error', undefined, { timeout: 120_000 });
  const state = await page.evaluate(() => document.body.dataset['state']);
  if (state !== 'ready') throw new Error(`the demo did not load the model: ${await page.locator('#notices').innerText()}`);
  return page;
}

async function backendShown(page: Page) {
  return page.evaluate(() => {
    const a = document.querySelector<HTMLElement>('#adapter')!;
    return {
      backend: document.body.dataset['backend'],
      badge: a.innerText,
      reason: a.dataset['reason'] ?? '',
      threads: Number(a.dataset['threads']),
      notice: document.querySelector<HTMLElement>('#notice-backend')?.innerText ?? '',
      isolated: crossOriginIsolated,
      kernels: document.querySelector<HTMLElement>('#facts dd[data-fact="Kernels"]')?.dataset['tuning'],
    };
  });
}

describe('demo page on the WASM backend', () => {
  it('?backend=auto on SwiftShader runs on WASM, cross-origin isolated with threads, and shows why', async () => {
    const page = await open(env.browser, `?model=${MODEL}&backend=auto`);
    const b = await backendShown(page);
    expect(b.backend).toBe('wasm');
    expect(b.isolated).toBe(true); // COOP + COEP from vite.config.ts
    expect(b.badge).toMatch(/^WebAssembly (relaxed )?SIMD · \d+ threads?$/);
    expect(b.threads).toBeGreaterThan(1);
    expect(b.reason).toMatch(/software fallback.*swiftshader/i);
    expect(b.notice).toContain(`Why: ${b.reason}`);
    expect(b.kernels).toBe('wasm');
    await page.locator('.sample[data-index="0"]').click();
    await page.waitForSelector('#top5 li', { timeout: 60_000 });
    expect(await page.$$eval('#top5 li', (lis) => (lis[0] as HTMLElement).dataset['label'])).toBe('cat');
    await page.screenshot({ path: `${ARTIFACTS}demo-wasm.png`, fullPage: true });
    await page.close();
  });

  it('runs on WASM with WebGPU switched off (--disable-features=WebGPU), and says WebGPU is missing', async () => {
    const { chromium } = await import('playwright-core');
    noGpuBrowser = await chromium.launch({ executablePath: process.env['TESSERA_CHROMIUM'] ?? DEFAULT_CHROMIUM, args: [...CHROMIUM_ARGS.filter((a) => !/webgpu|Vulkan/i.test(a)), '--disable-features=WebGPU'] });
    const page = await open(noGpuBrowser, `?model=${MODEL}`);
    // navigator.gpu may still exist, but without an adapter (the worker, where the session runs, sees the same).
    expect(await page.evaluate(async () => !('gpu' in navigator) || (await (navigator as unknown as { gpu: GPU }).gpu.requestAdapter()) === null)).toBe(true);
    const b = await backendShown(page);
    expect(b.backend).toBe('wasm');
    expect(b.reason).toMatch(/WebGPU/);
    expect(b.notice).toContain('Why:');
    await page.close();
  });

  it(`?backend=wasm counts PyTorch's ${expected.correct} of the first ${expected.limit} CIFAR-10 test images`, async () => {
    const page = await open(env.browser, `?model=${MODEL}&backend=wasm`);
    const b = await backendShown(page);
    expect(b.backend).toBe('wasm');
    expect(b.reason).toBe(''); // asked for, not chosen
    await page.selectOption('#acc-count', String(expected.limit));
    await page.locator('#acc-run').click();
    await page.waitForFunction(() => document.querySelector('#acc-result')?.getAttribute('data-done') === 'true', undefined, { timeout: 300_000 });
    const r = await page.evaluate(() => {
      const e = document.querySelector<HTMLElement>('#acc-result')!;
      return { correct: Number(e.dataset['correct']), total: Number(e.dataset['total']) };
    });
    expect(r.total).toBe(expected.limit);
    expect(r.correct).toBe(expected.correct);
    await page.close();
  }, 360_000);

  it('raised no uncaught page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
