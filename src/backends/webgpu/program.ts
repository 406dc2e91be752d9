/**
 * Kernel program interface (in the spirit of ORT's program builder and tfjs's WebGPUProgram).
 *
 * A kernel module (`src/backends/webgpu/<op>.ts`) turns one IR node plus its concrete shapes into a `KernelPlan`:
 * zero or more `Program`s (one dispatch each), or an alias (Reshape & co.: the output reuses the input's buffer).
 * `buildProgram` assembles the WGSL from:
 *   - a generated header: integer `const`s, the `Uniforms` struct, the bindings, the activation / binary-op functions;
 *   - the shared preamble (`shaders/preamble.wgsl`);
 *   - the op's shader body (`shaders/<op>.wgsl`).
 * Security rule: nothing from a model file (names, metadata strings) ever reaches WGSL. Only the op kind (looked up
 * in fixed tables below), kernel-chosen identifiers and validated integers are spliced; every runtime value (shapes,
 * strides, alpha...) travels in the uniform buffer.
 */
import type { Node, Shape, Tensor } from '../../graph/ir.js';
import { indexViewAccessor, indexViewKey, indexViewUniforms, type IndexView } from './index_view.js';
import { SHADER_SOURCES, type ShaderName } from './shader_sources.js';
import type { ConvVariantOverride } from './conv_select.js';
import type { MatmulVariantOverride } from './matmul_select.js';
import type { ReductionVariantOverride } from './reduce_select.js';

export type UniformType = 'u32' | 'i32' | 'f32';

/** A uniform field. Scalars take 4 bytes; arrays become `array<vec4<T>, ceil(n/4)>` (16-byte aligned, WGSL rules). */
export interface UniformField {
  name: string;
  type: UniformType;
  value: number | readonly number[];
}

/** Elementwise function fused after a kernel (or the whole kernel for unary ops). Keys are op kinds, never model text. */
export const ACTIVATIONS: Record<string, string> = {
  none: 'v',
  Identity: 'v',
  Relu: 'max(v, 0.0)',
  LeakyRelu: 'select(v * u.act_a, v, v >= 0.0)',
  Clip: 'min(max(v, u.act_a), u.act_b)',
  Sigmoid: '1.0 / (1.0 + exp(-v))',
  HardSigmoid: 'clamp(u.act_a * v + u.act_b, 0.0, 1.0)',
  HardSwish: 'v * clamp(v / 6.0 + 0.5, 0.0, 1.0)',
  Tanh: 'tanh(clamp(v, -15.0, 15.0))',
  Silu: 'v / (1.0 + exp(-v))',
  Sign: 'sign(v)',
  Neg: '-v',
  Abs: 'abs(v)',
  Exp: 'exp(v)',
  Sqrt: 'sqrt(v)',
  Floor: 'floor(v)',
  Ceil: 'ceil(v)',
  Reciprocal: '1.0 / v',
  Erf: 'act_erf(v)',
  Gelu: '0.5 * v * (1.0 + act_erf(v * 0.70710678))',
  // Not an op: Gelu with approximate = 'tanh' (elementwise.ts) and the epilogue 'gelu_tanh'.
  GeluTanh: '0.5 * v * (1.0 + act_tanh_exp(0.7978846 * (v + 0.044715 * v * v * v)))',
};

/**
 * erf in f32 (WGSL has none), absolute error <= 1.5e-7 over all of f32 (float64 fit, f32 evaluation; tested
 * against the CPU reference): |x| < 1: x·P(x²); 1 <= |x| < 4: ±(1 - e^(-x²)·Q(|x| - 2.5)), least-squares
 * Chebyshev fits of erf(x)/x and erfc(x)·e^(x²); |x| >= 4 (±Inf included): exactly ±1 (erf(4) rounds to 1 in f32).
 */
const ERF_WGSL = `fn act_erf(x: f32) -> f32 {
  let a = min(abs(x), 4.0);
  let s = a * a;
  let p = 1.12837923 + s * (-0.376126289 + s * (0.112836346 + s * (-0.0268560704 + s * (0.00519295968 + s * (-0.000805377087 + s * 8.00694979e-05)))));
  let t = a - 2.5;
  var q = -4.19278166e-07;
  q = q * t + 1.64031132e-06; q = q * t - 3.78842628e-06; q = q * t + 1.45168533e-05; q = q * t - 5.94383782e-05;
  q = q * t + 0.00021267921; q = q * t - 0.000733228459; q = q * t + 0.0024661941; q = q * t - 0.00800166652;
  q = q * t + 0.0249381512; q = q * t - 0.0743473396; q = q * t + 0.210806355;
  let tail = select(1.0 - exp(-s) * q, 1.0, a >= 4.0);
  return select(select(-tail, tail, x >= 0.0), x * p, a < 1.0);
}`;

/** tanh through exp(-2|u|): never overflows (a tanh computed from exp(u) gives Inf/Inf = NaN past |u| ~ 88.7). */
const TANH_EXP_WGSL = `fn act_tanh_exp(u: f32) -> f32 {
  let e = exp(-2.0 * abs(u));
  let t = (1.0 - e) / (1.0 + e);
  return select(-t, t, u >= 0.0);
}`;

/** Helper functions an ACTIVATIONS entry calls, emitted only into the programs that use it. */
const ACTIVATION_HELPERS: Record<string, string[]> = { Erf: [ERF_WGSL], Gelu: [ERF_WGSL], GeluTanh: [TANH_EXP_WGSL] };

/** Binary elementwise ops (two inputs, numpy broadcasting). */
export const BINARY_OPS: Record<string, string> = {
  Add: 'a + b',
  Sub: 'a - b',
  Mul: 'a * b',
  Div: 'a / b',
  Min: 'min(a, b)',
  Max: 'max(a, b)',
  Sum: 'a + b',
  Mean: '(a + b) * 0.5',
  // Last step of a variadic Mean (running sum + last operand, times 1/n from the `scale` uniform).
  MeanTail: '(a + b) * u.scale',
  // pow() is undefined for a < 0 in WGSL: use |a| and restore the sign for odd integer exponents (ONNX/numpy semantics).
  Pow: 'select(pow(abs(a), b) * select(1.0, -1.0, a < 0.0 && fract(b * 0.5) != 0.0), pow(a, b), a >= 0.0 || fract(b) != 0.0)',
  // Mod with fmod = 1 (WGSL's % on floats: a - b * trunc(a / b), the dividend's sign) and fmod = 0 (the divisor's
  // sign: a non-zero remainder of the other sign moves by b). Both round a / b, so they are not exact like C fmod.
  Fmod: 'a % b',
  Mod: 'select(a % b, a % b + b, a % b != 0.0 && ((a % b < 0.0) != (b < 0.0)))',
};

/** One input binding of a program. */
export interface ProgramInput {
  /** Name the shader uses: accessors `<wgsl>_at(i)` / `<wgsl>_at4(i)` (or, in legacy shaders, the array itself). */
  wgsl: string;
  tensor: string;
  /**
   * Read four elements at a time (`<wgsl>_at4(i)` = elements 4i..4i+3). Lets a constant be stored as an array of
   * vec4 (f32 / f16) or vec2<u32> (packed halves); legacy shaders index `array<vec4<f32>>` directly.
   */
  vec4?: boolean;
  /**
   * Accessor programs: `<wgsl>_at(i)` reads through this index view (index_view.ts: a strided, zero-padded window of
   * the tensor; a fused conv's residual view) instead of at element i.
   */
  view?: IndexView;
}

export interface ProgramSpec {
  /** Kernel variant, e.g. 'conv2d_direct'. Also the profile's "kernel" column. */
  name: string;
  shader: ShaderName;
  /** Integers baked as WGSL `const`s (workgroup size, rank, variant switches). Part of the cache key. */
  defines?: Record<string, number>;
  /** Key into ACTIVATIONS (fused epilogue, or the unary op itself). */
  activation?: string;
  /** Key into BINARY_OPS. */
  binaryOp?: string;
  /** Graph tensor names bound for reading, with the WGSL name the shader uses. */
  inputs: ProgramInput[];
  /**
   * Graph tensor names written by the program. `vec4`: the shader writes 4 at a time (`<wgsl>_set4(i, v)` = elements
   * 4i..4i+3); with every tensor of its binding flagged and vector-aligned, the binding is an array of vec4.
   */
  outputs: { wgsl: string; tensor: string; vec4?: boolean }[];
  uniforms: UniformField[];
  /** Total workgroups; the executor folds them into [x, y, z] under maxComputeWorkgroupsPerDimension. */
  workgroups: number;
  /** Multiply-accumulates (for the profile). */
  macs?: number;
  /**
   * The shader touches its bindings ONLY through the generated accessors: `<in>_at(i) -> f32`,
   * `<in>_at4(i) -> vec4<f32>` (elements 4i..4i+3) and `<out>_set(i, v)` (also `<out>_at(i)`), where `i` counts
   * elements of the tensor. The executor is then free to (1) bind a tensor that is a view into a larger buffer at an
   * element offset (in-place Concat slices, Slice/Split views: the accessor adds `u.off_<name>`), (2) share one
   * binding between tensors of the same buffer (WebGPU rejects a buffer bound read-only and writable, or writable
   * twice at overlapping ranges, in one dispatch), and (3) store constants as f16 (`shader-f16`) or as packed halves
   * read with `unpack2x16float`. Programs without it are "legacy": raw `array<f32>` bindings named `wgsl`, each at
   * its own 256-byte aligned range, f32 only; the executor never places views under them.
   */
  accessors?: boolean;
  /**
   * WGSL extensions the shader body itself needs (`enable ...;` in the header): 'subgroups' (subgroup builtins,
   * reduce_wgsl.ts) or 'f16' (f16 arithmetic: the opt-in f16-compute variants). The device must have the feature
   * (KernelContext.features); f16 storage alone is the layout's business, not this field's.
   */
  extensions?: ('f16' | 'subgroups')[];
}

/**
 * How a binding slot stores its elements: f32, f16 (`shader-f16`), two halves per u32 (`unpack2x16float`), or int8
 * weights packed four per u32 followed by their f32 scale table (`i8x4`, see Int8Binding).
 */
export type StorageElement = 'f32' | 'f16' | 'f16x2' | 'i8x4';

/**
 * Where an int8 tensor's scales are and how element i finds its own: scale word `scaleWord + (i / inner) % channels`
 * of the same binding, as f32 bits (the .tessera int8 layout uploaded as is). All three travel as uniforms.
 */
export interface Int8Binding {
  scaleWord: number;
  inner: number;
  channels: number;
  /** Panel layouts (repacked matmul B): `+ panel * (i / block)` added to the channel; 0 = none (not generated). */
  panel?: number;
  block?: number;
  /** Number of values; lets the generated code drop the `% channels` when the channel axis is outermost. */
  count?: number;
}

/**
 * The channel expression an int8 accessor needs (divisions cost, on SwiftShader most of all): `outer` i / inner
 * (channel axis first: conv weights), `inner` i % channels (channel axis last), `general`, `panel`. `outer4`: outer
 * with inner % 4 == 0, so the four values of one u32 word share a scale. Part of the WGSL, hence of the cache key.
 */
function int8Mode(q: Int8Binding): 'outer' | 'outer4' | 'inner' | 'general' | 'panel' {
  if (q.panel) return 'panel';
  if (q.count !== undefined && q.inner * q.channels >= q.count) return q.inner % 4 === 0 ? 'outer4' : 'outer';
  return q.inner === 1 ? 'inner' : 'general';
}

export interface BindingSlot {
  writable: boolean;
  element: StorageElement;
}

/** Where an accessor program's tensors are bound (computed by the executor from the memory plan). */
export interface BindingLayout {
  /** Per input, then per output: the slot (binding 1 + slot) that holds the tensor. */
  slotOf: number[];
  slots: BindingSlot[];
  /** Per input, then per output: element offset of the tensor's element 0 from the start of its slot's binding. */
  offsets: number[];
  /** Per input, then per output: the scale table of a tensor in an `i8x4` slot (undefined elsewhere). */
  int8?: (Int8Binding | undefined)[];
}

export interface Program extends ProgramSpec {
  cacheKey: string;
  /** Legacy programs: per input, bound as writable storage (see BuildOptions). */
  readWriteInputs: boolean[];
  /** Accessor programs: the binding layout the WGSL was generated for. */
  layout?: BindingLayout;
  /** Number of storage bindings (after 0, the uniforms). */
  bindingCount: number;
  wgsl: string;
  /** Packed uniform bytes (multiple of 16). */
  uniformData: ArrayBuffer;
}

export interface KernelContext {
  node: Node;
  inputShapes: (Shape | undefined)[];
  outputShapes: Shape[];
  /** Constant value of an input (initializer), for kernels that repack weights at load. */
  constant?: (tensorName: string) => Tensor | undefined;
  /**
   * Concat only: inputs already written into their slice of the output by their producers (static memory plan);
   * the kernel copies only the others.
   */
  inPlaceInputs?: readonly boolean[];
  /** Per-session conv variant choice (an autotuned table); invalid or undefined answers fall back to the rule. */
  convVariant?: ConvVariantOverride;
  /** Per-session Gemm / MatMul variant choice (matmul_select.ts); as convVariant. */
  matmulVariant?: MatmulVariantOverride;
  /** Per-session reduction variant choice (reduce_select.ts); as convVariant. */
  reductionVariant?: ReductionVariantOverride;
  /** What the device offers kernels (undefined: assume nothing: no subgroup or f16-compute variants). */
  features?: { subgroups: boolean; f16: boolean };
  /** Opt-in: run the conv / matmul families in f16 arithmetic where the device has `shader-f16` (ExecutorOptions.f16Compute). */
  f16Compute?: boolean;
}

export interface KernelPlan {
  programs: ProgramSpec[];
  /**
   * Derived constants the executor uploads once (e.g. repacked weights), referenced by programs through `name`.
   * Names are map keys only (never WGSL); the same name from several nodes is uploaded once.
   */
  constants?: { name: string; data: Float32Array }[];
  /** Output index → input index whose buffer the output reuses (no dispatch: Reshape, Flatten, Identity...). */
  aliases?: { output: number; input: number }[];
}

export type Kernel = (ctx: KernelContext) => KernelPlan;

/** Thrown when a node cannot be run on WebGPU (unsupported op or attribute combination). */
export class WebGPUKernelError extends Error {
  override name = 'WebGPUKernelError';
  constructor(
    message: string,
    readonly nodeName?: string,
    readonly op?: string,
  ) {
    super(nodeName !== undefined ? `${op ?? '?'} node '${nodeName}': ${message}` : message);
  }
}

/** A tensor (or a binding range) exceeds a device limit such as maxStorageBufferBindingSize. */
export class WebGPULimitError extends WebGPUKernelError {
  override name = 'WebGPULimitError';
  constructor(
    message: string,
    readonly tensor: string,
    readonly limit: string,
    readonly bytes: number,
  ) {
    super(`tensor '${tensor}': ${message}`);
  }
}

const IDENT = /^[a-z][a-z0-9_]*$/i;

function checkIdent(s: string, what: string): string {
  if (!IDENT.test(s) || s.length > 40) throw new WebGPUKernelError(`invalid WGSL identifier for ${what}: ${JSON.stringify(s)}`);
  return s;
}

function checkInt(v: number, what: string): number {
  if (!Number.isSafeInteger(v)) throw new WebGPUKernelError(`${what} must be an integer, got ${v}`);
  return v;
}

const F32_MAX = 3.4028234663852886e38;

/** Lays out uniform fields exactly as WGSL does for the generated struct and returns bytes + declaration. */
export function packUniforms(fields: readonly UniformField[]): { data: ArrayBuffer; decl: string; layoutKey: string } {
  let offset = 0;
  const placed: { field: UniformField; offset: number }[] = [];
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const f of fields) {
    checkIdent(f.name, 'uniform');
    if (seen.has(f.name)) throw new WebGPUKernelError(`duplicate uniform '${f.name}'`);
    seen.add(f.name);
    if (Array.isArray(f.value)) {
      offset = Math.ceil(offset / 16) * 16;
      const vecs = Math.max(1, Math.ceil(f.value.length / 4));
      placed.push({ field: f, offset });
      lines.push(`  ${f.name}: array<vec4<${f.type}>, ${vecs}>,`);
      offset += vecs * 16;
    } else {
      placed.push({ field: f, offset });
      lines.push(`  ${f.name}: ${f.type},`);
      offset += 4;
    }
  }
  const size = Math.max(16, Math.ceil(offset / 16) * 16);
  const data = new ArrayBuffer(size);
  const u32 = new Uint32Array(data);
  const i32 = new Int32Array(data);
  const f32 = new Float32Array(data);
  for (const { field, offset: off } of placed) {
    const values = Array.isArray(field.value) ? field.value : [field.value as number];
    values.forEach((v, k) => {
      const idx = off / 4 + k;
      if (field.type === 'f32') {
        // Infinities are clamped: shader compilers may assume finite values.
        f32[idx] = Number.isNaN(v) ? 0 : Math.max(-F32_MAX, Math.min(F32_MAX, v));
      } else if (field.type === 'u32') {
        if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new WebGPUKernelError(`uniform '${field.name}' must be a u32, got ${v}`);
        u32[idx] = v;
      } else {
        if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new WebGPUKernelError(`uniform '${field.name}' must be an i32, got ${v}`);
        i32[idx] = v;
      }
    });
  }
  const decl = `struct Uniforms {\n${lines.join('\n')}\n}`;
  return { data, decl, layoutKey: lines.map((l) => l.trim()).join('') };
}

export interface BuildOptions {
  /**
   * Legacy programs, per input: declare it `read_write`. Needed when an input lives in the same GPUBuffer as an
   * output (memory-plan arena): WebGPU rejects a buffer bound read-only and writable in one dispatch.
   */
  readWriteInputs?: readonly boolean[];
  /** Accessor programs: binding slots, element storage and offsets (default: one f32 slot per tensor, offset 0). */
  layout?: BindingLayout;
}

/** One slot per tensor, f32, offset 0: what an accessor program gets without a memory plan. */
export function defaultLayout(spec: ProgramSpec): BindingLayout {
  const n = spec.inputs.length + spec.outputs.length;
  return {
    slotOf: Array.from({ length: n }, (_, k) => k),
    slots: [...spec.inputs.map(() => ({ writable: false, element: 'f32' as const })), ...spec.outputs.map(() => ({ writable: true, element: 'f32' as const }))],
    offsets: new Array<number>(n).fill(0),
  };
}

const SCALAR_TYPE: Record<StorageElement, [string, string]> = { f32: ['f32', 'vec4<f32>'], f16: ['f16', 'vec4<f16>'], f16x2: ['u32', 'vec2<u32>'], i8x4: ['u32', 'u32'] };

/**
 * Sign-extended byte `k` (a u32 expression 0..3, or a literal) of u32 word `w`, as f32. Shifts, not unpack4xI8: that
 * needs WGSL's packed_4x8_integer_dot_product language feature, which not every implementation exposes.
 */
const i8Byte = (w: string, k: string) => `f32(bitcast<i32>(${w} << (24u - 8u * ${k})) >> 24u)`;


/** Binding declarations and accessor functions of an accessor program. */
function accessorCode(spec: ProgramSpec, layout: BindingLayout): { lines: string[]; key: string; f16: boolean } {
  const members = [
    ...spec.inputs.map((i) => ({ name: i.wgsl, vec4: !!i.vec4, out: false, view: i.view })),
    ...spec.outputs.map((o) => ({ name: o.wgsl, vec4: !!o.vec4, out: true, view: undefined })),
  ];
  if (layout.slotOf.length !== members.length || layout.offsets.length !== members.length) throw new WebGPUKernelError(`program ${spec.name}: binding layout does not match its bindings`);
  const lines: string[] = [];
  const keys: string[] = [];
  // A slot is an array of vectors when every tensor in it is read (or written) 4 at a time from a vector-aligned
  // offset. Writable slots qualify only when every member asked for it (elementwise kernels: the input and output of
  // one activation arena); a member that did not keeps its scalar binding, so other kernels' WGSL is unchanged.
  const vecSlot = layout.slots.map((slot, k) => {
    const inSlot = members.map((m, j) => ({ m, j })).filter(({ j }) => layout.slotOf[j] === k);
    if (inSlot.length === 0) throw new WebGPUKernelError(`program ${spec.name}: binding slot ${k} is empty`);
    if (slot.writable && slot.element !== 'f32') throw new WebGPUKernelError(`program ${spec.name}: writable bindings must be f32`);
    if (inSlot.some(({ m }) => m.out) && !slot.writable) throw new WebGPUKernelError(`program ${spec.name}: output bound read-only`);
    if (slot.element === 'i8x4' && inSlot.some(({ j }) => !layout.int8?.[j])) throw new WebGPUKernelError(`program ${spec.name}: int8 binding without its scale table`);
    // An i8x4 slot is a plain array<u32> (four values per word already).
    const aligned = slot.element !== 'i8x4' && inSlot.every(({ m, j }) => m.vec4 && layout.offsets[j]! % 4 === 0);
    return slot.writable ? aligned && inSlot.some(({ m }) => m.out) : aligned;
  });
  layout.slots.forEach((slot, k) => {
    const type = SCALAR_TYPE[slot.element][vecSlot[k] ? 1 : 0];
    lines.push(`@group(0) @binding(${k + 1}) var<storage, ${slot.writable ? 'read_write' : 'read'}> b${k}_: array<${type}>;`);
    keys.push(`${slot.writable ? 'w' : 'r'}${slot.element}${vecSlot[k] ? 'v' : ''}`);
  });
  members.forEach((m, j) => {
    const k = layout.slotOf[j]!;
    const b = `b${k}_`;
    const off = `u.off_${m.name}`;
    const el = layout.slots[k]!.element;
    const vec = vecSlot[k]!;
    let at: string;
    const q = el === 'i8x4' ? `${m.name}_scale` : '';
    const mode = q ? int8Mode(layout.int8![j]!) : undefined;
    if (mode) keys.push(`q${j}${mode}`);
    const channel = {
      // min(): a read of the zero padding after the last value (i >= count) must not index past the table.
      outer: `min(i / u.qi_${m.name}, u.qc_${m.name} - 1u)`,
      outer4: `min(i / u.qi_${m.name}, u.qc_${m.name} - 1u)`,
      inner: `i % u.qc_${m.name}`,
      general: `(i / u.qi_${m.name}) % u.qc_${m.name}`,
      panel: `(i / u.qi_${m.name}) % u.qc_${m.name} + u.qp_${m.name} * (i / u.qb_${m.name})`,
    };
    if (q) lines.push(`fn ${q}(i: u32) -> f32 { return bitcast<f32>(${b}[u.qs_${m.name} + ${channel[mode!]}]); }`);
    if (q) at = `let e = ${off} + i; return ${i8Byte(`${b}[e >> 2u]`, '(e & 3u)')} * ${q}(i);`;
    else if (el === 'f32') at = vec ? `let e = ${off} + i; return ${b}[e >> 2u][e & 3u];` : `return ${b}[${off} + i];`;
    else if (el === 'f16') at = vec ? `let e = ${off} + i; return f32(${b}[e >> 2u][e & 3u]);` : `return f32(${b}[${off} + i]);`;
    else at = vec ? `let e = ${off} + i; return unpack2x16float(${b}[e >> 2u][(e >> 1u) & 1u])[e & 1u];` : `let e = ${off} + i; return unpack2x16float(${b}[e >> 1u])[e & 1u];`;
    if (m.view) {
      lines.push(`fn ${m.name}_raw(i: u32) -> f32 { ${at} }`, indexViewAccessor(m.name, m.view));
      keys.push(`${j}${indexViewKey(m.view)}`);
    } else lines.push(`fn ${m.name}_at(i: u32) -> f32 { ${at} }`);
    if (!m.out) {
      let at4: string;
      // Four scalar reads: through a view (its elements are not adjacent in the tensor), or from a scalar binding.
      const fourReads = `let e = 4u * i; return vec4<f32>(${m.name}_at(e), ${m.name}_at(e + 1u), ${m.name}_at(e + 2u), ${m.name}_at(e + 3u));`;
      if (m.view) at4 = fourReads;
      else if (q && layout.offsets[j]! % 4 === 0 && mode === 'outer4')
        at4 = `let w = ${b}[(${off} >> 2u) + i]; return vec4<f32>(${[0, 1, 2, 3].map((k) => i8Byte('w', `${k}u`)).join(', ')}) * ${q}(4u * i);`;
      else if (q && layout.offsets[j]! % 4 === 0)
        at4 = `let w = ${b}[(${off} >> 2u) + i]; let e = 4u * i; return vec4<f32>(${[0, 1, 2, 3].map((k) => `${i8Byte('w', `${k}u`)} * ${q}(e + ${k}u)`).join(', ')});`;
      else if (!vec) at4 = fourReads;
      else if (el === 'f32') at4 = `return ${b}[(${off} >> 2u) + i];`;
      else if (el === 'f16') at4 = `return vec4<f32>(${b}[(${off} >> 2u) + i]);`;
      else at4 = `let p = ${b}[(${off} >> 2u) + i]; return vec4<f32>(unpack2x16float(p.x), unpack2x16float(p.y));`;
      lines.push(`fn ${m.name}_at4(i: u32) -> vec4<f32> { ${at4} }`);
    } else if (vec) {
      lines.push(`fn ${m.name}_set(i: u32, v: f32) { let e = ${off} + i; ${b}[e >> 2u][e & 3u] = v; }`);
      lines.push(`fn ${m.name}_set4(i: u32, v: vec4<f32>) { ${b}[(${off} >> 2u) + i] = v; }`);
    } else {
      lines.push(`fn ${m.name}_set(i: u32, v: f32) { ${b}[${off} + i] = v; }`);
      if (m.vec4) lines.push(`fn ${m.name}_set4(i: u32, v: vec4<f32>) { let e = 4u * i; ${m.name}_set(e, v.x); ${m.name}_set(e + 1u, v.y); ${m.name}_set(e + 2u, v.z); ${m.name}_set(e + 3u, v.w); }`);
    }
  });
  return { lines, key: `${keys.join(',')}>${layout.slotOf.join(',')}`, f16: layout.slots.some((s) => s.element === 'f16') };
}

/** Assembles the WGSL of a program and its cache key. */
export function buildProgram(spec: ProgramSpec, options: BuildOptions = {}): Program {
  const defines = spec.defines ?? {};
  const defineLines = Object.keys(defines)
    .sort()
    .map((k) => `const ${checkIdent(k, 'define')}: u32 = ${checkInt(defines[k]!, `define ${k}`)}u;`);
  if (!('WG' in defines)) throw new WebGPUKernelError(`program ${spec.name} has no WG (workgroup size) define`);
  const act = spec.activation ?? 'none';
  const actExpr = ACTIVATIONS[act];
  if (actExpr === undefined) throw new WebGPUKernelError(`unknown activation ${JSON.stringify(act)}`);
  let binExpr: string | undefined;
  if (spec.binaryOp !== undefined) {
    binExpr = BINARY_OPS[spec.binaryOp];
    if (binExpr === undefined) throw new WebGPUKernelError(`unknown binary op ${JSON.stringify(spec.binaryOp)}`);
  }
  for (const b of [...spec.inputs, ...spec.outputs]) checkIdent(b.wgsl, 'binding');
  const source = SHADER_SOURCES[spec.shader];
  if (source === undefined) throw new WebGPUKernelError(`unknown shader ${spec.shader}`);
  const rw = spec.inputs.map((_, k) => !spec.accessors && !!options.readWriteInputs?.[k]);
  let layout: BindingLayout | undefined;
  let bindings: string[];
  let bindingKey: string;
  let uniformFields = spec.uniforms;
  let enableF16 = false;
  if (spec.accessors) {
    layout = options.layout ?? defaultLayout(spec);
    const names = [...spec.inputs, ...spec.outputs].map((b) => b.wgsl);
    uniformFields = [...spec.uniforms, ...names.map((n, j) => ({ name: `off_${n}`, type: 'u32' as const, value: layout!.offsets[j]! }))];
    names.forEach((n, j) => {
      const q = layout!.int8?.[j];
      if (q) uniformFields.push({ name: `qs_${n}`, type: 'u32', value: q.scaleWord }, { name: `qi_${n}`, type: 'u32', value: q.inner }, { name: `qc_${n}`, type: 'u32', value: q.channels });
      if (q?.panel) uniformFields.push({ name: `qp_${n}`, type: 'u32', value: q.panel }, { name: `qb_${n}`, type: 'u32', value: q.block ?? 1 });
    });
    for (const i of spec.inputs) if (i.view) uniformFields.push(...indexViewUniforms(i.wgsl, i.view));
    const code = accessorCode(spec, layout);
    bindings = code.lines;
    bindingKey = `${spec.inputs.map((i) => `${i.wgsl}${i.vec4 ? ':v4' : ''}`).join(',')}|${spec.outputs.map((o) => `${o.wgsl}${o.vec4 ? ':v4' : ''}`).join(',')}|${code.key}`;
    enableF16 = code.f16;
  } else {
    if (spec.inputs.some((i) => i.view)) throw new WebGPUKernelError(`program ${spec.name} cannot read an index view (it does not use accessors)`);
    let b = 1;
    bindings = [];
    spec.inputs.forEach((i, k) =>
      bindings.push(`@group(0) @binding(${b++}) var<storage, ${rw[k] ? 'read_write' : 'read'}> ${i.wgsl}: array<${i.vec4 ? 'vec4<f32>' : 'f32'}>;`),
    );
    for (const o of spec.outputs) bindings.push(`@group(0) @binding(${b++}) var<storage, read_write> ${o.wgsl}: array<f32>;`);
    bindingKey = `${spec.inputs.map((i, k) => `${i.wgsl}${i.vec4 ? ':v4' : ''}${rw[k] ? ':rw' : ''}`).join(',')}|${spec.outputs.map((o) => o.wgsl).join(',')}`;
  }
  const { data, decl, layoutKey } = packUniforms(uniformFields);
  const body = applyConditionals(source, defines);
  const fns = [...(ACTIVATION_HELPERS[act] ?? []), `fn activate(v: f32) -> f32 { return ${actExpr}; }`];
  if (binExpr) fns.push(`fn binary_op(a: f32, b: f32) -> f32 { return ${binExpr}; }`);
  const extensions = new Set(spec.extensions ?? []);
  if (enableF16) extensions.add('f16');
  const header = [...extensions].sort().map((e) => `enable ${e};`);
  const wgsl = [...header, ...defineLines, decl, '@group(0) @binding(0) var<uniform> u: Uniforms;', ...bindings, ...fns, SHADER_SOURCES.preamble, body].join('\n');
  const cacheKey = [spec.shader, spec.name, defineLines.join(''), act, spec.binaryOp ?? '', spec.accessors ? 'acc' : 'raw', bindingKey, layoutKey, header.join('')].join('|');
  const bindingCount = layout ? layout.slots.length : spec.inputs.length + spec.outputs.length;
  return { ...spec, cacheKey, wgsl, uniformData: data, readWriteInputs: rw, layout, bindingCount };
}

/** Keeps a shader line ending in `// @if NAME` only when define NAME is non-zero (WGSL has no preprocessor). */
export function applyConditionals(source: string, defines: Record<string, number>): string {
  return source
    .split('\n')
    .filter((line) => {
      const m = /\/\/ @if ([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(line);
      return !m || !!defines[m[1]!];
    })
    .join('\n');
}

/** Splits a flat workgroup count into [x, y, z] with each dimension ≤ maxPerDim. Shaders re-flatten with num_workgroups. */
export function foldDispatch(workgroups: number, maxPerDim: number): [number, number, number] {
  if (workgroups <= 0) return [0, 1, 1];
  if (workgroups <= maxPerDim) return [workgroups, 1, 1];
  const x = maxPerDim;
  const rest = Math.ceil(workgroups / x);
  if (rest <= maxPerDim) return [x, rest, 1];
  const y = maxPerDim;
  const z = Math.ceil(rest / y);
  if (z > maxPerDim) throw new WebGPUKernelError(`dispatch of ${workgroups} workgroups exceeds the device limit`);
  return [x, y, z];
}

/** Workgroups needed for `threads` threads of `wg` each. */
export function groupsFor(threads: number, wg: number): number {
  return Math.ceil(threads / wg);
}
