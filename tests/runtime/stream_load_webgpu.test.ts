/**
 * Streaming load on WebGPU (Chromium, SwiftShader): Session.create(ReadableStream) on a throttled stream compiles
 * every pipeline before the last payload byte arrives (no pipeline is created after it) and runs exactly as the
 * session made from the whole file; progress reports bytes, tensors and pipelines; URL, Response and ReadableStream
 * sources all work; 200 cut streams and 200 streams with a flipped byte each end in FormatError with the live GPU
 * buffer count back where it started.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../src/node/browser_harness.js';
import { writeTessera } from '../../src/format/index.js';
import { quantizeWeightsInt8 } from '../../src/graph/passes/quantize_int8.js';
import { syntheticCnn, seededRandom } from '../format/helpers.js';
import { startTestBrowser } from '../harness/browser.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const FILES = {
  f32: writeTessera(syntheticCnn(5)),
  f16: writeTessera(syntheticCnn(5), { fp16: true }),
  int8: writeTessera(quantizeWeightsInt8(syntheticCnn(5)).graph),
};
const ONNX = new Uint8Array(readFileSync(new URL('../fixtures/data/pretrained/onnx-mnist-cntk/mnist-8.onnx', import.meta.url)));

let session: BrowserSession;
const urls: Record<string, string> = {};
beforeAll(async () => {
  session = await startTestBrowser();
  for (const [k, v] of Object.entries(FILES)) urls[k] = session.serveBytes(v);
  urls['onnx'] = session.serveBytes(ONNX);
});
afterAll(async () => {
  await session?.close();
});

interface Streamed {
  exact: boolean;
  maxDiff: number;
  pipelinesDoneAt: number | null;
  lastByteAt: number;
  pipelinesAtLastByte: number;
  pipelinesAfterCreate: number;
  pipelinesBefore: number;
  progress: { bytes: { loaded: number; total: number | null }; tensors: { done: number; total: number }; pipelines: { done: number; total: number } }[];
  fileBytes: number;
  liveBefore: number;
  liveAfter: number;
}

/** In the page: stream the file in 50 chunks, 80 ms apart (~4 s), then compare with the whole-file session. */
function streamThrottled(url: string): Promise<Streamed> {
  return session.page.evaluate(async (u): Promise<Streamed> => {
    const t = (globalThis as Any).tessera;
    const gpu = await t.sharedGpu();
    const bytes = new Uint8Array(await (await fetch(u)).arrayBuffer());
    const liveBefore = gpu.tracker.liveBuffers;
    const chunk = Math.ceil(bytes.length / 50);
    let at = 0;
    let lastByteAt = 0;
    let pipelinesAtLastByte = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(c) {
        await new Promise((r) => setTimeout(r, 80));
        c.enqueue(bytes.slice(at, at + chunk));
        at += chunk;
        if (at >= bytes.length) {
          lastByteAt = performance.now();
          pipelinesAtLastByte = gpu.tracker.pipelinesCreated;
          c.close();
        }
      },
    });
    const progress: Streamed['progress'] = [];
    let pipelinesDoneAt: number | null = null;
    const pipelinesBefore = gpu.tracker.pipelinesCreated;
    const streamed = await t.Session.create(stream, {
      backend: 'webgpu',
      onProgress: (p: Streamed['progress'][number]) => {
        progress.push(p);
        if (pipelinesDoneAt === null && p.pipelines.total > 0 && p.pipelines.done === p.pipelines.total) pipelinesDoneAt = performance.now();
      },
    });
    const pipelinesAfterCreate = gpu.tracker.pipelinesCreated;
    const whole = await t.Session.create(bytes, { backend: 'webgpu' });
    const x = new Float32Array(784);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37);
    const a = Object.values(await streamed.run({ image: x }))[0] as Any;
    const b = Object.values(await whole.run({ image: x }))[0] as Any;
    let maxDiff = 0;
    for (let i = 0; i < b.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.data[i] - b.data[i]));
    const exact = a.data.length === b.data.length && a.data.every((v: number, i: number) => Object.is(v, b.data[i]));
    streamed.release();
    whole.release();
    return { exact, maxDiff, pipelinesDoneAt, lastByteAt, pipelinesAtLastByte, pipelinesAfterCreate, pipelinesBefore, progress, fileBytes: bytes.length, liveBefore, liveAfter: gpu.tracker.liveBuffers };
  }, url);
}

describe('streaming load on WebGPU (Chromium)', () => {
  it.each(['f32', 'f16', 'int8'])('%s: pipelines compile before the last payload byte; the result equals the whole-file session exactly', async (kind) => {
    const r = await streamThrottled(urls[kind]!);
    console.log(
      `${kind}: pipelines done ${(r.lastByteAt - r.pipelinesDoneAt!).toFixed(0)} ms before the last byte; pipelines created ${r.pipelinesAtLastByte - r.pipelinesBefore} before it, ${r.pipelinesAfterCreate - r.pipelinesAtLastByte} after`,
    );
    expect(r.pipelinesDoneAt).not.toBeNull();
    expect(r.pipelinesDoneAt!).toBeLessThan(r.lastByteAt);
    // No pipeline was compiled after the last byte (the session built while streaming is kept; a rebuild would find
    // every one in the cache: stream_upload_webgpu.test.ts). The first case runs on a fresh page, so its pipelines
    // really were compiled while the payload streamed (later cases may find some or all of theirs already cached by
    // the earlier ones).
    if (kind === 'f32') expect(r.pipelinesAtLastByte - r.pipelinesBefore).toBeGreaterThan(0);
    expect(r.pipelinesAfterCreate).toBe(r.pipelinesAtLastByte);
    expect(r.exact, `max |diff| ${r.maxDiff}`).toBe(true);
    expect(r.liveAfter).toBe(r.liveBefore);

    // Progress: bytes grow to the file size, every tensor arrives, the pipelines finish; the counts never go back.
    const last = r.progress.at(-1)!;
    expect(last.bytes).toEqual({ loaded: r.fileBytes, total: r.fileBytes });
    expect(last.tensors).toEqual({ done: 7, total: 7 });
    expect(last.pipelines.done).toBe(last.pipelines.total);
    expect(last.pipelines.total).toBeGreaterThan(0);
    for (let i = 1; i < r.progress.length; i++) {
      expect(r.progress[i]!.bytes.loaded).toBeGreaterThanOrEqual(r.progress[i - 1]!.bytes.loaded);
      expect(r.progress[i]!.tensors.done).toBeGreaterThanOrEqual(r.progress[i - 1]!.tensors.done);
    }
    // Tensors were reported as they arrived, not all at the end.
    expect(r.progress.some((p) => p.tensors.done > 0 && p.tensors.done < 7)).toBe(true);
  });

  it('URL, Response and ReadableStream sources (and an ONNX URL, read whole) give the same results as bytes', async () => {
    const r = await session.page.evaluate(
      async ({ tessera, onnx }) => {
        const t = (globalThis as Any).tessera;
        const out = async (s: Any, name: string, size: number) => {
          const x = new Float32Array(size);
          for (let i = 0; i < size; i++) x[i] = Math.cos(i * 0.11);
          const y = Object.values(await s.run({ [name]: x }))[0] as Any;
          s.release();
          return Array.from(y.data as Float32Array);
        };
        const bytes = new Uint8Array(await (await fetch(tessera)).arrayBuffer());
        const ref = await out(await t.Session.create(bytes, { backend: 'webgpu' }), 'image', 784);
        const rows: Record<string, boolean> = {};
        const same = (a: number[]) => a.length === ref.length && a.every((v, i) => v === ref[i]);
        rows['url'] = same(await out(await t.Session.create(tessera, { backend: 'webgpu' }), 'image', 784));
        rows['response'] = same(await out(await t.Session.create(await fetch(tessera), { backend: 'webgpu' }), 'image', 784));
        rows['stream'] = same(await out(await t.Session.create((await fetch(tessera)).body, { backend: 'webgpu' }), 'image', 784));
        const cpuRef = await out(await t.Session.create(bytes, { backend: 'cpu' }), 'image', 784);
        const cpuStream = await out(await t.Session.create((await fetch(tessera)).body, { backend: 'cpu' }), 'image', 784);
        rows['cpu stream'] = cpuStream.every((v, i) => v === cpuRef[i]);
        const onnxBytes = new Uint8Array(await (await fetch(onnx)).arrayBuffer());
        const a = await t.Session.create(onnxBytes, { backend: 'webgpu' });
        const name = a.inputs[0].name;
        const onnxRef = await out(a, name, 784);
        const b = await t.Session.create(onnx, { backend: 'webgpu' });
        rows['onnx url'] = b.format === 'onnx' && (await out(b, name, 784)).every((v, i) => v === onnxRef[i]);
        const missing = await t.Session.create(`${tessera}-missing`, { backend: 'webgpu' }).then(
          () => 'created',
          (e: Error) => `${e.name}: ${e.message}`,
        );
        return { rows, missing };
      },
      { tessera: urls['f32']!, onnx: urls['onnx']! },
    );
    expect(r.rows).toEqual({ url: true, response: true, stream: true, 'cpu stream': true, 'onnx url': true });
    expect(r.missing).toMatch(/^ModelLoadError: cannot fetch model .*HTTP 404/);
  });

  it('200 cut streams and 200 streams with a flipped byte end in FormatError; every GPU buffer is freed', async () => {
    const rand = seededRandom(29);
    const file = FILES.f32;
    const cases: { cut?: number; flip?: [number, number]; chunk: number }[] = [];
    for (let i = 0; i < 200; i++) cases.push({ cut: 1 + Math.floor(rand() * (file.length - 1)), chunk: 1 + Math.floor(rand() * 8192) });
    // Bytes 0-7 are the magic: without it a file is not a .tessera file (the loader hands it to the ONNX importer).
    for (let i = 0; i < 200; i++) cases.push({ flip: [8 + Math.floor(rand() * (file.length - 8)), 1 + Math.floor(rand() * 255)], chunk: 1 + Math.floor(rand() * 8192) });
    const r = await session.page.evaluate(
      async ({ url, cases }) => {
        const t = (globalThis as Any).tessera;
        const gpu = await t.sharedGpu();
        const file = new Uint8Array(await (await fetch(url)).arrayBuffer());
        // Warm the pipeline cache once, so the cases run fast and the count below compares like with like.
        (await t.Session.create(file, { backend: 'webgpu' })).release();
        const before = { live: gpu.tracker.liveBuffers, bytes: gpu.tracker.liveBytes };
        const outcomes: Record<string, number> = {};
        let warmedUp = 0;
        let peakLive = before.live;
        for (const c of cases) {
          let bytes = file;
          if (c.cut !== undefined) bytes = file.subarray(0, c.cut);
          else {
            bytes = file.slice();
            bytes[c.flip![0]] ^= c.flip![1];
          }
          let at = 0;
          const stream = new ReadableStream<Uint8Array>({
            pull(ctl) {
              if (at >= bytes.length) return ctl.close();
              ctl.enqueue(bytes.slice(at, at + c.chunk));
              at += c.chunk;
            },
          });
          let compiled = false;
          const outcome = await t.Session.create(stream, {
            backend: 'webgpu',
            onProgress: (p: Any) => {
              if (p.pipelines.total > 0) compiled = true;
              peakLive = Math.max(peakLive, gpu.tracker.liveBuffers);
            },
          }).then(
            (s: Any) => {
              s.release();
              return 'created';
            },
            (e: Error) => (e instanceof t.FormatError ? 'FormatError' : `${e.name}: ${e.message}`),
          );
          if (compiled) warmedUp++;
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        }
        return { outcomes, warmedUp, peakLive, before, after: { live: gpu.tracker.liveBuffers, bytes: gpu.tracker.liveBytes } };
      },
      { url: urls['f32']!, cases },
    );
    console.log(`corrupted streams: ${JSON.stringify(r.outcomes)}; ${r.warmedUp} of 400 built a warm-up executor; live buffers ${r.before.live} -> peak ${r.peakLive} -> ${r.after.live}`);
    expect(r.outcomes).toEqual({ FormatError: 400 });
    // The cases did reach the GPU (a skeleton session with buffers), so the flat count means freed.
    expect(r.warmedUp).toBeGreaterThan(200);
    expect(r.peakLive).toBeGreaterThan(r.before.live);
    expect(r.after).toEqual(r.before);
  });
});
