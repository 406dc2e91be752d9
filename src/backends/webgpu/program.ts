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
import { SHADERS, type ShaderName } from './shaders.gen.js';

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
};

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
  // pow() is undefined for a < 0 in WGSL: use |a| and restore the sign for odd integer exponents (ONNX/numpy semantics).
  Pow: 'select(pow(abs(a), b) * select(1.0, -1.0, a < 0.0 && fract(b * 0.5) != 0.0), pow(a, b), a >= 0.0 || fract(b) != 0.0)',
};

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
  /** Graph tensor names bound read-only, with the WGSL variable name used by the shader (`vec4`: array<vec4<f32>>). */
  inputs: { wgsl: string; tensor: string; vec4?: boolean }[];
  /** Graph tensor names written by the program. */
  outputs: { wgsl: string; tensor: string }[];
  uniforms: UniformField[];
  /** Total workgroups; the executor folds them into [x, y, z] under maxComputeWorkgroupsPerDimension. */
  workgroups: number;
  /** Multiply-accumulates (for the profile). */
  macs?: number;
}

export interface Program extends ProgramSpec {
  cacheKey: string;
  /** Per input: bound as writable storage (see BuildOptions). */
  readWriteInputs: boolean[];
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

const IDENT = /^[a-z_][a-z0-9_]*$/i;

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
  for (const f of fields) {
    checkIdent(f.name, 'uniform');
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
   * Per input: declare it `read_write`. Needed when an input lives in the same GPUBuffer as an output (memory-plan
   * arena): WebGPU rejects a buffer bound read-only and writable in one dispatch, even at disjoint ranges.
   */
  readWriteInputs?: readonly boolean[];
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
  const { data, decl, layoutKey } = packUniforms(spec.uniforms);
  const bindings: string[] = ['@group(0) @binding(0) var<uniform> u: Uniforms;'];
  let b = 1;
  const rw = spec.inputs.map((_, k) => !!options.readWriteInputs?.[k]);
  spec.inputs.forEach((i, k) =>
    bindings.push(`@group(0) @binding(${b++}) var<storage, ${rw[k] ? 'read_write' : 'read'}> ${checkIdent(i.wgsl, 'input')}: array<${i.vec4 ? 'vec4<f32>' : 'f32'}>;`),
  );
  for (const o of spec.outputs) bindings.push(`@group(0) @binding(${b++}) var<storage, read_write> ${checkIdent(o.wgsl, 'output')}: array<f32>;`);
  const source = SHADERS[spec.shader];
  if (source === undefined) throw new WebGPUKernelError(`unknown shader ${spec.shader}`);
  const body = applyConditionals(source, defines);
  const fns = [`fn activate(v: f32) -> f32 { return ${actExpr}; }`];
  if (binExpr) fns.push(`fn binary_op(a: f32, b: f32) -> f32 { return ${binExpr}; }`);
  const wgsl = [...defineLines, decl, ...bindings, ...fns, SHADERS.preamble, body].join('\n');
  const cacheKey = [
    spec.shader,
    spec.name,
    defineLines.join(''),
    act,
    spec.binaryOp ?? '',
    spec.inputs.map((i, k) => `${i.wgsl}${i.vec4 ? ':v4' : ''}${rw[k] ? ':rw' : ''}`).join(','),
    spec.outputs.map((o) => o.wgsl).join(','),
    layoutKey,
  ].join('|');
  return { ...spec, cacheKey, wgsl, uniformData: data, readWriteInputs: rw };
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
