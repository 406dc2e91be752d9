/**
 * Weights uploaded while a `.tessera` file streams (Chromium, SwiftShader; src/runtime/stream_upload.ts): on a
 * throttled stream the session built from the skeleton is kept, every tensor that arrived before the last payload
 * byte is already on the GPU at that byte (the `uploaded` progress figure), pipelines were compiled before it, and
 * the results equal the whole-file session's exactly — f32, f16 and int8 files, int8 weights dequantised at load or
 * kept as int8 on the GPU. When a storage choice made from a placeholder falls differently with the real weights
 * (an int8 layout, constructed below), the session is built from the verified file instead: same exact result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../src/node/browser_harness.js';
import type { Graph } from '../../src/graph/ir.js';
import { writeTessera } from '../../src/format/index.js';
import { quantizeWeightsInt8 } from '../../src/graph/passes/quantize_int8.js';
import { syntheticCnn } from '../format/helpers.js';
import { startTestBrowser } from '../harness/browser.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * fc1.W with every output column's largest |w| equal to 1: its int8 scales are all the same, so the repacked
 * (panel) copy of the weight is also exactly int8 in the plain per-column geometry, which findInt8Layout tries first;
 * the placeholder's distinct scales match only the panel geometry. The executor would be built differently.
 */
function equalScaleFc(): Graph {
  const g = syntheticCnn(5);
  const w = g.initializers.get('fc1.W')!.data as Float32Array;
  for (let j = 0; j < 16; j++) w[j] = 1;
  return g;
}

const FILES = {
  f32: writeTessera(syntheticCnn(5)),
  f16: writeTessera(syntheticCnn(5), { fp16: true }),
  int8: writeTessera(quantizeWeightsInt8(syntheticCnn(5)).graph),
  int8EqualScales: writeTessera(quantizeWeightsInt8(equalScaleFc()).graph),
};

let session: BrowserSession;
const urls: Record<string, string> = {};
beforeAll(async () => {
  session = await startTestBrowser();
  for (const [k, v] of Object.entries(FILES)) urls[k] = session.serveBytes(v);
});
afterAll(async () => {
  await session?.close();
});

interface Figures {
  bytes: { loaded: number; total: number | null };
  tensors: { done: number; total: number };
  pipelines: { done: number; total: number };
  uploaded: { done: number; total: number };
}

interface Run {
  exact: boolean;
  maxDiff: number;
  streamed: { early: boolean; reason?: string } | undefined;
  /** The last progress report before the last chunk was handed over, and the final one. */
  beforeLastByte: Figures | undefined;
  last: Figures;
  pipelinesDoneBeforeLastByte: boolean;
  readyAfterLastByteMs: number;
  liveBefore: number;
  liveAfter: number;
}

/** In the page: stream the file in 50 chunks, 80 ms apart (~4 s, as stream_load_webgpu.test.ts); compare with the whole file. */
function streamThrottled(url: string, int8Weights: boolean): Promise<Run> {
  return session.page.evaluate(
    async ({ u, int8Weights }): Promise<Run> => {
      const t = (globalThis as Any).tessera;
      const gpu = await t.sharedGpu();
      const bytes = new Uint8Array(await (await fetch(u)).arrayBuffer());
      const liveBefore = gpu.tracker.liveBuffers;
      const chunk = Math.ceil(bytes.length / 50);
      let at = 0;
      let lastByteAt = Infinity;
      const stream = new ReadableStream<Uint8Array>({
        async pull(c) {
          await new Promise((r) => setTimeout(r, 80));
          if (at + chunk >= bytes.length) lastByteAt = performance.now();
          c.enqueue(bytes.slice(at, at + chunk));
          at += chunk;
          if (at >= bytes.length) c.close();
        },
      });
      const reports: { at: number; p: Figures }[] = [];
      const options = { backend: 'webgpu', int8Weights };
      const streamed = await t.Session.create(stream, { ...options, onProgress: (p: Figures) => reports.push({ at: performance.now(), p }) });
      const ready = performance.now();
      const whole = await t.Session.create(bytes, options);
      const x = new Float32Array(784);
      for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37);
      const a = Object.values(await streamed.run({ image: x }))[0] as Any;
      const b = Object.values(await whole.run({ image: x }))[0] as Any;
      let maxDiff = 0;
      for (let i = 0; i < b.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.data[i] - b.data[i]));
      const exact = a.data.length === b.data.length && a.data.every((v: number, i: number) => Object.is(v, b.data[i]));
      const info = streamed.streamed;
      streamed.release();
      whole.release();
      const before = reports.filter((r) => r.at < lastByteAt);
      return {
        exact,
        maxDiff,
        streamed: info,
        beforeLastByte: before.at(-1)?.p,
        last: reports.at(-1)!.p,
        pipelinesDoneBeforeLastByte: before.some((r) => r.p.pipelines.total > 0 && r.p.pipelines.done === r.p.pipelines.total),
        readyAfterLastByteMs: ready - lastByteAt,
        liveBefore,
        liveAfter: gpu.tracker.liveBuffers,
      };
    },
    { u: url, int8Weights },
  );
}

describe('weights uploaded while streaming (WebGPU, Chromium)', () => {
  it.each([
    ['f32', false],
    ['f16', false],
    ['int8', false],
    ['int8', true],
  ] as const)('%s (int8Weights %s): tensors are on the GPU before the last byte; the result equals the whole-file session exactly', async (kind, int8Weights) => {
    const r = await streamThrottled(urls[kind]!, int8Weights);
    const b = r.beforeLastByte!;
    console.log(`${kind} int8Weights=${int8Weights}: ${b.uploaded.done} of ${b.uploaded.total} tensors uploaded before the last byte; session ready ${r.readyAfterLastByteMs.toFixed(1)} ms after it`);
    expect(r.streamed).toEqual({ early: true });
    expect(r.pipelinesDoneBeforeLastByte).toBe(true);
    // Every tensor whose bytes had arrived was on the GPU by the last byte, and those were most of the file's.
    expect(b.uploaded.done).toBe(b.tensors.done);
    expect(b.uploaded.done).toBeGreaterThan(0);
    expect(b.uploaded.done).toBeLessThan(b.uploaded.total);
    expect(r.last.uploaded).toEqual({ done: 7, total: 7 });
    expect(r.exact, `max |diff| ${r.maxDiff}`).toBe(true);
    expect(r.liveAfter).toBe(r.liveBefore);
  });

  it('an int8 layout that differs with the real weights: the session is built from the verified file, same exact result', async () => {
    const r = await streamThrottled(urls['int8EqualScales']!, true);
    console.log(`fallback: ${r.streamed?.reason}; session ready ${r.readyAfterLastByteMs.toFixed(1)} ms after the last byte`);
    expect(r.streamed?.early).toBe(false);
    expect(r.streamed?.reason).toMatch(/int8 layout of 'fc1\.W'/);
    expect(r.pipelinesDoneBeforeLastByte).toBe(true);
    expect(r.last.uploaded).toEqual({ done: 7, total: 7 });
    expect(r.exact, `max |diff| ${r.maxDiff}`).toBe(true);
    expect(r.liveAfter).toBe(r.liveBefore);
  });
});
