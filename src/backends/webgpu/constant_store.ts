/**
 * The WebGPU executor's constant buffers: initializers and derived constants (weights a kernel repacked at load), one
 * GPU buffer each, holding f32 values, f16 halves or int8 values followed by their f32 scales. The data-dependent
 * storage choices are made here, once per tensor: whether a repacked f16 weight is still exactly f16 (exactHalves),
 * whether an int8 weight (or a repack of one) is exactly int8 values times its scales, and in which channel geometry
 * (findInt8Layout).
 *
 * A streamed load builds its executor while the weights still arrive (placeholder values, src/format/skeleton.ts):
 * `updateDerived` / `rewrite` take the real values of a tensor, make the same choices again and write the buffer
 * already allocated (device.queue.writeBuffer, with the same bytes the build would have mapped), or return why the
 * choice fell differently (the caller then builds anew: src/runtime/stream_upload.ts).
 */
import { f16ToF32, f32ToF16, tensorToNumbers, type Graph, type Node, type Tensor } from '../../graph/ir.js';
import { channelGeometry, findInt8Layout, quantMatches, type Int8Layout } from '../../graph/quant_int8.js';
import { BufferUsage } from './gpu_constants.js';
import type { GpuContext } from './device.js';
import type { KernelPlan } from './program.js';

/** Where a tensor lives on the GPU: a byte range of a buffer. Arena slots share their buffer with other tensors. */
export interface Slot {
  buffer: GPUBuffer;
  offset: number;
  size: number;
  /** Bytes per element as stored (2 for f16 constants, 1 for int8). */
  elementBytes: number;
  /** int8 constants: scale table geometry (the scales follow the values in the same buffer). */
  int8?: { scaleByte: number; inner: number; channels: number; panel: number; block: number; count: number };
}

/** A constant a kernel plan derived from the node's initializers (repacked weights...). */
interface DerivedConstant {
  data: Float32Array;
  /** Whether the node's weights are f16 (the constant is then kept as halves when it is exactly f16). */
  halfWeights: boolean;
  halves?: Uint16Array;
  /** The initializer it came from (errors name it), and the node that made it (the first one to name it). */
  source: string;
  node: string;
  /** An int8 initializer of the node, whose values a repacked constant may still be (findInt8Layout). */
  weight?: string;
}

/** What a constant's buffer holds, in the order the bytes are laid out. */
type Contents = { f32: Float32Array } | { f16: Uint16Array } | { int8: Int8Layout };

const align = (n: number, a: number) => Math.ceil(n / a) * a;

function toF32(t: Tensor): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.dtype === 'f16') return Float32Array.from(t.data as Uint16Array, f16ToF32);
  return Float32Array.from(tensorToNumbers(t));
}

/** f16 bits of `data` when every value is exactly a half float (repacked f16 weights), else undefined. */
function exactHalves(data: Float32Array): Uint16Array | undefined {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const h = f32ToF16(data[i]!);
    if (f16ToF32(h) !== data[i] && !(Number.isNaN(data[i]!) && Number.isNaN(f16ToF32(h)))) return undefined;
    out[i] = h;
  }
  return out;
}

/** int8 values padded to a u32 word, then the f32 scales: the .tessera int8 layout, uploaded as is. */
const int8ScaleByte = (q: Int8Layout) => 4 * Math.ceil(q.values.length / 4);

function contentBytes(c: Contents): number {
  if ('int8' in c) return int8ScaleByte(c.int8) + 4 * c.int8.scales.length;
  return 'f16' in c ? c.f16.byteLength : c.f32.byteLength;
}

/** Writes `c` at the start of `target` (a mapped range at creation, or the image a later writeBuffer sends). */
function writeContents(target: ArrayBuffer, c: Contents): void {
  if ('int8' in c) {
    new Int8Array(target).set(c.int8.values);
    new Float32Array(target, int8ScaleByte(c.int8), c.int8.scales.length).set(c.int8.scales);
  } else if ('f16' in c) new Uint16Array(target).set(c.f16);
  else new Float32Array(target).set(c.f32);
}

/** Same int8 decision: both f32, or both int8 in the same geometry (which the kernels' uniforms and code encode). */
function sameLayout(a: Int8Layout | undefined, b: Int8Layout | undefined): boolean {
  if (!a || !b) return a === b;
  return a.inner === b.inner && a.channels === b.channels && a.panel === b.panel && a.block === b.block && a.values.length === b.values.length && a.scales.length === b.scales.length;
}

export interface ConstantStoreOptions {
  /** Keep f16 weights (and exactly-f16 repacks of them) as halves. */
  f16: boolean;
  /** Keep int8 weights (and exact int8 layouts of their repacks) as int8 + scales. */
  int8: boolean;
  /** Throws the typed limit error when a binding of `bytes` is too large (naming `tensor`). */
  checkBinding: (tensor: string, bytes: number) => void;
}

export class ConstantStore {
  private readonly derived = new Map<string, DerivedConstant>();
  /** Constant buffers by `f:name` (f32), `h:name` (f16 halves), `q:name` (int8). */
  private readonly slots = new Map<string, Slot>();
  private readonly int8Layouts = new Map<string, Int8Layout | undefined>();
  /** Bytes of the constant buffers, and how many of them are f16 and int8 (values + scale tables). */
  readonly bytes = { all: 0, f16: 0, int8: 0 };

  constructor(
    private readonly gpu: GpuContext,
    private readonly graph: Graph,
    private readonly owned: GPUBuffer[],
    private readonly options: ConstantStoreOptions,
  ) {}

  /** Records the derived constants of `node`'s kernel plan (a name another node made first is uploaded once). */
  addPlan(node: Node, plan: KernelPlan): void {
    const { graph } = this;
    const halfWeights = this.options.f16 && node.inputs.some((i) => graph.initializers.get(i)?.dtype === 'f16');
    for (const c of plan.constants ?? []) {
      if (this.derived.has(c.name)) continue;
      const source = node.inputs.find((i) => graph.initializers.has(i)) ?? node.name;
      const weight = node.inputs.find((i) => graph.initializers.get(i)?.quant !== undefined);
      this.derived.set(c.name, { data: c.data, halfWeights, halves: halfWeights ? exactHalves(c.data) : undefined, source, node: node.name, weight });
    }
  }

  isConstant(name: string): boolean {
    return this.derived.has(name) || this.graph.initializers.has(name);
  }

  /** The initializer a constant came from (for error messages), or the name itself. */
  sourceOf(name: string): string {
    return this.derived.get(name)?.source ?? name;
  }

  /** The storage of constant `r`: int8 or f16 when `compact` (an accessor read) and exact, else f32. */
  slot(r: string, compact: boolean): Slot {
    const q = compact ? this.int8Of(r) : undefined;
    if (q) return this.slotFor(`q:${r}`, r);
    return this.slotFor(compact && this.canBeHalf(r) ? `h:${r}` : `f:${r}`, r);
  }

  private canBeHalf(r: string): boolean {
    return this.options.f16 && (this.derived.get(r)?.halves !== undefined || this.graph.initializers.get(r)?.dtype === 'f16');
  }

  /**
   * int8 only where the values and scales reproduce the f32 data exactly (checked once per tensor): an initializer
   * whose `quant` still matches it, or a repacked constant that is a layout of such a weight's values.
   */
  private int8Of(r: string): Int8Layout | undefined {
    if (!this.options.int8) return undefined;
    if (this.int8Layouts.has(r)) return this.int8Layouts.get(r);
    let layout: Int8Layout | undefined;
    const d = this.derived.get(r);
    const w = this.graph.initializers.get(d ? (d.weight ?? '') : r);
    if (w?.quant && quantMatches(w))
      layout = d ? findInt8Layout(d.data, w.quant, w.shape) : { values: w.quant.values, scales: w.quant.scales, ...channelGeometry(w.shape, w.quant.axis), panel: 0, block: 1 };
    this.int8Layouts.set(r, layout);
    return layout;
  }

  /** What the buffer `key` of constant `r` holds now. */
  private contents(key: string, r: string): Contents {
    const d = this.derived.get(r);
    const init = this.graph.initializers.get(r);
    if (key.startsWith('q:')) return { int8: this.int8Of(r)! };
    if (key.startsWith('h:')) return { f16: d?.halves ?? (init!.data as Uint16Array) };
    return { f32: d?.data ?? toF32(init!) };
  }

  private slotFor(key: string, r: string): Slot {
    let slot = this.slots.get(key);
    if (slot) return slot;
    const c = this.contents(key, r);
    const size = Math.max(16, align(contentBytes(c), 16));
    this.options.checkBinding(this.sourceOf(r), size);
    const buffer = this.gpu.tracker.createBuffer({ size, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC, mappedAtCreation: true });
    writeContents(buffer.getMappedRange(), c);
    buffer.unmap();
    this.owned.push(buffer);
    this.bytes.all += size;
    if ('f16' in c) this.bytes.f16 += size;
    if ('int8' in c) {
      this.bytes.int8 += size;
      const q = c.int8;
      slot = { buffer, offset: 0, size, elementBytes: 1, int8: { scaleByte: int8ScaleByte(q), inner: q.inner, channels: q.channels, panel: q.panel, block: q.block, count: q.values.length } };
    } else slot = { buffer, offset: 0, size, elementBytes: 'f16' in c ? 2 : 4 };
    this.slots.set(key, slot);
    return slot;
  }

  /** Whether `node` made derived constant `name` (the constant to refresh when the node's weights change). */
  madeBy(name: string, node: Node): boolean {
    return this.derived.get(name)?.node === node.name;
  }

  /**
   * New values for derived constant `name` (its node's plan recomputed from real weights): the f16 and int8 choices
   * again, then its buffers rewritten. Returns why not when a choice (or the size) differs from the build's.
   */
  updateDerived(name: string, data: Float32Array): string | undefined {
    const d = this.derived.get(name)!;
    if (data.length !== d.data.length) return `derived constant '${name}' of '${d.source}' changed size (${d.data.length} -> ${data.length})`;
    const halves = d.halfWeights ? exactHalves(data) : undefined;
    if ((halves === undefined) !== (d.halves === undefined))
      return `derived constant '${name}' of '${d.source}' is ${halves ? 'now' : 'no longer'} exactly f16 with the real weights`;
    Object.assign(d, { data, halves });
    return this.rewrite(name);
  }

  /**
   * Rewrites the buffers of constant `name` from its current values (an initializer whose values were replaced in
   * place, or a derived constant after updateDerived). Returns why not when its int8 choice differs from the build's.
   */
  rewrite(name: string): string | undefined {
    if (this.int8Layouts.has(name)) {
      const before = this.int8Layouts.get(name);
      this.int8Layouts.delete(name);
      if (!sameLayout(before, this.int8Of(name))) return `the int8 layout of '${this.sourceOf(name)}' differs with the real weights`;
    }
    for (const key of [`f:${name}`, `h:${name}`, `q:${name}`]) {
      const slot = this.slots.get(key);
      if (!slot) continue;
      const image = new ArrayBuffer(slot.size);
      writeContents(image, this.contents(key, name));
      this.gpu.device.queue.writeBuffer(slot.buffer, 0, image);
    }
    return undefined;
  }
}
