/**
 * WebGPU executor for one graph at fixed input shapes.
 *
 * Load (`WebGPUExecutor.create`): kernel plans for every node → WGSL programs; every distinct pipeline compiled in
 * parallel with createComputePipelineAsync (shared per device by cache key); weights uploaded; activation buffers
 * allocated (one per tensor for now, aliases share their source's buffer); one uniform buffer holding every dispatch's
 * uniforms; bind groups built; readback staging buffers created.
 * Run: write inputs, encode every dispatch in ONE command encoder and compute pass, ONE submit, map the outputs.
 * Nothing is created after load except by `profile()` (its query set, once).
 */
import { GraphError, f16ToF32, sizeOf, tensorToNumbers, type Graph, type Node, type Shape, type Tensor, type ValueInfo } from '../../graph/ir.js';
import { inferShapes } from '../../graph/infer.js';
import { BufferUsage, MapMode, ShaderStage } from './gpu_constants.js';
import { WebGPUDeviceError, type GpuContext } from './device.js';
import { WebGPUKernelError, buildProgram, foldDispatch, type KernelPlan, type Program, type ProgramSpec } from './program.js';
import { planMemory, RESHAPE_OPS, type MemoryPlan } from '../../plan/index.js';
import { webgpuKernels } from './kernels.js';

/** Using a released session/executor. */
export class SessionReleasedError extends Error {
  override name = 'SessionReleasedError';
}

export interface DispatchInfo {
  node: string;
  op: string;
  kernel: string;
  inputShapes: Shape[];
  outputShapes: Shape[];
  macs: number;
  workgroups: [number, number, number];
}

export interface ProfileRow extends DispatchInfo {
  /** GPU time of the dispatch in milliseconds from timestamp queries, or null when the device has no timestamp-query. */
  gpuMs: number | null;
}

interface Dispatch {
  info: DispatchInfo;
  program: Program;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  dims: [number, number, number];
}

export interface ExecutorOptions {
  /** Concrete shapes for graph inputs with unknown (-1) dims; unknown dims default to 1. */
  inputShapes?: Record<string, number[]>;
  /** Place activations with the static memory plan (default true); false: one buffer per tensor. */
  memoryPlan?: boolean;
}

/** Where a tensor lives on the GPU: a buffer range. Arena slots share their buffer with other tensors. */
interface Slot {
  buffer: GPUBuffer;
  offset: number;
  size: number;
  arena: boolean;
}

const pipelineCaches = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();
const layoutCaches = new WeakMap<GPUDevice, Map<string, { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout }>>();

/** Bind group layout for a program: uniform, then its inputs (read-only or writable storage), then its outputs. */
function layoutFor(device: GPUDevice, p: Program): { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout } {
  let cache = layoutCaches.get(device);
  if (!cache) layoutCaches.set(device, (cache = new Map()));
  const kinds: GPUBufferBindingType[] = [...p.readWriteInputs.map((rw) => (rw ? 'storage' : 'read-only-storage') as GPUBufferBindingType), ...p.outputs.map(() => 'storage' as const)];
  const key = kinds.join(',');
  let l = cache.get(key);
  if (!l) {
    const entries: GPUBindGroupLayoutEntry[] = [{ binding: 0, visibility: ShaderStage.COMPUTE, buffer: { type: 'uniform' } }];
    kinds.forEach((type, i) => entries.push({ binding: 1 + i, visibility: ShaderStage.COMPUTE, buffer: { type } }));
    const bgl = device.createBindGroupLayout({ entries });
    l = { bgl, pl: device.createPipelineLayout({ bindGroupLayouts: [bgl] }) };
    cache.set(key, l);
  }
  return l;
}

function toF32(t: Tensor): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.dtype === 'f16') return Float32Array.from(t.data as Uint16Array, f16ToF32);
  return Float32Array.from(tensorToNumbers(t));
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

export class WebGPUExecutor {
  readonly dispatches: DispatchInfo[];
  /** Shapes and dtypes of every value at this executor's input shapes. */
  readonly values: Map<string, ValueInfo>;
  private released = false;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly owned: GPUBuffer[] = [];
  private profiler?: { querySet: GPUQuerySet; resolve: GPUBuffer; staging: GPUBuffer };

  private constructor(
    private readonly gpu: GpuContext,
    private readonly graph: Graph,
    values: Map<string, ValueInfo>,
    private readonly list: Dispatch[],
    private readonly io: Map<string, Slot>,
    private readonly staging: Map<string, GPUBuffer>,
    owned: GPUBuffer[],
  ) {
    this.values = values;
    this.dispatches = list.map((d) => d.info);
    this.owned = owned;
  }

  static async create(gpu: GpuContext, graph: Graph, options: ExecutorOptions = {}): Promise<WebGPUExecutor> {
    gpu.checkHealthy();
    const { device, tracker } = gpu;
    const inputShapes: Record<string, number[]> = {};
    for (const input of graph.inputs) {
      if (graph.initializers.has(input.name)) continue;
      inputShapes[input.name] = options.inputShapes?.[input.name] ?? input.shape.map((d) => (d < 0 ? 1 : d));
    }
    const values = inferShapes(graph, inputShapes);
    const shapeOf = (name: string): Shape => {
      const v = values.get(name);
      if (!v) throw new GraphError(`no shape for value '${name}'`);
      return v.shape;
    };

    // 1. Kernel plans; alias outputs resolve to the storage of their source.
    const root = new Map<string, string>();
    const rootOf = (name: string): string => root.get(name) ?? name;
    const specs: { node: Node; spec: ProgramSpec }[] = [];
    const derived = new Map<string, Float32Array>();
    let planAllowed = true;
    for (const node of graph.nodes) {
      const kernel = webgpuKernels[node.op];
      if (!kernel) throw new WebGPUKernelError('op is not supported by the WebGPU backend', node.name, node.op);
      for (const out of node.outputs) {
        const v = values.get(out);
        if (out !== '' && v && v.dtype !== 'f32' && v.dtype !== 'f16')
          throw new WebGPUKernelError(`output '${out}' has dtype ${v.dtype}; the WebGPU backend computes f32 only`, node.name, node.op);
      }
      const plan: KernelPlan = kernel({
        node,
        inputShapes: node.inputs.map((n) => (n === '' ? undefined : shapeOf(n))),
        outputShapes: node.outputs.map((n) => (n === '' ? [] : shapeOf(n))),
        constant: (name) => graph.initializers.get(name),
      });
      for (const c of plan.constants ?? []) derived.set(c.name, c.data);
      for (const a of plan.aliases ?? []) root.set(node.outputs[a.output]!, rootOf(node.inputs[a.input]!));
      // The planner extends live ranges through reshape-like views only; other aliases (single-input Sum...) need
      // the unplanned path.
      if (plan.aliases?.length && !RESHAPE_OPS.has(node.op)) planAllowed = false;
      for (const spec of plan.programs) if (spec.workgroups > 0) specs.push({ node, spec });
    }

    // 2. Storage. Constants (initializers, repacked weights) get one buffer each. Activations are placed by the
    //    static memory plan (src/plan: liveness-based sharing of a few arena buffers) or, without it, one buffer each.
    const owned: GPUBuffer[] = [];
    const storageUsage = BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC;
    const isConstant = (r: string) => derived.has(r) || graph.initializers.has(r);
    const slots = new Map<string, Slot>();
    const constantSlot = (r: string): Slot => {
      let slot = slots.get(r);
      if (slot) return slot;
      const data = derived.get(r) ?? toF32(graph.initializers.get(r)!);
      const size = Math.max(16, align(data.length * 4, 16));
      if (size > gpu.maxStorageBufferBindingSize) throw new WebGPUKernelError(`constant '${r}' needs ${size} bytes, above the device's maxStorageBufferBindingSize`);
      const buffer = tracker.createBuffer({ size, usage: storageUsage, mappedAtCreation: true });
      new Float32Array(buffer.getMappedRange()).set(data);
      buffer.unmap();
      owned.push(buffer);
      constantBytes += size;
      slots.set(r, (slot = { buffer, offset: 0, size, arena: false }));
      return slot;
    };
    let constantBytes = 0;
    let activationBytes = 0;
    let memoryPlan: MemoryPlan | undefined;
    if (options.memoryPlan !== false && planAllowed) {
      const alignment = Math.max(256, device.limits.minStorageBufferOffsetAlignment);
      memoryPlan = planMemory(graph, values, {
        alignment,
        maxBufferBytes: Math.min(gpu.maxBufferSize, gpu.maxStorageBufferBindingSize),
        // Kernels address dense tensors from their binding's start: no slice/concat views (yet).
        concatViews: false,
        sliceViews: false,
        stridedViews: false,
        reshapeViews: true,
      });
      const arenas = memoryPlan.buffers.map((b) => {
        const size = align(b.bytes + 16, 16);
        const buffer = tracker.createBuffer({ size, usage: storageUsage });
        owned.push(buffer);
        activationBytes += size;
        return buffer;
      });
      for (const [name, placement] of memoryPlan.tensors) {
        slots.set(name, { buffer: arenas[placement.buffer]!, offset: placement.offset, size: Math.max(4, align(placement.bytes, 4)), arena: true });
      }
    }
    const slotOf = (name: string): Slot => {
      const r = rootOf(name);
      if (isConstant(r)) return constantSlot(r);
      let slot = root.has(name) ? slots.get(r) : slots.get(name);
      if (!slot) {
        const size = Math.max(16, align(sizeOf(shapeOf(r)) * 4, 16));
        if (size > gpu.maxStorageBufferBindingSize) throw new WebGPUKernelError(`tensor '${r}' needs ${size} bytes, above the device's maxStorageBufferBindingSize`);
        const buffer = tracker.createBuffer({ size, usage: storageUsage });
        owned.push(buffer);
        activationBytes += size;
        slots.set(r, (slot = { buffer, offset: 0, size, arena: false }));
      }
      return slot;
    };
    for (const input of graph.inputs) if (!graph.initializers.has(input.name)) slotOf(input.name);
    const planned = specs.map(({ node, spec }) => {
      const inSlots = spec.inputs.map((t) => slotOf(t.tensor));
      const outSlots = spec.outputs.map((t) => slotOf(t.tensor));
      const program = buildProgram(spec, { readWriteInputs: inSlots.map((x) => outSlots.some((o) => o.buffer === x.buffer)) });
      return { node, program, slots: [...inSlots, ...outSlots] };
    });
    for (const output of graph.outputs) slotOf(output.name);

    // 3. Uniforms: one buffer, each dispatch at a 256-byte aligned offset.
    const uAlign = device.limits.minUniformBufferOffsetAlignment;
    const offsets: number[] = [];
    let uSize = 0;
    for (const { program } of planned) {
      offsets.push(uSize);
      uSize = align(uSize + program.uniformData.byteLength, uAlign);
    }
    let uniformBuffer: GPUBuffer | undefined;
    if (planned.length) {
      uniformBuffer = tracker.createBuffer({ size: Math.max(uSize, 16), usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST, mappedAtCreation: true });
      const bytes = new Uint8Array(uniformBuffer.getMappedRange());
      planned.forEach(({ program }, i) => bytes.set(new Uint8Array(program.uniformData), offsets[i]!));
      uniformBuffer.unmap();
      owned.push(uniformBuffer);
    }

    // 4. Pipelines, compiled in parallel, shared per device by cache key.
    let cache = pipelineCaches.get(device);
    if (!cache) pipelineCaches.set(device, (cache = new Map()));
    const pipelineFor = (p: Program): Promise<GPUComputePipeline> => {
      let pending = cache!.get(p.cacheKey);
      if (!pending) {
        const { pl } = layoutFor(device, p);
        const module = device.createShaderModule({ code: p.wgsl, label: p.name });
        pending = tracker.createComputePipelineAsync({ layout: pl, compute: { module, entryPoint: 'main' }, label: p.name });
        pending.catch(() => cache!.delete(p.cacheKey));
        cache!.set(p.cacheKey, pending);
      }
      return pending;
    };
    const pipelines = await Promise.all(
      planned.map(({ node, program }) =>
        pipelineFor(program).catch((e: unknown) => {
          throw new WebGPUKernelError(`pipeline '${program.name}' failed to compile: ${(e as Error).message}`, node.name, node.op);
        }),
      ),
    );

    // 5. Bind groups.
    const list: Dispatch[] = planned.map(({ node, program, slots: bound }, i) => {
      const { bgl } = layoutFor(device, program);
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniformBuffer!, offset: offsets[i]!, size: program.uniformData.byteLength } }];
      bound.forEach((slot, k) => entries.push({ binding: 1 + k, resource: { buffer: slot.buffer, offset: slot.offset, size: slot.size } }));
      const bindGroup = tracker.createBindGroup({ layout: bgl, entries, label: program.name });
      return {
        program,
        pipeline: pipelines[i]!,
        bindGroup,
        dims: foldDispatch(program.workgroups, gpu.maxWorkgroupsPerDimension),
        info: {
          node: node.name,
          op: node.op,
          kernel: program.name,
          inputShapes: node.inputs.filter((n) => n !== '').map(shapeOf),
          outputShapes: node.outputs.filter((n) => n !== '').map(shapeOf),
          macs: program.macs ?? 0,
          workgroups: foldDispatch(program.workgroups, gpu.maxWorkgroupsPerDimension),
        },
      };
    });

    // 6. Readback staging buffers.
    const staging = new Map<string, GPUBuffer>();
    for (const output of graph.outputs) {
      const size = Math.max(16, align(sizeOf(shapeOf(output.name)) * 4, 16));
      const b = tracker.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
      owned.push(b);
      staging.set(output.name, b);
    }
    const io = new Map<string, Slot>();
    for (const i of graph.inputs) if (!graph.initializers.has(i.name)) io.set(i.name, slotOf(i.name));
    for (const o of graph.outputs) io.set(o.name, slotOf(o.name));
    const exec = new WebGPUExecutor(gpu, graph, values, list, io, staging, owned);
    exec.memory = {
      activationBytes,
      plannedActivationBytes: memoryPlan?.peakActivationBytes ?? null,
      lowerBoundBytes: memoryPlan?.lowerBoundBytes ?? null,
      weightBytes: constantBytes,
    };
    gpu.checkHealthy();
    return exec;
  }

  /** GPU memory of this executor (bytes). */
  memory = { activationBytes: 0, plannedActivationBytes: null as number | null, lowerBoundBytes: null as number | null, weightBytes: 0 };

  /** Input shapes this executor was built for. */
  get inputShapes(): Record<string, Shape> {
    const r: Record<string, Shape> = {};
    for (const i of this.graph.inputs) if (!this.graph.initializers.has(i.name)) r[i.name] = this.values.get(i.name)!.shape;
    return r;
  }

  /** Runs the graph. Inputs must already be validated f32 data of the executor's input shapes. */
  run(inputs: Record<string, Float32Array>): Promise<Record<string, Tensor>> {
    const next = this.chain.then(() => this.runNow(inputs, false));
    this.chain = next.catch(() => undefined);
    return next.then((r) => r.outputs);
  }

  /** One run with a GPU timestamp per dispatch (when the device has timestamp-query). */
  profile(inputs: Record<string, Float32Array>): Promise<{ rows: ProfileRow[]; wallMs: number; outputs: Record<string, Tensor> }> {
    const next = this.chain.then(() => this.runNow(inputs, true));
    this.chain = next.catch(() => undefined);
    return next.then((r) => ({ rows: r.rows!, wallMs: r.wallMs, outputs: r.outputs }));
  }

  private async runNow(inputs: Record<string, Float32Array>, profiling: boolean) {
    if (this.released) throw new SessionReleasedError('this session was released');
    this.gpu.checkHealthy();
    const { device } = this.gpu;
    const t0 = performance.now();
    device.pushErrorScope('validation');
    for (const [name, data] of Object.entries(inputs)) {
      const slot = this.io.get(name);
      if (!slot) throw new GraphError(`'${name}' is not an input of this graph`);
      device.queue.writeBuffer(slot.buffer, slot.offset, data.buffer, data.byteOffset, data.byteLength);
    }
    const timed = profiling && this.gpu.features.timestampQuery && this.list.length > 0;
    if (timed && !this.profiler) this.profiler = this.createProfiler();
    const encoder = device.createCommandEncoder();
    if (timed) {
      this.list.forEach((d, i) => {
        const pass = encoder.beginComputePass({ timestampWrites: { querySet: this.profiler!.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
        pass.setPipeline(d.pipeline);
        pass.setBindGroup(0, d.bindGroup);
        pass.dispatchWorkgroups(...d.dims);
        pass.end();
      });
      encoder.resolveQuerySet(this.profiler!.querySet, 0, 2 * this.list.length, this.profiler!.resolve, 0);
      encoder.copyBufferToBuffer(this.profiler!.resolve, 0, this.profiler!.staging, 0, 16 * this.list.length);
    } else if (this.list.length) {
      const pass = encoder.beginComputePass();
      for (const d of this.list) {
        pass.setPipeline(d.pipeline);
        pass.setBindGroup(0, d.bindGroup);
        pass.dispatchWorkgroups(...d.dims);
      }
      pass.end();
    }
    const outShapes = this.graph.outputs.map((o) => this.values.get(o.name)!.shape);
    this.graph.outputs.forEach((o, i) => {
      const bytes = sizeOf(outShapes[i]!) * 4;
      const slot = this.io.get(o.name)!;
      if (bytes > 0) encoder.copyBufferToBuffer(slot.buffer, slot.offset, this.staging.get(o.name)!, 0, align(bytes, 4));
    });
    device.queue.submit([encoder.finish()]);
    const scopeError = await device.popErrorScope();
    if (scopeError) throw new WebGPUDeviceError(`WebGPU validation error during run: ${scopeError.message}`, 'validation');
    const maps = this.graph.outputs.map((o) => this.staging.get(o.name)!.mapAsync(MapMode.READ));
    if (timed) maps.push(this.profiler!.staging.mapAsync(MapMode.READ));
    try {
      await Promise.all(maps);
    } catch (e) {
      this.gpu.checkHealthy();
      throw new WebGPUDeviceError(`reading results back failed: ${(e as Error).message}`, 'internal');
    }
    const outputs: Record<string, Tensor> = {};
    this.graph.outputs.forEach((o, i) => {
      const shape = [...outShapes[i]!];
      const staging = this.staging.get(o.name)!;
      const data = new Float32Array(sizeOf(shape));
      data.set(new Float32Array(staging.getMappedRange(), 0, data.length));
      staging.unmap();
      outputs[o.name] = { dtype: 'f32', shape, data };
    });
    let rows: ProfileRow[] | undefined;
    if (profiling) {
      let times: BigInt64Array | undefined;
      if (timed) {
        times = new BigInt64Array(this.profiler!.staging.getMappedRange().slice(0));
        this.profiler!.staging.unmap();
      }
      rows = this.list.map((d, i) => ({ ...d.info, gpuMs: times ? Number(times[2 * i + 1]! - times[2 * i]!) / 1e6 : null }));
    }
    this.gpu.checkHealthy();
    return { outputs, rows, wallMs: performance.now() - t0 };
  }

  private createProfiler() {
    const n = this.list.length;
    const querySet = this.gpu.device.createQuerySet({ type: 'timestamp', count: 2 * n });
    const resolve = this.gpu.tracker.createBuffer({ size: 16 * n, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    const staging = this.gpu.tracker.createBuffer({ size: 16 * n, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    this.owned.push(resolve, staging);
    return { querySet, resolve, staging };
  }

  /** Frees every GPU buffer of this executor (pipelines stay cached per device). Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const b of this.owned) this.gpu.tracker.destroyBuffer(b);
    this.profiler?.querySet.destroy();
    this.owned.length = 0;
  }

  get isReleased(): boolean {
    return this.released;
  }
}
