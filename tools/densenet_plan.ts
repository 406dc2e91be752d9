/**
 * DenseNet-121 (224×224, batch 1) on WebGPU in headless Chromium: the static memory plan's peak activation bytes
 * next to the lower bound, the number of Concat dispatches left in session.profile() (in-place concat: expected 0),
 * and the output against onnxruntime-node on the same seeded input.
 *
 *   /usr/bin/python3 -c "import torch, torchvision; m = torchvision.models.densenet121(weights=None).eval(); \
 *     torch.onnx.export(m, torch.randn(1, 3, 224, 224), 'zoo-out/densenet121.onnx', opset_version=13)"
 *   npx tsx tools/densenet_plan.ts [model.onnx]
 *
 * One profiled run (SwiftShader needs tens of seconds for DenseNet-121's 2.9 GMACs).
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { startBrowserSession } from '../src/node/browser_harness.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const modelPath = process.argv[2] ?? 'zoo-out/densenet121.onnx';
const bytes = new Uint8Array(readFileSync(modelPath));

// Seeded input (mulberry32), the same on both sides.
function seeded(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}
const shape = [1, 3, 224, 224];
const input = seeded(3 * 224 * 224, 7);

const ortSession = await ort.InferenceSession.create(bytes);
const ortOut = (await ortSession.run({ [ortSession.inputNames[0]!]: new ort.Tensor('float32', input, shape) }))[ortSession.outputNames[0]!]!.data as Float32Array;

const browser = await startBrowserSession();
try {
  const modelUrl = browser.serveBytes(bytes);
  const inputUrl = browser.serveBytes(new Uint8Array(input.buffer));
  const t0 = performance.now();
  const r = await browser.page.evaluate(
    async ({ modelUrl, inputUrl, shape }) => {
      const t = (globalThis as Any).tessera;
      // (no named closures in here: tsx would wrap them in a __name helper the page does not have)
      const modelBytes = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
      const tc = performance.now();
      const s = await t.Session.create(modelBytes, { backend: 'webgpu' });
      const createMs = performance.now() - tc;
      const x = new Float32Array(await (await fetch(inputUrl)).arrayBuffer());
      const prof = await s.profile({ [s.inputs[0].name]: { dtype: 'f32', shape, data: x } });
      const out = Object.values(prof.outputs)[0] as Any;
      const mem = s.memory();
      const byOp: Record<string, { n: number; ms: number }> = {};
      for (const row of prof.rows) {
        const e = (byOp[row.op] ??= { n: 0, ms: 0 });
        e.n++;
        e.ms += row.gpuMs ?? 0;
      }
      const kernels = [...new Set(prof.rows.map((row: Any) => row.kernel))];
      s.release();
      return { createMs, device: s.deviceDescription, mem, rows: prof.rows.length, gpuMs: prof.gpuMs, timing: prof.timing, wallMs: prof.wallMs, byOp, kernels, out: Array.from(out.data as Float32Array) };
    },
    { modelUrl, inputUrl, shape },
  );
  let num = 0;
  let den = 0;
  for (let i = 0; i < ortOut.length; i++) {
    num += (r.out[i]! - ortOut[i]!) ** 2;
    den += ortOut[i]! ** 2;
  }
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB (${b} B)`;
  const peak = r.mem.plannedActivationBytes as number;
  const bound = r.mem.lowerBoundBytes as number;
  const concatDispatches = r.byOp['Concat']?.n ?? 0;
  console.log(`DenseNet-121 ${modelPath}, input [${shape.join(', ')}], ${r.device}`);
  console.log(`  weights on GPU:            ${mib(r.mem.weightBytes)}`);
  console.log(`  plan peak activations:     ${mib(peak)}`);
  console.log(`  plan lower bound:          ${mib(bound)}`);
  console.log(`  peak / lower bound:        ${(peak / bound).toFixed(4)} (target ≤ 1.10)`);
  console.log(`  activation buffers:        ${mib(r.mem.activationBytes)}`);
  console.log(`  dispatches:                ${r.rows}; Concat dispatches: ${concatDispatches}`);
  console.log(`  per op:                    ${Object.entries(r.byOp).map(([op, e]) => `${op} ${e.n} (${e.ms.toFixed(0)} ms)`).join(', ')}`);
  console.log(`  kernels:                   ${r.kernels.join(', ')}`);
  console.log(`  create: ${r.createMs.toFixed(0)} ms; profiled run: ${r.wallMs.toFixed(0)} ms wall, ${r.gpuMs?.toFixed(0)} ms summed (${r.timing})`);
  console.log(`  rel L2 vs onnxruntime-node: ${Math.sqrt(num / den).toExponential(2)}; total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const ok = peak <= 1.1 * bound && concatDispatches === 0 && Math.sqrt(num / den) <= 1e-4;
  console.log(ok ? 'OK' : 'NOT MET');
  process.exitCode = ok ? 0 : 1;
} finally {
  await browser.close();
}
