/**
 * Symbolic input sizes (docs/dynamic-shapes.md): torchvision SqueezeNet 1.1 exported with dynamic N, H and W
 * (tests/fixtures/dynamic_hw, tools/export_dynamic_hw.py). Session.create on WebGPU builds nothing for it (no size is
 * invented), each run builds the executor of its shape, results match PyTorch at three sizes, a size the net cannot
 * run at rejects that run with InputError naming the size, and `inputShapes` builds at create.
 *
 * Tolerance: relative L2 error ≤ 1e-4 against PyTorch's output (REL_L2_TOL, as every WebGPU-vs-reference check);
 * the max abs error is asserted ≤ 1e-4 too (outputs are ~0.5 in magnitude) and printed.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../src/node/browser_harness.js';
import { WebGPURunner } from '../../src/node/webgpu_cli.js';
import { readNpy } from '../../src/io/npy.js';
import { InputError, Session } from '../../src/runtime/session.js';
import { REL_L2_TOL, startTestBrowser } from '../harness/browser.js';
import { randomF32 } from '../harness/rng.js';
import { resnet20Onnx } from '../harness/cifar.js';

const DIR = new URL('../fixtures/dynamic_hw/', import.meta.url);
interface FixtureCase {
  shape: number[];
  seed: number;
  inputSum: number;
  output: string;
  outputShape: number[];
}
const manifest = JSON.parse(readFileSync(new URL('cases.json', DIR), 'utf8')) as { model: string; input: string; cases: FixtureCase[] };
const modelBytes = new Uint8Array(readFileSync(new URL(manifest.model, DIR)));
const INPUT = manifest.input;
const BAD_SHAPE = [1, 3, 8, 8]; // conv 3×3/2 → 3×3, MaxPool 3/2 (ceil) → 1×1, the second MaxPool → 0×0

/** The case's input, regenerated exactly as the exporter made it (tests/harness/rng.ts randomF32). */
function inputOf(c: FixtureCase): Float32Array {
  return randomF32(c.shape.reduce((a, b) => a * b, 1), c.seed);
}
const reference = (c: FixtureCase) => readNpy(new Uint8Array(readFileSync(new URL(c.output, DIR))));

function errors(got: ArrayLike<number>, want: ArrayLike<number>): { maxAbs: number; relL2: number } {
  let maxAbs = 0;
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    const d = got[i]! - want[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(d));
    num += d * d;
    den += want[i]! ** 2;
  }
  return { maxAbs, relL2: Math.sqrt(num / den) };
}

function expectMatchesPyTorch(label: string, c: FixtureCase, out: { shape: number[]; data: ArrayLike<number> }): void {
  const want = reference(c);
  expect(out.shape, label).toEqual(c.outputShape);
  const e = errors(out.data, want.data as Float32Array);
  console.log(`${label} ${c.shape.join('x')}: max abs ${e.maxAbs.toExponential(2)}, rel L2 ${e.relL2.toExponential(2)} vs PyTorch`);
  expect(e.relL2, label).toBeLessThanOrEqual(REL_L2_TOL);
  expect(e.maxAbs, label).toBeLessThanOrEqual(1e-4);
}

it('fixture inputs regenerate bit for bit (sum matches the exporter)', () => {
  for (const c of manifest.cases) {
    let sum = 0;
    for (const v of inputOf(c)) sum += v;
    expect(sum).toBe(c.inputSum);
  }
});

describe('symbolic N/H/W on the CPU backend', () => {
  it('matches PyTorch at the three sizes; an unrunnable size is an InputError naming it', async () => {
    const s = await Session.create(modelBytes, { backend: 'cpu' });
    expect(s.inputs[0]!.shape).toEqual([-1, 3, -1, -1]);
    expect(s.knownInputShapes).toBeUndefined();
    for (const c of manifest.cases) {
      const out = (await s.run({ [INPUT]: { dtype: 'f32', shape: c.shape, data: inputOf(c) } }))['output']!;
      expectMatchesPyTorch('cpu', c, { shape: [...out.shape], data: out.data as Float32Array });
    }
    const bad = s.run({ [INPUT]: { dtype: 'f32', shape: BAD_SHAPE, data: new Float32Array(192) } });
    await expect(bad).rejects.toMatchObject({ name: 'InputError', inputName: INPUT });
    await expect(bad).rejects.toThrow(/cannot run at shape \[1, 3, 8, 8\]: MaxPool node '.*': output spatial size \[0, 0\] is empty/);
  });
});

// The page-side API is untyped here: page.evaluate functions run in the browser with globalThis.tessera.
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('symbolic N/H/W on WebGPU (Chromium)', () => {
  let browser: BrowserSession;
  let modelUrl: string;
  const inputUrls: string[] = [];
  beforeAll(async () => {
    browser = await startTestBrowser();
    modelUrl = browser.serveBytes(modelBytes);
    for (const c of manifest.cases) {
      const x = inputOf(c);
      inputUrls.push(browser.serveBytes(new Uint8Array(x.buffer, x.byteOffset, x.byteLength)));
    }
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('create builds nothing; runs at 160x200, 2x224x224, 320x240 match PyTorch; 1x3x8x8 rejects that run only', async () => {
    const r = await browser.page.evaluate(
      async ({ url, inputs, shapes, name, bad }) => {
        const t = (globalThis as Any).tessera;
        const s = await t.Session.create(new Uint8Array(await (await fetch(url)).arrayBuffer()), { backend: 'webgpu' });
        const atCreate = { backend: s.backend, memory: s.memory() ?? null, known: s.knownInputShapes ?? null };
        const feed = async (i: number) => ({ [name]: { dtype: 'f32', shape: shapes[i], data: new Float32Array(await (await fetch(inputs[i]!)).arrayBuffer()) } });
        const outs: { shape: number[]; data: number[] }[] = [];
        for (let i = 0; i < shapes.length; i++) {
          const o = (await s.run(await feed(i))).output;
          outs.push({ shape: o.shape, data: Array.from(o.data as Float32Array) });
        }
        const errorOf = async (shape: number[]) => {
          try {
            await s.run({ [name]: { dtype: 'f32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) } });
            return null;
          } catch (e) {
            return { name: (e as Error).name, message: (e as Error).message, input: (e as Any).inputName };
          }
        };
        const badError = await errorOf(bad);
        const tinyError = await errorOf([1, 3, 1, 1]);
        // The session is unharmed: the first size again, from its cached executor, gives the same numbers.
        const again = Array.from(((await s.run(await feed(0))).output.data as Float32Array));
        s.release();
        return { atCreate, outs, badError, tinyError, again };
      },
      { url: modelUrl, inputs: inputUrls, shapes: manifest.cases.map((c) => c.shape), name: INPUT, bad: BAD_SHAPE },
    );
    expect(r.atCreate.backend).toBe('webgpu');
    expect(r.atCreate.memory).toBeNull(); // no executor was built at create: there is no size to build it at
    expect(r.atCreate.known).toBeNull();
    manifest.cases.forEach((c, i) => expectMatchesPyTorch('webgpu', c, r.outs[i]!));
    expect(r.badError).toMatchObject({ name: 'InputError', input: INPUT });
    expect(r.badError!.message).toContain('cannot run at shape [1, 3, 8, 8]');
    expect(r.badError!.message).toMatch(/MaxPool node '.*': output spatial size \[0, 0\] is empty/);
    expect(r.tinyError).toMatchObject({ name: 'InputError' });
    expect(r.tinyError!.message).toMatch(/cannot run at shape \[1, 3, 1, 1\]: Conv node/);
    expect(r.again).toEqual(r.outs[0]!.data);
  });

  it('inputShapes builds (and checks) the executor at create', async () => {
    const c = manifest.cases[0]!;
    const r = await browser.page.evaluate(
      async ({ url, input, shape, name, bad }) => {
        const t = (globalThis as Any).tessera;
        const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
        const s = await t.Session.create(bytes, { backend: 'webgpu', inputShapes: { [name]: shape } });
        const built = s.memory() ?? null;
        const pipelinesAtCreate = s.gpuStats().pipelinesCreated;
        const o = (await s.run({ [name]: { dtype: 'f32', shape, data: new Float32Array(await (await fetch(input)).arrayBuffer()) } })).output;
        const pipelinesAfterRun = s.gpuStats().pipelinesCreated;
        s.release();
        const createError = async (options: Any) => {
          try {
            (await t.Session.create(bytes, { backend: 'webgpu', ...options })).release();
            return null;
          } catch (e) {
            return { name: (e as Error).name, message: (e as Error).message };
          }
        };
        return {
          built,
          known: s.knownInputShapes,
          pipelinesAtCreate,
          pipelinesAfterRun,
          out: { shape: o.shape, data: Array.from(o.data as Float32Array) },
          wrongChannels: await createError({ inputShapes: { [name]: [1, 4, 160, 200] } }),
          unknownName: await createError({ inputShapes: { nope: [1, 3, 160, 200] } }),
          unrunnable: await createError({ inputShapes: { [name]: bad } }),
        };
      },
      { url: modelUrl, input: inputUrls[0]!, shape: c.shape, name: INPUT, bad: BAD_SHAPE },
    );
    expect(r.built).not.toBeNull();
    expect(r.known).toEqual({ [INPUT]: c.shape });
    expect(r.pipelinesAfterRun).toBe(r.pipelinesAtCreate); // compiled at load: the run of that size compiles nothing
    expectMatchesPyTorch('webgpu inputShapes', c, r.out);
    expect(r.wrongChannels).toMatchObject({ name: 'InputError' });
    expect(r.wrongChannels!.message).toContain("inputShapes gives [1, 4, 160, 200], which does not match the model's [-1, 3, -1, -1]");
    expect(r.unknownName).toMatchObject({ name: 'InputError' });
    expect(r.unknownName!.message).toContain("input 'nope': inputShapes names an unknown input");
    expect(r.unrunnable).toMatchObject({ name: 'InputError' });
    expect(r.unrunnable!.message).toContain('cannot run at shape [1, 3, 8, 8]');
  });

  it('tuning tables are per signature: measured at create (inputShapes), looked up by a run, never measured in a run', async () => {
    const r = await browser.page.evaluate(
      async ({ url, name }) => {
        const t = (globalThis as Any).tessera;
        const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
        const autotune = { cache: t.memoryTuningCache(), budgetMs: 300 };
        const pick = (x: Any) => ({ source: x.source, key: x.key, measurements: x.measurements });
        const run = (s: Any, shape: number[]) => s.run({ [name]: { dtype: 'f32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) } });
        const a = await t.Session.create(bytes, { backend: 'webgpu', autotune, inputShapes: { [name]: [1, 3, 64, 64] } });
        const measured = pick(a.tuning);
        a.release();
        const b = await t.Session.create(bytes, { backend: 'webgpu', autotune });
        const atCreate = pick(b.tuning);
        await run(b, [1, 3, 64, 64]);
        const sameSize = pick(b.tuning);
        await run(b, [1, 3, 72, 72]);
        const newSize = pick(b.tuning);
        b.release();
        return { measured, atCreate, sameSize, newSize };
      },
      { url: modelUrl, name: INPUT },
    );
    console.log(`tuning: ${JSON.stringify(r)}`);
    expect(r.measured.source).toBe('measured');
    expect(r.atCreate.source).toBe('off'); // symbolic sizes: nothing built, nothing tuned at create
    expect(r.sameSize).toMatchObject({ source: 'cache', key: r.measured.key, measurements: 0 });
    expect(r.newSize).toMatchObject({ source: 'miss', measurements: 0 });
    expect(r.newSize.key).not.toBe(r.measured.key);
  });

  it("metadata inputSize is a hint: built at create when it runs, ignored (create succeeds) when the net cannot run at it", async () => {
    const r = await browser.page.evaluate(
      async ({ url, name, c }) => {
        const t = (globalThis as Any).tessera;
        const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
        const withSize = async (inputSize: number[]) => {
          const g = t.importOnnx(bytes);
          g.metadata = { ...g.metadata, inputSize };
          const s = await t.Session.create(g, { backend: 'webgpu', optimize: true });
          const res = { known: s.knownInputShapes ?? null, built: s.memory() !== undefined };
          const o = (await s.run({ [name]: { dtype: 'f32', shape: c, data: new Float32Array(c.reduce((a: number, b: number) => a * b, 1)) } })).output;
          s.release();
          return { ...res, outShape: o.shape };
        };
        return { good: await withSize([3, 64, 64]), bad: await withSize([3, 8, 8]) };
      },
      { url: modelUrl, name: INPUT, c: manifest.cases[0]!.shape },
    );
    expect(r.good).toMatchObject({ known: { [INPUT]: [1, 3, 64, 64] }, built: true });
    expect(r.bad).toMatchObject({ known: null, built: false });
    expect(r.bad.outShape).toEqual(manifest.cases[0]!.outputShape); // runs at a real size work all the same
  });

  it('a model with only the batch free still builds at batch 1 at create (compile at load)', async () => {
    const url = browser.serveBytes(resnet20Onnx()); // input [-1, 3, 32, 32]
    const r = await browser.page.evaluate(async (u) => {
      const t = (globalThis as Any).tessera;
      const s = await t.Session.create(new Uint8Array(await (await fetch(u)).arrayBuffer()), { backend: 'webgpu' });
      const res = { name: s.inputs[0].name, shape: s.inputs[0].shape, known: s.knownInputShapes, built: s.memory() !== undefined, pipelines: s.gpuStats().pipelinesCreated };
      await s.run({ [s.inputs[0].name]: new Float32Array(3 * 32 * 32) });
      const after = s.gpuStats().pipelinesCreated;
      s.release();
      return { ...res, after };
    }, url);
    expect(r.shape).toEqual([-1, 3, 32, 32]);
    expect(r.known).toEqual({ [r.name]: [1, 3, 32, 32] });
    expect(r.built).toBe(true);
    expect(r.after).toBe(r.pipelines); // the batch-1 run compiles nothing more
  });
});

describe('symbolic N/H/W through the CLI runner (WebGPURunner, Node → Chromium)', () => {
  it('runs at the real input shape and reports an unrunnable size at run as InputError', async () => {
    const c = manifest.cases[2]!;
    const runner = await WebGPURunner.open(modelBytes, { path: 'chromium' });
    try {
      expect(runner.inputs[0]!.shape).toEqual([-1, 3, -1, -1]);
      const out = (await runner.run({ [INPUT]: { dtype: 'f32', shape: c.shape, data: inputOf(c) } }))['output']!;
      expectMatchesPyTorch('webgpu via WebGPURunner', c, { shape: [...out.shape], data: out.data as Float32Array });
      // The page's InputError comes back typed (the CLI prints it as such, not as an internal error).
      const bad = runner.run({ [INPUT]: { dtype: 'f32', shape: BAD_SHAPE, data: new Float32Array(192) } });
      await expect(bad).rejects.toThrow(InputError);
      await expect(bad).rejects.toThrow(/^input 'input': the model cannot run at shape \[1, 3, 8, 8\]: MaxPool node/);
    } finally {
      await runner.close();
    }
  });

  it('passes inputShapes to the page: a shape that contradicts the model rejects at open as InputError', async () => {
    const open = WebGPURunner.open(modelBytes, { path: 'chromium', inputShapes: { [INPUT]: [1, 1, 64, 64] } });
    await expect(open).rejects.toThrow(InputError);
    await expect(open).rejects.toThrow("input 'input': inputShapes gives [1, 1, 64, 64], which does not match the model's [-1, 3, -1, -1]");
  });
});
