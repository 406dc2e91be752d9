/**
 * WebGPU kernel of Im2col (definition: src/graph/ops/im2col.ts; made by lower.ts `lowerIm2col`): shaders/im2col.wgsl,
 * one thread per 4 consecutive output pixels of one P row (vec4 stores) when OH·OW is a multiple of 4, else per pixel.
 */
import { sizeOf } from '../../graph/ir.js';
import { im2colParams, im2colShape } from '../../graph/ops/im2col.js';
import { WebGPUKernelError, groupsFor, type Kernel } from './program.js';
import { WG, inputShape } from './kernel_util.js';

export const im2colKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const p = im2colParams(node);
  const x = inputShape(ctx, 0);
  if (x.length !== 4) throw new WebGPUKernelError(`X must be 4-D, got rank ${x.length}`, node.name, node.op);
  const out = im2colShape(x, p);
  if (typeof out === 'string') throw new WebGPUKernelError(out, node.name, node.op);
  const [, c, h, w] = x as [number, number, number, number];
  const [, , oh, ow] = out as [number, number, number, number];
  const vec4 = (oh * ow) % 4 === 0;
  const threads = sizeOf(out) / (vec4 ? 4 : 1);
  return {
    programs: [
      {
        name: vec4 ? 'im2col_v4' : 'im2col',
        shader: 'im2col',
        accessors: true,
        defines: { WG, VEC4: vec4 ? 1 : 0 },
        inputs: [{ wgsl: 'x', tensor: node.inputs[0]! }],
        outputs: [{ wgsl: 'p', tensor: node.outputs[0]!, vec4: true }], // declares p_set4 (a scalar fallback when unaligned)
        uniforms: [
          { name: 'total', type: 'u32', value: threads },
          { name: 'in_c', type: 'u32', value: c },
          { name: 'in_h', type: 'u32', value: h },
          { name: 'in_w', type: 'u32', value: w },
          { name: 'out_h', type: 'u32', value: oh },
          { name: 'out_w', type: 'u32', value: ow },
          { name: 'k_h', type: 'u32', value: p.kernel[0] },
          { name: 'k_w', type: 'u32', value: p.kernel[1] },
          { name: 'stride_h', type: 'u32', value: p.strides[0] },
          { name: 'stride_w', type: 'u32', value: p.strides[1] },
          { name: 'dil_h', type: 'u32', value: p.dilations[0] },
          { name: 'dil_w', type: 'u32', value: p.dilations[1] },
          { name: 'pad_top', type: 'i32', value: p.pads[0] },
          { name: 'pad_left', type: 'i32', value: p.pads[1] },
        ],
        workgroups: groupsFor(threads, WG),
      },
    ],
  };
};

export const im2colWebgpuKernels: Record<string, Kernel> = { Im2col: im2colKernel };
