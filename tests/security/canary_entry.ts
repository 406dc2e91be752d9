/**
 * Browser bundle for the out-of-bounds canary test. Runs ONE node's WebGPU programs exactly as the kernel plans them
 * (same WGSL, uniforms and workgroup counts as the executor), but with every tensor in a buffer of its own between
 * two canary regions that lie INSIDE the binding:
 *
 *   [ 256 B canary | tensor | 256+ B canary ]   accessor programs: the binding is the whole buffer and the tensor's
 *                                               element offset (a uniform) is 64, so a read or write that strays
 *                                               by less than 64 elements either way hits a canary, not robustness
 *                                               clamping; legacy programs: bound from the tensor's start to the end.
 *
 * Input canaries hold NaN (a stray read poisons the output, which is compared with the CPU reference); output
 * canaries and the output body hold a signalling-NaN sentinel (a stray write changes a canary; an element never
 * written keeps the sentinel). Each case also runs with its workgroups folded into a tiny x dimension (`foldMax`), so
 * the grid has excess workgroups at the end, as large dispatches split over maxComputeWorkgroupsPerDimension do.
 */
import '../../src/node/browser_entry.js';
import { cpuKernels } from '../../src/backends/cpu/index.js';
import { sharedGpu } from '../../src/backends/webgpu/device.js';
import { webgpuKernels } from '../../src/backends/webgpu/kernels.js';
import { buildProgram, foldDispatch, type BindingLayout, type Program, type ProgramSpec } from '../../src/backends/webgpu/program.js';
import { setConvVariantOverride, type ConvVariant } from '../../src/backends/webgpu/conv_select.js';
import { BufferUsage, MapMode, ShaderStage } from '../../src/backends/webgpu/gpu_constants.js';
import { inferShapes } from '../../src/graph/infer.js';
import { sizeOf, tensorToNumbers, type Graph, type Node, type Tensor } from '../../src/graph/ir.js';
import { packWeightSigns, paddedChannels } from '../../src/graph/ops/binary.js';
import { randomF32, mulberry32 } from '../harness/rng.js';

export interface CanaryInput {
  shape: number[];
  /** 'input': graph input; 'const': initializer. */
  kind?: 'input' | 'const';
  /** Value range (default [-1, 1]). */
  lo?: number;
  hi?: number;
}

export interface CanaryCase {
  label: string;
  op: string;
  attrs?: Node['attrs'];
  inputs: CanaryInput[];
  outputs?: number;
  seed: number;
  /** Force a conv variant (the selection rule otherwise decides). */
  variant?: ConvVariant;
  /** Binary ops: X shape [N, C, H, W] and output channels; weights are bit-packed signs. */
  binary?: { x: number[]; m: number; kernel: [number, number] };
  /** Negative control: bind outputs this many elements off their true place (the harness must then report it). */
  shiftOutputs?: number;
}

export interface CanaryResult {
  label: string;
  fold: number;
  kernels: string[];
  /** Output / scratch canary words that changed, per tensor role. */
  clobbered: number;
  /** Input canary words that changed (inputs are bound read-only: must stay 0). */
  inputClobbered: number;
  /** Output elements still holding the sentinel (never written). */
  unwritten: number;
  relL2: number;
  error?: string;
}

const PRE = 256;
const POST = 256;
const NAN_BITS = 0x7fc00000;
const SENTINEL = 0x7fbadbad;

function buildGraph(c: CanaryCase): { graph: Graph; feeds: Map<string, Tensor> } {
  const feeds = new Map<string, Tensor>();
  if (c.binary) {
    const { x, m, kernel } = c.binary;
    const r = mulberry32(c.seed);
    const ch = x[1]!;
    const taps = c.op === 'BinaryGemm' ? 1 : kernel[0] * kernel[1];
    const signs = Array.from({ length: m * ch * taps }, () => (r() < 0.5 ? -1 : 1));
    const wShape = c.op === 'BinaryGemm' ? [m, paddedChannels(ch)] : [m, kernel[0], kernel[1], paddedChannels(ch)];
    const init = new Map<string, Tensor>([
      ['w', { dtype: 'binary', shape: wShape, data: packWeightSigns(signs, m, ch, taps) }],
      ['alpha', { dtype: 'f32', shape: [m], data: randomF32(m, c.seed + 1, 0.1, 1) }],
      ['b', { dtype: 'f32', shape: [m], data: randomF32(m, c.seed + 2, -0.5, 0.5) }],
    ]);
    const attrs = { ...(c.attrs ?? {}), ...(c.op === 'BinaryGemm' ? {} : { kernel_shape: kernel }) };
    const node: Node = { name: 'node_under_test', op: c.op, inputs: ['x', 'w', 'alpha', 'b'], outputs: ['out0'], attrs };
    feeds.set('x', { dtype: 'f32', shape: x, data: randomF32(sizeOf(x), c.seed + 3, -1, 1) });
    return { graph: { inputs: [{ name: 'x', dtype: 'f32', shape: x }], outputs: [], nodes: [node], initializers: init, metadata: {} }, feeds };
  }
  const names = c.inputs.map((_, i) => `in${i}`);
  const node: Node = { name: 'node_under_test', op: c.op, inputs: names, outputs: Array.from({ length: c.outputs ?? 1 }, (_, i) => `out${i}`), attrs: c.attrs ?? {} };
  const graph: Graph = { inputs: [], outputs: [], nodes: [node], initializers: new Map(), metadata: {} };
  c.inputs.forEach((inp, i) => {
    const t: Tensor = { dtype: 'f32', shape: inp.shape, data: randomF32(sizeOf(inp.shape), c.seed * 131 + i, inp.lo ?? -1, inp.hi ?? 1) };
    if (inp.kind === 'const') graph.initializers.set(names[i]!, t);
    else {
      graph.inputs.push({ name: names[i]!, dtype: 'f32', shape: inp.shape });
      feeds.set(names[i]!, t);
    }
  });
  return { graph, feeds };
}

/** One tensor in its own canary-wrapped buffer. */
interface Region {
  buffer: GPUBuffer;
  elements: number;
  written: boolean;
  words: Uint32Array;
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

async function runCanary(c: CanaryCase, fold: number): Promise<CanaryResult> {
  const base: CanaryResult = { label: c.label, fold, kernels: [], clobbered: -1, inputClobbered: -1, unwritten: -1, relL2: NaN };
  const { graph, feeds } = buildGraph(c);
  const node = graph.nodes[0]!;
  const values = inferShapes(graph);
  const shapeOf = (n: string) => values.get(n)!.shape;
  const expected = cpuKernels[c.op]!(node, node.inputs.map((n) => (n === '' ? undefined : (feeds.get(n) ?? graph.initializers.get(n)))));
  const prev = setConvVariantOverride(c.variant ? () => c.variant : undefined);
  let plan;
  try {
    plan = webgpuKernels[c.op]!({
      node,
      inputShapes: node.inputs.map((n) => (n === '' ? undefined : shapeOf(n))),
      outputShapes: node.outputs.map(shapeOf),
      constant: (n) => graph.initializers.get(n),
    });
  } finally {
    setConvVariantOverride(prev);
  }
  const gpu = await sharedGpu();
  const { device } = gpu;
  const constants = new Map((plan.constants ?? []).map((k) => [k.name, k.data]));
  const written = new Set(plan.programs.flatMap((p) => p.outputs.map((o) => o.tensor)));
  const regions = new Map<string, Region>();
  const owned: GPUBuffer[] = [];
  const regionOf = (name: string): Region => {
    let r = regions.get(name);
    if (r) return r;
    const init = feeds.get(name) ?? graph.initializers.get(name);
    const data = constants.get(name) ?? (init ? (init.data instanceof Float32Array ? init.data : Float32Array.from(tensorToNumbers(init))) : undefined);
    const elements = data ? data.length : sizeOf(shapeOf(name));
    const size = align(PRE + Math.max(4, elements * 4) + POST, 16);
    const words = new Uint32Array(size / 4).fill(written.has(name) ? SENTINEL : NAN_BITS);
    if (data) words.set(new Uint32Array(data.buffer, data.byteOffset, data.length), PRE / 4);
    const buffer = device.createBuffer({ size, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
    device.queue.writeBuffer(buffer, 0, words);
    owned.push(buffer);
    regions.set(name, (r = { buffer, elements, written: written.has(name), words }));
    return r;
  };
  device.pushErrorScope('validation');
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (const spec of plan.programs as ProgramSpec[]) {
    if (spec.workgroups <= 0) continue;
    const tensors = [...spec.inputs.map((i) => ({ t: i.tensor, out: false })), ...spec.outputs.map((o) => ({ t: o.tensor, out: true }))];
    let program: Program;
    let entries: { buffer: GPUBuffer; offset: number; size: number; type: GPUBufferBindingType }[];
    if (spec.accessors) {
      const slots: string[] = [];
      for (const { t } of tensors) if (!slots.includes(t)) slots.push(t);
      const layout: BindingLayout = {
        slotOf: tensors.map(({ t }) => slots.indexOf(t)),
        slots: slots.map((t) => ({ writable: tensors.some((m) => m.t === t && m.out), element: 'f32' as const })),
        offsets: tensors.map(({ out }) => PRE / 4 + (out ? (c.shiftOutputs ?? 0) : 0)),
      };
      program = buildProgram(spec, { layout });
      entries = slots.map((t, k) => ({ buffer: regionOf(t).buffer, offset: 0, size: regionOf(t).words.byteLength, type: layout.slots[k]!.writable ? 'storage' : 'read-only-storage' }));
    } else {
      program = buildProgram(spec, { readWriteInputs: spec.inputs.map(() => false) });
      entries = tensors.map(({ t, out }) => ({ buffer: regionOf(t).buffer, offset: PRE, size: regionOf(t).words.byteLength - PRE, type: out ? 'storage' : 'read-only-storage' }));
    }
    base.kernels.push(program.name);
    const bgl = device.createBindGroupLayout({
      entries: [{ binding: 0, visibility: ShaderStage.COMPUTE, buffer: { type: 'uniform' } }, ...entries.map((e, k) => ({ binding: 1 + k, visibility: ShaderStage.COMPUTE, buffer: { type: e.type } }))],
    });
    const pipeline = await device.createComputePipelineAsync({
      layout: device.createPipelineLayout({ bindGroupLayouts: [bgl] }),
      compute: { module: device.createShaderModule({ code: program.wgsl }), entryPoint: 'main' },
    });
    const uniforms = device.createBuffer({ size: program.uniformData.byteLength, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
    device.queue.writeBuffer(uniforms, 0, program.uniformData);
    owned.push(uniforms);
    const bindGroup = device.createBindGroup({
      layout: bgl,
      entries: [{ binding: 0, resource: { buffer: uniforms } }, ...entries.map((e, k) => ({ binding: 1 + k, resource: { buffer: e.buffer, offset: e.offset, size: e.size } }))],
    });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(...foldDispatch(program.workgroups, Math.min(fold, gpu.maxWorkgroupsPerDimension)));
  }
  pass.end();
  const staging = new Map<string, GPUBuffer>();
  for (const [name, r] of regions) {
    const s = device.createBuffer({ size: r.words.byteLength, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    owned.push(s);
    encoder.copyBufferToBuffer(r.buffer, 0, s, 0, r.words.byteLength);
    staging.set(name, s);
  }
  device.queue.submit([encoder.finish()]);
  const err = await device.popErrorScope();
  if (err) return { ...base, error: `validation: ${err.message}` };
  let clobbered = 0;
  let inputClobbered = 0;
  let unwritten = 0;
  let num = 0;
  let den = 0;
  for (const [name, r] of regions) {
    const s = staging.get(name)!;
    await s.mapAsync(MapMode.READ);
    const got = new Uint32Array(s.getMappedRange().slice(0));
    s.unmap();
    const bodyEnd = PRE / 4 + r.elements;
    for (let i = 0; i < got.length; i++) {
      if (i >= PRE / 4 && i < bodyEnd) continue;
      if (got[i] !== r.words[i]) {
        if (r.written) clobbered++;
        else inputClobbered++;
      }
    }
    const outIndex = node.outputs.indexOf(name);
    if (outIndex >= 0) {
      const want = expected[outIndex]!.data as Float32Array;
      const body = new Float32Array(got.buffer, PRE, r.elements);
      for (let i = 0; i < r.elements; i++) {
        if (got[PRE / 4 + i] === SENTINEL) unwritten++;
        const d = body[i]! - want[i]!;
        num += d * d;
        den += want[i]! * want[i]!;
      }
    }
  }
  for (const b of owned) b.destroy();
  return { ...base, clobbered, inputClobbered, unwritten, relL2: den === 0 ? Math.sqrt(num) : Math.sqrt(num / den) };
}

const canaryTest = {
  async run(cases: CanaryCase[], folds: number[]): Promise<CanaryResult[]> {
    const out: CanaryResult[] = [];
    for (const c of cases)
      for (const fold of folds) {
        try {
          out.push(await runCanary(c, fold));
        } catch (e) {
          out.push({ label: c.label, fold, kernels: [], clobbered: -1, inputClobbered: -1, unwritten: -1, relL2: NaN, error: `${(e as Error).name}: ${(e as Error).message}` });
        }
      }
    return out;
  },
};

(globalThis as unknown as { canaryTest: typeof canaryTest }).canaryTest = canaryTest;
