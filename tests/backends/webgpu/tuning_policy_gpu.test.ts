/**
 * The hardware tuning policy forced on SwiftShader (Chromium), on the pretrained ResNet-20 of models/: the first
 * session measures (at most 4 candidates per layer, every candidate's output checked against the rule's) and stores
 * its table, the second reads it with 0 measurements, both match the untuned session within 1e-5; the default session
 * on this software adapter measures nothing. ResNet-50 figures: `npm run gpu-report -- --only tuning` (docs/tuning.md).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startTestBrowser } from '../../harness/browser.js';
import { perFile } from '../../harness/per_file.js';
import { randomF32 } from '../../harness/rng.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const MODEL = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'resnet20-cifar10.tessera');
const BUDGET_MS = 3000;

const session = perFile(startTestBrowser);

describe('hardware tuning policy forced on SwiftShader', () => {
  it('tunes within its budget, then reads the table with 0 measurements; outputs match the untuned session', async () => {
    const url = session().serveBytes(new Uint8Array(readFileSync(MODEL)));
    const x = Array.from(randomF32(3 * 32 * 32, 11, -1, 1));
    const r = await session().page.evaluate(
      async ({ url, x, budgetMs }) => {
        const t = (globalThis as Any).tessera;
        const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
        const cache = t.memoryTuningCache();
        const once = async (autotune: Any) => {
          const s = await t.Session.create(bytes, { backend: 'webgpu', autotune });
          const feeds = { [s.inputs[0].name]: { dtype: 'f32', shape: [1, 3, 32, 32], data: new Float32Array(x) } };
          const out = Object.values(await s.run(feeds))[0] as Any;
          const res = { tuning: JSON.parse(JSON.stringify(s.tuning)), y: Array.from(out.data as Float32Array) };
          s.release();
          return res;
        };
        const untuned = await once(false);
        const first = await once({ policy: 'hardware', cache, budgetMs });
        const second = await once({ policy: 'hardware', cache, budgetMs });
        const nvidia = await once({ policy: 'hardware', adapterClass: 'nvidia', cache, budgetMs: 1 });
        const byDefault = await once(undefined);
        const entries = [...cache.map.values()] as Any[];
        return { untuned, first, second, nvidia, byDefault, tables: entries.length };
      },
      { url, x, budgetMs: BUDGET_MS },
    );
    const rel = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / b.reduce((s, v) => s + v * v, 0));
    const { first, second, nvidia, byDefault } = r;
    expect(first.tuning).toMatchObject({ source: 'measured', policy: 'hardware', adapterClass: 'software', budgetMs: BUDGET_MS, rejected: [] });
    expect(first.tuning.layersTuned).toBeGreaterThanOrEqual(1);
    expect(first.tuning.layersTuned + first.tuning.layersSkipped).toBe(first.tuning.layers);
    // At most 4 candidates per measured layer (a proxy may be measured twice when it runs too fast to time).
    expect(first.tuning.measurements).toBeLessThanOrEqual(2 * 4 * first.tuning.layersTuned);
    // Every layer has an entry: measured ones their winner, skipped ones their seed.
    expect(Object.keys(first.tuning.choices).length).toBe(first.tuning.layers);
    expect(second.tuning).toMatchObject({ source: 'cache', measurements: 0, choices: first.tuning.choices });
    expect(rel(first.y, r.untuned.y)).toBeLessThanOrEqual(1e-5);
    expect(rel(second.y, r.untuned.y)).toBeLessThanOrEqual(1e-5);
    // Another family is another table (key). A budget of 1 ms is spent by the key hash: at most one layer is measured
    // and every other one runs its NVIDIA seed, which the table records.
    expect(nvidia.tuning).toMatchObject({ source: 'measured', adapterClass: 'nvidia' });
    expect(nvidia.tuning.layersTuned).toBeLessThanOrEqual(1);
    expect(Object.keys(nvidia.tuning.choices).length).toBe(nvidia.tuning.layers);
    expect(nvidia.tuning.key).not.toBe(first.tuning.key);
    expect(rel(nvidia.y, r.untuned.y)).toBeLessThanOrEqual(1e-5);
    expect(r.tables).toBe(2);
    // The default on a software adapter: a lookup only (no table of the default policy exists), nothing measured.
    expect(byDefault.tuning).toMatchObject({ measurements: 0 });
    expect(['miss', 'cache']).toContain(byDefault.tuning.source);
  });
});
