/**
 * Which of the four kernel modules (kernels.gen.ts, built by tools/build_wasm.sh) this engine can run, and the
 * compiled module. Feature tests validate the real modules, so "supported" means exactly "this binary compiles":
 * relaxed SIMD (f32x4.relaxed_madd: one fused multiply-add) where the engine has it, else plain SIMD128; the
 * threaded variants (shared memory, atomics) only where SharedArrayBuffer works (a cross-origin-isolated page, or
 * Node). Engines without SIMD128 get WasmUnavailableError and the session falls back to the CPU reference.
 */
import { RELAXED_THREADS_WASM, RELAXED_WASM, SIMD_THREADS_WASM, SIMD_WASM } from './kernels.gen.js';
import { prespawnWorkers } from './threads.js';

export class WasmUnavailableError extends Error {
  override name = 'WasmUnavailableError';
}

export interface WasmFeatures {
  simd: boolean;
  relaxedSimd: boolean;
  /** SharedArrayBuffer + atomics usable (cross-origin isolated in browsers). */
  threads: boolean;
  /** Why threads are unavailable, when they are. */
  threadsReason?: string;
}

function decode(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof Buffer !== 'undefined') {
    const b = Buffer.from(b64, 'base64');
    return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  }
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const bytesCache = new Map<string, Uint8Array<ArrayBuffer>>();
function moduleBytes(name: 'simd' | 'relaxed' | 'simd_threads' | 'relaxed_threads'): Uint8Array<ArrayBuffer> {
  let b = bytesCache.get(name);
  if (!b) {
    b = decode({ simd: SIMD_WASM, relaxed: RELAXED_WASM, simd_threads: SIMD_THREADS_WASM, relaxed_threads: RELAXED_THREADS_WASM }[name]);
    bytesCache.set(name, b);
  }
  return b;
}

let features: WasmFeatures | undefined;

export function wasmFeatures(): WasmFeatures {
  if (features) return features;
  const W = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
  if (!W) return (features = { simd: false, relaxedSimd: false, threads: false, threadsReason: 'no WebAssembly' });
  const simd = W.validate(moduleBytes('simd'));
  const relaxedSimd = simd && W.validate(moduleBytes('relaxed'));
  let threads = false;
  let threadsReason: string | undefined;
  if (typeof SharedArrayBuffer === 'undefined')
    threadsReason = 'SharedArrayBuffer is unavailable (the page is not cross-origin isolated: serve it with COOP same-origin and COEP require-corp)';
  else if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false)
    threadsReason = 'the page is not cross-origin isolated (serve it with COOP same-origin and COEP require-corp)';
  else if (!simd || !W.validate(moduleBytes('simd_threads'))) threadsReason = 'this engine rejects the threaded module (atomics)';
  else {
    try {
      new W.Memory({ initial: 1, maximum: 1, shared: true });
      threads = true;
    } catch (e) {
      threadsReason = `shared WebAssembly.Memory failed: ${(e as Error).message}`;
    }
  }
  return (features = { simd, relaxedSimd, threads, ...(threadsReason ? { threadsReason } : {}) });
}

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** The compiled kernel module for the engine's features (cached per variant). */
export function kernelModule(threaded: boolean, relaxed: boolean): Promise<WebAssembly.Module> {
  const f = wasmFeatures();
  if (!f.simd) throw new WasmUnavailableError('this engine has no WebAssembly SIMD128 (the WASM backend needs it)');
  const name = `${relaxed && f.relaxedSimd ? 'relaxed' : 'simd'}${threaded ? '_threads' : ''}` as 'simd';
  let m = compiled.get(name);
  if (!m) {
    m = WebAssembly.compile(moduleBytes(name));
    compiled.set(name, m);
  }
  return m;
}

/** Exports of an instance of the kernel module. */
export interface KernelExports {
  run(prog: number, count: number, tid: number, nthreads: number, ctl: number, epoch: number, mayWait: number): void;
  /** Load-time Winograd weight transform (kernels/winograd.c). */
  winograd_pack(w: number, u: number, cin: number, co0: number, n: number): void;
  /** Load-time conv weight packing (kernels/conv.c). */
  conv_pack(w: number, out: number, k: number, rows: number): void;
  __stack_pointer: WebAssembly.Global;
  __heap_base: WebAssembly.Global;
}

export async function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<KernelExports> {
  const inst = await WebAssembly.instantiate(module, { env: { memory } });
  return inst.exports as unknown as KernelExports;
}

/**
 * Starts what a coming executor of `numThreads` threads will wait for, while the caller still imports and optimises
 * the model: the kernel module's compilation and the workers' start-up (threads.ts prespawnWorkers). Best effort:
 * nothing here throws; the executor does the same work (and reports its errors) when it is not done yet.
 */
export function warmUpWasm(numThreads: number, relaxed: boolean): void {
  try {
    const f = wasmFeatures();
    if (!f.simd) return;
    const threaded = f.threads && numThreads > 1;
    void kernelModule(threaded, relaxed).catch(() => undefined);
    if (threaded) prespawnWorkers(numThreads - 1);
  } catch {
    // the executor reports it
  }
}
