import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Connect, type Plugin } from 'vite';

/**
 * The demo page lives in demo/; `npm start` serves it. Library code is imported from src/ directly.
 *
 * Besides demo/public/ (sample images), the server exposes:
 *   /models/<file>                 the committed default models in models/ (copied into the build as well)
 *   /data/cifar10/test_batch.bin   the CIFAR-10 test set for the page's accuracy run, read from
 *                                  $TESSERA_CIFAR10_DIR or ../shared/data/cifar10 (never committed, never copied
 *                                  into a build); `?count=N` serves only the first N records.
 */
const root = dirname(fileURLToPath(import.meta.url));
const MODELS_DIR = join(root, 'models');
const CIFAR_DIR = resolve(root, process.env['TESSERA_CIFAR10_DIR'] ?? '../shared/data/cifar10');
const CIFAR_RECORD = 3073;

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache' });
  res.end(body);
}

function serveFile(res: ServerResponse, path: string, type: string, length?: number): void {
  const size = length ?? statSync(path).size;
  res.writeHead(200, { 'content-type': type, 'content-length': size, 'cache-control': 'no-cache' });
  createReadStream(path, { start: 0, end: size - 1 }).pipe(res);
}

function demoAssets(req: IncomingMessage, res: ServerResponse, next: Connect.NextFunction): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const model = /^\/models\/([A-Za-z0-9._-]+)$/.exec(url.pathname);
  if (model) {
    const path = join(MODELS_DIR, model[1]!);
    if (!existsSync(path) || !statSync(path).isFile()) return send(res, 404, 'text/plain', `no model file ${model[1]}\n`);
    return serveFile(res, path, model[1]!.endsWith('.json') ? 'application/json' : 'application/octet-stream');
  }
  if (url.pathname === '/data/cifar10/test_batch.bin') {
    const path = join(CIFAR_DIR, 'test_batch.bin');
    if (!existsSync(path)) return send(res, 404, 'text/plain', `the CIFAR-10 test set is not on this server (looked for ${path}; set TESSERA_CIFAR10_DIR)\n`);
    const size = statSync(path).size;
    const count = Number(url.searchParams.get('count') ?? NaN);
    const length = Number.isInteger(count) && count > 0 ? Math.min(size, count * CIFAR_RECORD) : size;
    return serveFile(res, path, 'application/octet-stream', length);
  }
  next();
}

function tesseraDemoPlugin(): Plugin {
  return {
    name: 'tessera-demo-assets',
    configureServer(server) {
      server.middlewares.use(demoAssets);
    },
    configurePreviewServer(server) {
      server.middlewares.use(demoAssets);
    },
    generateBundle() {
      // A static build carries the models (small, committed); the CIFAR-10 test set stays out of it.
      for (const file of readdirSync(MODELS_DIR)) {
        if (/\.(tessera|onnx|json)$/.test(file)) this.emitFile({ type: 'asset', fileName: `models/${file}`, source: readFileSync(join(MODELS_DIR, file)) });
      }
    },
  };
}

/**
 * Cross-origin isolation (COOP same-origin + COEP require-corp): the page and its worker get SharedArrayBuffer, so the
 * WASM backend runs threaded. Every resource the demo loads is same-origin (models, samples, CIFAR-10, the worker).
 */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: 'demo',
  publicDir: 'public',
  plugins: [tesseraDemoPlugin()],
  server: { host: '127.0.0.1', port: 5173, fs: { allow: ['..'] }, headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
  // Pre-bundle the library's dependencies up front: discovering them on first load would reload the page.
  optimizeDeps: { include: ['idb-keyval', 'protobufjs/light.js', '@noble/hashes/sha2.js', '@noble/hashes/utils.js'] },
  worker: { format: 'es' },
  build: { outDir: '../dist-demo', emptyOutDir: true },
});
