/**
 * Every foundation fixture (tests/fixtures/<name>/{model.onnx,input.npy,output.npy}, see tests/fixtures.test.ts) on
 * WebGPU in headless Chromium against PyTorch's output: f32 weights (the ONNX file, optimised at load) with relative
 * L2 ≤ 1e-4, and f16 weight storage (import → optimize → writeTessera({ fp16: true }) → Session.create) ≤ 1e-2.
 * Prints a table with both errors and the share of weight bytes the GPU holds as f16.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../../src/node/browser_harness.js';
import { importOnnx } from '../../../src/import/onnx/index.js';
import { optimize } from '../../../src/graph/passes/index.js';
import { writeTessera } from '../../../src/format/writer.js';
import { readNpy } from '../../../src/io/npy.js';
import { relativeL2 } from '../../../src/util/relative_l2.js';
import type { Tensor } from '../../../src/graph/ir.js';
import { startTestBrowser } from '../../harness/browser.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const FIXTURE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures');
/** Folders that are not single-model fixtures (own layouts and tests). */
const EXCLUDED = new Set(['onnx-import', 'cli', 'io']);
const F32_TOL = 1e-4;
const F16_TOL = 1e-2;

interface Fixture {
  name: string;
  onnx: Uint8Array;
  fp16: Uint8Array;
  input: Tensor;
  expected: Tensor;
}

function loadFixtures(): Fixture[] {
  return readdirSync(FIXTURE_ROOT, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !EXCLUDED.has(e.name))
    .map((e) => e.name)
    .filter((n) => ['model.onnx', 'input.npy', 'output.npy'].every((f) => existsSync(join(FIXTURE_ROOT, n, f))))
    .sort()
    .map((name) => {
      const dir = join(FIXTURE_ROOT, name);
      const onnx = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
      return {
        name,
        onnx,
        fp16: writeTessera(optimize(importOnnx(onnx)), { fp16: true }),
        input: readNpy(new Uint8Array(readFileSync(join(dir, 'input.npy'))), `${name}/input.npy`),
        expected: readNpy(new Uint8Array(readFileSync(join(dir, 'output.npy'))), `${name}/output.npy`),
      };
    });
}

interface PageResult {
  name: string;
  variant: 'f32' | 'f16';
  backend?: string;
  shape?: number[];
  data?: number[];
  f16WeightBytes?: number;
  weightBytes?: number;
  error?: string;
}

const fixtures = loadFixtures();
let browser: BrowserSession;
let results: PageResult[] = [];

beforeAll(async () => {
  browser = await startTestBrowser();
  const jobs = fixtures.flatMap((f) => {
    const input = { url: browser.serveBytes(new Uint8Array(f.input.data.buffer, f.input.data.byteOffset, f.input.data.byteLength)), shape: [...f.input.shape] };
    return [
      { name: f.name, variant: 'f32' as const, model: browser.serveBytes(f.onnx), input },
      { name: f.name, variant: 'f16' as const, model: browser.serveBytes(f.fp16), input },
    ];
  });
  results = await browser.page.evaluate(async (list) => {
    const t = (globalThis as Any).tessera;
    const fetchBytes = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());
    const out: PageResult[] = [];
    for (const job of list) {
      try {
        const s = await t.Session.create(await fetchBytes(job.model), { backend: 'webgpu' });
        const x = new Float32Array((await fetchBytes(job.input.url)).buffer);
        const y = Object.values(await s.run({ [s.inputs[0].name]: { dtype: 'f32', shape: job.input.shape, data: x } }))[0] as Any;
        const mem = s.memory();
        out.push({ name: job.name, variant: job.variant, backend: s.backend, shape: [...y.shape], data: Array.from(y.data as Float32Array), f16WeightBytes: mem?.f16WeightBytes, weightBytes: mem?.weightBytes });
        s.release();
      } catch (e) {
        out.push({ name: job.name, variant: job.variant, error: `${(e as Error).name}: ${(e as Error).message}` });
      }
    }
    return out;
  }, jobs);
}, 600_000);

afterAll(async () => {
  await browser?.close();
});

const errorOf = (name: string, variant: 'f32' | 'f16'): { rel: number; r: PageResult | undefined } => {
  const r = results.find((x) => x.name === name && x.variant === variant);
  const f = fixtures.find((x) => x.name === name)!;
  if (!r || r.error || !r.data) return { rel: NaN, r };
  const sameShape = r.shape!.length === f.expected.shape.length && r.shape!.every((d, i) => d === f.expected.shape[i]);
  return { rel: sameShape ? relativeL2(r.data, f.expected.data as Float32Array) : NaN, r };
};

describe('foundation fixtures on WebGPU (Chromium) vs PyTorch', () => {
  it('finds the 31 foundation fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(31);
  });

  it(`every fixture: f32 rel L2 ≤ ${F32_TOL}, f16 weights rel L2 ≤ ${F16_TOL}`, () => {
    const lines = ['fixture                    f32 rel L2   f16 rel L2   f16 share of weight bytes'];
    const bad: string[] = [];
    for (const f of fixtures) {
      const a = errorOf(f.name, 'f32');
      const b = errorOf(f.name, 'f16');
      const share = b.r?.weightBytes ? `${((100 * (b.r.f16WeightBytes ?? 0)) / b.r.weightBytes).toFixed(0)}%` : '-';
      const fmt = (x: { rel: number; r: PageResult | undefined }) => (Number.isNaN(x.rel) ? `FAIL ${x.r?.error?.slice(0, 60) ?? 'shape'}` : x.rel.toExponential(2));
      lines.push(`${f.name.padEnd(26)} ${fmt(a).padEnd(12)} ${fmt(b).padEnd(12)} ${share}`);
      if (!(a.rel <= F32_TOL)) bad.push(`${f.name} f32: ${fmt(a)}`);
      if (!(b.rel <= F16_TOL)) bad.push(`${f.name} f16: ${fmt(b)}`);
      if (a.r?.backend !== 'webgpu' || b.r?.backend !== 'webgpu') bad.push(`${f.name}: backend ${a.r?.backend}/${b.r?.backend}`);
    }
    console.log(lines.join('\n'));
    expect(bad).toEqual([]);
  });
});
