/**
 * Every ONNX fixture (tests/fixtures/<name>/ with model.onnx + input.npy) and every model-zoo member
 * (tests/fixtures/zoo/<name>/) on the WASM backend INSIDE headless Chromium, against the CPU reference backend in the
 * same page: `Session.create(onnxBytes, { backend: 'wasm', numThreads: 2 })` (the default optimisation, so the fused
 * graph) vs `{ backend: 'cpu' }`, relative L2 <= 1e-5. The page is cross-origin isolated (COOP + COEP), so the WASM
 * session runs 2 threads with Blob workers and relaxed SIMD where Chromium has it — the configuration users get,
 * which Node 20 (no relaxed SIMD by default) does not exercise. tests/backends/wasm/models.test.ts does the same in
 * Node, with 1 and 2 threads, raw and optimised graphs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../../src/io/npy.js';
import { startBrowserSession, type BrowserSession } from '../../../src/node/browser_harness.js';
import { caseDirs } from '../../../tools/zoo/zoo_lib.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');
const TOL = 1e-5;

const dirs = [
  ...readdirSync(FIXTURES, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(FIXTURES, e.name, 'model.onnx')) && existsSync(join(FIXTURES, e.name, 'input.npy')))
    .map((e) => join(FIXTURES, e.name))
    .sort(),
  ...caseDirs(join(FIXTURES, 'zoo')),
];

interface PageCase {
  name: string;
  relL2: number;
  backend: string;
  threads: number;
  relaxedSimd: boolean;
  fallback: number;
  error?: string;
}

let session: BrowserSession;
beforeAll(async () => {
  session = await startBrowserSession({ crossOriginIsolated: true });
}, 120_000);
afterAll(async () => {
  await session?.close();
});

describe('WASM backend in Chromium (cross-origin isolated, 2 threads) vs the CPU reference: every fixture and zoo member', () => {
  it(`${dirs.length} models, rel L2 <= ${TOL}`, async () => {
    const cases = dirs.map((d) => {
      const x = readNpy(new Uint8Array(readFileSync(join(d, 'input.npy'))));
      return {
        name: d.slice(FIXTURES.length + 1),
        url: session.serveBytes(new Uint8Array(readFileSync(join(d, 'model.onnx')))),
        shape: [...x.shape],
        data: Array.from(x.data as Float32Array),
      };
    });
    const results: PageCase[] = await session.page.evaluate(async (all) => {
      const t = (globalThis as { tessera?: any }).tessera; // eslint-disable-line @typescript-eslint/no-explicit-any
      const out: PageCase[] = [];
      for (const c of all) {
        try {
          const bytes = new Uint8Array(await (await fetch(c.url)).arrayBuffer());
          const wasm = await t.Session.create(bytes, { backend: 'wasm', numThreads: 2 });
          const cpu = await t.Session.create(bytes, { backend: 'cpu' });
          const name = wasm.inputs[0].name;
          const feed = { [name]: { dtype: 'f32', shape: c.shape, data: new Float32Array(c.data) } };
          const a = (Object.values(await wasm.run(feed))[0] as { data: Float32Array }).data;
          const b = (Object.values(await cpu.run(feed))[0] as { data: Float32Array }).data;
          let d = 0;
          let n = 0;
          for (let i = 0; i < b.length; i++) {
            d += (a[i]! - b[i]!) ** 2;
            n += b[i]! ** 2;
          }
          const info = wasm.backendInfo;
          out.push({
            name: c.name,
            relL2: a.length !== b.length ? Infinity : n === 0 ? Math.sqrt(d) : Math.sqrt(d / n),
            backend: info.backend,
            threads: info.threads,
            relaxedSimd: info.relaxedSimd,
            fallback: info.fallbackNodes?.length ?? 0,
          });
          wasm.release();
          cpu.release();
        } catch (e) {
          out.push({ name: c.name, relL2: Infinity, backend: '?', threads: 0, relaxedSimd: false, fallback: 0, error: String(e) });
        }
      }
      return out;
    }, cases);
    console.log(
      [`Chromium, WASM (2 threads) vs CPU reference, ${results.length} models:`, ...results.map((r) => `  ${r.name.padEnd(34)} ${r.error ?? `rel L2 ${r.relL2.toExponential(2)}, ${r.threads} threads, relaxed ${r.relaxedSimd}, ${r.fallback} CPU-reference nodes`}`)].join('\n'),
    );
    expect(results).toHaveLength(dirs.length);
    for (const r of results) {
      expect(r.error, r.name).toBeUndefined();
      expect(r.backend, r.name).toBe('wasm');
      expect(r.threads, r.name).toBe(2);
      expect(r.relL2, r.name).toBeLessThanOrEqual(TOL);
    }
  }, 300_000);
});
