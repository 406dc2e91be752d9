/**
 * ResNet-20 (CIFAR-10, option-A shortcuts: Slice with steps + Pad on channels + Add) exported from the akamaster
 * checkpoint: WebGPU in Chromium vs the CPU reference, with and without graph optimisation, on real test images.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../src/node/browser_harness.js';
import { startTestBrowser } from '../harness/browser.js';
import { cifarImages, resnet20Onnx } from '../harness/cifar.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

let session: BrowserSession;
let modelUrl: string;
beforeAll(async () => {
  session = await startTestBrowser();
  modelUrl = session.serveBytes(resnet20Onnx());
});
afterAll(async () => {
  await session?.close();
});

describe('ResNet-20 on WebGPU', () => {
  it('matches the CPU reference (raw and optimised graphs) and classifies real CIFAR-10 images', async () => {
    const { images, labels } = cifarImages(0, 8);
    const r = await session.page.evaluate(
      async ({ url, imgs }) => {
        const t = (globalThis as Any).tessera;
        const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
        const cpu = await t.Session.create(bytes, { backend: 'cpu', optimize: false });
        const name = cpu.inputs[0].name;
        // Batch of 8 through the dynamic batch dim, and single images.
        const batch = new Float32Array(imgs.length * 3072);
        imgs.forEach((im: number[], i: number) => batch.set(im, i * 3072));
        const ref = (Object.values(await cpu.run({ [name]: batch }))[0] as Any).data as Float32Array;
        const out: Any = {};
        for (const optimize of [false, true]) {
          const g = await t.Session.create(bytes, { backend: 'webgpu', optimize });
          const got = (Object.values(await g.run({ [name]: batch }))[0] as Any).data as Float32Array;
          const single = (Object.values(await g.run({ [name]: new Float32Array(imgs[3]) }))[0] as Any).data as Float32Array;
          let num = 0;
          let den = 0;
          for (let i = 0; i < ref.length; i++) {
            num += (got[i]! - ref[i]!) ** 2;
            den += ref[i]! ** 2;
          }
          let num1 = 0;
          for (let i = 0; i < 10; i++) num1 += (single[i]! - ref[30 + i]!) ** 2;
          const classes = [];
          for (let b = 0; b < imgs.length; b++) {
            const row = Array.from(got.subarray(b * 10, b * 10 + 10));
            classes.push(row.indexOf(Math.max(...row)));
          }
          out[String(optimize)] = { rel: Math.sqrt(num / den), relSingle: Math.sqrt(num1 / den) , classes, ops: [...new Set(g.graph.nodes.map((n: Any) => n.op))] };
          g.release();
        }
        return out;
      },
      { url: modelUrl, imgs: images.map((x) => Array.from(x)) },
    );
    for (const key of ['false', 'true']) {
      expect(r[key].rel).toBeLessThanOrEqual(1e-4);
      expect(r[key].relSingle).toBeLessThanOrEqual(1e-4);
      const correct = r[key].classes.filter((c: number, i: number) => c === labels[i]).length;
      expect(correct).toBeGreaterThanOrEqual(7); // ResNet-20 is 91.7 % accurate on CIFAR-10
    }
    expect(r['false'].ops).toEqual(expect.arrayContaining(['Conv', 'Slice', 'Pad', 'Add']));
    expect(r['true'].ops).toContain('FusedConv');
    // The option-A shortcut is the conv's residual view (foldResidualViews): no Slice or Pad runs.
    expect(r['true'].ops).not.toEqual(expect.arrayContaining(['Slice']));
    expect(r['true'].ops).not.toEqual(expect.arrayContaining(['Pad']));
  });

  it('the static memory plan shrinks activation memory and gives the same outputs', async () => {
    const { images } = cifarImages(20, 1);
    const r = await session.page.evaluate(
      async ({ url, img }) => {
        const t = (globalThis as Any).tessera;
        const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
        const res: Any = {};
        for (const memoryPlan of [true, false]) {
          const s = await t.Session.create(bytes, { backend: 'webgpu', memoryPlan });
          const out = (Object.values(await s.run({ [s.inputs[0].name]: new Float32Array(img) }))[0] as Any).data;
          res[String(memoryPlan)] = { mem: s.memory(), out: Array.from(out) };
          s.release();
        }
        return res;
      },
      { url: modelUrl, img: Array.from(images[0]!) },
    );
    expect(r['true'].out).toEqual(r['false'].out);
    expect(r['true'].mem.plannedActivationBytes).toBeGreaterThan(0);
    expect(r['false'].mem.plannedActivationBytes).toBeNull();
    // ResNet-20 at batch 1: ~20 activations of 64 KiB; liveness sharing needs a handful.
    expect(r['true'].mem.activationBytes * 3).toBeLessThan(r['false'].mem.activationBytes);
    expect(r['true'].mem.weightBytes).toBe(r['false'].mem.weightBytes);
  });
});
