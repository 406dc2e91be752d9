/**
 * The WASM backend inside headless Chromium (the harness of src/node/browser_harness.ts with the package bundle,
 * `globalThis.tessera`): ResNet-20 (dynamic batch ONNX) on 8 CIFAR-10 test images with backend: 'wasm' vs the CPU
 * reference backend in the same page, rel L2 <= 1e-5.
 *
 * Two pages: the harness's default page is NOT cross-origin isolated (no COOP/COEP headers), so there is no
 * SharedArrayBuffer and the backend runs 1 thread whatever numThreads asks (backendInfo.threadsNote says why);
 * a second page served with COOP same-origin + COEP require-corp IS cross-origin isolated, and runs 2 threads
 * (workers made from a Blob, sharing the memory).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startBrowserSession, type BrowserSession } from '../../../src/node/browser_harness.js';
import { cifarImages, resnet20Onnx } from '../../harness/cifar.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const TOL = 1e-5;
const sessions: BrowserSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.close();
});

interface PageResult {
  isolated: boolean;
  info: Any;
  relL2: number;
  shape: number[];
  argmaxWasm: number[];
  argmaxCpu: number[];
}

async function runInPage(session: BrowserSession, numThreads: number): Promise<PageResult> {
  const modelUrl = session.serveBytes(resnet20Onnx());
  const { images } = cifarImages(0, 8);
  return session.page.evaluate(
    async ({ url, imgs, numThreads }) => {
      const t = (globalThis as Any).tessera;
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const batch = new Float32Array(imgs.length * 3072);
      imgs.forEach((im: number[], i: number) => batch.set(im, i * 3072));
      const x = { dtype: 'f32', shape: [imgs.length, 3, 32, 32], data: batch };
      const wasm = await t.Session.create(bytes, { backend: 'wasm', numThreads });
      const cpu = await t.Session.create(bytes, { backend: 'cpu' });
      const got = (Object.values(await wasm.run({ input: x }))[0] as Any);
      const ref = (Object.values(await cpu.run({ input: x }))[0] as Any);
      const a = got.data as Float32Array;
      const b = ref.data as Float32Array;
      let d = 0;
      let n = 0;
      for (let i = 0; i < b.length; i++) {
        d += (a[i]! - b[i]!) ** 2;
        n += b[i]! ** 2;
      }
      const argmax = (y: Float32Array) => Array.from({ length: y.length / 10 }, (_, i) => {
        const row = Array.from(y.subarray(i * 10, i * 10 + 10));
        return row.indexOf(Math.max(...row));
      });
      const info = wasm.backendInfo;
      wasm.release();
      cpu.release();
      return { isolated: globalThis.crossOriginIsolated === true, info, relL2: a.length === b.length ? Math.sqrt(d) / Math.sqrt(n) : Infinity, shape: [...got.shape], argmaxWasm: argmax(a), argmaxCpu: argmax(b) };
    },
    { url: modelUrl, imgs: images.map((im) => Array.from(im)), numThreads },
  );
}

describe('WASM backend in headless Chromium: ResNet-20 vs the CPU reference', () => {
  it('non-isolated page: 1 thread (no SharedArrayBuffer), rel L2 <= 1e-5', async () => {
    const session = await startBrowserSession();
    sessions.push(session);
    // asks for 2 threads: the page is not cross-origin isolated, so it gets 1 and a note why
    const r = await runInPage(session, 2);
    console.log(`Chromium, not isolated: rel L2 ${r.relL2.toExponential(2)}, backendInfo ${JSON.stringify(r.info)}`);
    expect(r.isolated).toBe(false);
    expect(r.info.backend).toBe('wasm');
    expect(r.info.simd).toBe(true);
    expect(r.info.threads).toBe(1);
    expect(r.info.threadsNote).toEqual(expect.any(String));
    expect(r.info.fallbackNodes).toEqual([]);
    expect(r.shape).toEqual([8, 10]);
    expect(r.relL2).toBeLessThanOrEqual(TOL);
    expect(r.argmaxWasm).toEqual(r.argmaxCpu);
  });

  it('cross-origin-isolated page (COOP + COEP): 2 threads, rel L2 <= 1e-5', async () => {
    const session = await startBrowserSession({ crossOriginIsolated: true });
    sessions.push(session);
    const r = await runInPage(session, 2);
    console.log(`Chromium, cross-origin isolated: rel L2 ${r.relL2.toExponential(2)}, backendInfo ${JSON.stringify(r.info)}`);
    expect(r.isolated).toBe(true);
    expect(r.info.backend).toBe('wasm');
    expect(r.info.threads).toBe(2);
    expect(r.info.threadsNote).toBeUndefined();
    expect(r.shape).toEqual([8, 10]);
    expect(r.relL2).toBeLessThanOrEqual(TOL);
    expect(r.argmaxWasm).toEqual(r.argmaxCpu);
  });
});
