/**
 * Gather on WebGPU. The backend computes f32 only, so indices are never produced on the GPU: they must be a constant
 * (an initializer, e.g. `x[:, 0]` of ViT's class token or `qkv[0]` of Swin's attention). Indices in arithmetic
 * progression (a single index, a range, a stepped range) are a strided copy (shaders/strided_copy.wgsl, like Slice);
 * any other index list runs shaders/gather.wgsl with the indices uploaded once as exact small floats.
 */
import { attrInt, sizeOf, stridesOf, tensorToNumbers } from '../../graph/ir.js';
import { WebGPUKernelError, groupsFor, type Kernel } from './program.js';
import { WG, checkRank, constantIndices, inputShape, normAxis } from './kernel_util.js';
import { stridedCopy } from './layout_ops.js';

/** Largest index the gather shader reads exactly from an f32 (2^24). */
const MAX_EXACT_INDEX = 1 << 24;

/** [first, step] when `values` is an arithmetic progression (any single value is one), else undefined. */
function progression(values: number[]): [number, number] | undefined {
  if (values.length === 0) return undefined;
  const step = values.length > 1 ? values[1]! - values[0]! : 0;
  return values.every((v, k) => v === values[0]! + k * step) ? [values[0]!, step] : undefined;
}

export const gatherKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const x = inputShape(ctx, 0);
  const indShape = inputShape(ctx, 1);
  const ind = constantIndices(ctx, 1);
  const axis = normAxis(node, attrInt(node, 'axis', 0), x.length);
  const dim = x[axis]!;
  const values = tensorToNumbers(ind).map((v) => {
    const j = v < 0 ? v + dim : v;
    if (!Number.isInteger(j) || j < 0 || j >= dim) throw new WebGPUKernelError(`index ${v} is out of range for axis ${axis} of size ${dim}`, node.name, node.op);
    return j;
  });
  const out = ctx.outputShapes[0]!;
  checkRank(ctx, out.length);
  const xStrides = stridesOf(x);
  const run = progression(values);
  if (run) {
    // Output dims: x's before the axis, the index dims (flat index k <-> first + k * step), x's after the axis.
    const idxStrides = stridesOf(indShape).map((s) => s * run[1] * xStrides[axis]!);
    const strides = [...xStrides.slice(0, axis), ...idxStrides, ...xStrides.slice(axis + 1)];
    return stridedCopy(ctx, 'gather_strided', run[0] * xStrides[axis]!, strides);
  }
  if (dim > MAX_EXACT_INDEX) throw new WebGPUKernelError(`axis ${axis} of size ${dim} is too large for the gather shader`, node.name, node.op);
  const table = `\u0000gather_indices:${node.inputs[1]}:${dim}`;
  const total = sizeOf(out);
  return {
    constants: [{ name: table, data: Float32Array.from(values) }],
    programs: [
      {
        name: 'gather',
        shader: 'gather',
        accessors: true,
        defines: { WG },
        inputs: [
          { wgsl: 'x', tensor: node.inputs[0]! },
          { wgsl: 'ind', tensor: table },
        ],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'inner', type: 'u32', value: sizeOf(x.slice(axis + 1)) },
          { name: 'count', type: 'u32', value: values.length },
          { name: 'dim', type: 'u32', value: dim },
        ],
        workgroups: groupsFor(total, WG),
      },
    ],
  };
};
