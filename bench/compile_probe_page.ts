/**
 * In-page half of bench/compile_probe.ts: `tesseraCompileProbe.capture(url)` records every pipeline Session.create
 * compiles (label + WGSL); `tesseraCompileProbe.timeEach(list)` compiles them one at a time on a fresh device and
 * returns each one's wall time (createShaderModule + createComputePipelineAsync, layout 'auto').
 */
import '../src/node/browser_entry.js';
import { Session } from '../src/runtime/session.js';

interface Captured {
  label: string;
  code: string;
}

async function capture(url: string): Promise<{ pipelines: Captured[]; createMs: number }> {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const codes = new WeakMap<object, Captured>();
  const pipelines: Captured[] = [];
  const proto = GPUDevice.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const origModule = proto['createShaderModule']!;
  const origAsync = proto['createComputePipelineAsync']!;
  proto['createShaderModule'] = function (this: unknown, ...args: unknown[]) {
    const d = args[0] as GPUShaderModuleDescriptor;
    const m = origModule.apply(this, args) as object;
    codes.set(m, { label: d.label ?? '', code: d.code });
    return m;
  };
  proto['createComputePipelineAsync'] = function (this: unknown, ...args: unknown[]) {
    const d = args[0] as GPUComputePipelineDescriptor;
    const c = codes.get(d.compute.module as object);
    if (c) pipelines.push(c);
    return origAsync.apply(this, args);
  };
  const t0 = performance.now();
  const s = await Session.create(bytes, { backend: 'webgpu' });
  const createMs = performance.now() - t0;
  s.release();
  proto['createShaderModule'] = origModule;
  proto['createComputePipelineAsync'] = origAsync;
  return { pipelines, createMs };
}

async function timeEach(list: Captured[]): Promise<{ label: string; ms: number; moduleMs: number; chars: number }[]> {
  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter!.requestDevice({ requiredFeatures: adapter!.features.has('shader-f16') ? ['shader-f16'] : [] });
  const out: { label: string; ms: number; moduleMs: number; chars: number }[] = [];
  for (const c of list) {
    const t0 = performance.now();
    const module = device.createShaderModule({ code: c.code });
    const t1 = performance.now();
    await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    out.push({ label: c.label, ms: performance.now() - t0, moduleMs: t1 - t0, chars: c.code.length });
  }
  device.destroy();
  return out;
}

let probeDevice: GPUDevice | undefined;

/** Compiles one WGSL program on a device kept for the page (one pipeline, layout 'auto'); returns wall ms. */
async function timeOne(code: string): Promise<number> {
  if (!probeDevice) {
    const adapter = await navigator.gpu.requestAdapter();
    probeDevice = await adapter!.requestDevice({ requiredFeatures: adapter!.features.has('shader-f16') ? ['shader-f16'] : [] });
  }
  const t0 = performance.now();
  const module = probeDevice.createShaderModule({ code });
  await probeDevice.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  return performance.now() - t0;
}

(globalThis as unknown as { tesseraCompileProbe: unknown }).tesseraCompileProbe = { capture, timeEach, timeOne };
