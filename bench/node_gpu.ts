/**
 * WebGPU in a Node benchmark job: Dawn (the `webgpu` npm package) installed as `navigator.gpu` plus the WebGPU
 * globals (GPUBufferUsage, GPUAdapter, ...), so the same runtime code as in Chromium runs unchanged — Tessera's
 * device.ts takes navigator.gpu first, ORT-web's WebGPU EP and tfjs-backend-webgpu look for it too.
 *
 * One compatibility shim: ORT-web's WASM memory is a SharedArrayBuffer, and Dawn's queue.writeBuffer rejects views
 * of one ("Invalid argument") where Chromium accepts them; such views are copied to an ordinary buffer first.
 *
 * One event-loop quirk: when nothing else keeps Node's event loop alive, Dawn's asynchronous completions reach ORT-web
 * very late (measured: ResNet-20's InferenceSession.create 45-95 s instead of 0.8 s). Any referenced timer fixes it,
 * whatever its period (5 s and 60 s both gave 0.8 s), so installDawnNavigator starts an idle one; job processes exit
 * explicitly.
 */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

let installed: GPU | undefined;

/** A view of a SharedArrayBuffer copied to an ordinary one (same element type); anything else unchanged. */
export function copySharedView(data: unknown): unknown {
  if (!ArrayBuffer.isView(data) || !(data.buffer instanceof SharedArrayBuffer)) return data;
  const bytes = new Uint8Array(data.byteLength);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const Ctor = data.constructor as new (b: ArrayBuffer) => ArrayBufferView;
  // dataOffset / size of writeBuffer count elements of typed arrays, so keep the element type.
  return data instanceof DataView ? bytes : new Ctor(bytes.buffer);
}

/** Loads Dawn and installs navigator.gpu + the WebGPU globals (once per process). */
export async function installDawnNavigator(flags: string[] = []): Promise<GPU> {
  if (installed) return installed;
  const specifier = 'webgpu';
  const dawn = (await import(specifier)) as { create(flags: string[]): GPU; globals: Record<string, unknown> };
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  const gpu = dawn.create(flags);
  const g = globalThis as { navigator?: object };
  if (!g.navigator) g.navigator = {};
  Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  const queueProto = (globalThis as unknown as { GPUQueue: { prototype: GPUQueue } }).GPUQueue.prototype;
  const writeBuffer = queueProto.writeBuffer;
  queueProto.writeBuffer = function (this: GPUQueue, ...args: Parameters<GPUQueue['writeBuffer']>) {
    args[2] = copySharedView(args[2]) as Parameters<GPUQueue['writeBuffer']>[2];
    return writeBuffer.apply(this, args);
  };
  setInterval(() => undefined, 60_000); // keeps the loop polling Dawn's completions promptly; see the file comment
  installed = gpu;
  return gpu;
}

/** The adapter Dawn picks for a high-performance request (what every runtime's device request gets), or null. */
export async function probeAdapter(gpu: GPU): Promise<AdapterSummary | null> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const i = adapter.info;
  return { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description };
}

export function adapterLabel(a: AdapterSummary | null | undefined): string {
  if (!a) return 'no adapter';
  return [a.vendor, a.architecture, a.device, a.description].filter((s) => s).join(' ') || 'unnamed adapter';
}
