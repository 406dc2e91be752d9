/**
 * Autotuning with the DEFAULT cache in Chromium (no `cache` option): `defaultTuningCache()` must pick IndexedDB, so a
 * table measured by one page survives a reload and a later session with default options loads it without measuring;
 * `clearIndexedDbTuningCache()` empties it. The same through WorkerSession: the worker tunes and stores, a fresh
 * worker (same origin, same database) loads the table. Pages come from http://127.0.0.1, so IndexedDB exists.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleBrowserEntry, startBrowserSession, type BrowserSession } from '../../../src/node/browser_harness.js';
import { writeTessera } from '../../../src/format/index.js';
import { optimize } from '../../../src/graph/passes/index.js';
import { randomF32 } from '../../harness/rng.js';
import { GraphBuilder, addBn, addConv } from '../../graph/passes/helpers.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const here = dirname(fileURLToPath(import.meta.url));
const TOL = 1e-4;

/** A small net with three tunable conv shapes: 3x3 stride 1 (Winograd-able), 3x3 stride 2, 1x1. */
function smallNet() {
  const b = new GraphBuilder();
  b.input('x', 'f32', [1, 8, 12, 12]);
  const a = b.node('Relu', [addBn(b, addConv(b, 'x', 8, 16, 11, { bias: false }), 16, 12)]);
  const c = b.node('Relu', [addConv(b, a, 16, 16, 13, { strides: 2 })]);
  b.output(addConv(b, c, 16, 12, 14, { k: 1, pads: 0 }));
  return optimize(b.build());
}

let session: BrowserSession;
let modelUrl: string;
let workerUrl: string;
const x = Array.from(randomF32(8 * 12 * 12, 21, -1, 1));

beforeAll(async () => {
  session = await startBrowserSession({ entry: join(here, 'autotune_idb_page.ts') });
  modelUrl = session.serveBytes(writeTessera(smallNet()));
  workerUrl = session.serveBytes(new TextEncoder().encode(await bundleBrowserEntry(join(here, 'autotune_idb_worker.ts'))));
});
afterAll(async () => {
  await session?.close();
});

/** Installs page helpers (they are lost on reload): CPU reference, relative L2 error, a module worker from the bundle. */
async function installHelpers(): Promise<void> {
  await session.page.waitForFunction(() => (globalThis as Any).tesseraIdb !== undefined, undefined, { timeout: 30_000 });
  await session.page.evaluate(
    async ({ modelUrl, workerUrl, x }) => {
      const g = globalThis as Any;
      const bytes = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
      const feeds = { x: new Float32Array(x) };
      const cpu = await g.tessera.Session.create(bytes, { backend: 'cpu' });
      const ref = Object.values(await cpu.run(feeds))[0] as Any;
      cpu.release();
      const workerCode = await (await fetch(workerUrl)).text();
      g.idbTest = {
        bytes,
        feeds,
        relErr(o: Any) {
          let num = 0;
          let den = 0;
          for (let i = 0; i < ref.data.length; i++) {
            num += (o.data[i] - ref.data[i]) ** 2;
            den += ref.data[i] ** 2;
          }
          return Math.sqrt(num / den);
        },
        newWorker: () => new Worker(URL.createObjectURL(new Blob([workerCode], { type: 'text/javascript' })), { type: 'module' }),
      };
    },
    { modelUrl, workerUrl, x },
  );
}

describe('autotune with the default (IndexedDB) cache in Chromium', () => {
  it('a page tunes once; after a reload a default session loads the table; clearing makes the next one a miss', async () => {
    await installHelpers();
    const first = await session.page.evaluate(async () => {
      const g = globalThis as Any;
      const { bytes, feeds, relErr } = g.idbTest;
      const kind = g.tesseraIdb.defaultCacheKind();
      await g.tesseraIdb.clearIndexedDbTuningCache();
      const keysBefore = await g.tesseraIdb.rawTuningKeys();
      const s = await g.tessera.Session.create(bytes, { backend: 'webgpu', autotune: true });
      const err = relErr(Object.values(await s.run(feeds))[0]);
      const kernels = (await s.profile(feeds)).rows.map((r: Any) => r.kernel);
      const res = { kind, keysBefore, tuning: s.tuning, err, kernels, keysAfter: await g.tesseraIdb.rawTuningKeys() };
      s.release();
      return res;
    });
    console.log(`page, autotune: true -> ${first.tuning.source}, ${first.tuning.measurements} measurements, ${first.tuning.layersTuned}/${first.tuning.layers} layers, ${first.tuning.ms.toFixed(0)} ms, choices ${JSON.stringify(first.tuning.choices)}`);
    expect(first.kind).toBe('indexeddb');
    expect(first.keysBefore).toEqual([]);
    expect(first.tuning.source).toBe('measured');
    expect(first.tuning.measurements).toBeGreaterThan(0);
    expect(first.tuning.layersTuned).toBeGreaterThan(0);
    expect(first.tuning.error).toBeUndefined();
    expect(Object.keys(first.tuning.choices).length).toBe(first.tuning.layersTuned);
    expect(first.keysAfter).toEqual([first.tuning.key]); // written to the IndexedDB database, read back without idb-keyval
    expect(first.err).toBeLessThanOrEqual(TOL);

    await session.page.reload(); // same browser context: IndexedDB persists, memory (device, pipelines) does not
    await installHelpers();
    const second = await session.page.evaluate(async () => {
      const g = globalThis as Any;
      const { bytes, feeds, relErr } = g.idbTest;
      const s = await g.tessera.Session.create(bytes, { backend: 'webgpu' }); // autotune unset = 'cached'
      const err = relErr(Object.values(await s.run(feeds))[0]);
      const kernels = (await s.profile(feeds)).rows.map((r: Any) => r.kernel);
      const loaded = { tuning: s.tuning, err, kernels };
      s.release();
      await g.tesseraIdb.clearIndexedDbTuningCache();
      const keysCleared = await g.tesseraIdb.rawTuningKeys();
      const s2 = await g.tessera.Session.create(bytes, { backend: 'webgpu' });
      const miss = { tuning: s2.tuning, err: relErr(Object.values(await s2.run(feeds))[0]) };
      s2.release();
      return { loaded, keysCleared, miss };
    });
    console.log(`page after reload, default options -> ${second.loaded.tuning.source} (${second.loaded.tuning.ms.toFixed(1)} ms, ${second.loaded.tuning.measurements} measurements); after clear -> ${second.miss.tuning.source}`);
    expect(second.loaded.tuning.source).toBe('cache');
    expect(second.loaded.tuning.measurements).toBe(0);
    expect(second.loaded.tuning.layersTuned).toBe(0);
    expect(second.loaded.tuning.key).toBe(first.tuning.key);
    expect(second.loaded.tuning.choices).toEqual(first.tuning.choices);
    expect(second.loaded.kernels).toEqual(first.kernels);
    expect(second.loaded.err).toBeLessThanOrEqual(TOL);
    expect(second.keysCleared).toEqual([]);
    expect(second.miss.tuning.source).toBe('miss');
    expect(second.miss.tuning.measurements).toBe(0);
    expect(second.miss.tuning.choices).toEqual({});
    expect(second.miss.err).toBeLessThanOrEqual(TOL);
  });

  it('a WorkerSession passes autotune through: one worker tunes, a fresh worker loads the table, clearing misses', async () => {
    await installHelpers();
    const r = await session.page.evaluate(async () => {
      const g = globalThis as Any;
      const { bytes, feeds, relErr } = g.idbTest;
      const WS = g.tesseraIdb.WorkerSession;
      await g.tesseraIdb.clearIndexedDbTuningCache();
      const w1 = g.idbTest.newWorker();
      const a = await WS.create(w1, bytes, { backend: 'webgpu', autotune: true });
      const tuned = { tuning: a.tuning, err: relErr(Object.values(await a.run(feeds))[0]) };
      await a.release();
      w1.terminate();
      const keysAfterTune = await g.tesseraIdb.rawTuningKeys(); // the worker wrote the page origin's database
      const w2 = g.idbTest.newWorker();
      const b = await WS.create(w2, bytes, { backend: 'webgpu' });
      const loaded = { tuning: b.tuning, err: relErr(Object.values(await b.run(feeds))[0]) };
      await b.release();
      await g.tesseraIdb.clearIndexedDbTuningCache();
      const c = await WS.create(w2, bytes, { backend: 'webgpu' });
      const miss = { tuning: c.tuning };
      await c.release();
      const off = await WS.create(w2, bytes, { backend: 'webgpu', autotune: false });
      const offSource = off.tuning.source;
      await off.release();
      w2.terminate();
      return { tuned, keysAfterTune, loaded, miss, offSource };
    });
    console.log(`worker, autotune: true -> ${r.tuned.tuning.source} (${r.tuned.tuning.measurements} measurements); fresh worker, default -> ${r.loaded.tuning.source}; after clear -> ${r.miss.tuning.source}; autotune: false -> ${r.offSource}`);
    expect(r.tuned.tuning.source).toBe('measured');
    expect(r.tuned.tuning.measurements).toBeGreaterThan(0);
    expect(r.tuned.err).toBeLessThanOrEqual(TOL);
    expect(r.keysAfterTune).toEqual([r.tuned.tuning.key]);
    expect(r.loaded.tuning.source).toBe('cache');
    expect(r.loaded.tuning.measurements).toBe(0);
    expect(r.loaded.tuning.choices).toEqual(r.tuned.tuning.choices);
    expect(r.loaded.err).toBeLessThanOrEqual(TOL);
    expect(r.miss.tuning.source).toBe('miss');
    expect(r.offSource).toBe('off');
  });
});
