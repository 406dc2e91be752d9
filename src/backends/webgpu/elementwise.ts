/** Unary and binary elementwise kernels (activations, Add/Sub/Mul/Div/Min/Max/Pow/Mod with broadcasting). */
import { attrFloat, sizeOf } from '../../graph/ir.js';
import { geluApproximation } from '../../graph/ops/gelu.js';
import { modFmod } from '../../graph/ops/logic.js';
import { ACTIVATIONS, BINARY_OPS, WebGPUKernelError, groupsFor, type Kernel, type KernelContext, type ProgramSpec, type UniformField } from './program.js';
import { WG, broadcastStrides, checkRank, coalesceDims, inputShape } from './kernel_util.js';

/** act_a / act_b uniforms for activations with parameters (LeakyRelu alpha, Clip bounds, HardSigmoid alpha/beta). */
export function activationParams(op: string, attrs: (key: string, dflt: number) => number): UniformField[] {
  let a = 0;
  let b = 0;
  if (op === 'LeakyRelu') a = attrs('alpha', 0.01);
  else if (op === 'Clip') {
    a = attrs('min', -Infinity);
    b = attrs('max', Infinity);
  } else if (op === 'HardSigmoid') {
    a = attrs('alpha', 0.2);
    b = attrs('beta', 0.5);
  }
  return [
    { name: 'act_a', type: 'f32', value: a },
    { name: 'act_b', type: 'f32', value: b },
  ];
}

/**
 * Switches for benchmarks that compare the vec4 elementwise paths with one element per thread in the same run
 * (bench/kernels/elementwise.ts). Production code never changes them.
 */
export const elementwiseSwitches = { vec4: true };

/**
 * A unary program (shaders/unary.wgsl): y = activate(x). Four elements per thread through vec4 accessors (the last
 * thread finishes a partial vector element by element), unless the benchmark switch asks for one per thread.
 */
export function unaryProgram(name: string, activation: string, x: string, y: string, total: number, uniforms: UniformField[] = []): ProgramSpec {
  const v4 = elementwiseSwitches.vec4 ? 1 : 0;
  return {
    name,
    shader: 'unary',
    accessors: true,
    defines: { WG, V4: v4 },
    activation,
    inputs: [{ wgsl: 'x', tensor: x, vec4: v4 === 1 }],
    outputs: [{ wgsl: 'y', tensor: y, vec4: v4 === 1 }],
    uniforms: [{ name: 'total', type: 'u32', value: total }, ...uniforms],
    workgroups: groupsFor(v4 ? Math.ceil(total / 4) : total, WG),
  };
}

export const unaryKernel: Kernel = (ctx) => {
  const { node } = ctx;
  if (!Object.hasOwn(ACTIVATIONS, node.op)) throw new WebGPUKernelError('not a unary op', node.name, node.op);
  const total = sizeOf(inputShape(ctx, 0));
  const params = activationParams(node.op, (k, d) => attrFloat(node, k, d));
  const activation = node.op === 'Gelu' && geluApproximation(node) === 'tanh' ? 'GeluTanh' : node.op;
  return { programs: [unaryProgram(`unary_${activation.toLowerCase()}`, activation, node.inputs[0]!, node.outputs[0]!, total, params)] };
};

function binaryProgram(ctx: KernelContext, op: string, aTensor: string, bTensor: string, aShape: readonly number[], bShape: readonly number[]): ProgramSpec {
  const { node } = ctx;
  const full = ctx.outputShapes[0]!;
  const total = sizeOf(full);
  const same = aShape.length === bShape.length && aShape.every((d, i) => d === bShape[i]) && sizeOf(aShape) === total;
  const walk = coalesceDims(full, [broadcastStrides(aShape, full), broadcastStrides(bShape, full)]);
  const outShape = walk.shape;
  checkRank(ctx, outShape.length);
  const rank = Math.max(outShape.length, 1);
  // Same shapes: four elements per thread through vec4 accessors (shaders/binary.wgsl).
  const v4 = same && elementwiseSwitches.vec4;
  return {
    name: same ? `binary_${op.toLowerCase()}` : `binary_${op.toLowerCase()}_bcast`,
    shader: 'binary' as const,
    accessors: true,
    defines: { WG, BCAST: same ? 0 : 1, RANK: same ? 1 : rank, V4: v4 ? 1 : 0 },
    binaryOp: op,
    inputs: [
      { wgsl: 'a', tensor: aTensor, vec4: v4 },
      { wgsl: 'b', tensor: bTensor, vec4: v4 },
    ],
    outputs: [{ wgsl: 'y', tensor: node.outputs[0]!, vec4: v4 }],
    uniforms: [
      { name: 'total', type: 'u32', value: total },
      { name: 'out_shape', type: 'u32' as const, value: outShape.length ? [...outShape] : [1] },
      { name: 'a_strides', type: 'u32' as const, value: outShape.length ? walk.strides[0]! : [0] },
      { name: 'b_strides', type: 'u32' as const, value: outShape.length ? walk.strides[1]! : [0] },
    ],
    workgroups: groupsFor(v4 ? Math.ceil(total / 4) : total, WG),
  };
}

export const binaryKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const present = node.inputs.map((name, i) => ({ name, shape: ctx.inputShapes[i] })).filter((x) => x.name !== '');
  // Mod's two semantics are two shader expressions (program.ts BINARY_OPS).
  const op = node.op === 'Mod' && modFmod(node) === 1 ? 'Fmod' : node.op;
  const variadic = ['Min', 'Max', 'Sum', 'Mean'].includes(op);
  if (present.length === 1 && variadic) {
    // One operand: the op is a copy (a dispatch rather than an alias, so the memory plan stays simple).
    return { programs: [unaryProgram('copy', 'Identity', present[0]!.name, node.outputs[0]!, sizeOf(ctx.outputShapes[0]!))] };
  }
  if (present.length < 2 || (present.length > 2 && !variadic)) {
    throw new WebGPUKernelError(`${present.length} inputs: ${op} takes ${variadic ? 'at least 1' : '2'}`, node.name, node.op);
  }
  if (!(op in BINARY_OPS)) throw new WebGPUKernelError('not a binary op', node.name, node.op);
  const n = present.length;
  if (n === 2) return { programs: [binaryProgram(ctx, op, present[0]!.name, present[1]!.name, present[0]!.shape!, present[1]!.shape!)] };
  // Variadic: y = op(x0, x1), then y = op(y, xk) in place; Mean sums and scales by 1/n in the last step.
  const y = node.outputs[0]!;
  const outShape = ctx.outputShapes[0]!;
  const step = op === 'Mean' ? 'Sum' : op;
  const programs: ProgramSpec[] = [binaryProgram(ctx, step, present[0]!.name, present[1]!.name, present[0]!.shape!, present[1]!.shape!)];
  for (let k = 2; k < n; k++) {
    const last = k === n - 1 && op === 'Mean';
    const p = binaryProgram(ctx, last ? 'MeanTail' : step, y, present[k]!.name, outShape, present[k]!.shape!);
    if (last) p.uniforms.push({ name: 'scale', type: 'f32', value: 1 / n });
    programs.push(p);
  }
  return { programs };
};
