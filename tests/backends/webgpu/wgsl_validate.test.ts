/**
 * WGSL validation of the variants this machine cannot run: the f16 arithmetic forms (`enable f16;`: SwiftShader has no
 * `shader-f16`) and, again, the subgroup reductions. Dawn's Null backend (the `webgpu` package with `backend=null`)
 * exposes `shader-f16` and `subgroups` and runs Tint's full front end (parse, resolve, type rules, uniformity
 * analysis) on createShaderModule and the pipeline's entry-point checks on createComputePipelineAsync, without
 * executing anything. Every program is built by the real kernel code (the plans of representative nodes with
 * `f16Compute` on), once with f32 storage and once with f16 weight storage (`array<vec4<f16>>`). Negative controls
 * show the validator rejects what it should (f16 without `enable f16;`, a barrier in non-uniform control flow).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node } from '../../../src/graph/ir.js';
import { webgpuKernels } from '../../../src/backends/webgpu/kernels.js';
import { buildProgram, defaultLayout, type KernelContext, type ProgramSpec } from '../../../src/backends/webgpu/program.js';
import { setConvVariantOverride, type ConvVariant } from '../../../src/backends/webgpu/conv_select.js';
import { REDUCTION_VARIANTS } from '../../../src/backends/webgpu/reduce_select.js';

let device: GPUDevice | undefined;
let gpuObject: unknown;

beforeAll(async () => {
  const specifier = 'webgpu';
  const mod = (await import(/* @vite-ignore */ specifier)) as { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create(['backend=null']);
  gpuObject = gpu; // keep Dawn's GPU object referenced while its device lives
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error("Dawn's Null backend gave no adapter");
  device = await adapter.requestDevice({ requiredFeatures: ['shader-f16', 'subgroups'] as GPUFeatureName[] });
});

afterAll(() => {
  device?.destroy();
  gpuObject = undefined;
});

/** Tint's messages for one WGSL text (empty: valid), from the module and from the pipeline built on it. */
async function validate(code: string): Promise<string[]> {
  const d = device!;
  d.pushErrorScope('validation');
  const module = d.createShaderModule({ code });
  const info = await module.getCompilationInfo();
  const messages = info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
  try {
    await d.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  } catch (e) {
    messages.push(`pipeline: ${(e as Error).message}`);
  }
  const scoped = await d.popErrorScope();
  if (scoped) messages.push(`scope: ${scoped.message}`);
  return messages;
}

const sizeOfShape = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** The programs the kernels plan for one node (inputs named i0.., constants given by shape). */
function plan(op: string, attrs: Node['attrs'], shapes: number[][], out: number[], constIdx: number[], extra: Partial<KernelContext>): ProgramSpec[] {
  const node: Node = { name: 'n', op, inputs: shapes.map((_, i) => (shapes[i]!.length ? `i${i}` : '')), outputs: ['y'], attrs };
  const constants = new Map(constIdx.map((i) => [`i${i}`, { dtype: 'f32' as const, shape: shapes[i]!, data: new Float32Array(sizeOfShape(shapes[i]!)).fill(0.5) }]));
  return webgpuKernels[op]!({
    node,
    inputShapes: shapes.map((s) => (s.length ? s : undefined)),
    outputShapes: [out],
    constant: (n) => constants.get(n),
    features: { f16: true, subgroups: true },
    ...extra,
  }).programs;
}

/** Storage variants: f32 everywhere, and every vec4-read input (weights) stored as f16. */
function builds(spec: ProgramSpec): { label: string; wgsl: string }[] {
  const f32 = defaultLayout(spec);
  const f16 = { ...f32, slots: f32.slots.map((s, k) => (k < spec.inputs.length && spec.inputs[k]!.vec4 ? { ...s, element: 'f16' as const } : s)) };
  return [
    { label: `${spec.name} f32 storage`, wgsl: buildProgram(spec, { layout: f32 }).wgsl },
    { label: `${spec.name} f16 weights`, wgsl: buildProgram(spec, { layout: f16 }).wgsl },
  ];
}

const conv = (cin: number, cout: number, hw: number, k: number, stride: number, group: number, epilogue: Record<string, number | string> = {}) => {
  const pad = k >> 1;
  const o = Math.floor((hw + 2 * pad - k) / stride) + 1;
  return {
    op: Object.keys(epilogue).length ? 'FusedConv' : 'Conv',
    attrs: { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], group, ...epilogue },
    shapes: [[1, cin, hw, hw], [cout, cin / group, k, k], [cout]],
    out: [1, cout, o, o],
  };
};

describe('WGSL of the f16 and subgroup variants validates in Tint (Dawn Null backend)', () => {
  it('the Null adapter offers shader-f16 and subgroups', () => {
    expect(device!.features.has('shader-f16')).toBe(true);
    expect(device!.features.has('subgroups')).toBe(true);
  });

  it('negative controls: the validator rejects f16 without `enable f16;` and a barrier under a non-uniform branch', async () => {
    expect(await validate('@compute @workgroup_size(1) fn main() { let h: f16 = 1.0h; _ = h; }')).not.toEqual([]);
    expect(await validate('@compute @workgroup_size(64) fn main(@builtin(local_invocation_index) l: u32) { if (l < 3u) { workgroupBarrier(); } }')).not.toEqual([]);
    expect(await validate('enable f16;\n@compute @workgroup_size(1) fn main() { let h: f16 = 1.0h; _ = h; }')).toEqual([]);
  });

  const convCases: [ConvVariant, ReturnType<typeof conv>][] = [
    ['conv2d_gemm', conv(16, 24, 9, 3, 1, 1, { activation: 'relu' })], // win3
    ['conv2d_gemm', conv(16, 24, 9, 3, 2, 1)], // win3s2
    ['conv2d_gemm', conv(6, 10, 9, 5, 1, 2)], // generic taps, groups
    ['conv2d_gemm4', conv(12, 12, 7, 3, 1, 3)],
    ['conv2d_rt4x4', conv(8, 8, 9, 3, 1, 1)],
    ['conv2d_rt8x4', conv(8, 8, 9, 5, 2, 1)],
    ['depthwise_4x4', conv(13, 13, 9, 3, 1, 13, { activation: 'clip', act_min: 0, act_max: 6 })], // win3
    ['depthwise_4x4', conv(8, 16, 9, 5, 2, 8)], // generic, channel multiplier 2
    ['conv2d_splitk', conv(32, 20, 7, 3, 1, 1)],
    ['conv2d_splitk', conv(64, 40, 7, 1, 1, 1, { activation: 'relu' })],
  ];
  it.each(convCases.map(([v, c], i) => [`${v} #${i}`, v, c] as const))('%s: f16 arithmetic', async (_, variant, c) => {
    setConvVariantOverride(() => variant);
    let specs: ProgramSpec[];
    try {
      specs = plan(c.op, c.attrs, c.shapes, c.out, [1, 2], { f16Compute: true });
    } finally {
      setConvVariantOverride(undefined);
    }
    expect(specs[0]!.extensions).toContain('f16');
    expect(specs[0]!.name).toMatch(/_f16/);
    for (const b of builds(specs[0]!)) {
      expect(b.wgsl.startsWith('enable f16;')).toBe(true);
      expect(await validate(b.wgsl), b.label).toEqual([]);
    }
    // The arithmetic really is f16: without the enable the same text is rejected.
    expect(await validate(builds(specs[0]!)[0]!.wgsl.replace('enable f16;', ''))).not.toEqual([]);
  });

  const matmulCases: { label: string; op: string; attrs: Node['attrs']; shapes: number[][]; out: number[]; consts: number[] }[] = [
    { label: 'Gemm M=1, constant B (panels), bias', op: 'Gemm', attrs: { transB: 1 }, shapes: [[1, 67], [21, 67], [21]], out: [1, 21], consts: [1, 2] },
    { label: 'MatMul M=5, runtime B with dense rows', op: 'MatMul', attrs: {}, shapes: [[5, 33], [33, 12]], out: [5, 12], consts: [] },
    { label: 'Gemm transA, runtime B strided (transB)', op: 'Gemm', attrs: { transA: 1, transB: 1, alpha: 0.5 }, shapes: [[33, 3], [7, 33]], out: [3, 7], consts: [] },
  ];
  const batched = { label: 'MatMul batched [2,3,9,33] x [3,33,12]', op: 'MatMul', attrs: {}, shapes: [[2, 3, 9, 33], [3, 33, 12]], out: [2, 3, 9, 12], consts: [] };
  const matmulVariants = [
    ...matmulCases.map((c) => ['matmul_splitk', c] as const),
    ...[...matmulCases, batched].map((c) => ['matmul_tiled', c] as const),
  ];
  it.each(matmulVariants.map(([v, c]) => [`${v} ${c.label}`, v, c] as const))('%s: f16 arithmetic', async (_, variant, c) => {
    const specs = plan(c.op, c.attrs, c.shapes, c.out, c.consts, { f16Compute: true, matmulVariant: () => variant });
    expect(specs[0]!.shader).toBe(`${variant}_f16`);
    for (const b of builds(specs[0]!)) expect(await validate(b.wgsl), b.label).toEqual([]);
    expect(await validate(builds(specs[0]!)[0]!.wgsl.replace('enable f16;', ''))).not.toEqual([]);
  });

  const reductions: { op: string; attrs: Node['attrs']; shapes: number[][]; out: number[] }[] = [
    { op: 'GlobalAveragePool', attrs: {}, shapes: [[2, 5, 7, 7]], out: [2, 5, 1, 1] },
    { op: 'GlobalMaxPool', attrs: {}, shapes: [[1, 3, 9, 2]], out: [1, 3, 1, 1] },
    { op: 'Softmax', attrs: { axis: 1 }, shapes: [[2, 1000, 3]], out: [2, 1000, 3] },
    { op: 'LayerNormalization', attrs: { axis: -1 }, shapes: [[4, 192], [192], [192]], out: [4, 192] },
    { op: 'ChannelLayerNorm', attrs: {}, shapes: [[1, 96, 7, 7], [96], [96]], out: [1, 96, 7, 7] },
  ];
  for (const variant of REDUCTION_VARIANTS.filter((v) => v !== 'reduce_thread')) {
    it.each(reductions.map((c) => [c.op, c] as const))(`${variant} %s`, async (_, c) => {
      const specs = plan(c.op, c.attrs, c.shapes, c.out, [], { reductionVariant: () => variant });
      expect(specs[0]!.extensions ?? []).toEqual(variant === 'reduce_subgroup' ? ['subgroups'] : []);
      const wgsl = buildProgram(specs[0]!).wgsl;
      expect(wgsl.startsWith('enable subgroups;')).toBe(variant === 'reduce_subgroup');
      expect(await validate(wgsl)).toEqual([]);
      if (variant === 'reduce_subgroup') expect(await validate(wgsl.replace('enable subgroups;', ''))).not.toEqual([]);
    });
  }
});
