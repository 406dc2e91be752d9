/** Unary and binary elementwise kernels (activations, Add/Sub/Mul/Div/Min/Max/Pow with broadcasting). */
import { attrFloat, sizeOf } from '../../graph/ir.js';
import { ACTIVATIONS, BINARY_OPS, WebGPUKernelError, groupsFor, type Kernel, type KernelContext, type UniformField } from './program.js';
import { WG, broadcastStrides, checkRank, inputShape } from './kernel_util.js';

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

export const unaryKernel: Kernel = (ctx) => {
  const { node } = ctx;
  if (!(node.op in ACTIVATIONS)) throw new WebGPUKernelError('not a unary op', node.name, node.op);
  const total = sizeOf(inputShape(ctx, 0));
  return {
    programs: [
      {
        name: `unary_${node.op.toLowerCase()}`,
        shader: 'unary',
        defines: { WG },
        activation: node.op,
        inputs: [{ wgsl: 'x', tensor: node.inputs[0]! }],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [{ name: 'total', type: 'u32', value: total }, ...activationParams(node.op, (k, d) => attrFloat(node, k, d))],
        workgroups: groupsFor(total, WG),
      },
    ],
  };
};

function binaryProgram(ctx: KernelContext, op: string, aTensor: string, bTensor: string, aShape: readonly number[], bShape: readonly number[]) {
  const { node } = ctx;
  const outShape = ctx.outputShapes[0]!;
  checkRank(ctx, outShape.length);
  const total = sizeOf(outShape);
  const same = aShape.length === bShape.length && aShape.every((d, i) => d === bShape[i]) && sizeOf(aShape) === total;
  const rank = Math.max(outShape.length, 1);
  return {
    name: same ? `binary_${op.toLowerCase()}` : `binary_${op.toLowerCase()}_bcast`,
    shader: 'binary' as const,
    defines: { WG, BCAST: same ? 0 : 1, RANK: same ? 1 : rank },
    binaryOp: op,
    inputs: [
      { wgsl: 'a', tensor: aTensor },
      { wgsl: 'b', tensor: bTensor },
    ],
    outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
    uniforms: [
      { name: 'total', type: 'u32' as const, value: total },
      { name: 'out_shape', type: 'u32' as const, value: outShape.length ? [...outShape] : [1] },
      { name: 'a_strides', type: 'u32' as const, value: outShape.length ? broadcastStrides(aShape, outShape) : [0] },
      { name: 'b_strides', type: 'u32' as const, value: outShape.length ? broadcastStrides(bShape, outShape) : [0] },
    ],
    workgroups: groupsFor(total, WG),
  };
}

export const binaryKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const present = node.inputs.map((name, i) => ({ name, shape: ctx.inputShapes[i] })).filter((x) => x.name !== '');
  if (present.length === 1 && ['Min', 'Max', 'Sum', 'Mean'].includes(node.op)) return { programs: [], aliases: [{ output: 0, input: 0 }] };
  if (present.length !== 2) {
    throw new WebGPUKernelError(`${present.length} inputs: the WebGPU backend supports 1 or 2 inputs for this op`, node.name, node.op);
  }
  const op = node.op;
  if (!(op in BINARY_OPS)) throw new WebGPUKernelError('not a binary op', node.name, node.op);
  const p = binaryProgram(ctx, op, present[0]!.name, present[1]!.name, inputShape(ctx, 0), inputShape(ctx, 1));
  return { programs: [p] };
};
