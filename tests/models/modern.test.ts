/**
 * The CI-sized members of the modern families (tests/fixtures/modern/, written by tools/export_tiny_modern.py from
 * torchvision's own ConvNeXt, VisionTransformer, SwinTransformer, MaxVit and MViT (V1 and V2 configurations) classes
 * with seeded random weights, at opset 17 and 14) end to end: import, convert (optimize → .tessera, as `tessera
 * convert` does), then run on the CPU reference, on WASM (Node) and on WebGPU (headless Chromium, SwiftShader), each
 * within relative L2 1e-4 of PyTorch's output.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTessera } from '../../src/format/reader.js';
import { writeTessera } from '../../src/format/writer.js';
import type { Tensor } from '../../src/graph/ir.js';
import { optimize } from '../../src/graph/passes/index.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { startBrowserSession, type BrowserSession } from '../../src/node/browser_harness.js';
import { Session } from '../../src/runtime/session.js';
import { caseDirs, loadCase, relativeL2, runOnCpu, type ZooCase } from '../../tools/zoo/zoo_lib.js';
import { runInPage } from '../../tools/zoo/webgpu_lib.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'modern');
const TOLERANCE = 1e-4;
const FAMILIES = ['convnext', 'maxvit', 'mvit', 'mvitv2', 'swin', 'vit'];
const OPSETS = [14, 17];

const cases: ZooCase[] = caseDirs(FIXTURES).map((d) => loadCase(d));
const converted = new Map<string, Uint8Array>();
/** The .tessera bytes of a case, converted once for all backends. */
function tessera(c: ZooCase): Uint8Array {
  let bytes = converted.get(c.name);
  if (!bytes) converted.set(c.name, (bytes = writeTessera(optimize(importOnnx(c.modelBytes)))));
  return bytes;
}

const table: string[] = [];
afterAll(() => {
  console.log(['modern fixture               backend  rel L2 vs PyTorch', ...table.sort()].join('\n'));
});
function record(c: ZooCase, backend: string, actual: Tensor): number {
  const err = relativeL2(actual, c.expected);
  table.push(`${c.name.padEnd(28)} ${backend.padEnd(8)} ${err.toExponential(2)}`);
  return err;
}

describe('modern fixtures', () => {
  it('cover every family at opset 17 and 14, each ONNX under 1 MB', () => {
    const expected = FAMILIES.flatMap((f) => OPSETS.map((o) => `${f}-mini-op${o}`)).sort();
    expect(cases.map((c) => c.name).sort()).toEqual(expected);
    for (const c of cases) expect(c.modelBytes.byteLength, c.name).toBeLessThan(1_000_000);
  });
});

describe('modern fixtures on the CPU reference', () => {
  for (const c of cases) {
    it(c.name, () => {
      const y = runOnCpu(readTessera(tessera(c)), c.input);
      expect(y.shape).toEqual([...c.expected.shape]);
      expect(record(c, 'cpu', y), c.name).toBeLessThanOrEqual(TOLERANCE);
    });
  }
});

describe('modern fixtures on WASM (Node)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const s = await Session.create(tessera(c), { backend: 'wasm' });
      try {
        expect(s.backend).toBe('wasm');
        const y = Object.values(await s.run({ [s.inputs[0]!.name]: c.input }))[0]!;
        expect(record(c, 'wasm', y), c.name).toBeLessThanOrEqual(TOLERANCE);
      } finally {
        s.release();
      }
    });
  }
});

describe('modern fixtures on WebGPU (Chromium)', () => {
  let browser: BrowserSession;
  beforeAll(async () => {
    browser = await startBrowserSession();
  });
  afterAll(async () => {
    await browser?.close();
  });
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runInPage(browser, tessera(c), c.input, { runs: 1 });
      expect(r.backend).toBe('webgpu');
      expect(r.shape).toEqual([...c.expected.shape]);
      expect(record(c, 'webgpu', { dtype: 'f32', shape: r.shape, data: r.data }), c.name).toBeLessThanOrEqual(TOLERANCE);
    });
  }
});
