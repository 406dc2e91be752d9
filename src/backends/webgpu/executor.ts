/**
 * WebGPU executor for one graph at fixed input shapes.
 *
 * Load (`WebGPUExecutor.create`): kernel plans for every node; the static memory plan (src/plan) places every
 * activation in a few arena buffers, with views: Concat inputs written by their producers straight into their slice
 * of the concat output, Slice/Split outputs read in place, reshape-likes free; WGSL programs are built for the
 * resulting binding layout (element offsets in uniforms, one binding per buffer); every distinct pipeline compiled
 * in parallel with createComputePipelineAsync (shared per device by cache key); weights uploaded (f16 weights stay
 * f16); one uniform buffer holding every dispatch's uniforms; bind groups; readback staging buffers.
 * Run: write inputs, encode every dispatch in ONE command encoder and compute pass, ONE submit, map the outputs.
 * Nothing is created after load except by `profile()` (its query set, once).
 */
import { GraphError, sizeOf, type Graph, type Node, type Shape, type Tensor, type ValueInfo } from '../../graph/ir.js';
import { inferShapes } from '../../graph/infer.js';
import { BufferUsage, MapMode, ShaderStage } from './gpu_constants.js';
import { ConstantStore, type Slot } from './constant_store.js';
import { WebGPUDeviceError, isSoftwareAdapter, type GpuContext } from './device.js';
import {
  WebGPUKernelError,
  WebGPULimitError,
  buildProgram,
  foldDispatch,
  type BindingLayout,
  type KernelContext,
  type KernelPlan,
  type Program,
  type ProgramSpec,
} from './program.js';
import { PlanError, planMemory, RESHAPE_OPS, type MemoryPlan, type PlanOptions } from '../../plan/index.js';
import { webgpuKernels, webgpuSupports } from './kernels.js';
import { lowerBatchNormConvs, lowerIm2col, lowerWinograd, subsampleStridedPointwise } from './lower.js';
import { unfuseAttention, type AttentionLowering } from './lower_attention.js';
import { withResidualView } from './residual_view.js';
import type { ConvVariantOverride } from './conv_select.js';
import type { MatmulVariantOverride } from './matmul_select.js';
import type { ReductionVariantOverride } from './reduce_select.js';

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

/** How a profile row's time was measured: GPU timestamps, or wall time of the dispatch submitted alone. */
export type ProfileTiming = 'timestamp' | 'wall';

export interface ProfileRow extends DispatchInfo {
  /** Time of the dispatch in milliseconds (see `timing`). */
  gpuMs: number | null;
  timing: ProfileTiming;
}

export interface ProfileOptions {
  /**
   * 'timestamp' (default when the device has timestamp-query): one compute pass per dispatch with timestampWrites.
   * 'wall' (the fallback): each dispatch submitted alone and timed from submit to onSubmittedWorkDone on the CPU
   * clock, which includes submission overhead (≈ tens of µs) but needs no feature.
   */
  timing?: ProfileTiming;
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
  /** Let the memory plan place views: in-place Concat inputs and Slice/Split outputs (default true). */
  views?: boolean;
  /** Keep f16 weights as f16 on the GPU, for kernels that read through accessors (default true). */
  f16Weights?: boolean;
  /**
   * Keep int8 weights (tensors with a `quant`, from a .tessera written with --int8) as int8 + scales on the GPU, for
   * kernels that read them through accessors; derived constants (repacked weights) stay f32. Default: true on a
   * hardware adapter (4x less weight memory and bandwidth); false on a software adapter, where "GPU memory" is system
   * memory and dequantising in registers measured 10–32 % slower than f32 weights (docs/format.md, int8 weights).
   */
  int8Weights?: boolean;
  /** Run strided 1×1 convs as a subsampling Slice + a stride-1 1×1 conv (default true; see lower.ts). */
  subsamplePointwise?: boolean;
  /**
   * BatchNormConv's BN + ReLU prologue on conv2d_1x1 (default: hardware adapters only; on SwiftShader, where a
   * dispatch is cheap, DenseNet-121 measured no faster with it: lower.ts lowerBatchNormConvs). The real-GPU variants
   * always take it.
   */
  pointwisePrologue?: boolean;
  /** Per-session conv variant choice (e.g. an autotuned table, see autotune.ts); the rule decides where it says nothing. */
  convVariant?: ConvVariantOverride;
  /** Per-session Gemm / MatMul and reduction variant choices (matmul_select.ts, reduce_select.ts), as convVariant. */
  matmulVariant?: MatmulVariantOverride;
  reductionVariant?: ReductionVariantOverride;
  /**
   * Opt-in: run the conv and matmul families in f16 arithmetic (vec4<f16> products, f16 accumulators) where the device
   * has `shader-f16` (default false: f32 arithmetic, f16 only as weight storage). Less accurate (about 1e-3 relative).
   */
  f16Compute?: boolean;
  /**
   * Attention nodes as one dispatch ('fused', shaders/attention.wgsl) or as MatMul / Softmax / MatMul ('unfused',
   * lower_attention.ts). Default: 'unfused' on a software adapter (SwiftShader: measured faster there), else 'fused'.
   */
  attention?: AttentionLowering;
  /** Called as the executor's distinct pipelines compile (cache hits count at once): done of total. */
  onPipelines?: (done: number, total: number) => void;
  /**
   * Keep what `refreshWeights` needs (the constant store, the kernel plans' programs) until `sealWeights()`: a
   * streamed load builds the executor from placeholder weights and writes the real ones as they arrive.
   */
  refreshableWeights?: boolean;
}

const pipelineCaches = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();
const layoutCaches = new WeakMap<GPUDevice, Map<string, { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout }>>();

/** Binding kinds of a program: read-only or writable storage per binding (after binding 0, the uniforms). */
function bindingKinds(p: Program): GPUBufferBindingType[] {
  if (p.layout) return p.layout.slots.map((s) => (s.writable ? 'storage' : 'read-only-storage'));
  return [...p.readWriteInputs.map((rw) => (rw ? 'storage' : 'read-only-storage') as GPUBufferBindingType), ...p.outputs.map(() => 'storage' as const)];
}

function layoutFor(device: GPUDevice, p: Program): { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout } {
  let cache = layoutCaches.get(device);
  if (!cache) layoutCaches.set(device, (cache = new Map()));
  const kinds = bindingKinds(p);
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

const align = (n: number, a: number) => Math.ceil(n / a) * a;
const alignDown = (n: number, a: number) => Math.floor(n / a) * a;

export interface NodeKernel {
  node: Node;
  plan: KernelPlan;
  /** Every program reads and writes through accessors (so the node may write into a view). */
  accessors: boolean;
}

export interface ActivationLimits {
  /** minStorageBufferOffsetAlignment of the device. */
  offsetAlignment: number;
  /** Largest arena buffer (min of maxBufferSize and maxStorageBufferBindingSize). */
  maxBufferBytes: number;
}

/**
 * The executor's static memory plan. With `views`, Concat inputs produced by accessor programs are written in place
 * and Slice/Split outputs are views, as dense blocks only (kernels take an element offset, not strides: at batch 1
 * a channel slice is dense). If a legacy (non-accessor) program would have to bind a view at an unaligned offset,
 * the plan is recomputed without views.
 */
export function planActivations(graph: Graph, values: Map<string, ValueInfo>, kernels: Map<string, NodeKernel>, limits: ActivationLimits, views = true): MemoryPlan {
  const planWith = (withViews: boolean) => {
    const opts: PlanOptions = {
      alignment: Math.max(256, limits.offsetAlignment),
      maxBufferBytes: limits.maxBufferBytes,
      concatViews: withViews,
      sliceViews: withViews,
      stridedViews: false,
      reshapeViews: true,
      canWriteSlice: (node, contiguous) => contiguous && node.outputs.length === 1 && !!kernels.get(node.name)?.accessors,
    };
    return planMemory(graph, values, opts);
  };
  const plan = planWith(views);
  const legacyOnView = [...kernels.values()].some(
    (k) => !k.accessors && k.plan.programs.some((p) => [...p.inputs, ...p.outputs].some((b) => (plan.tensors.get(b.tensor)?.offset ?? 0) % limits.offsetAlignment !== 0)),
  );
  return views && legacyOnView ? planWith(false) : plan;
}

type KernelChoices = Pick<KernelContext, 'convVariant' | 'matmulVariant' | 'reductionVariant' | 'features' | 'f16Compute'>;

/** The kernel plan of one node (step 1 of WebGPUExecutor.create; again for a streamed load's real weights). */
function planNode(graph: Graph, values: Map<string, ValueInfo>, node: Node, choices: KernelChoices): NodeKernel {
  // Own properties only: an op named 'constructor' or '__proto__' must not find Object's members.
  const kernel = webgpuSupports(node.op) ? webgpuKernels[node.op] : undefined;
  if (!kernel) throw new WebGPUKernelError('op is not supported by the WebGPU backend', node.name, node.op);
  const plan0 = kernel({
    node,
    inputShapes: node.inputs.map((n) => (n === '' ? undefined : values.get(n)?.shape)),
    outputShapes: node.outputs.map((n) => (n === '' ? [] : values.get(n)!.shape)),
    constant: (name: string) => graph.initializers.get(name),
    ...choices,
  });
  const plan = withResidualView(node, plan0, values);
  return { node, plan, accessors: plan.programs.every((p) => !!p.accessors) && !plan.aliases?.length };
}

/** Kernel plans of every node (what step 1 of WebGPUExecutor.create computes), for tools and tests. */
export function planKernels(
  graph: Graph,
  values: Map<string, ValueInfo>,
  convVariant?: ConvVariantOverride,
  more: Pick<KernelContext, 'matmulVariant' | 'reductionVariant' | 'features' | 'f16Compute'> = {},
): Map<string, NodeKernel> {
  const out = new Map<string, NodeKernel>();
  for (const node of graph.nodes) out.set(node.name, planNode(graph, values, node, { convVariant, ...more }));
  return out;
}

/** Initializer values a node reads: its constant inputs and tensor attributes (the typed arrays, by identity). */
function weightsRead(graph: Graph, node: Node): unknown[] {
  const out: unknown[] = [];
  for (const i of node.inputs) {
    const t = graph.initializers.get(i);
    if (t) out.push(t.data);
  }
  for (const a of Object.values(node.attrs)) if (typeof a === 'object' && a !== null && 'data' in a) out.push(a.data);
  return out;
}

/**
 * What refreshWeights needs of the build (kept only with ExecutorOptions.refreshableWeights, until sealWeights):
 * the constant store, and each node's plan again (base plan: its constants; programs: what it dispatches, as text).
 */
interface WeightRefresh {
  store: ConstantStore;
  replan: (node: Node) => { constants: NonNullable<KernelPlan['constants']>; programs: string };
  programs: Map<string, string>;
}

export class WebGPUExecutor {
  readonly dispatches: DispatchInfo[];
  /** Shapes and dtypes of every value at this executor's input shapes. */
  readonly values: Map<string, ValueInfo>;
  /** The static memory plan used (undefined with memoryPlan: false). */
  readonly plan: MemoryPlan | undefined;
  private released = false;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly owned: GPUBuffer[] = [];
  private profiler?: { querySet: GPUQuerySet; resolve: GPUBuffer; staging: GPUBuffer };

  private constructor(
    private readonly gpu: GpuContext,
    private readonly graph: Graph,
    values: Map<string, ValueInfo>,
    plan: MemoryPlan | undefined,
    private readonly list: Dispatch[],
    private readonly io: Map<string, Slot>,
    private readonly staging: Map<string, GPUBuffer>,
    owned: GPUBuffer[],
  ) {
    this.values = values;
    this.plan = plan;
    this.dispatches = list.map((d) => d.info);
    this.owned = owned;
  }

  static async create(gpu: GpuContext, graph: Graph, options: ExecutorOptions = {}): Promise<WebGPUExecutor> {
    // Every buffer made before a failure (a pipeline that does not compile, a limit hit half way) is freed here.
    const owned: GPUBuffer[] = [];
    try {
      return await WebGPUExecutor.build(gpu, graph, options, owned);
    } catch (e) {
      for (const b of owned) gpu.tracker.destroyBuffer(b);
      throw e;
    }
  }

  private static async build(gpu: GpuContext, graph: Graph, options: ExecutorOptions, owned: GPUBuffer[]): Promise<WebGPUExecutor> {
    gpu.checkHealthy();
    if (options.subsamplePointwise !== false) graph = subsampleStridedPointwise(graph);
    // Lowerings that pick a conv variant (Winograd) must get `options.convVariant` as their chooser.
    const { device, tracker } = gpu;
    const inputShapes: Record<string, number[]> = {};
    for (const input of graph.inputs) {
      if (graph.initializers.has(input.name)) continue;
      inputShapes[input.name] = options.inputShapes?.[input.name] ?? input.shape.map((d) => (d < 0 ? 1 : d));
    }
    graph = lowerWinograd(graph, inputShapes, options.convVariant); // after the shapes: the choice depends on them
    graph = lowerIm2col(graph, inputShapes, options.convVariant);
    const software = gpu.isFallbackAdapter || isSoftwareAdapter(gpu.adapterDescription);
    // BatchNormConv stays one node only on a variant that runs its prologue; the others get FusedBatchNorm back.
    graph = lowerBatchNormConvs(graph, inputShapes, options.convVariant, options.pointwisePrologue ?? !software);
    if ((options.attention ?? (software ? 'unfused' : 'fused')) === 'unfused') graph = unfuseAttention(graph, inputShapes);
    const values = inferShapes(graph, inputShapes);
    const shapeOf = (name: string): Shape => {
      const v = values.get(name);
      if (!v) throw new GraphError(`no shape for value '${name}'`);
      return v.shape;
    };
    const kernelChoices = {
      matmulVariant: options.matmulVariant,
      reductionVariant: options.reductionVariant,
      features: { subgroups: gpu.features.subgroups, f16: gpu.features.f16 },
      f16Compute: !!options.f16Compute && gpu.features.f16,
    };
    const contextOf = (node: Node, inPlaceInputs?: readonly boolean[]) => ({
      node,
      inputShapes: node.inputs.map((n) => (n === '' ? undefined : shapeOf(n))),
      outputShapes: node.outputs.map((n) => (n === '' ? [] : shapeOf(n))),
      constant: (name: string) => graph.initializers.get(name),
      inPlaceInputs,
      convVariant: options.convVariant,
      ...kernelChoices,
    });

    // 1. Kernel plans; alias outputs resolve to the storage of their source.
    const root = new Map<string, string>();
    const rootOf = (name: string): string => root.get(name) ?? name;
    let planAllowed = true;
    const checkBinding = (tensor: string, bytes: number) => {
      if (bytes > gpu.maxStorageBufferBindingSize)
        throw new WebGPULimitError(`needs a ${bytes}-byte binding, above the device's maxStorageBufferBindingSize (${gpu.maxStorageBufferBindingSize})`, tensor, 'maxStorageBufferBindingSize', bytes);
    };
    // int8 weights stay int8 on hardware adapters by default (ExecutorOptions.int8Weights).
    const int8OnGpu = options.int8Weights ?? !(gpu.isFallbackAdapter || isSoftwareAdapter(gpu.adapterDescription));
    /** Initializers and derived constants (repacked weights...): their storage choices and buffers. */
    const constants = new ConstantStore(gpu, graph, owned, { f16: options.f16Weights !== false, int8: int8OnGpu, checkBinding });
    for (const node of graph.nodes) {
      for (const out of node.outputs) {
        const v = values.get(out);
        // Bit-packed activations (BinaryConvBits -> BinaryConv) travel as raw u32 words in f32 storage.
        const innerBits = v?.dtype === 'binary' && !graph.outputs.some((o) => o.name === out);
        if (out !== '' && v && v.dtype !== 'f32' && v.dtype !== 'f16' && !innerBits)
          throw new WebGPUKernelError(`output '${out}' has dtype ${v.dtype}; the WebGPU backend computes f32 only`, node.name, node.op);
      }
    }
    const kernels = planKernels(graph, values, options.convVariant, kernelChoices);
    for (const { node, plan } of kernels.values()) {
      constants.addPlan(node, plan);
      for (const a of plan.aliases ?? []) root.set(node.outputs[a.output]!, rootOf(node.inputs[a.input]!));
      // The planner extends live ranges through reshape-like views only; other aliases need the unplanned path.
      if (plan.aliases?.length && !RESHAPE_OPS.has(node.op)) planAllowed = false;
    }
    const isConstant = (r: string) => constants.isConstant(r);

    // 2. Static memory plan. Views only where every program touching them reads/writes through accessors.
    const offsetAlign = device.limits.minStorageBufferOffsetAlignment;
    const maxBufferBytes = Math.min(gpu.maxBufferSize, gpu.maxStorageBufferBindingSize);
    let memoryPlan: MemoryPlan | undefined;
    try {
      if (options.memoryPlan !== false && planAllowed)
        memoryPlan = planActivations(graph, values, kernels, { offsetAlignment: offsetAlign, maxBufferBytes }, options.views !== false);
    } catch (e) {
      // A tensor larger than one binding can hold: the typed error names it and the limit.
      if (e instanceof PlanError && e.tensor !== undefined) {
        const bytes = sizeOf(shapeOf(e.tensor)) * 4;
        throw new WebGPULimitError(`needs ${bytes} bytes, above the device's maxStorageBufferBindingSize / maxBufferSize (${maxBufferBytes})`, e.tensor, 'maxStorageBufferBindingSize', bytes);
      }
      throw e;
    }

    // Programs to run, in node order: elided nodes (views) run nothing; partially in-place Concats copy the rest.
    const dispatched = (node: Node, plan: KernelPlan): KernelPlan => {
      const inPlace = memoryPlan?.concatInPlace.get(node.name);
      return inPlace ? webgpuKernels[node.op]!(contextOf(node, inPlace)) : plan;
    };
    const specs: { node: Node; spec: ProgramSpec }[] = [];
    for (const node of graph.nodes) {
      if (memoryPlan?.elidedNodes.has(node.name)) continue;
      const plan = dispatched(node, kernels.get(node.name)!.plan);
      for (const spec of plan.programs) if (spec.workgroups > 0) specs.push({ node, spec });
    }

    // 3. Storage. Constants (initializers, repacked weights) get one buffer each (constant_store.ts: f16 halves or
    //    int8 values + scales where exact). Activations live where the plan put them, or without a plan in one buffer each.
    const storageUsage = BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC;
    const slots = new Map<string, Slot>();
    let activationBytes = 0;
    if (memoryPlan) {
      const arenas = memoryPlan.buffers.map((b) => {
        const size = align(b.bytes + 16, 16);
        const buffer = tracker.createBuffer({ size, usage: storageUsage });
        owned.push(buffer);
        activationBytes += size;
        return buffer;
      });
      for (const [name, p] of memoryPlan.tensors) slots.set(`a:${name}`, { buffer: arenas[p.buffer]!, offset: p.offset, size: Math.max(4, align(p.bytes, 4)), elementBytes: 4 });
    }
    /** Storage of a tensor; constants as int8 or f16 when `compact` (an accessor read) and available. */
    const slotOf = (name: string, compact = false): Slot => {
      const r = rootOf(name);
      if (isConstant(r)) return constants.slot(r, compact);
      let slot = slots.get(`a:${name}`) ?? slots.get(`a:${r}`);
      if (!slot) {
        const size = Math.max(16, align(sizeOf(shapeOf(r)) * 4, 16));
        checkBinding(r, size);
        const buffer = tracker.createBuffer({ size, usage: storageUsage });
        owned.push(buffer);
        activationBytes += size;
        slots.set(`a:${r}`, (slot = { buffer, offset: 0, size, elementBytes: 4 }));
      }
      return slot;
    };
    for (const input of graph.inputs) if (!graph.initializers.has(input.name)) slotOf(input.name);

    // 4. Programs with their binding layouts. Accessor programs: one binding per GPUBuffer spanning everything the
    //    dispatch touches there (start aligned down to minStorageBufferOffsetAlignment), element offsets in uniforms.
    //    Legacy programs: one exact binding per tensor, read_write when it shares a buffer with an output.
    const planned = specs.map(({ node, spec }) => {
      if (!spec.accessors) {
        const inSlots = spec.inputs.map((t) => slotOf(t.tensor));
        const outSlots = spec.outputs.map((t) => slotOf(t.tensor));
        for (const [k, s] of [...inSlots, ...outSlots].entries()) {
          if (s.offset % offsetAlign !== 0)
            throw new WebGPUKernelError(`program ${spec.name} cannot bind tensor ${k} at an unaligned offset (it does not use accessors)`, node.name, node.op);
        }
        const program = buildProgram(spec, { readWriteInputs: inSlots.map((x) => outSlots.some((o) => o.buffer === x.buffer)) });
        return { node, program, ranges: [...inSlots, ...outSlots].map((s) => ({ buffer: s.buffer, offset: s.offset, size: s.size })) };
      }
      const tensors = [...spec.inputs.map((i) => ({ tensor: i.tensor, out: false })), ...spec.outputs.map((o) => ({ tensor: o.tensor, out: true }))];
      const bound = tensors.map((t) => ({ ...t, slot: slotOf(t.tensor, !t.out) }));
      const buffers: GPUBuffer[] = [];
      for (const b of bound) if (!buffers.includes(b.slot.buffer)) buffers.push(b.slot.buffer);
      const ranges = buffers.map((buffer) => {
        const members = bound.filter((b) => b.slot.buffer === buffer);
        const start = alignDown(Math.min(...members.map((m) => m.slot.offset)), offsetAlign);
        const end = Math.max(...members.map((m) => m.slot.offset + m.slot.size));
        // Whole 16-byte vectors where the buffer has room (arenas keep 16 bytes of slack): a binding read or written
        // as array<vec4<f32>> then covers the tensor's last, partial vector instead of clamping it onto element 0.
        const size = Math.min(align(end - start, 16), Math.max(align(end - start, 4), alignDown(buffer.size - start, 4)));
        checkBinding(constants.sourceOf(members[0]!.tensor), size);
        return { buffer, offset: start, size, members };
      });
      if (ranges.length > gpu.maxStorageBuffersPerShaderStage)
        throw new WebGPUKernelError(`program ${spec.name} needs ${ranges.length} storage bindings, above the device's ${gpu.maxStorageBuffersPerShaderStage}`, node.name, node.op);
      const layout: BindingLayout = {
        slotOf: bound.map((b) => buffers.indexOf(b.slot.buffer)),
        slots: ranges.map((r) => {
          const half = r.members.some((m) => m.slot.elementBytes === 2);
          if (r.members.some((m) => m.slot.int8)) return { writable: false, element: 'i8x4' as const }; // its own buffer, read only
          return { writable: r.members.some((m) => m.out), element: half ? (gpu.features.f16 ? ('f16' as const) : ('f16x2' as const)) : ('f32' as const) };
        }),
        offsets: bound.map((b) => (b.slot.offset - ranges[buffers.indexOf(b.slot.buffer)]!.offset) / b.slot.elementBytes),
        int8: bound.map((b) => {
          const q = b.slot.int8;
          const start = ranges[buffers.indexOf(b.slot.buffer)]!.offset;
          return q && { scaleWord: (b.slot.offset - start + q.scaleByte) / 4, inner: q.inner, channels: q.channels, panel: q.panel, block: q.block, count: q.count };
        }),
      };
      const program = buildProgram(spec, { layout });
      return { node, program, ranges: ranges.map(({ buffer, offset, size }) => ({ buffer, offset, size })) };
    });
    for (const output of graph.outputs) slotOf(output.name);

    // 5. Uniforms: one buffer, each dispatch at an aligned offset.
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

    // 6. Pipelines, compiled in parallel, shared per device by cache key.
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
    const compiling = planned.map(({ program }) => pipelineFor(program));
    if (options.onPipelines) {
      const report = options.onPipelines;
      const distinct = new Map(planned.map(({ program }, i) => [program.cacheKey, compiling[i]!]));
      let done = 0;
      report(0, distinct.size);
      for (const p of distinct.values()) p.then(() => report(++done, distinct.size), () => undefined);
    }
    const pipelines = await Promise.all(
      planned.map(({ node, program }, i) =>
        compiling[i]!.catch((e: unknown) => {
          throw new WebGPUKernelError(`pipeline '${program.name}' failed to compile: ${(e as Error).message}`, node.name, node.op);
        }),
      ),
    );

    // 7. Bind groups.
    const list: Dispatch[] = planned.map(({ node, program, ranges }, i) => {
      const { bgl } = layoutFor(device, program);
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniformBuffer!, offset: offsets[i]!, size: program.uniformData.byteLength } }];
      ranges.forEach((r, k) => entries.push({ binding: 1 + k, resource: { buffer: r.buffer, offset: r.offset, size: r.size } }));
      const bindGroup = tracker.createBindGroup({ layout: bgl, entries, label: program.name });
      const dims = foldDispatch(program.workgroups, gpu.maxWorkgroupsPerDimension);
      return {
        program,
        pipeline: pipelines[i]!,
        bindGroup,
        dims,
        info: {
          node: node.name,
          op: node.op,
          kernel: program.name,
          inputShapes: node.inputs.filter((n) => n !== '').map(shapeOf),
          outputShapes: node.outputs.filter((n) => n !== '').map(shapeOf),
          macs: program.macs ?? 0,
          workgroups: dims,
        },
      };
    });

    // 8. Readback staging buffers.
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
    const exec = new WebGPUExecutor(gpu, graph, values, memoryPlan, list, io, staging, owned);
    exec.memory = {
      activationBytes,
      plannedActivationBytes: memoryPlan?.peakActivationBytes ?? null,
      lowerBoundBytes: memoryPlan?.lowerBoundBytes ?? null,
      weightBytes: constants.bytes.all,
      f16WeightBytes: constants.bytes.f16,
      int8WeightBytes: constants.bytes.int8,
    };
    if (options.refreshableWeights) {
      // What each node dispatches (its plan, or the in-place Concat variant), as text to compare a new plan with.
      const programsOf = (node: Node, plan: KernelPlan) => JSON.stringify(dispatched(node, plan).programs);
      const replan = (node: Node) => {
        const { plan } = planNode(graph, values, node, { convVariant: options.convVariant, ...kernelChoices });
        return { constants: plan.constants ?? [], programs: programsOf(node, plan) };
      };
      const programs = new Map(graph.nodes.map((node) => [node.name, programsOf(node, kernels.get(node.name)!.plan)]));
      exec.weights = { store: constants, replan, programs };
    }
    gpu.checkHealthy();
    return exec;
  }

  /** Build state for refreshWeights (ExecutorOptions.refreshableWeights), dropped by sealWeights(). */
  private weights?: WeightRefresh;

  /**
   * A streamed load's real weights: the initializers whose typed arrays are in `changed` now hold their real values
   * (filled in place, src/runtime/stream_upload.ts). Every node reading them whose initializers are all real (none in
   * `pending`) is planned again; its programs must come out the same, and its derived constants (repacks) are
   * written into the buffers already allocated, after the same f16 / int8 storage choices; initializers read
   * directly are rewritten too. Returns undefined when done, or why the executor would have been built differently
   * with these values (the caller builds a new one). Only with ExecutorOptions.refreshableWeights.
   */
  refreshWeights(changed: ReadonlySet<unknown>, pending: ReadonlySet<unknown>): string | undefined {
    const w = this.weights;
    if (!w) return 'this executor does not keep what a weight refresh needs (refreshableWeights)';
    if (this.released) return 'this executor was released';
    for (const node of this.graph.nodes) {
      const reads = weightsRead(this.graph, node);
      if (!reads.some((d) => changed.has(d)) || reads.some((d) => pending.has(d))) continue;
      const again = w.replan(node);
      if (again.programs !== w.programs.get(node.name)) return `node '${node.name}' (${node.op}) plans different programs with the real weights`;
      for (const c of again.constants) {
        const why = w.store.madeBy(c.name, node) ? w.store.updateDerived(c.name, c.data) : undefined;
        if (why) return why;
      }
    }
    for (const [name, t] of this.graph.initializers) {
      const why = changed.has(t.data) ? w.store.rewrite(name) : undefined;
      if (why) return why;
    }
    return undefined;
  }

  /** Every weight is final: drop what refreshWeights kept (repacked weights in CPU memory, plans). */
  sealWeights(): void {
    this.weights = undefined;
  }

  /**
   * GPU memory of this executor (bytes): activation buffers, the plan's peak and lower bound, weight buffers
   * (initializers and repacked constants) and how many of those bytes are f16 and int8 (values + scale tables).
   */
  memory = { activationBytes: 0, plannedActivationBytes: null as number | null, lowerBoundBytes: null as number | null, weightBytes: 0, f16WeightBytes: 0, int8WeightBytes: 0 };

  /** Input shapes this executor was built for. */
  get inputShapes(): Record<string, Shape> {
    const r: Record<string, Shape> = {};
    for (const i of this.graph.inputs) if (!this.graph.initializers.has(i.name)) r[i.name] = this.values.get(i.name)!.shape;
    return r;
  }

  /** Runs the graph. Inputs must already be validated f32 data of the executor's input shapes. */
  run(inputs: Record<string, Float32Array>): Promise<Record<string, Tensor>> {
    const next = this.chain.then(() => this.runNow(inputs, undefined));
    this.chain = next.catch(() => undefined);
    return next.then((r) => r.outputs);
  }

  /** One run with a time per dispatch (GPU timestamps when available, else per-dispatch wall time; see ProfileOptions). */
  profile(inputs: Record<string, Float32Array>, options: ProfileOptions = {}): Promise<{ rows: ProfileRow[]; wallMs: number; outputs: Record<string, Tensor>; timing: ProfileTiming }> {
    const timing: ProfileTiming = options.timing ?? (this.gpu.features.timestampQuery ? 'timestamp' : 'wall');
    if (timing === 'timestamp' && !this.gpu.features.timestampQuery) throw new WebGPUKernelError('timestamp profiling needs the timestamp-query feature');
    const next = this.chain.then(() => this.runNow(inputs, timing));
    this.chain = next.catch(() => undefined);
    return next.then((r) => ({ rows: r.rows!, wallMs: r.wallMs, outputs: r.outputs, timing }));
  }

  private encodeDispatches(pass: GPUComputePassEncoder, list: readonly Dispatch[]): void {
    for (const d of list) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(...d.dims);
    }
  }

  private async runNow(inputs: Record<string, Float32Array>, profiling: ProfileTiming | undefined) {
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
    const timed = profiling === 'timestamp' && this.list.length > 0;
    if (timed && !this.profiler) this.profiler = this.createProfiler();
    let wallTimes: number[] | undefined;
    if (profiling === 'wall') {
      // Fallback timing: each dispatch alone in its own submit, timed to onSubmittedWorkDone.
      wallTimes = [];
      await device.queue.onSubmittedWorkDone();
      for (const d of this.list) {
        const enc = device.createCommandEncoder();
        const pass = enc.beginComputePass();
        this.encodeDispatches(pass, [d]);
        pass.end();
        const t = performance.now();
        device.queue.submit([enc.finish()]);
        await device.queue.onSubmittedWorkDone();
        wallTimes.push(performance.now() - t);
      }
    }
    const encoder = device.createCommandEncoder();
    if (timed) {
      this.list.forEach((d, i) => {
        const pass = encoder.beginComputePass({ timestampWrites: { querySet: this.profiler!.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
        this.encodeDispatches(pass, [d]);
        pass.end();
      });
      encoder.resolveQuerySet(this.profiler!.querySet, 0, 2 * this.list.length, this.profiler!.resolve, 0);
      encoder.copyBufferToBuffer(this.profiler!.resolve, 0, this.profiler!.staging, 0, 16 * this.list.length);
    } else if (this.list.length && profiling !== 'wall') {
      const pass = encoder.beginComputePass();
      this.encodeDispatches(pass, this.list);
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
      rows = this.list.map((d, i) => ({
        ...d.info,
        timing: profiling,
        gpuMs: times ? Number(times[2 * i + 1]! - times[2 * i]!) / 1e6 : (wallTimes?.[i] ?? null),
      }));
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
