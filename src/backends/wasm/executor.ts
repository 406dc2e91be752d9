/**
 * WasmExecutor: runs an optimised graph at one input-shape signature on the WebAssembly kernels.
 *
 * At create: shapes are inferred, the activations planned by src/plan (the same static plan as WebGPU's: Concat
 * inputs written in place, reshapes and slices as views), every node lowered (lower.ts), and ONE linear memory laid
 * out: [thread-0 stack | control words | worker stacks | programs + parameter blocks | packed weights | activation
 * arena | per-thread scratch]. Weights are packed once; a run allocates nothing in wasm memory. Nodes no kernel
 * takes run on the CPU reference kernel on views of the same memory (`fallbackNodes`), splitting the program into
 * segments. With threads, a worker pool shares the memory (threads.ts), and the program is encoded twice: for the
 * pool and for runs on the calling thread alone (Step).
 */
import { f16ToF32, sizeOf, type DType, type Graph, type Node, type Tensor, type TypedArray, type ValueInfo } from '../../graph/ir.js';
import { inferShapes } from '../../graph/infer.js';
import { expandResidualViews } from '../../graph/passes/fold_residual_view.js';
import { expandBatchNormConvs } from '../../graph/passes/fold_batchnorm_conv.js';
import { planMemory } from '../../plan/index.js';
import type { MemoryPlan, TensorPlacement } from '../../plan/types.js';
import { cpuKernels, ExecutionError } from '../cpu/index.js';
import { instantiate, kernelModule, wasmFeatures, type KernelExports } from './module.js';
import { KERNEL_IDS, lowerNode, WASM_OPS, type KernelCall } from './lower.js';
import { ctlBytes, ThreadPool } from './threads.js';
import { ThreadChoice, type ThreadChoiceReport, type ThreadMode } from './thread_choice.js';

export interface WasmExecutorOptions {
  inputShapes: Record<string, number[]>;
  /** Threads (1 = no workers). Clamped to 1 where shared memory is unavailable. */
  numThreads?: number;
  /** Use relaxed SIMD (fused multiply-add) when the engine has it (default true). */
  relaxedSimd?: boolean;
  /**
   * With threads: run small models on the calling thread alone when that measures faster (thread_choice.ts; default
   * true). false: every run uses all `numThreads`.
   */
  adaptiveThreads?: boolean;
}

/** One kernel call (or CPU-reference node) of a profiled run: wall time around it, all threads joined. */
export interface WasmProfileRow {
  node: string;
  op: string;
  /** WASM kernel (conv2d, depthwise2d, pad2d, gemm, ...) or 'cpu-reference'. */
  kernel: string;
  ms: number;
  inputShapes: number[][];
  outputShapes: number[][];
}

/** What the executor runs on: for `session.backendInfo`. */
export interface WasmInfo {
  threads: number;
  simd: true;
  relaxedSimd: boolean;
  /** Why fewer threads than asked (no SharedArrayBuffer...). */
  threadsNote?: string;
  /** Nodes run on the CPU reference kernel (no WASM kernel for their op or layout). */
  fallbackNodes: string[];
  /** Bytes of linear memory: weights (packed), activations, scratch, total. */
  memory: { weights: number; activations: number; scratch: number; total: number };
}

const STACK_BYTES = 64 * 1024;
/**
 * Whether the calling thread may sleep (memory.atomic.wait) while a worker finishes its part of a node: yes in Node
 * and inside a Worker (e.g. a WorkerSession), not on a browser page's main thread (waiting throws there), which spins.
 */
const CALLER_MAY_WAIT = typeof (globalThis as { window?: unknown }).window === 'undefined' ? 1 : 0;
/** One instruction of the program: kernel id, parameter block, claim and done counters (kernels/program.c). */
const INSN_BYTES = 32;
const align = (n: number, a: number) => Math.ceil(n / a) * a;

/**
 * A run of consecutive kernel calls: `prog` encoded for the pool's threads, `single` (the same calls) for the calling
 * thread alone (lower.ts `Addresses.threads`); without a pool the two are one.
 */
type Step = { kind: 'wasm'; prog: number; single: number; count: number } | { kind: 'js'; node: Node };

const ARRAY_OF: Partial<Record<DType, new (b: ArrayBufferLike, o: number, n: number) => TypedArray>> = {
  f32: Float32Array,
  i32: Int32Array,
  i64: BigInt64Array,
  u8: Uint8Array,
  bool: Uint8Array,
  binary: Uint32Array,
};

export class WasmExecutor {
  private constructor(
    private readonly graph: Graph,
    private readonly memory: WebAssembly.Memory,
    private readonly exports: KernelExports,
    private readonly pool: ThreadPool | undefined,
    private readonly plan: MemoryPlan,
    /** Byte address of each plan buffer in the linear memory. */
    private readonly bufferBase: number[],
    private readonly steps: Step[],
    private readonly ctl: number,
    /** Initializers as f32 (f16 widened once), for the CPU-reference nodes. */
    private readonly constant: (name: string) => Tensor | undefined,
    /** Node, op and kernel of every kernel call, in program order (for profile rows). */
    private readonly callNames: { node: string; op: string; kernel: string }[],
    readonly info: WasmInfo,
    private readonly threadChoice: ThreadChoice,
  ) {}

  static async create(graph: Graph, options: WasmExecutorOptions): Promise<WasmExecutor> {
    const features = wasmFeatures();
    let nthreads = Math.max(1, Math.floor(options.numThreads ?? 1));
    let threadsNote: string | undefined;
    if (nthreads > 1 && !features.threads) {
      threadsNote = `1 thread: ${features.threadsReason}`;
      nthreads = 1;
    }
    const relaxed = (options.relaxedSimd ?? true) && features.relaxedSimd;
    // The conv kernels read a residual at the output's own index: residual views become Slice → Pad again.
    graph = expandResidualViews(graph, options.inputShapes);
    // Its convs take no input prologue: BatchNormConv becomes FusedBatchNorm → FusedConv again.
    graph = expandBatchNormConvs(graph);
    const shapes = inferShapes(graph, options.inputShapes);
    const values = new Map<string, ValueInfo>(shapes);
    const plan = planMemory(graph, values, {
      alignment: 64,
      maxBufferBytes: 2 ** 31,
      canWriteSlice: (node) => WASM_OPS.has(node.op) && node.outputs.length === 1,
    });
    // f16 weights (.tessera files may store them so) are widened once, as the CPU reference does.
    const widened = new Map<string, Tensor>();
    const constant = (name: string): Tensor | undefined => {
      const t = graph.initializers.get(name);
      if (!t || t.dtype !== 'f16') return t;
      let w = widened.get(name);
      if (!w) {
        const data = new Float32Array(t.data.length);
        for (let i = 0; i < data.length; i++) data[i] = f16ToF32(t.data[i] as number);
        w = { dtype: 'f32', shape: t.shape, data };
        widened.set(name, w);
      }
      return w;
    };
    const views = new Map<string, TensorPlacement>();
    const ctx = { graph, plan, constant, views, packed: new Map() };

    // Lower every node that computes something; group consecutive kernel calls into segments.
    const lowered: (KernelCall[] | Node)[] = [];
    const fallbackNodes: string[] = [];
    for (const node of graph.nodes) {
      if (plan.elidedNodes.has(node.name)) continue;
      const calls = lowerNode(node, ctx);
      if (calls) lowered.push(calls);
      else {
        lowered.push(node);
        fallbackNodes.push(`${node.name} (${node.op})`);
      }
    }

    // Layout.
    const module = await kernelModule(nthreads > 1, relaxed);
    const heapBase0 = 66560; // the module's stack top = __heap_base (checked after instantiation)
    let at = align(heapBase0, 64);
    const ctl = at;
    at += ctlBytes(nthreads);
    at = align(at, 16);
    const stacksAt = at;
    at += (nthreads - 1) * STACK_BYTES;
    const calls = lowered.flatMap((l) => (Array.isArray(l) ? l : []));
    // One program for the pool and, with threads, a second for runs on the calling thread alone (see Step).
    const programs = nthreads > 1 ? [nthreads, 1] : [1];
    const progAt = align(at, 32);
    const progBytes = calls.length * INSN_BYTES;
    at = progAt + programs.length * progBytes;
    const paramsAt = align(at, 16);
    at = paramsAt + programs.length * calls.length * 64 * 4;
    // Weights and constants.
    const weightAt = new Map<KernelCall, number[]>();
    const constAt = new Map<string, number>();
    const weightStart = align(at, 64);
    at = weightStart;
    const weightCopies: [number, KernelCall['weights'][number]][] = [];
    const placedAt = new Map<KernelCall['weights'][number], number>();
    for (const c of calls) {
      const addrs: number[] = [];
      for (const w of c.weights) {
        const placed = placedAt.get(w); // the same array for several calls (shared packed weights): once
        if (placed !== undefined) {
          addrs.push(placed);
          continue;
        }
        at = align(at, 64);
        addrs.push(at);
        placedAt.set(w, at);
        weightCopies.push([at, w]);
        at += align(w.byteLength + 32, 16); // + 32: vector loads may read a little past a packed array
      }
      weightAt.set(c, addrs);
      for (const name of c.constants) {
        if (constAt.has(name)) continue;
        const t = constant(name)!;
        at = align(at, 64);
        constAt.set(name, at);
        weightCopies.push([at, t.data as Float32Array]);
        at += align(t.data.byteLength + 32, 16);
      }
    }
    const weightBytes = at - weightStart;
    const arena = align(at, 64);
    const bufferBase: number[] = [];
    at = arena;
    for (const b of plan.buffers) {
      bufferBase.push(at);
      at = align(at + b.bytes + 64, 64);
    }
    const activationBytes = at - arena;
    const scratchStride = align(Math.max(16, ...calls.map((c) => c.scratchBytes)) + 64, 64);
    const scratch = at;
    at += scratchStride * nthreads;
    const sharedBytes = Math.max(0, ...calls.map((c) => c.sharedBytes ?? 0));
    const shared = align(at, 64);
    at = shared + align(sharedBytes, 64);
    const total = align(at, 65536);
    const pages = total / 65536;
    const memory = features.threads && nthreads > 1
      ? new WebAssembly.Memory({ initial: pages, maximum: 32768, shared: true })
      : new WebAssembly.Memory({ initial: pages });
    const exports = await instantiate(module, memory);
    // Workers start now, while this thread copies the weights in (they only touch the control words until woken).
    const poolReady =
      nthreads > 1 ? ThreadPool.start({ module, memory, ctl, nthreads, stackTop: (tid) => stacksAt + tid * STACK_BYTES }) : undefined;
    poolReady?.catch(() => undefined); // awaited below; a failure surfaces there
    if ((exports.__heap_base.value as number) !== heapBase0) throw new Error(`WASM kernel module heap base ${String(exports.__heap_base.value)} != ${heapBase0}`);

    // From here to the pool's start, a failure must not leave workers behind.
    let steps: Step[];
    try {
      const tensorAddr = (name: string): number => {
        const t = plan.tensors.get(name) ?? views.get(name);
        if (t) return bufferBase[t.buffer]! + t.offset;
        const c = constAt.get(name);
        if (c !== undefined) return c;
        throw new ExecutionError(`tensor '${name}' has no address in the WASM memory`, name, 'wasm');
      };
      const bytes = new Uint8Array(memory.buffer);
      // packings the kernel module does (Winograd) stage their raw weights in the arena and scratch, unused until the first run
      const stage = { memory, stage: arena, stageBytes: total - arena, stageUsed: 0, exports };
      for (const [addr, w] of weightCopies) {
        if (ArrayBuffer.isView(w)) bytes.set(new Uint8Array(w.buffer, w.byteOffset, w.byteLength), addr);
        else if (!w.writeIn?.(stage, addr)) w.write(new Float32Array(memory.buffer, addr, w.byteLength / 4)); // fresh memory: zero-filled
      }
      bytes.fill(0, arena, arena + stage.stageUsed); // the arena starts zeroed, as without staging
      const i32 = new Int32Array(memory.buffer);
      let pAt = paramsAt;
      programs.forEach((threads, p) => {
        calls.forEach((c, i) => {
          const w = weightAt.get(c)!;
          const fields = c.encode({ tensor: tensorAddr, weight: (k) => w[k]!, scratch, scratchStride, shared, threads });
          if (fields.length > 64) throw new Error(`parameter block of ${c.node.name} too long`);
          i32.set(fields, pAt / 4);
          const insn = progAt + p * progBytes + i * INSN_BYTES;
          i32[insn / 4] = KERNEL_IDS[c.kernel];
          i32[insn / 4 + 1] = pAt;
          pAt += 64 * 4;
        });
      });
      // Segments: runs of kernel calls between CPU-reference nodes.
      const singleAt = progAt + (programs.length - 1) * progBytes;
      steps = [];
      let index = 0;
      let segStart = 0;
      const flush = () => {
        if (index > segStart) steps.push({ kind: 'wasm', prog: progAt + segStart * INSN_BYTES, single: singleAt + segStart * INSN_BYTES, count: index - segStart });
        segStart = index;
      };
      for (const l of lowered) {
        if (Array.isArray(l)) index += l.length;
        else {
          flush();
          steps.push({ kind: 'js', node: l });
        }
      }
      flush();
    } catch (e) {
      void poolReady?.then((p) => p.terminate(), () => undefined);
      throw e;
    }
    const pool = await poolReady;
    const info: WasmInfo = {
      threads: nthreads,
      simd: true,
      relaxedSimd: relaxed,
      ...(threadsNote ? { threadsNote } : {}),
      fallbackNodes,
      memory: { weights: weightBytes, activations: activationBytes, scratch: scratchStride * nthreads + sharedBytes, total },
    };
    const callNames = calls.map((c) => ({ node: c.node.name, op: c.node.op, kernel: c.kernel }));
    return new WasmExecutor(graph, memory, exports, pool, plan, bufferBase, steps, ctl, constant, callNames, info, new ThreadChoice(options.adaptiveThreads ?? true));
  }

  private released = false;

  private view(t: TensorPlacement): { data: TypedArray; dense: boolean } {
    const Ctor = ARRAY_OF[t.dtype];
    if (!Ctor) throw new ExecutionError(`dtype ${t.dtype} is not supported by the WASM backend`, t.name, 'wasm');
    const addr = this.bufferBase[t.buffer]! + t.offset;
    // elements spanned by the (possibly strided) tensor; binary tensors are whole u32 words, always dense
    let span = 1;
    t.shape.forEach((d, i) => (span += (d - 1) * t.strides[i]!));
    if (t.dtype === 'binary') span = Math.ceil(sizeOf(t.shape) / 32);
    return { data: new Ctor(this.memory.buffer, addr, sizeOf(t.shape) === 0 ? 0 : span), dense: t.contiguous || t.dtype === 'binary' };
  }

  /** Reads a placed tensor into a new dense Tensor. */
  private read(t: TensorPlacement): Tensor {
    const { data, dense } = this.view(t);
    const n = t.dtype === 'binary' ? Math.ceil(sizeOf(t.shape) / 32) : sizeOf(t.shape);
    if (dense) return { dtype: t.dtype, shape: [...t.shape], data: data.slice(0, n) as TypedArray };
    const out = new (data.constructor as new (n: number) => TypedArray)(n);
    forEachIndex(t.shape, t.strides, (dst, src) => (out[dst] = data[src]!));
    return { dtype: t.dtype, shape: [...t.shape], data: out };
  }

  private write(t: TensorPlacement, src: TypedArray): void {
    const { data, dense } = this.view(t);
    if (dense) (data as Float32Array).set(src as Float32Array);
    else forEachIndex(t.shape, t.strides, (s, d) => (data[d] = src[s]!));
  }

  private runJs(node: Node): void {
    const args = node.inputs.map((name) => {
      if (name === '') return undefined;
      const c = this.constant(name);
      if (c) return c;
      const t = this.plan.tensors.get(name);
      if (!t) throw new ExecutionError(`input '${name}' is not placed`, node.name, node.op);
      return this.read(t);
    });
    let results: Tensor[];
    try {
      results = cpuKernels[node.op]!(node, args);
    } catch (err) {
      if (err instanceof ExecutionError) throw err;
      throw new ExecutionError((err as Error).message ?? String(err), node.name, node.op, { cause: err });
    }
    node.outputs.forEach((name, k) => {
      if (name === '') return;
      const t = this.plan.tensors.get(name);
      if (t && results[k]) this.write(t, results[k].data);
    });
  }

  /** `force`: run on the pool or the calling thread alone this once, unmeasured (tests; default: the thread choice's). */
  run(feeds: Record<string, Float32Array>, force?: ThreadMode): Record<string, Tensor> {
    if (this.released) throw new ExecutionError('the WASM executor was released', '(graph)', 'wasm');
    this.writeFeeds(feeds);
    const mode = !this.pool ? 'pool' : (force ?? this.threadChoice.next());
    const t0 = performance.now();
    for (const step of this.steps) this.runStep(step, mode);
    if (this.pool && !force) this.threadChoice.record(mode, performance.now() - t0);
    return this.readOutputs();
  }

  /** How runs split over the threads: the pool or the caller alone, as measured (thread_choice.ts). */
  threadReport(): ThreadChoiceReport | undefined {
    return this.pool ? this.threadChoice.report() : undefined;
  }

  private writeFeeds(feeds: Record<string, Float32Array>): void {
    for (const [name, data] of Object.entries(feeds)) {
      const t = this.plan.tensors.get(name);
      if (t) this.write(t, data);
    }
  }

  private runStep(step: Step, mode: ThreadMode = 'pool'): void {
    if (step.kind === 'js') return this.runJs(step.node);
    const pool = this.pool;
    // The caller alone: the workers stay asleep (or finish leaving the last pooled run: they only read its counters).
    if (!pool || mode === 'single') return this.exports.run(step.single, step.count, 0, 1, this.ctl, 0, 0);
    // Tag every instruction's claim and done counters with this run's epoch, then wake the workers.
    const epoch = pool.nextEpoch();
    // 64-bit atomic stores: a worker still leaving an older run must never read a half-written counter.
    const counters = new BigInt64Array(this.memory.buffer, step.prog, (step.count * INSN_BYTES) / 8);
    const tag = BigInt(epoch) << 32n;
    for (let i = 0; i < step.count; i++) {
      Atomics.store(counters, (i * INSN_BYTES) / 8 + 2, tag);
      Atomics.store(counters, (i * INSN_BYTES) / 8 + 3, tag);
    }
    pool.wake(step.prog, step.count);
    this.exports.run(step.prog, step.count, 0, this.info.threads, this.ctl, epoch, CALLER_MAY_WAIT);
    pool.check();
  }

  private readOutputs(): Record<string, Tensor> {
    const outputs: Record<string, Tensor> = {};
    for (const out of this.graph.outputs) {
      const t = this.plan.tensors.get(out.name);
      const c = this.graph.initializers.get(out.name);
      if (t) outputs[out.name] = this.read(t);
      else if (c) outputs[out.name] = { ...c, shape: [...c.shape], data: c.data.slice() as TypedArray };
      else throw new ExecutionError(`graph output '${out.name}' was never produced`, '(graph)', 'output');
    }
    return outputs;
  }

  /**
   * Runs once with every kernel call timed on its own (wall clock around each call, all threads joined), and every
   * CPU-reference node likewise: one row per call, in execution order.
   */
  profile(feeds: Record<string, Float32Array>): { rows: WasmProfileRow[]; outputs: Record<string, Tensor> } {
    const rows: WasmProfileRow[] = [];
    const shapesOf = (names: string[]) => names.filter((n) => n !== '').map((n) => [...(this.plan.tensors.get(n)?.shape ?? this.constant(n)?.shape ?? [])]);
    const nodes = new Map(this.graph.nodes.map((n) => [n.name, n]));
    const row = (node: string, op: string, kernel: string, ms: number): WasmProfileRow => {
      const n = nodes.get(node);
      return { node, op, kernel, ms, inputShapes: n ? shapesOf(n.inputs) : [], outputShapes: n ? shapesOf(n.outputs) : [] };
    };
    const saved = this.steps.splice(0, this.steps.length);
    try {
      for (const step of saved) {
        if (step.kind === 'js') this.steps.push(step);
        else for (let i = 0; i < step.count; i++) this.steps.push({ kind: 'wasm', prog: step.prog + INSN_BYTES * i, single: step.single + INSN_BYTES * i, count: 1 });
      }
      const names = this.callNames;
      let wasmIndex = 0;
      this.writeFeeds(feeds);
      for (const step of this.steps) {
        const t0 = performance.now();
        this.runStep(step);
        const ms = performance.now() - t0;
        if (step.kind === 'js') rows.push(row(step.node.name, step.node.op, 'cpu-reference', ms));
        else {
          const c = names[wasmIndex++]!;
          rows.push(row(c.node, c.op, c.kernel, ms));
        }
      }
    } finally {
      this.steps.splice(0, this.steps.length, ...saved);
    }
    return { rows, outputs: this.readOutputs() };
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.pool?.terminate();
  }
}

/** Calls fn(denseIndex, stridedIndex) for every element of `shape` in row-major order. */
function forEachIndex(shape: readonly number[], strides: readonly number[], fn: (dense: number, strided: number) => void): void {
  const n = sizeOf(shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    fn(i, off);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      off += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      off -= idx[d]! * strides[d]!;
      idx[d] = 0;
    }
  }
}
