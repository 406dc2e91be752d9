/**
 * WebGPU adapter/device acquisition for browsers (`navigator.gpu`) and Node (the `webgpu` package, Dawn).
 *
 * Device loss and uncaptured errors are never swallowed: they are stored on the context and rethrown as a typed
 * `WebGPUDeviceError` by the next `checkHealthy()` (the executor calls it before and after every run).
 */

/** No usable WebGPU implementation (no navigator.gpu, no adapter, or the device request failed). */
export class WebGPUUnavailableError extends Error {
  override name = 'WebGPUUnavailableError';
}

/** The device was lost or reported an error (validation, out-of-memory, internal) outside any error scope. */
export class WebGPUDeviceError extends Error {
  override name = 'WebGPUDeviceError';
  constructor(
    message: string,
    readonly kind: 'lost' | 'validation' | 'out-of-memory' | 'internal',
  ) {
    super(message);
  }
}

export interface GpuFeatures {
  f16: boolean;
  subgroups: boolean;
  timestampQuery: boolean;
}

/** Counts every GPU object the engine creates, so tests can assert that steady-state runs allocate nothing. */
export class ResourceTracker {
  pipelinesCreated = 0;
  bindGroupsCreated = 0;
  buffersCreated = 0;
  liveBuffers = 0;
  liveBytes = 0;
  private readonly sizes = new WeakMap<GPUBuffer, number>();

  constructor(private readonly device: GPUDevice) {}

  createBuffer(desc: GPUBufferDescriptor): GPUBuffer {
    const buffer = this.device.createBuffer(desc);
    this.buffersCreated++;
    this.liveBuffers++;
    this.liveBytes += desc.size;
    this.sizes.set(buffer, desc.size);
    return buffer;
  }

  destroyBuffer(buffer: GPUBuffer): void {
    const size = this.sizes.get(buffer);
    if (size === undefined) return; // not ours, or already destroyed
    this.sizes.delete(buffer);
    this.liveBuffers--;
    this.liveBytes -= size;
    buffer.destroy();
  }

  createBindGroup(desc: GPUBindGroupDescriptor): GPUBindGroup {
    this.bindGroupsCreated++;
    return this.device.createBindGroup(desc);
  }

  createComputePipelineAsync(desc: GPUComputePipelineDescriptor): Promise<GPUComputePipeline> {
    this.pipelinesCreated++;
    return this.device.createComputePipelineAsync(desc);
  }

  snapshot(): { pipelinesCreated: number; bindGroupsCreated: number; buffersCreated: number; liveBuffers: number; liveBytes: number } {
    const { pipelinesCreated, bindGroupsCreated, buffersCreated, liveBuffers, liveBytes } = this;
    return { pipelinesCreated, bindGroupsCreated, buffersCreated, liveBuffers, liveBytes };
  }
}

export interface GpuContext {
  device: GPUDevice;
  features: GpuFeatures;
  /** Where the device came from: the browser, Dawn for Node, or the caller. */
  source: 'navigator' | 'dawn-node' | 'user';
  /** e.g. 'google swiftshader'. */
  adapterDescription: string;
  /** The adapter says it is a fallback (software) adapter (GPUAdapterInfo.isFallbackAdapter, where exposed). */
  isFallbackAdapter: boolean;
  maxWorkgroupsPerDimension: number;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxStorageBuffersPerShaderStage: number;
  tracker: ResourceTracker;
  /** Throws (and clears) the first stored device error, if any. */
  checkHealthy(): void;
  /** True once the device is lost; a lost device never comes back. */
  readonly lost: boolean;
  /** Why the device was lost (the browser's reason and message), once it is. */
  readonly lostMessage: string | undefined;
  /**
   * `p`, or a rejection with WebGPUDeviceError (kind 'lost') as soon as the device is lost: a lost device may never
   * settle a mapAsync or onSubmittedWorkDone. Keeps nothing once `p` settles (no per-call listener on `device.lost`).
   */
  settleOnLoss<T>(p: Promise<T>): Promise<T>;
}

const NODE_HINT =
  "In Node, WebGPU comes from the 'webgpu' package (Dawn); without a GPU set " +
  'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (SwiftShader Vulkan ICD), or run in Chromium.';

// Dawn's GPU object must stay referenced or its devices can be collected.
let dawnGpu: GPU | undefined;

async function findGpu(): Promise<{ gpu: GPU; source: 'navigator' | 'dawn-node' }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, source: 'navigator' };
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (!isNode) throw new WebGPUUnavailableError('navigator.gpu is missing: this browser or context has no WebGPU (it needs a secure context, e.g. http://127.0.0.1 or https).');
  if (!dawnGpu) {
    const specifier = 'webgpu'; // a variable keeps bundlers from pulling Dawn into browser builds
    let mod: { create: (flags: string[]) => GPU };
    try {
      mod = (await import(/* @vite-ignore */ specifier)) as { create: (flags: string[]) => GPU };
    } catch (e) {
      throw new WebGPUUnavailableError(`could not load the 'webgpu' package: ${(e as Error).message}. ${NODE_HINT}`);
    }
    dawnGpu = mod.create([]);
  }
  return { gpu: dawnGpu, source: 'dawn-node' };
}

function featuresOf(set: GPUSupportedFeatures): GpuFeatures {
  return { f16: set.has('shader-f16'), subgroups: set.has('subgroups'), timestampQuery: set.has('timestamp-query') };
}

export interface AcquireOptions {
  /** Use this device instead of requesting one (the caller keeps ownership; it is never destroyed by Tessera). */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
}

export async function acquireGpu(options: AcquireOptions = {}): Promise<GpuContext> {
  let device: GPUDevice;
  let source: GpuContext['source'];
  let adapterDescription = 'caller-provided device';
  let isFallbackAdapter = false;
  if (options.device) {
    device = options.device;
    source = 'user';
    // GPUDevice.adapterInfo (where the engine has it) names the adapter, so software-adapter defaults (unfused
    // attention, int8 dequantised at load...) also apply to a caller's device.
    const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    const named = info ? [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ') : '';
    if (named) adapterDescription = `caller-provided device: ${named}`;
    isFallbackAdapter = !!(info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter;
  } else {
    const found = await findGpu();
    source = found.source;
    const adapter = await found.gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
    if (!adapter) throw new WebGPUUnavailableError(`no WebGPU adapter available (${source}). ${source === 'dawn-node' ? NODE_HINT : ''}`.trim());
    const wanted: GPUFeatureName[] = (['shader-f16', 'subgroups', 'timestamp-query'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
    const info = (adapter as { info?: GPUAdapterInfo }).info;
    if (info) adapterDescription = [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ');
    isFallbackAdapter = !!((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter);
    try {
      device = await adapter.requestDevice({
        requiredFeatures: wanted,
        requiredLimits: {
          maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
          maxBufferSize: adapter.limits.maxBufferSize,
          maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
          maxComputeWorkgroupsPerDimension: adapter.limits.maxComputeWorkgroupsPerDimension,
        },
      });
    } catch (e) {
      throw new WebGPUUnavailableError(`requestDevice failed: ${(e as Error).message}`);
    }
  }

  let pending: WebGPUDeviceError | undefined;
  let lost = false;
  let lostMessage: string | undefined;
  const waiting = new Set<(e: WebGPUDeviceError) => void>();
  device.lost.then((info) => {
    lost = true;
    lostMessage = `WebGPU device lost (${info.reason || 'unknown'}): ${info.message}`;
    pending ??= new WebGPUDeviceError(lostMessage, 'lost');
    for (const reject of [...waiting]) reject(new WebGPUDeviceError(lostMessage, 'lost'));
    waiting.clear();
  });
  device.addEventListener('uncapturederror', (ev) => {
    const err = (ev as GPUUncapturedErrorEvent).error;
    const kind = err.constructor?.name === 'GPUOutOfMemoryError' ? 'out-of-memory' : err.constructor?.name === 'GPUInternalError' ? 'internal' : 'validation';
    pending ??= new WebGPUDeviceError(`WebGPU ${kind} error: ${err.message}`, kind);
    ev.preventDefault?.();
  });

  const limits = device.limits;
  return {
    device,
    features: featuresOf(device.features),
    source,
    adapterDescription,
    isFallbackAdapter,
    maxWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxBufferSize: limits.maxBufferSize,
    maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
    tracker: new ResourceTracker(device),
    get lost() {
      return lost;
    },
    get lostMessage() {
      return lostMessage;
    },
    settleOnLoss<T>(p: Promise<T>): Promise<T> {
      if (lost) {
        p.catch(() => undefined); // the caller gets the loss; a later rejection of p is expected
        return Promise.reject(new WebGPUDeviceError(lostMessage!, 'lost'));
      }
      return new Promise<T>((resolve, reject) => {
        waiting.add(reject);
        p.then(resolve, reject).finally(() => waiting.delete(reject));
      });
    },
    checkHealthy() {
      if (pending) {
        const e = pending;
        if (!lost) pending = undefined; // a lost device stays lost: keep reporting it
        throw e;
      }
    },
  };
}

let defaultGpu: Promise<GpuContext> | undefined;
const userGpus = new WeakMap<GPUDevice, GpuContext>();

/**
 * The process-wide default context (one device shared by sessions, so pipelines are compiled once), or the context
 * wrapping a caller's device. A lost default device is replaced on the next call.
 */
export async function sharedGpu(options: AcquireOptions = {}): Promise<GpuContext> {
  if (options.device) {
    let ctx = userGpus.get(options.device);
    if (!ctx) userGpus.set(options.device, (ctx = await acquireGpu(options)));
    return ctx;
  }
  if (defaultGpu) {
    const seen = defaultGpu;
    const ctx = await seen.catch(() => undefined);
    if (ctx && !ctx.lost) return ctx;
    // Several sessions noticing the loss at once must share ONE replacement device.
    if (defaultGpu !== seen) return sharedGpu(options);
  }
  defaultGpu = acquireGpu(options);
  return defaultGpu;
}

/** Whether a WebGPU adapter description names a software rasterizer (slower than the WASM backend on CNNs). */
export function isSoftwareAdapter(description: string): boolean {
  return /swiftshader|llvmpipe|lavapipe|software|microsoft basic render/i.test(description);
}

/**
 * What kind of adapter a context runs on, for kernel and tuning choices (docs/tuning.md): a software rasterizer, or a
 * hardware GPU of one vendor family. Families share the traits that decide kernel speed (register file, workgroup
 * memory, subgroup width): 'arm' is Mali / Immortalis, 'qualcomm' is Adreno.
 */
export type AdapterClass = 'software' | 'nvidia' | 'amd' | 'intel' | 'apple' | 'arm' | 'qualcomm' | 'other';
export const ADAPTER_CLASSES: readonly AdapterClass[] = ['software', 'nvidia', 'amd', 'intel', 'apple', 'arm', 'qualcomm', 'other'];

/**
 * Vendor families, matched on the adapter's vendor / architecture / device / description strings (browsers give names
 * such as 'nvidia' / 'ampere', Dawn for Node the driver's description, some platforms the PCI vendor id) and on Mesa's
 * driver names (radv, anv, turnip, panfrost, nvk). First match wins; the order keeps 'arm' from matching inside
 * other words (word boundaries) and checks the mobile families before the desktop ones.
 */
const VENDOR_PATTERNS: readonly (readonly [AdapterClass, RegExp])[] = [
  ['qualcomm', /qualcomm|adreno|turnip|freedreno|\b0x5143\b/],
  ['arm', /\barm\b|mali|immortalis|valhall|bifrost|panfrost|panvk|\b0x13b5\b/],
  ['apple', /\bapple\b|\b0x106b\b/],
  ['nvidia', /nvidia|geforce|quadro|\btesla\b|\bnvk\b|\b0x10de\b/],
  ['amd', /\bamd\b|radeon|\bradv\b|\bati\b|\b0x1002\b/],
  ['intel', /\bintel\b|\biris\b|\banv\b|\buhd graphics\b|\bhd graphics\b|\b0x8086\b/],
];

/**
 * The class of an adapter from its description (GpuContext.adapterDescription: vendor, architecture, device and
 * description joined) and fallback flag. Software first: SwiftShader reports vendor 'google', llvmpipe 'mesa'.
 */
export function classifyAdapter(description: string, isFallbackAdapter = false): AdapterClass {
  if (isFallbackAdapter || isSoftwareAdapter(description)) return 'software';
  const d = description.toLowerCase();
  for (const [cls, re] of VENDOR_PATTERNS) if (re.test(d)) return cls;
  return 'other';
}

/** The class of the adapter a context runs on (a caller-provided device is classified by what its adapterInfo says). */
export function adapterClassOf(gpu: Pick<GpuContext, 'adapterDescription' | 'isFallbackAdapter' | 'device'>): AdapterClass {
  const info = (gpu.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const fromInfo = info ? [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ') : '';
  const fallback = gpu.isFallbackAdapter || !!(info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter;
  return classifyAdapter(`${gpu.adapterDescription} ${fromInfo}`.trim(), fallback);
}
