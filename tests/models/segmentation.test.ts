/**
 * Issue 18, dense heads: torchvision 0.14's segmentation models (fcn_resnet50, deeplabv3_resnet50,
 * deeplabv3_mobilenet_v3_large, lraspp_mobilenet_v3_large; random weights, 5 classes, symbolic N/H/W) on the CPU
 * backend and on WebGPU (headless Chromium, one page for all four) against PyTorch at two input sizes.
 *
 * The fixtures (tests/fixtures/segmentation, tools/export_segmentation.py) are ONNX files without weights: every float
 * initializer is refilled from the seeded PRNG the exporter used to set the torch model's parameters and buffers
 * (tests/harness/segmentation.ts), and the inputs are regenerated the same way; only PyTorch's outputs are stored.
 *
 * Tolerance: relative L2 error ≤ 1e-4 (REL_L2_TOL) and max abs error ≤ 1e-4 · max|PyTorch output|, both asserted;
 * the errors are printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../src/node/browser_harness.js';
import { Session } from '../../src/runtime/session.js';
import { REL_L2_TOL, startTestBrowser } from '../harness/browser.js';
import { refilledOnnx, segErrors, segInput, segmentationManifest, segReference, type SegCase } from '../harness/segmentation.js';

const manifest = segmentationManifest();
const INPUT = manifest.input;
const OUTPUT = manifest.output;
// Per model: measured ≤ 31 s (the ResNet-50 models on WebGPU/SwiftShader) on this 2-core machine; room for a busy one.
const TIMEOUT_MS = 300_000;
const models = new Map<string, Uint8Array>();
const modelBytes = (name: string): Uint8Array => {
  let b = models.get(name);
  if (!b) {
    b = refilledOnnx(manifest.models.find((m) => m.name === name)!);
    models.set(name, b);
  }
  return b;
};

function expectMatchesPyTorch(label: string, c: SegCase, out: { shape: number[]; data: ArrayLike<number> }): void {
  const want = segReference(c);
  expect(out.shape, label).toEqual(c.outputShape);
  const e = segErrors(out.data, want.data as Float32Array);
  console.log(
    `${label} ${c.shape.join('x')}: rel L2 ${e.relL2.toExponential(2)}, max abs ${e.maxAbs.toExponential(2)} ` +
      `(max |ref| ${e.maxRef.toPrecision(3)}) vs PyTorch`,
  );
  expect(e.relL2, label).toBeLessThanOrEqual(REL_L2_TOL);
  expect(e.maxAbs, label).toBeLessThanOrEqual(1e-4 * e.maxRef);
}

it('the fixture covers the four models at two sizes each, and the inputs regenerate bit for bit', () => {
  expect(manifest.models.map((m) => m.name)).toEqual(['fcn_resnet50', 'deeplabv3_resnet50', 'deeplabv3_mobilenet_v3_large', 'lraspp_mobilenet_v3_large']);
  for (const m of manifest.models) {
    expect(m.cases.length).toBe(2);
    for (const c of m.cases) {
      let sum = 0;
      for (const v of segInput(c)) sum += v;
      expect(sum).toBe(c.inputSum);
    }
  }
});

describe('segmentation models on the CPU backend', () => {
  for (const m of manifest.models) {
    it(`${m.name}: both sizes match PyTorch`, async () => {
      const s = await Session.create(modelBytes(m.name), { backend: 'cpu' });
      expect(s.inputs[0]!.shape).toEqual([-1, 3, -1, -1]);
      for (const c of m.cases) {
        const out = (await s.run({ [INPUT]: { dtype: 'f32', shape: c.shape, data: segInput(c) } }))[OUTPUT]!;
        expectMatchesPyTorch(`cpu ${m.name}`, c, { shape: [...out.shape], data: out.data as Float32Array });
      }
      s.release();
    }, TIMEOUT_MS);
  }
});

// The page-side API is untyped here: page.evaluate functions run in the browser with globalThis.tessera.
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('segmentation models on WebGPU (Chromium, one page)', () => {
  let browser: BrowserSession;
  beforeAll(async () => {
    browser = await startTestBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const m of manifest.models) {
    it(`${m.name}: both sizes match PyTorch`, async () => {
      const url = browser.serveBytes(modelBytes(m.name));
      const inputs = m.cases.map((c) => {
        const x = segInput(c);
        return browser.serveBytes(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
      });
      try {
        const r = await browser.page.evaluate(
          async ({ url, inputs, shapes, input, output }) => {
            const t = (globalThis as Any).tessera;
            const s = await t.Session.create(new Uint8Array(await (await fetch(url)).arrayBuffer()), { backend: 'webgpu' });
            const outs: { shape: number[]; data: number[] }[] = [];
            try {
              for (let i = 0; i < shapes.length; i++) {
                const data = new Float32Array(await (await fetch(inputs[i]!)).arrayBuffer());
                const o = (await s.run({ [input]: { dtype: 'f32', shape: shapes[i], data } }))[output];
                outs.push({ shape: o.shape, data: Array.from(o.data as Float32Array) });
              }
            } finally {
              s.release();
            }
            return { backend: s.backend, outs };
          },
          { url, inputs, shapes: m.cases.map((c) => c.shape), input: INPUT, output: OUTPUT },
        );
        expect(r.backend).toBe('webgpu');
        m.cases.forEach((c, i) => expectMatchesPyTorch(`webgpu ${m.name}`, c, r.outs[i]!));
      } finally {
        browser.unserve(url);
        for (const u of inputs) browser.unserve(u);
      }
    }, TIMEOUT_MS);
  }
});
