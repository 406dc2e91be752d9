/**
 * Data-movement ops: Concat (one region copy per input), Transpose / Slice / Expand (one strided gather), Pad,
 * and the alias ops (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout) that reuse their input's buffer.
 */
import { attrFloat, attrInt, attrInts, attrString, sizeOf, stridesOf, type Shape } from '../../graph/ir.js';
import { WebGPUKernelError, groupsFor, type Kernel, type KernelContext, type KernelPlan, type ProgramSpec } from './program.js';
import { WG, broadcastStrides, checkRank, inputShape, normAxis, product } from './kernel_util.js';

export const aliasKernel: Kernel = () => ({ programs: [], aliases: [{ output: 0, input: 0 }] });

export const concatKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const out = ctx.outputShapes[0]!;
  const axis = normAxis(node, attrInt(node, 'axis'), out.length);
  const outer = product(out.slice(0, axis));
  const innerOut = product(out.slice(axis));
  const programs: ProgramSpec[] = [];
  let offset = 0;
  node.inputs.forEach((tensor, i) => {
    if (tensor === '') return;
    const shape = inputShape(ctx, i);
    const innerIn = product(shape.slice(axis));
    const total = outer * innerIn;
    // Inputs the memory plan made views of the output were written there by their producers: nothing to copy.
    if (total > 0 && !ctx.inPlaceInputs?.[i]) {
      programs.push({
        name: 'concat_copy',
        shader: 'copy_region',
        accessors: true,
        defines: { WG },
        inputs: [{ wgsl: 'x', tensor }],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'inner_in', type: 'u32', value: innerIn },
          { name: 'inner_out', type: 'u32', value: innerOut },
          { name: 'offset', type: 'u32', value: offset },
        ],
        workgroups: groupsFor(total, WG),
      });
    }
    offset += innerIn;
  });
  return { programs };
};

/** One strided gather (shaders/strided_copy.wgsl): y[c] = x[base + sum_d c_d * strides_d]. Also used by gather.ts. */
export function stridedCopy(ctx: KernelContext, name: string, base: number, strides: number[], output = 0): KernelPlan {
  const out = ctx.outputShapes[output]!;
  checkRank(ctx, out.length);
  const total = sizeOf(out);
  return {
    programs: [
      {
        name,
        shader: 'strided_copy',
        accessors: true,
        defines: { WG, RANK: out.length },
        inputs: [{ wgsl: 'x', tensor: ctx.node.inputs[0]! }],
        outputs: [{ wgsl: 'y', tensor: ctx.node.outputs[output]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'base', type: 'i32', value: base },
          { name: 'out_shape', type: 'u32', value: out.length ? [...out] : [1] },
          { name: 'strides', type: 'i32', value: strides.length ? strides : [0] },
        ],
        workgroups: groupsFor(total, WG),
      },
    ],
  };
}

export const transposeKernel: Kernel = (ctx) => {
  const x = inputShape(ctx, 0);
  const perm = attrInts(ctx.node, 'perm', x.map((_, i) => x.length - 1 - i));
  const inStrides = stridesOf(x);
  return stridedCopy(ctx, 'transpose', 0, perm.map((p) => inStrides[p]!));
};

export const expandKernel: Kernel = (ctx) => stridedCopy(ctx, 'expand', 0, broadcastStrides(inputShape(ctx, 0), ctx.outputShapes[0]!));

/** Effective start and step per input dim, following ONNX Slice clamping (negative indices and steps). */
export function sliceStartsSteps(x: Shape, starts: number[], ends: number[], axes: number[], steps: number[]): { start: number[]; step: number[]; count: number[] } {
  const start = x.map(() => 0);
  const step = x.map(() => 1);
  const count = [...x];
  axes.forEach((axisRaw, i) => {
    const axis = axisRaw < 0 ? axisRaw + x.length : axisRaw;
    const dim = x[axis]!;
    const s = steps[i] ?? 1;
    let b = starts[i]!;
    let e = ends[i]!;
    if (b < 0) b += dim;
    if (e < 0) e += dim;
    if (s > 0) {
      b = Math.min(Math.max(b, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
    } else {
      b = Math.min(Math.max(b, 0), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
    }
    start[axis] = b;
    step[axis] = s;
    count[axis] = Math.max(0, Math.ceil((e - b) / s));
  });
  return { start, step, count };
}

export const sliceKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const x = inputShape(ctx, 0);
  const starts = attrInts(node, 'starts');
  const ends = attrInts(node, 'ends');
  const axes = attrInts(node, 'axes', starts.map((_, i) => i));
  const steps = attrInts(node, 'steps', starts.map(() => 1));
  if (steps.some((s) => s === 0)) throw new WebGPUKernelError('slice step 0', node.name, node.op);
  const { start, step } = sliceStartsSteps(x, starts, ends, axes, steps);
  const inStrides = stridesOf(x);
  const base = start.reduce((acc, s, d) => acc + s * inStrides[d]!, 0);
  return stridedCopy(ctx, 'slice', base, step.map((s, d) => s * inStrides[d]!));
};

/** Split: one strided copy per output (the memory plan usually makes the outputs views instead: no dispatch). */
export const splitKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const x = inputShape(ctx, 0);
  const axis = normAxis(node, attrInt(node, 'axis', 0), x.length);
  const strides = stridesOf(x);
  const programs: ProgramSpec[] = [];
  let start = 0;
  node.outputs.forEach((o, k) => {
    const size = ctx.outputShapes[k]?.[axis] ?? 0;
    if (o !== '') programs.push(...stridedCopy(ctx, 'split', start * strides[axis]!, strides, k).programs);
    start += size;
  });
  return { programs };
};

export const padKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const x = inputShape(ctx, 0);
  const out = ctx.outputShapes[0]!;
  checkRank(ctx, out.length);
  const pads = attrInts(node, 'pads');
  const mode = attrString(node, 'mode', 'constant');
  const modeId = { constant: 0, reflect: 1, edge: 2 }[mode];
  if (modeId === undefined) throw new WebGPUKernelError(`pad mode '${mode}' is not supported`, node.name, node.op);
  const total = sizeOf(out);
  return {
    programs: [
      {
        name: `pad_${mode}`,
        shader: 'pad',
        accessors: true,
        defines: { WG, RANK: x.length, MODE: modeId },
        inputs: [{ wgsl: 'x', tensor: node.inputs[0]! }],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'value', type: 'f32', value: attrFloat(node, 'value', 0) },
          { name: 'out_shape', type: 'u32', value: out.length ? [...out] : [1] },
          { name: 'in_shape', type: 'u32', value: x.length ? [...x] : [1] },
          { name: 'pad_begin', type: 'i32', value: x.length ? pads.slice(0, x.length) : [0] },
        ],
        workgroups: groupsFor(total, WG),
      },
    ],
  };
};
