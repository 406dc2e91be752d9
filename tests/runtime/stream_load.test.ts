/**
 * Streaming sources on the CPU and WASM backends (Node): an http URL served at a throttled rate, a fetch Response and
 * a ReadableStream give exactly the session made from the bytes; progress reports bytes and tensors as they arrive;
 * a stream that errors is a ModelLoadError, a truncated one a FormatError; ONNX sources still load (whole).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/graph/ir.js';
import { FormatError } from '../../src/format/index.js';
import { ModelLoadError } from '../../src/runtime/load.js';
import { Session, type LoadProgress } from '../../src/runtime/session.js';

const RESNET20 = new Uint8Array(readFileSync(new URL('../../models/resnet20-cifar10.tessera', import.meta.url)));
const ONNX = new Uint8Array(readFileSync(new URL('../fixtures/data/pretrained/onnx-mnist-cntk/mnist-8.onnx', import.meta.url)));

/** Serves `bytes` at /model in 16 KB pieces, `delayMs` apart (a throttled link), and 404 elsewhere. */
let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    const bytes = req.url === '/model.tessera' ? RESNET20 : req.url === '/model.onnx' ? ONNX : undefined;
    if (!bytes) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    for (let at = 0; at < bytes.length; at += 16384) {
      res.write(bytes.subarray(at, at + 16384));
      await new Promise((r) => setTimeout(r, 2));
    }
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const input = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.21));
async function logits(s: Session, size = 3 * 32 * 32): Promise<Tensor['data']> {
  const out = Object.values(await s.run({ [s.inputs[0]!.name]: input(size) }))[0]!;
  s.release();
  return out.data;
}
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

describe('streaming sources (CPU and WASM backends, Node)', () => {
  it.each(['cpu', 'wasm'] as const)('%s: http URL, Response and ReadableStream equal the bytes session exactly', async (backend) => {
    const ref = await logits(await Session.create(RESNET20, { backend, numThreads: 1 }));
    const progress: LoadProgress[] = [];
    const fromUrl = await Session.create(`${base}/model.tessera`, { backend, numThreads: 1, onProgress: (p) => progress.push(p) });
    expect(fromUrl.format).toBe('tessera');
    expect(await logits(fromUrl)).toEqual(ref);
    expect(await logits(await Session.create(await fetch(`${base}/model.tessera`), { backend, numThreads: 1 }))).toEqual(ref);
    expect(await logits(await Session.create(chunked(RESNET20, 777), { backend, numThreads: 1 }))).toEqual(ref);
    // Progress: Content-Length first, then the header's size; tensors counted as they arrive; no pipelines off WebGPU.
    expect(progress[0]!.bytes).toEqual({ loaded: 0, total: RESNET20.length });
    const last = progress.at(-1)!;
    expect(last.bytes).toEqual({ loaded: RESNET20.length, total: RESNET20.length });
    expect(last.tensors.done).toBe(last.tensors.total);
    expect(last.tensors.total).toBeGreaterThan(10);
    expect(progress.filter((p) => p.tensors.done > 0 && p.tensors.done < p.tensors.total).length).toBeGreaterThan(3);
    expect(last.pipelines).toEqual({ done: 0, total: 0 });
  });

  it('an ONNX URL is read whole and imported, as before', async () => {
    const s = await Session.create(`${base}/model.onnx`, { backend: 'cpu' });
    expect(s.format).toBe('onnx');
    const ref = await logits(await Session.create(ONNX, { backend: 'cpu' }), 784);
    expect(await logits(s, 784)).toEqual(ref);
  });

  it('errors: HTTP 404 and a failing stream are ModelLoadError, a truncated stream a FormatError', async () => {
    await expect(Session.create(`${base}/missing.tessera`, { backend: 'cpu' })).rejects.toThrow(ModelLoadError);
    let sent = false;
    const failing = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent) return c.error(new Error('connection reset'));
        sent = true;
        c.enqueue(RESNET20.slice(0, 5000));
      },
    });
    await expect(Session.create(failing, { backend: 'cpu' })).rejects.toThrow(/reading the model stream failed after 5000 bytes: connection reset/);
    const truncated = Session.create(chunked(RESNET20.subarray(0, RESNET20.length - 1), 4096), { backend: 'cpu' });
    await expect(truncated).rejects.toThrow(FormatError);
    await expect(truncated).rejects.toThrow(/ended after \d+ of the \d+ bytes the header describes: truncated file/);
  });
});
