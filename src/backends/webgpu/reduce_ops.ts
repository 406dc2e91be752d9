/** Softmax, ReduceMean/ReduceSum/ReduceMax and BatchNormalization. */
import { attrFloat, attrInt, attrInts, sizeOf, stridesOf } from '../../graph/ir.js';
import { WebGPUKernelError, groupsFor, type Kernel } from './program.js';
import { elementwiseSwitches } from './elementwise.js';
import { WG, checkRank, inputShape, normAxis, product } from './kernel_util.js';
import { lineReductionFields, selectReductionVariant } from './reduce_select.js';

/** Softmax: one invocation per line (`shaders/softmax.wgsl`), or a workgroup per line (reduce_select.ts variants). */
export const softmaxKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const x = inputShape(ctx, 0);
  const axis = normAxis(node, attrInt(node, 'axis', -1), x.length);
  const inner = product(x.slice(axis + 1));
  const total = product(x.slice(0, axis)) * inner;
  const variant = selectReductionVariant({ op: 'Softmax', lines: total, length: x[axis] ?? 1 }, ctx.features ?? { subgroups: false }, ctx.reductionVariant);
  const perLine = variant === 'reduce_thread' ? undefined : lineReductionFields('softmax', variant, total);
  return {
    programs: [
      {
        name: `softmax${perLine?.suffix ?? ''}`,
        shader: perLine?.shader ?? 'softmax',
        ...(perLine?.extensions ? { extensions: perLine.extensions } : {}),
        accessors: true,
        defines: { WG },
        inputs: [{ wgsl: 'x', tensor: node.inputs[0]! }],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'axis_len', type: 'u32', value: x[axis] ?? 1 },
          { name: 'inner', type: 'u32', value: Math.max(inner, 1) },
        ],
        workgroups: perLine?.workgroups ?? groupsFor(total, WG),
      },
    ],
  };
};

const REDUCE_KIND: Record<string, number> = { ReduceSum: 0, ReduceMean: 1, ReduceMax: 2 };

export const reduceKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const x = inputShape(ctx, 0);
  checkRank(ctx, x.length);
  const kind = REDUCE_KIND[node.op];
  if (kind === undefined) throw new WebGPUKernelError('not a reduce op', node.name, node.op);
  const axesAttr = node.attrs['axes'] === undefined ? x.map((_, i) => i) : attrInts(node, 'axes').map((a) => normAxis(node, a, x.length));
  const reduced = new Set(axesAttr.length ? axesAttr : x.map((_, i) => i));
  const strides = stridesOf(x);
  const kept = x.map((_, i) => i).filter((i) => !reduced.has(i));
  const red = x.map((_, i) => i).filter((i) => reduced.has(i));
  const total = sizeOf(kept.map((i) => x[i]!));
  const redCount = sizeOf(red.map((i) => x[i]!));
  const orOne = (v: number[]) => (v.length ? v : [0]);
  return {
    programs: [
      {
        name: node.op.toLowerCase(),
        shader: 'reduce',
        accessors: true,
        defines: { WG, KIND: kind, KEPT: kept.length, RED: red.length },
        inputs: [{ wgsl: 'x', tensor: node.inputs[0]! }],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'red_count', type: 'u32', value: redCount },
          { name: 'kept_shape', type: 'u32', value: orOne(kept.map((i) => x[i]!)) },
          { name: 'kept_strides', type: 'u32', value: orOne(kept.map((i) => strides[i]!)) },
          { name: 'red_shape', type: 'u32', value: orOne(red.map((i) => x[i]!)) },
          { name: 'red_strides', type: 'u32', value: orOne(red.map((i) => strides[i]!)) },
        ],
        workgroups: groupsFor(total, WG),
      },
    ],
  };
};

export const batchNormKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const x = inputShape(ctx, 0);
  if (x.length < 2) throw new WebGPUKernelError(`input rank ${x.length} < 2`, node.name, node.op);
  const total = sizeOf(x);
  const spatial = Math.max(1, product(x.slice(2)));
  // Four elements of one channel per thread (vec4 accessors) when every channel plane is a whole number of vectors.
  const v4 = spatial % 4 === 0 && elementwiseSwitches.vec4 ? 1 : 0;
  return {
    programs: [
      {
        name: v4 ? 'batchnorm_v4' : 'batchnorm',
        shader: 'batchnorm',
        accessors: true,
        defines: { WG, V4: v4, S1: 1 - v4 },
        inputs: ['x', 'scale', 'bias', 'mean', 'variance'].map((wgsl, i) => ({ wgsl, tensor: node.inputs[i]!, vec4: i === 0 && v4 === 1 })),
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]!, vec4: v4 === 1 }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'channels', type: 'u32', value: x[1]! },
          { name: 'spatial', type: 'u32', value: spatial },
          { name: 'epsilon', type: 'f32', value: attrFloat(node, 'epsilon', 1e-5) },
        ],
        workgroups: groupsFor(v4 ? total / 4 : total, WG),
      },
    ],
  };
};
