/**
 * WorkerSession ⇄ serveSessions over a real MessageChannel (structured clone and transfer, as with a Worker), on the
 * CPU backend with the committed ResNet-20 model.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/runtime/session.js';
import { WorkerSession, WorkerSessionError, serveSessions, type Endpoint } from '../../src/worker/index.js';

const MODEL = new Uint8Array(readFileSync(new URL('../../models/resnet20-cifar10.tessera', import.meta.url)));
const channel = new MessageChannel();
const stop = serveSessions(channel.port1 as unknown as Endpoint);
const page = channel.port2 as unknown as Endpoint;
afterAll(() => {
  stop();
  channel.port1.close();
  channel.port2.close();
});

/** A seeded input image in the model's normalised range. */
function input(seed: number, n = 1): Float32Array {
  const x = new Float32Array(n * 3072);
  let s = seed;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    x[i] = (s / 2 ** 32) * 4 - 2;
  }
  return x;
}

describe('WorkerSession', () => {
  it('runs like an in-thread Session and reports model facts', async () => {
    const remote = await WorkerSession.create(page, MODEL, { backend: 'cpu', optimize: true });
    const local = await Session.create(MODEL, { backend: 'cpu', optimize: true });
    expect(remote.backend).toBe('cpu');
    expect(remote.format).toBe('tessera');
    expect(remote.inputs.map((i) => i.name)).toEqual(['input']);
    expect(remote.metadata.labels?.[3]).toBe('cat');
    expect(remote.facts.params).toBe(269_034); // as `tessera convert` reports for this model
    expect(remote.facts.macs).toBeGreaterThan(40.5e6);
    expect(remote.facts.macs).toBeLessThan(40.6e6);
    expect(remote.facts.binaryLayers).toBe(0);
    expect(remote.facts.ops['FusedConv']).toBe(19);

    const x = input(1, 2); // batch of 2 through the dynamic batch dim
    const got = (await remote.run({ input: x })).logits!;
    const want = (await local.run({ input: x })).logits!;
    expect(got.shape).toEqual([2, 10]);
    expect(Array.from(got.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
    expect(x.length).toBe(6144); // copied, not transferred, by default

    const moved = input(2);
    await remote.run({ input: moved }, { transfer: true });
    expect(moved.length).toBe(0); // transferred to the worker side
    await remote.release();
    local.release();
  });

  it('streams a ReadableStream source (transferred) and relays load progress', async () => {
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= MODEL.length) return c.close();
        c.enqueue(MODEL.slice(at, at + 50_000));
        at += 50_000;
      },
    });
    const seen: { bytes: { loaded: number; total: number | null }; tensors: { done: number; total: number } }[] = [];
    const remote = await WorkerSession.create(page, stream, { backend: 'cpu', optimize: true, onProgress: (p) => seen.push(p) });
    const local = await Session.create(MODEL, { backend: 'cpu', optimize: true });
    const x = input(3);
    expect(Array.from((await remote.run({ input: x })).logits!.data as Float32Array)).toEqual(Array.from((await local.run({ input: x })).logits!.data as Float32Array));
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.at(-1)!.bytes).toEqual({ loaded: MODEL.length, total: MODEL.length });
    expect(seen.at(-1)!.tensors.done).toBe(seen.at(-1)!.tensors.total);
    await remote.release();
    local.release();
  });

  it('profiles every layer on the CPU backend', async () => {
    const s = await WorkerSession.create(page, MODEL, { backend: 'cpu', optimize: true });
    const p = await s.layerProfile();
    expect(p.backend).toBe('cpu');
    expect(p.timing).toBe('cpu-wall-clock');
    expect(p.layers.length).toBe(s.facts.nodes);
    expect(p.layers.every((l) => typeof l.ms === 'number' && l.ms >= 0)).toBe(true);
    const convMacs = p.layers.filter((l) => l.op === 'FusedConv').reduce((a, l) => a + l.macs, 0);
    expect(convMacs).toBeGreaterThan(0.99 * s.facts.macs!);
    expect(p.wallMs).toBeGreaterThanOrEqual(p.layers.reduce((a, l) => a + l.ms!, 0) * 0.99);
    await s.release();
  });

  it("passes backend 'wasm' and numThreads through, reports backendInfo, and profiles WASM layers", async () => {
    const s = await WorkerSession.create(page, MODEL, { backend: 'wasm', numThreads: 2 });
    const local = await Session.create(MODEL, { backend: 'cpu' });
    expect(s.backend).toBe('wasm');
    expect(s.backendInfo).toMatchObject({ backend: 'wasm', threads: 2, simd: true });
    expect(typeof s.backendInfo.relaxedSimd).toBe('boolean');
    expect(s.backendInfo.reason).toBeUndefined(); // asked for, not chosen by auto
    const x = input(11);
    const got = (await s.run({ input: x })).logits!.data as Float32Array;
    const want = (await local.run({ input: x })).logits!.data as Float32Array;
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 3);
    const p = await s.layerProfile();
    expect(p.backend).toBe('wasm');
    expect(p.timing).toBe('cpu-wall-clock');
    expect(p.layers.length).toBe(s.facts.nodes);
    expect(p.layers.every((l) => typeof l.ms === 'number' && l.ms >= 0)).toBe(true);
    await s.release();
    local.release();
  });

  it("'auto' without WebGPU (Node has no navigator.gpu) runs on WASM and says why", async () => {
    const s = await WorkerSession.create(page, MODEL, { numThreads: 1 });
    expect(s.backend).toBe('wasm');
    expect(s.backendInfo.backend).toBe('wasm');
    expect(s.backendInfo.threads).toBe(1);
    expect(s.backendInfo.reason).toBeTruthy();
    expect(s.fallbackReason).toBe(s.backendInfo.reason);
    await s.release();
  });

  it('serves a model with symbolic height/width: facts without MACs, runs at real sizes, inputShapes, layerProfile asks for feeds', async () => {
    const sq = new Uint8Array(readFileSync(new URL('../fixtures/dynamic_hw/squeezenet1_1.onnx', import.meta.url)));
    const s = await WorkerSession.create(page, sq, { backend: 'cpu' });
    expect(s.inputs[0]!.shape).toEqual([-1, 3, -1, -1]);
    expect(s.facts.macs).toBeNull(); // they depend on the image size, which nothing gives
    const shape = [1, 3, 64, 72];
    const out = (await s.run({ input: { dtype: 'f32', shape, data: new Float32Array(3 * 64 * 72).fill(0.25) } })).output!;
    expect(out.shape).toEqual([1, 10]);
    const e = await s.layerProfile().catch((x) => x);
    expect(e).toBeInstanceOf(WorkerSessionError);
    expect(e.name).toBe('InputError');
    expect(e.message).toMatch(/pass feeds to layerProfile/);
    const p = await s.layerProfile({ input: { dtype: 'f32', shape, data: new Float32Array(3 * 64 * 72) } });
    expect(p.layers.length).toBeGreaterThan(0);
    const sized = await WorkerSession.create(page, sq, { backend: 'cpu', inputShapes: { input: [1, 3, 64, 72] } });
    expect(sized.facts.macs).toBeGreaterThan(0);
    // Parameters do not depend on the size: the shape-free count equals the count at a real size.
    expect(s.facts.params).toBe(sized.facts.params);
    expect(p.layers.reduce((a, l) => a + l.macs, 0)).toBe(sized.facts.macs);
    await s.release();
    await sized.release();
  });

  it('brings worker-side errors back with their names', async () => {
    const broken = MODEL.slice();
    broken[broken.length - 10] ^= 0xff;
    const e1 = await WorkerSession.create(page, broken, { backend: 'cpu' }).catch((e) => e);
    expect(e1).toBeInstanceOf(WorkerSessionError);
    expect(e1.name).toBe('FormatError');
    expect(e1.message).toContain('payload SHA-256');

    const s = await WorkerSession.create(page, MODEL, { backend: 'cpu' });
    const e2 = await s.run({ image: input(3) }).catch((e) => e);
    expect(e2.name).toBe('InputError');
    expect(e2.message).toContain("'input'");
    await s.release();
    const e3 = await s.run({ input: input(4) }).catch((e) => e);
    expect(e3.name).toBe('SessionReleasedError');
  });
});
