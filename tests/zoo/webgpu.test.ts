/**
 * Model zoo end to end on WebGPU: the CIFAR-scale member of every family (tests/fixtures/zoo/<name>/, plus the
 * pretrained ResNet-20 of tests/fixtures/resnet20) is imported from ONNX, converted (optimize → .tessera, as
 * `tessera convert` does), loaded in headless Chromium with Session.create({ backend: 'webgpu' }) and run once;
 * the output must match PyTorch's to a relative L2 error of 1e-4. One browser for the whole file; each session is
 * released before the next. The full paper configurations: `npx tsx tools/zoo/check_webgpu.ts` (docs/zoo.md).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTessera } from '../../src/format/writer.js';
import { optimize } from '../../src/graph/passes/index.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { startBrowserSession, type BrowserSession } from '../../src/node/browser_harness.js';
import { caseDirs, loadCase, relativeL2, type ZooCase } from '../../tools/zoo/zoo_lib.js';
import { isCopyRow, runInPage } from '../../tools/zoo/webgpu_lib.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const TOLERANCE = 1e-4;
/** Families of the model-zoo issue (XNOR/BWN has its own tests); each must have a fixture here. */
const FAMILY_COUNT = 19;

const cases: ZooCase[] = [
  ...caseDirs(join(FIXTURES, 'zoo')).map((d) => loadCase(d)),
  { ...loadCase(join(FIXTURES, 'resnet20'), 'resnet20-pretrained'), meta: { name: 'resnet20-pretrained', family: 'ResNet' } },
];

let browser: BrowserSession;
const table: string[] = [];
beforeAll(async () => {
  browser = await startBrowserSession();
});
afterAll(async () => {
  await browser?.close();
  console.log(['zoo fixture on WebGPU              rel L2 vs PyTorch   run', ...table.sort()].join('\n'));
});

describe('zoo fixtures on WebGPU (Chromium) match PyTorch', () => {
  it('cover every family', () => {
    expect(new Set(cases.map((c) => c.meta.family)).size).toBe(FAMILY_COUNT);
  });

  for (const c of cases) {
    it(c.name, async () => {
      const converted = writeTessera(optimize(importOnnx(c.modelBytes)));
      // DenseNet's dense-block concats and the Ghost modules' concat + slice are planned away (producers write into
      // their channel slice, slices are read in place): their profiles must show no copy dispatch at all.
      const profile = c.name.startsWith('densenet') || c.name.startsWith('ghostnet');
      const r = await runInPage(browser, converted, c.input, { runs: 1, profile });
      const err = relativeL2({ dtype: 'f32', shape: r.shape, data: r.data }, c.expected);
      table.push(`${c.name.padEnd(34)} ${err.toExponential(2).padEnd(19)} ${Math.round(r.runsMs[0]!)} ms`);
      expect(r.backend).toBe('webgpu');
      expect(r.shape).toEqual([...c.expected.shape]);
      expect(err, c.name).toBeLessThanOrEqual(TOLERANCE);
      if (profile) {
        expect(r.profile!.length).toBeGreaterThan(0);
        expect(r.profile!.filter((row) => row.op === 'Concat' || isCopyRow(row)).map((row) => `${row.node}:${row.kernel}`)).toEqual([]);
      }
    });
  }
});
