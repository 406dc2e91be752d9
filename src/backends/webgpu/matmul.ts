/**
 * Gemm and MatMul (numpy semantics: batched, broadcast batch dims, 1-D promotion) on the register-tiled
 * `matmul_tiled` shader (16 or 4 rows x 8 columns per thread). B is read as 2 vec4s per k when it is a constant
 * (repacked at load) or has contiguous rows with N % 4 == 0, else as 8 strided scalars. Batch dims are first
 * simplified (size-1 dims dropped, neighbours both operands step through contiguously merged); a batch that only A
 * has, contiguous, is folded into M (a Linear layer on [B, T, C] is one [B*T, C] x [C, N] product). The remaining
 * batch dims (at most 4) index the threads. Only a constant B with its own batch dims runs the strided
 * one-output-per-thread `matmul` shader.
 */
import { attrFloat, attrInt, sizeOf, tensorToNumbers, type Shape, type Tensor } from '../../graph/ir.js';
import { matmulLayout } from '../../graph/ops/gemm.js';
import { WebGPUKernelError, groupsFor, type Kernel, type KernelContext, type KernelPlan, type ProgramSpec, type UniformField } from './program.js';
import { WG, inputShape } from './kernel_util.js';
import { fusedEpilogue, residualDefines } from './fused.js';

const MAX_BATCH_RANK = 4;

interface MatmulArgs {
  m: number;
  n: number;
  k: number;
  aStrideM: number;
  aStrideK: number;
  bStrideK: number;
  bStrideN: number;
  batchShape: number[];
  aBatchStrides: number[];
  bBatchStrides: number[];
  alpha: number;
  beta: number;
  cStrideM: number;
  cStrideN: number;
}

function matmulUniforms(a: MatmulArgs, total: number): UniformField[] {
  const pad = (v: number[]) => (v.length ? v : [0]);
  return [
    { name: 'total', type: 'u32', value: total },
    { name: 'm', type: 'u32', value: a.m },
    { name: 'n', type: 'u32', value: a.n },
    { name: 'k', type: 'u32', value: a.k },
    { name: 'a_stride_m', type: 'u32', value: a.aStrideM },
    { name: 'a_stride_k', type: 'u32', value: a.aStrideK },
    { name: 'b_stride_k', type: 'u32', value: a.bStrideK },
    { name: 'b_stride_n', type: 'u32', value: a.bStrideN },
    { name: 'c_stride_m', type: 'u32', value: a.cStrideM },
    { name: 'c_stride_n', type: 'u32', value: a.cStrideN },
    { name: 'alpha', type: 'f32', value: a.alpha },
    { name: 'beta', type: 'f32', value: a.beta },
    { name: 'batch_shape', type: 'u32', value: pad(a.batchShape) },
    { name: 'a_batch_strides', type: 'u32', value: pad(a.aBatchStrides) },
    { name: 'b_batch_strides', type: 'u32', value: pad(a.bBatchStrides) },
  ];
}

/**
 * B (read through its strides) as 8-column panels [ceil(N / 8), K, 8], zero past column N: a thread of the tiled
 * shader streams one panel sequentially (2 vec4 per k).
 */
export function packMatrixB(b: Tensor, k: number, n: number, strideK: number, strideN: number): Float32Array {
  const src = b.data instanceof Float32Array ? b.data : Float32Array.from(tensorToNumbers(b));
  const panels = Math.ceil(n / 8);
  const out = new Float32Array(panels * k * 8);
  for (let c = 0; c < n; c++) {
    const base = (c >> 3) * k * 8 + (c & 7);
    for (let r = 0; r < k; r++) out[base + r * 8] = src[r * strideK + c * strideN]!;
  }
  return out;
}

/**
 * The tiled plan, or undefined when it does not apply (a constant B with batch dims of its own).
 * `inputs` are the A, B, optional C and residual tensor names.
 */
function tiledPlan(ctx: KernelContext, a: MatmulArgs, act: ReturnType<typeof fusedEpilogue>, names: { a: string; b: string; c?: string }): KernelPlan | undefined {
  if (a.m === 0 || a.n === 0) return undefined;
  const batched = a.batchShape.length > 0;
  const constB = ctx.constant?.(names.b);
  if (constB && a.bBatchStrides.some((s) => s !== 0)) return undefined;
  let bName = names.b;
  let rowVec4s = 1;
  const constants: KernelPlan['constants'] = [];
  const bVec = !!constB || (a.bStrideN === 1 && a.n % 4 === 0 && a.bStrideK === a.n);
  if (constB) {
    bName = `\u0000matmul_b_panels:${a.bStrideK},${a.bStrideN}:${names.b}`;
    constants.push({ name: bName, data: packMatrixB(constB, a.k, a.n, a.bStrideK, a.bStrideN) });
    rowVec4s = Math.ceil(a.n / 8) * 2;
  } else if (bVec) {
    rowVec4s = a.n / 4;
  }
  const tm = a.m > 8 ? 16 : 4;
  const colBlocks = Math.ceil(a.n / 8);
  const rowBlocks = Math.ceil(a.m / tm);
  const threads = sizeOf(a.batchShape) * rowBlocks * colBlocks;
  const pad = (v: number[]) => (v.length ? v : [0]);
  return {
    constants,
    programs: [
      {
        name: `${ctx.node.op === 'MatMul' ? 'matmul' : 'gemm'}_tiled_${tm}x8${batched ? '_batched' : ''}${bVec ? '' : '_bscalar'}`,
        shader: 'matmul_tiled',
        accessors: true, // the shader uses the generated accessors (see program.ts)
        defines: {
          WG,
          TM: tm,
          R16: tm === 16 ? 1 : 0,
          PANEL: constB ? 1 : 0,
          B_VEC: bVec ? 1 : 0,
          B_SCALAR: bVec ? 0 : 1,
          BATCHED: batched ? 1 : 0,
          BATCH_RANK: a.batchShape.length,
          HAS_C: names.c ? 1 : 0,
          ...residualDefines(act),
        },
        activation: act.activation,
        inputs: [
          { wgsl: 'a', tensor: names.a },
          { wgsl: 'b', tensor: bName, vec4: bVec },
          ...(names.c ? [{ wgsl: 'cmat', tensor: names.c }] : []),
          ...(act.residual ? [{ wgsl: 'res', tensor: act.residual }] : []),
        ],
        outputs: [{ wgsl: 'y', tensor: ctx.node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: threads },
          { name: 'm', type: 'u32', value: a.m },
          { name: 'n', type: 'u32', value: a.n },
          { name: 'k', type: 'u32', value: a.k },
          { name: 'a_stride_m', type: 'u32', value: a.aStrideM },
          { name: 'a_stride_k', type: 'u32', value: a.aStrideK },
          { name: 'b_row_vec4s', type: 'u32', value: rowVec4s },
          { name: 'b_stride_k', type: 'u32', value: a.bStrideK },
          { name: 'b_stride_n', type: 'u32', value: a.bStrideN },
          { name: 'col_blocks', type: 'u32', value: colBlocks },
          { name: 'row_blocks', type: 'u32', value: rowBlocks },
          { name: 'c_stride_m', type: 'u32', value: a.cStrideM },
          { name: 'c_stride_n', type: 'u32', value: a.cStrideN },
          { name: 'alpha', type: 'f32', value: a.alpha },
          { name: 'beta', type: 'f32', value: a.beta },
          ...(batched
            ? ([
                { name: 'batch_shape', type: 'u32', value: pad(a.batchShape) },
                { name: 'a_batch_strides', type: 'u32', value: pad(a.aBatchStrides) },
                { name: 'b_batch_strides', type: 'u32', value: pad(a.bBatchStrides) },
              ] satisfies UniformField[])
            : []),
          ...act.uniforms,
        ],
        workgroups: groupsFor(threads, WG),
        macs: sizeOf(a.batchShape) * a.m * a.n * a.k,
      },
    ],
  };
}

export const gemmKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const a = inputShape(ctx, 0);
  const b = inputShape(ctx, 1);
  if (a.length !== 2 || b.length !== 2) throw new WebGPUKernelError('Gemm inputs must be 2-D', node.name, node.op);
  const transA = attrInt(node, 'transA', 0) !== 0;
  const transB = attrInt(node, 'transB', 0) !== 0;
  const [m, k] = transA ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
  const n = transB ? b[0]! : b[1]!;
  const hasC = node.inputs.length > 2 && node.inputs[2] !== '';
  let cStrideM = 0;
  let cStrideN = 0;
  if (hasC) {
    const c: Shape = inputShape(ctx, 2);
    const cm = c.length === 2 ? c[0]! : 1;
    const cn = c.length >= 1 ? c[c.length - 1]! : 1;
    cStrideM = cm === 1 ? 0 : cn;
    cStrideN = cn === 1 ? 0 : 1;
  }
  const args: MatmulArgs = {
    m,
    n,
    k,
    aStrideM: transA ? 1 : k,
    aStrideK: transA ? m : 1,
    bStrideK: transB ? 1 : n,
    bStrideN: transB ? k : 1,
    batchShape: [],
    aBatchStrides: [],
    bBatchStrides: [],
    alpha: attrFloat(node, 'alpha', 1),
    beta: attrFloat(node, 'beta', 1),
    cStrideM,
    cStrideN,
  };
  const act = fusedEpilogue(node);
  const tiled = tiledPlan(ctx, args, act, { a: node.inputs[0]!, b: node.inputs[1]!, c: hasC ? node.inputs[2]! : undefined });
  if (tiled) return tiled;
  const total = m * n;
  const program: ProgramSpec = {
    name: 'gemm_naive',
    shader: 'matmul',
    accessors: true, // the shader uses the generated accessors (see program.ts)
    defines: { WG, HAS_C: hasC ? 1 : 0, BATCH_RANK: 0, ...residualDefines(act) },
    activation: act.activation,
    inputs: [
      { wgsl: 'a', tensor: node.inputs[0]! },
      { wgsl: 'b', tensor: node.inputs[1]! },
      ...(hasC ? [{ wgsl: 'cmat', tensor: node.inputs[2]! }] : []),
      ...(act.residual ? [{ wgsl: 'res', tensor: act.residual }] : []),
    ],
    outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
    uniforms: [...matmulUniforms(args, total), ...act.uniforms],
    workgroups: groupsFor(total, WG),
    macs: total * k,
  };
  return { programs: [program] };
};

export const matmulKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const aShape = inputShape(ctx, 0);
  const bShape = inputShape(ctx, 1);
  const layout = matmulLayout(aShape, bShape);
  if (!layout) throw new WebGPUKernelError(`[${aShape.join(', ')}] x [${bShape.join(', ')}] do not multiply`, node.name, node.op);
  const { m: rows, k, n } = layout;
  const batch = { shape: layout.batchShape, aStrides: layout.aBatchStrides, bStrides: layout.bBatchStrides };
  if (batch.shape.length > MAX_BATCH_RANK)
    throw new WebGPUKernelError(`batch dims of [${aShape.join(', ')}] x [${bShape.join(', ')}] do not simplify to ${MAX_BATCH_RANK} or fewer`, node.name, node.op);
  const act = fusedEpilogue(node);
  const args: MatmulArgs = {
    m: rows,
    n,
    k,
    aStrideM: k,
    aStrideK: 1,
    bStrideK: n,
    bStrideN: 1,
    batchShape: batch.shape,
    aBatchStrides: batch.aStrides,
    bBatchStrides: batch.bStrides,
    alpha: 1,
    beta: 0,
    cStrideM: 0,
    cStrideN: 0,
  };
  // matmulLayout promoted 1-D operands; B's strides are those of the original (rows of n).
  const tiled = tiledPlan(ctx, args, act, { a: node.inputs[0]!, b: node.inputs[1]! });
  if (tiled) return tiled;
  const total = sizeOf(batch.shape) * rows * n;
  return {
    programs: [
      {
        name: 'matmul_naive',
        shader: 'matmul',
        accessors: true, // the shader uses the generated accessors (see program.ts)
        defines: { WG, HAS_C: 0, BATCH_RANK: batch.shape.length, ...residualDefines(act) },
        activation: act.activation,
        inputs: [
          { wgsl: 'a', tensor: node.inputs[0]! },
          { wgsl: 'b', tensor: node.inputs[1]! },
          ...(act.residual ? [{ wgsl: 'res', tensor: act.residual }] : []),
        ],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [...matmulUniforms(args, total), ...act.uniforms],
        workgroups: groupsFor(total, WG),
        macs: total * k,
      },
    ],
  };
};
