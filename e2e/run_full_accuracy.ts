/**
 * The long accuracy run, outside the test suite: opens the demo, runs the "accuracy run" button on all 10,000
 * CIFAR-10 test images with ResNet-20 in the browser, prints the page's result and saves a screenshot.
 *
 *   npx tsx e2e/run_full_accuracy.ts [count] [model-id]
 *
 * On SwiftShader (no GPU) this takes about 40 minutes; on a real GPU a few seconds.
 */
import { ARTIFACTS, startDemo } from './demo_server.js';

const count = process.argv[2] ?? '10000';
const model = process.argv[3] ?? 'resnet20-cifar10';
const env = await startDemo();
try {
  const page = await env.browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`${env.baseUrl}/?model=${model}`);
  await page.waitForFunction(() => document.body.dataset['state'] === 'ready', undefined, { timeout: 300_000 });
  await page.evaluate((n) => {
    const select = document.querySelector<HTMLSelectElement>('#acc-count')!;
    if (![...select.options].some((o) => o.value === n)) select.append(new Option(`first ${n}`, n));
    select.value = n;
  }, count);
  await page.locator('#acc-run').click();
  const t0 = Date.now();
  let last = '';
  for (;;) {
    const done = await page.evaluate(() => document.querySelector('#acc-result')?.getAttribute('data-done') === 'true');
    const text = await page.locator('#acc-result').innerText();
    if (text !== last) {
      console.log(`${((Date.now() - t0) / 1000).toFixed(0)} s  ${text}`);
      last = text;
    }
    if (done) break;
    const failed = await page.locator('#notice-accuracy').count();
    if (failed) throw new Error(await page.locator('#notice-accuracy').innerText());
    await new Promise((r) => setTimeout(r, 30_000));
  }
  const shot = `${ARTIFACTS}demo-accuracy-${count}.png`;
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`adapter: ${await page.locator('#adapter').innerText()}`);
  console.log(`screenshot: ${shot}`);
} finally {
  await env.close();
}
