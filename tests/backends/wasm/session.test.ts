/**
 * The WASM backend through the public API (Session) in Node: backend: 'wasm' and backendInfo (threads, SIMD),
 * numThreads validation, input errors, a symbolic batch at two sizes against the CPU reference, release, and
 * backend: 'auto' choosing WASM (with a reason) when WebGPU cannot take the model.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Graph, Tensor } from '../../../src/graph/ir.js';
import { readNpy } from '../../../src/io/npy.js';
import { InputError, Session, SessionReleasedError } from '../../../src/runtime/session.js';
import { mulberry32, randomData, relL2 } from './helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const RESNET20 = new Uint8Array(readFileSync(join(ROOT, 'models', 'resnet20-cifar10.tessera')));
const DYNAMIC = new Uint8Array(readFileSync(join(ROOT, 'tests', 'fixtures', 'resnet20', 'model-dynamic-batch.onnx')));
const INPUT = readNpy(new Uint8Array(readFileSync(join(ROOT, 'tests', 'fixtures', 'resnet20', 'input.npy'))), 'resnet20/input.npy'); // [2, 3, 32, 32]
const TOL = 1e-5;

const open: Session[] = [];
async function create(src: Uint8Array | Graph, options: Parameters<typeof Session.create>[1]): Promise<Session> {
  const s = await Session.create(src, options);
  open.push(s);
  return s;
}
afterAll(() => {
  for (const s of open) s.release();
});

const only = (out: Record<string, Tensor>): Tensor => Object.values(out)[0]!;

describe("Session with backend: 'wasm' (Node)", () => {
  it('creates, reports backendInfo (wasm, threads >= 1, SIMD) and matches the CPU backend on ResNet-20', async () => {
    const s = await create(RESNET20, { backend: 'wasm' });
    expect(s.backend).toBe('wasm');
    const info = s.backendInfo;
    expect(info.backend).toBe('wasm');
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.simd).toBe(true);
    expect(typeof info.relaxedSimd).toBe('boolean');
    expect(info.fallbackNodes).toEqual([]);
    const cpu = await create(RESNET20, { backend: 'cpu' });
    const x = { dtype: 'f32' as const, shape: [...INPUT.shape], data: INPUT.data as Float32Array };
    const got = only(await s.run({ input: x }));
    const ref = only(await cpu.run({ input: x }));
    expect(got.shape).toEqual([2, 10]);
    expect(relL2(got.data as Float32Array, ref.data as Float32Array)).toBeLessThanOrEqual(TOL);
  });

  it('numThreads: 1 gives 1 thread, numThreads: 2 gives 2 (Node has SharedArrayBuffer)', async () => {
    const one = await create(RESNET20, { backend: 'wasm', numThreads: 1 });
    expect(one.backendInfo.threads).toBe(1);
    expect(one.backendInfo.threadsNote).toBeUndefined();
    const two = await create(RESNET20, { backend: 'wasm', numThreads: 2 });
    expect(two.backendInfo.threads).toBe(2);
    const x = new Float32Array(INPUT.data.subarray(0, 3072) as Float32Array);
    const a = only(await one.run({ input: x }));
    const b = only(await two.run({ input: x }));
    expect(relL2(b.data as Float32Array, a.data as Float32Array)).toBeLessThanOrEqual(TOL);
  });

  it('adaptive threads: runs alternate pool and single thread after the cold run, every run equals the CPU reference; adaptiveThreads: false stays on the pool', async () => {
    const x = new Float32Array(INPUT.data.subarray(0, 3072) as Float32Array);
    const cpu = await create(RESNET20, { backend: 'cpu' });
    const ref = only(await cpu.run({ input: x })).data as Float32Array;
    const adaptive = await create(RESNET20, { backend: 'wasm', numThreads: 2 });
    const fixed = await create(RESNET20, { backend: 'wasm', numThreads: 2, adaptiveThreads: false });
    for (let i = 0; i < 8; i++) {
      expect(relL2(only(await adaptive.run({ input: x })).data as Float32Array, ref)).toBeLessThanOrEqual(TOL);
      expect(relL2(only(await fixed.run({ input: x })).data as Float32Array, ref)).toBeLessThanOrEqual(TOL);
    }
    const a = adaptive.backendInfo.threadChoice!;
    expect(a.runs).toBe(8);
    // both modes were measured (3 runs each after the cold one)
    expect(a.poolMs).toBeGreaterThan(0);
    expect(a.singleMs).toBeGreaterThan(0);
    expect(['pool', 'single']).toContain(a.mode);
    const f = fixed.backendInfo.threadChoice!;
    expect(f.mode).toBe('pool');
    expect(f.singleMs).toBeUndefined();
    const one = await create(RESNET20, { backend: 'wasm', numThreads: 1 });
    await one.run({ input: x });
    expect(one.backendInfo.threadChoice).toBeUndefined();
  });

  it.each([0, 1.5, -1, Number.NaN])('numThreads: %s is a TypeError', async (n) => {
    await expect(Session.create(RESNET20, { backend: 'wasm', numThreads: n })).rejects.toBeInstanceOf(TypeError);
  });

  it('a wrong input shape or size is an InputError', async () => {
    const s = await create(RESNET20, { backend: 'wasm', numThreads: 1 });
    await expect(s.run({ input: { dtype: 'f32', shape: [1, 3, 16, 16], data: new Float32Array(768) } })).rejects.toBeInstanceOf(InputError);
    await expect(s.run({ input: { dtype: 'f32', shape: [1, 1, 32, 32], data: new Float32Array(1024) } })).rejects.toBeInstanceOf(InputError);
    await expect(s.run({ input: new Float32Array(100) })).rejects.toBeInstanceOf(InputError);
    await expect(s.run({ nope: new Float32Array(3072) })).rejects.toBeInstanceOf(InputError);
    // still usable afterwards
    expect(only(await s.run({ input: new Float32Array(3072) })).shape).toEqual([1, 10]);
  });

  it('a symbolic batch (model-dynamic-batch.onnx) runs at batch 1 and 3 and matches the CPU backend', async () => {
    const s = await create(DYNAMIC, { backend: 'wasm', numThreads: 2 });
    const cpu = await create(DYNAMIC, { backend: 'cpu' });
    expect(s.inputs[0]!.shape[0]).toBe(-1);
    const r = mulberry32(42);
    for (const n of [1, 3, 1]) {
      const data = randomData(r, n * 3072, -2, 2);
      const x = { dtype: 'f32' as const, shape: [n, 3, 32, 32], data };
      const got = only(await s.run({ input: x }));
      const ref = only(await cpu.run({ input: x }));
      expect(got.shape).toEqual([n, 10]);
      expect(relL2(got.data as Float32Array, ref.data as Float32Array), `batch ${n}`).toBeLessThanOrEqual(TOL);
    }
    // a flat Float32Array fills whole items of the free batch dim
    const flat = only(await s.run({ input: new Float32Array(INPUT.data as Float32Array) }));
    expect(flat.shape).toEqual([2, 10]);
  });

  it('run() after release() rejects', async () => {
    const s = await Session.create(RESNET20, { backend: 'wasm', numThreads: 2 });
    await s.run({ input: new Float32Array(3072) });
    s.release();
    await expect(s.run({ input: new Float32Array(3072) })).rejects.toBeInstanceOf(SessionReleasedError);
    s.release(); // idempotent
  });
});

describe("Session with backend: 'auto' (Node)", () => {
  it('picks WASM with a reason when WebGPU cannot take the model (an op without a WebGPU kernel)', async () => {
    // Deterministic whatever the machine has: 'auto' checks the ops before it looks for an adapter, so no GPU probe
    // happens; Where has a CPU kernel only (it runs on the CPU reference inside the WASM executor).
    const graph: Graph = {
      inputs: [{ name: 'x', dtype: 'f32', shape: [2, 3] }],
      outputs: [{ name: 'y', dtype: 'f32', shape: [2, 3] }],
      nodes: [
        { name: 'neg_where', op: 'Where', inputs: ['c', 'x', 'z'], outputs: ['w'], attrs: {} },
        { name: 'relu', op: 'Relu', inputs: ['w'], outputs: ['y'], attrs: {} },
      ],
      initializers: new Map<string, Tensor>([
        ['c', { dtype: 'bool', shape: [2, 3], data: new Uint8Array([1, 0, 1, 0, 1, 0]) }],
        ['z', { dtype: 'f32', shape: [2, 3], data: new Float32Array(6).fill(-1) }],
      ]),
      metadata: {},
    };
    const s = await create(graph, { backend: 'auto', numThreads: 1 });
    expect(s.backend).toBe('wasm');
    expect(s.backendInfo.backend).toBe('wasm');
    expect(s.backendInfo.reason).toMatch(/Where/);
    const y = only(await s.run({ x: new Float32Array([1, -2, 3, -4, 5, -6]) }));
    expect(Array.from(y.data as Float32Array)).toEqual([1, 0, 3, 0, 5, 0]);
    expect(s.backendInfo.fallbackNodes).toEqual(['neg_where (Where)']);
  });

  it("ResNet-20: 'wasm' with a reason in Node without a hardware GPU (or 'webgpu' where Dawn finds one)", async () => {
    // Node has no navigator.gpu; WebGPU would come from the 'webgpu' package (Dawn). Whether Dawn finds an adapter
    // depends on the machine (none here; with VK_ICD_FILENAMES=SwiftShader it is a software adapter, which 'auto'
    // also turns down for WASM), so this cannot be forced from the test: accept either, with a reason for WASM.
    const s = await create(RESNET20, { backend: 'auto' });
    expect(['wasm', 'webgpu']).toContain(s.backend);
    if (s.backend === 'wasm') {
      expect(s.backendInfo.reason).toEqual(expect.any(String));
      expect(s.backendInfo.reason!.length).toBeGreaterThan(0);
      expect(s.backendInfo.threads).toBeGreaterThanOrEqual(1);
      const cpu = await create(RESNET20, { backend: 'cpu' });
      const x = new Float32Array(INPUT.data.subarray(0, 3072) as Float32Array);
      expect(relL2(only(await s.run({ input: x })).data as Float32Array, only(await cpu.run({ input: x })).data as Float32Array)).toBeLessThanOrEqual(TOL);
    }
  });
});
