/** CumSum on WebGPU (shaders/cumsum.wgsl): one thread per output element, f32 sums (the CPU reference uses float64). */
import { attrInt, sizeOf } from '../../graph/ir.js';
import { groupsFor, type Kernel } from './program.js';
import { WG, inputShape, normAxis } from './kernel_util.js';

export const cumSumKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const x = inputShape(ctx, 0);
  const axis = normAxis(node, attrInt(node, 'axis'), x.length);
  const total = sizeOf(x);
  return {
    programs: [
      {
        name: 'cumsum',
        shader: 'cumsum',
        accessors: true,
        defines: { WG, EXCLUSIVE: attrInt(node, 'exclusive', 0) === 1 ? 1 : 0, REVERSE: attrInt(node, 'reverse', 0) === 1 ? 1 : 0 },
        inputs: [{ wgsl: 'x', tensor: node.inputs[0]! }],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'dim', type: 'u32', value: x[axis]! },
          { name: 'inner', type: 'u32', value: sizeOf(x.slice(axis + 1)) },
        ],
        workgroups: groupsFor(total, WG),
      },
    ],
  };
};
