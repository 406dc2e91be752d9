/**
 * ScatterND on WebGPU: Y = a copy of data (strided_copy), then shaders/scatter_nd.wgsl writes each update element to
 * its slot. As for Gather, the indices must be a constant (the backend computes f32 only): they are resolved here,
 * once, to one slot per update row (a flat index over data's first k dims) and uploaded as exact small floats.
 * Reduction 'none' keeps the last update of a slot (the CPU reference's order; earlier duplicates are skipped, so no
 * two threads write one element); add / mul / max / min need distinct slots. Runtime ScatterND with such indices
 * comes from `x[..., a:, b:] += y` (torchvision MViT-V2's relative-position term).
 */
import { attrString, sizeOf, stridesOf, tensorToNumbers } from '../../graph/ir.js';
import { WebGPUKernelError, groupsFor, type Kernel } from './program.js';
import { WG, constantIndices, inputShape } from './kernel_util.js';
import { stridedCopy } from './layout_ops.js';

/** Largest slot the shader reads exactly from an f32 (2^24). */
const MAX_EXACT_SLOT = 1 << 24;
const REDUCE_CODE: Record<string, number> = { none: 0, add: 1, mul: 2, max: 3, min: 4 };

export const scatterNDKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const data = inputShape(ctx, 0);
  const indShape = inputShape(ctx, 1);
  const ind = constantIndices(ctx, 1);
  const reduction = attrString(node, 'reduction', 'none');
  const reduce = REDUCE_CODE[reduction];
  if (reduce === undefined) throw new WebGPUKernelError(`unsupported reduction '${reduction}'`, node.name, node.op);
  const k = indShape[indShape.length - 1]!;
  const slots = sizeOf(data.slice(0, k));
  if (slots > MAX_EXACT_SLOT) throw new WebGPUKernelError(`${slots} slots over data's first ${k} dims are too many for the scatter shader`, node.name, node.op);
  const rows = sizeOf(indShape.slice(0, -1));
  const values = tensorToNumbers(ind);
  const strides = stridesOf(data.slice(0, k));
  const slotOf = Array.from({ length: rows }, (_, j) => {
    let s = 0;
    for (let d = 0; d < k; d++) {
      const raw = values[j * k + d]!;
      const i = raw < 0 ? raw + data[d]! : raw;
      if (!Number.isInteger(i) || i < 0 || i >= data[d]!) throw new WebGPUKernelError(`index ${raw} is out of range for axis ${d} of size ${data[d]}`, node.name, node.op);
      s += i * strides[d]!;
    }
    return s;
  });
  // The last row of each slot writes it; earlier ones are skipped (-1). Reductions need every slot once.
  const last = new Map<number, number>();
  slotOf.forEach((s, j) => last.set(s, j));
  if (reduce !== 0 && last.size < rows)
    throw new WebGPUKernelError(`reduction '${reduction}' with repeated indices has no WebGPU kernel (distinct indices only)`, node.name, node.op);
  const table = `\u0000scatter_slots:${node.inputs[1]}:${data.join('x')}`;
  const inner = sizeOf(data.slice(k));
  const total = rows * inner;
  const copy = stridedCopy(ctx, 'scatter_copy', 0, stridesOf(data));
  return {
    constants: [{ name: table, data: Float32Array.from(slotOf, (s, j) => (last.get(s) === j ? s : -1)) }],
    programs: [
      ...copy.programs,
      {
        name: 'scatter_nd',
        shader: 'scatter_nd',
        accessors: true,
        defines: { WG, REDUCE: reduce },
        inputs: [
          { wgsl: 'upd', tensor: node.inputs[2]! },
          { wgsl: 'slot', tensor: table },
        ],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'inner', type: 'u32', value: inner },
        ],
        workgroups: groupsFor(Math.max(total, 1), WG),
      },
    ],
  };
};
