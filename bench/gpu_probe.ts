/**
 * Cold-start split for Tessera without touching its code: before Session.create, the Tessera page wraps a few
 * WebGPU prototype methods with timestamps (only in that job's fresh browser; the wrappers add a performance.now()
 * per call). Session.create parses and optimises the model, then requests a device, uploads the weights (storage
 * buffers created mappedAtCreation) and compiles pipelines with createComputePipelineAsync, in that order, so:
 *
 *   parse + passes  = first requestAdapter call - start of create  (ONNX decode, import, graph passes)
 *   device          = requestDevice resolved - first requestAdapter call
 *   weight upload   = summed createBuffer(mappedAtCreation, STORAGE) -> unmap() time (map, copy, unmap per buffer)
 *   compile         = first createShaderModule call -> last pipeline resolved (wall time; they compile in parallel)
 *   other           = the rest of create (shape inference, kernel planning, WGSL generation, memory plan, bind groups)
 */

export interface GpuProbe {
  firstAdapterCall?: number;
  deviceReady?: number;
  uploadMs: number;
  uploadBytes: number;
  uploadBuffers: number;
  firstShaderModule?: number;
  lastPipelineReady?: number;
  pipelines: number;
}

type AnyFn = (...args: unknown[]) => unknown;

function wrap<T extends object>(proto: T, key: string, make: (orig: AnyFn) => AnyFn): void {
  const orig = (proto as Record<string, unknown>)[key];
  if (typeof orig !== 'function') return;
  (proto as Record<string, unknown>)[key] = make(orig as AnyFn);
}

/** Installs the wrappers (once per page) and returns the live probe. */
export function installGpuProbe(): GpuProbe {
  const probe: GpuProbe = { uploadMs: 0, uploadBytes: 0, uploadBuffers: 0, pipelines: 0 };
  const started = new WeakMap<object, number>();
  const now = () => performance.now();
  wrap(Object.getPrototypeOf(navigator.gpu) as object, 'requestAdapter', (orig) =>
    function (this: unknown, ...args: unknown[]) {
      probe.firstAdapterCall ??= now();
      return orig.apply(this, args);
    },
  );
  wrap(GPUAdapter.prototype, 'requestDevice', (orig) =>
    function (this: unknown, ...args: unknown[]) {
      return (orig.apply(this, args) as Promise<GPUDevice>).then((d) => {
        probe.deviceReady = now();
        return d;
      });
    },
  );
  wrap(GPUDevice.prototype, 'createBuffer', (orig) =>
    function (this: unknown, ...args: unknown[]) {
      const t = now();
      const desc = args[0] as GPUBufferDescriptor;
      const buffer = orig.apply(this, args) as GPUBuffer;
      if (desc.mappedAtCreation && desc.usage & GPUBufferUsage.STORAGE) started.set(buffer, t);
      return buffer;
    },
  );
  wrap(GPUBuffer.prototype, 'unmap', (orig) =>
    function (this: GPUBuffer, ...args: unknown[]) {
      const result = orig.apply(this, args);
      const t = started.get(this);
      if (t !== undefined) {
        started.delete(this);
        probe.uploadMs += now() - t;
        probe.uploadBytes += this.size;
        probe.uploadBuffers++;
      }
      return result;
    },
  );
  wrap(GPUDevice.prototype, 'createShaderModule', (orig) =>
    function (this: unknown, ...args: unknown[]) {
      probe.firstShaderModule ??= now();
      return orig.apply(this, args);
    },
  );
  wrap(GPUDevice.prototype, 'createComputePipelineAsync', (orig) =>
    function (this: unknown, ...args: unknown[]) {
      probe.pipelines++;
      return (orig.apply(this, args) as Promise<GPUComputePipeline>).then((p) => {
        probe.lastPipelineReady = Math.max(probe.lastPipelineReady ?? 0, now());
        return p;
      });
    },
  );
  wrap(GPUDevice.prototype, 'createComputePipeline', (orig) =>
    function (this: unknown, ...args: unknown[]) {
      probe.pipelines++;
      const p = orig.apply(this, args);
      probe.lastPipelineReady = Math.max(probe.lastPipelineReady ?? 0, now());
      return p;
    },
  );
  return probe;
}

/** Phases of Session.create (started at `t0`, done at `t1`) from the probe; see the file comment. */
export function tesseraPhases(probe: GpuProbe, t0: number, t1: number): Record<string, number> {
  const phases: Record<string, number> = {};
  const adapter = probe.firstAdapterCall ?? t0;
  phases['parse + passes'] = adapter - t0;
  phases['device'] = (probe.deviceReady ?? adapter) - adapter;
  phases['weight upload'] = probe.uploadMs;
  phases['pipeline compile'] = probe.firstShaderModule !== undefined && probe.lastPipelineReady !== undefined ? probe.lastPipelineReady - probe.firstShaderModule : 0;
  const known = phases['parse + passes'] + phases['device'] + phases['weight upload'] + phases['pipeline compile'];
  phases['other create'] = Math.max(0, t1 - t0 - known);
  return phases;
}
