/**
 * Session API on WebGPU in Chromium: mnist-8.onnx end to end (WebGPU vs CPU reference), steady-state runs allocate
 * no GPU object, input validation errors, release and profile.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../src/node/browser_harness.js';
import { readNpz } from '../../src/io/npz.js';
import { startTestBrowser } from '../harness/browser.js';
import { randomF32 } from '../harness/rng.js';

const MNIST_DIR = new URL('../fixtures/data/pretrained/onnx-mnist-cntk/', import.meta.url);
const mnistBytes = readFileSync(new URL('mnist-8.onnx', MNIST_DIR));

let session: BrowserSession;
let modelUrl: string;
beforeAll(async () => {
  session = await startTestBrowser();
  modelUrl = session.serveBytes(new Uint8Array(mnistBytes));
});
afterAll(async () => {
  await session?.close();
});

// The page-side API is untyped here: page.evaluate functions run in the browser with globalThis.tessera.
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('Session on WebGPU (Chromium)', () => {
  it('mnist-8.onnx: WebGPU matches the CPU reference and predicts the official samples', async () => {
    const official = [0, 1, 2].map((i) => {
      const npz = readNpz(new Uint8Array(readFileSync(new URL(`test_data_${i}.npz`, MNIST_DIR))));
      const inputs = [...npz.values()].find((t) => t.shape.length === 2 && t.shape[1] === 784) ?? [...npz.values()][0]!;
      return Array.from(inputs.data as Int32Array, Number);
    });
    const randomImages = [1, 2, 3].map((s) => Array.from(randomF32(784, s, 0, 1)));
    const result = await session.page.evaluate(
      async ({ url, images }) => {
        const t = (globalThis as Any).tessera;
        const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
        const gpu = await t.Session.create(bytes, { backend: 'webgpu' });
        const cpu = await t.Session.create(bytes, { backend: 'cpu' });
        const name = gpu.inputs[0].name;
        const rows = [];
        for (const img of images) {
          const x = new Float32Array(img);
          const a = Object.values(await gpu.run({ [name]: x }))[0] as Any;
          const b = Object.values(await cpu.run({ [name]: x }))[0] as Any;
          let num = 0;
          let den = 0;
          for (let i = 0; i < b.data.length; i++) {
            num += (a.data[i] - b.data[i]) ** 2;
            den += b.data[i] ** 2;
          }
          const argmax = (d: Float32Array) => d.indexOf(Math.max(...d));
          rows.push({ rel: Math.sqrt(num / den), gpuClass: argmax(a.data), cpuClass: argmax(b.data), shape: a.shape });
        }
        const info = { backend: gpu.backend, device: gpu.deviceDescription, kernels: [] as string[] };
        const prof = await gpu.profile();
        info.kernels = prof.rows.map((r: Any) => r.kernel);
        gpu.release();
        return { rows, info, prof: { n: prof.rows.length, gpuMs: prof.gpuMs, ts: prof.timestampQuery, timing: prof.timing, macs: prof.rows.reduce((s: number, r: Any) => s + r.macs, 0) } };
      },
      { url: modelUrl, images: [...official, ...randomImages] },
    );
    expect(result.info.backend).toBe('webgpu');
    for (const row of result.rows) {
      expect(row.rel).toBeLessThanOrEqual(1e-4);
      expect(row.gpuClass).toBe(row.cpuClass);
      expect(row.shape).toEqual([1, 10]);
    }
    expect(result.rows.slice(0, 3).map((r) => r.gpuClass)).toEqual([5, 0, 4]);
    // Conv, pool, conv, pool, matmul: at least these dispatches, with MACs counted for conv and matmul.
    expect(result.prof.n).toBeGreaterThanOrEqual(5);
    expect(result.info.kernels.some((k) => k.startsWith('conv2d'))).toBe(true);
    // mnist-8: conv1 28*28*8*25 + conv2 14*14*16*8*25 + matmul 256*10.
    expect(result.prof.macs).toBe(28 * 28 * 8 * 25 + 14 * 14 * 16 * 8 * 25 + 256 * 10);
    // GPU timestamps when the device has timestamp-query, else per-dispatch wall time: a number either way.
    expect(result.prof.gpuMs).toBeGreaterThanOrEqual(0);
    expect(result.prof.timing).toBe(result.prof.ts ? 'timestamp' : 'wall');
  });

  it('creates no pipeline, bind group or buffer after the first inference (100 runs), and release frees every buffer', async () => {
    const r = await session.page.evaluate(async (url) => {
      const t = (globalThis as Any).tessera;
      const gpuCtx = await t.sharedGpu();
      const before = gpuCtx.tracker.snapshot();
      const s = await t.Session.create(new Uint8Array(await (await fetch(url)).arrayBuffer()), { backend: 'webgpu' });
      const name = s.inputs[0].name;
      const x = new Float32Array(784).fill(0.5);
      const first = await s.run({ [name]: x });
      const afterFirst = s.gpuStats();
      let same = true;
      for (let i = 0; i < 100; i++) {
        const out = await s.run({ [name]: x });
        const a = (Object.values(out)[0] as Any).data;
        const b = (Object.values(first)[0] as Any).data;
        for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) same = false;
      }
      const after100 = s.gpuStats();
      s.release();
      const afterRelease = gpuCtx.tracker.snapshot();
      let releasedError = '';
      try {
        await s.run({ [name]: x });
      } catch (e) {
        releasedError = (e as Error).name;
      }
      return { before, afterFirst, after100, afterRelease, same, releasedError };
    }, modelUrl);
    expect(r.same).toBe(true);
    expect(r.afterFirst.liveBuffers).toBeGreaterThan(r.before.liveBuffers);
    for (const k of ['pipelinesCreated', 'bindGroupsCreated', 'buffersCreated', 'liveBuffers', 'liveBytes'] as const) expect(r.after100[k]).toBe(r.afterFirst[k]);
    expect(r.afterRelease.liveBuffers).toBe(r.before.liveBuffers);
    expect(r.afterRelease.liveBytes).toBe(r.before.liveBytes);
    expect(r.releasedError).toBe('SessionReleasedError');
  });

  it('rejects bad inputs with InputError naming the input', async () => {
    const errors = await session.page.evaluate(async (url) => {
      const t = (globalThis as Any).tessera;
      const s = await t.Session.create(new Uint8Array(await (await fetch(url)).arrayBuffer()), { backend: 'webgpu' });
      const name = s.inputs[0].name;
      const attempts: Any[] = [
        { nope: new Float32Array(784) },
        {},
        { [name]: new Float32Array(783) },
        { [name]: { dtype: 'i32', shape: [1, 1, 28, 28], data: new Int32Array(784) } },
        { [name]: { dtype: 'f32', shape: [1, 1, 28, 29], data: new Float32Array(812) } },
        { [name]: [1, 2, 3] },
      ];
      const out = [];
      for (const a of attempts) {
        try {
          await s.run(a);
          out.push('no error');
        } catch (e) {
          out.push(`${(e as Error).name}: ${(e as Error).message}`);
        }
      }
      s.release();
      return { out, name };
    }, modelUrl);
    expect(errors.out).toHaveLength(6);
    for (const e of errors.out) expect(e).toMatch(/^InputError: /);
    expect(errors.out[0]).toContain('nope');
    for (const e of errors.out.slice(1)) expect(e).toContain(errors.name);
  });

  it('surfaces device loss as WebGPUDeviceError on the next run (caller-provided device)', async () => {
    const r = await session.page.evaluate(async (url) => {
      const t = (globalThis as Any).tessera;
      const adapter = await navigator.gpu.requestAdapter();
      const device = await adapter!.requestDevice();
      const s = await t.Session.create(new Uint8Array(await (await fetch(url)).arrayBuffer()), { backend: 'webgpu', device });
      const name = s.inputs[0].name;
      const ok = await s.run({ [name]: new Float32Array(784) });
      device.destroy();
      await device.lost;
      let err = '';
      try {
        await s.run({ [name]: new Float32Array(784) });
      } catch (e) {
        err = `${(e as Error).name}|${(e as Any).kind}`;
      }
      return { firstOk: Object.keys(ok).length, err };
    }, modelUrl);
    expect(r.firstOk).toBe(1);
    expect(r.err).toBe('WebGPUDeviceError|lost');
  });

  it("backend 'auto' runs on WASM (with a reason) when an op has no WebGPU kernel; 'webgpu' refuses", async () => {
    const r = await session.page.evaluate(async () => {
      const t = (globalThis as Any).tessera;
      const graph = {
        inputs: [{ name: 'x', dtype: 'f32', shape: [2, 3] }],
        outputs: [{ name: 'y', dtype: 'f32', shape: [2, 3] }],
        nodes: [{ name: 'neg_where', op: 'Where', inputs: ['c', 'x', 'z'], outputs: ['y'], attrs: {} }],
        initializers: new Map<string, Any>([
          ['c', { dtype: 'bool', shape: [2, 3], data: new Uint8Array([1, 0, 1, 0, 1, 0]) }],
          ['z', { dtype: 'f32', shape: [2, 3], data: new Float32Array(6).fill(-1) }],
        ]),
        metadata: {},
      };
      const s = await t.Session.create(graph, { backend: 'auto' });
      const out = await s.run({ x: new Float32Array([1, 2, 3, 4, 5, 6]) });
      let strict = '';
      try {
        await t.Session.create(graph, { backend: 'webgpu' });
      } catch (e) {
        strict = `${(e as Error).name}: ${(e as Error).message}`;
      }
      return { backend: s.backend, reason: s.fallbackReason, info: s.backendInfo, y: Array.from(out.y.data as Float32Array), strict };
    });
    // Chromium has WebAssembly SIMD: the WASM backend (Where itself on its CPU-reference kernel), not the CPU backend.
    expect(r.backend).toBe('wasm');
    expect(r.reason).toContain('Where');
    expect(r.info).toMatchObject({ backend: 'wasm', reason: r.reason, simd: true });
    expect(r.info.fallbackNodes.join(', ')).toContain('neg_where');
    expect(r.y).toEqual([1, -1, 3, -1, 5, -1]);
    expect(r.strict).toMatch(/^WebGPUKernelError: .*Where/);
  });
});
