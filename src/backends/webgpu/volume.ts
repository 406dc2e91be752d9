/**
 * 3-D (volumetric, NCDHW) Conv / FusedConv and MaxPool / AveragePool: direct kernels, one output per thread
 * (shaders/conv3d_direct.wgsl, shaders/pool3d.wgsl). Spatial triples travel as one-vec4 uniform arrays.
 * The registry (kernels.ts) routes 5-D inputs here and everything else to the 1-D/2-D kernels.
 */
import { attrInt, attrInts, attrString, sizeOf } from '../../graph/ir.js';
import { WebGPUKernelError, groupsFor, type Kernel, type KernelContext } from './program.js';
import { WG, inputShape, resolveAutoPads } from './kernel_util.js';
import { fusedEpilogue, residualDefines } from './fused.js';

/** True when the node's first input is 5-D (N, C, D, H, W). */
export function isVolumetric(ctx: KernelContext): boolean {
  return (ctx.inputShapes[0]?.length ?? 0) === 5;
}

function geometry(ctx: KernelContext, kernelShape: number[]) {
  const { node } = ctx;
  const x = inputShape(ctx, 0);
  const y = ctx.outputShapes[0]!;
  const strides = attrInts(node, 'strides', [1, 1, 1]);
  const dil = attrInts(node, 'dilations', [1, 1, 1]);
  const pads = resolveAutoPads(attrString(node, 'auto_pad', 'NOTSET'), node.attrs['pads'] ? attrInts(node, 'pads') : undefined, x.slice(2), y.slice(2), kernelShape, strides, dil);
  if ([kernelShape, strides, dil].some((v) => v.length !== 3) || pads.length !== 6)
    throw new WebGPUKernelError('3-D kernel_shape, strides, dilations and pads must have 3 (pads 6) entries', node.name, node.op);
  return {
    x,
    y,
    uniforms: [
      { name: 'in_dhw', type: 'u32' as const, value: x.slice(2) },
      { name: 'out_dhw', type: 'u32' as const, value: y.slice(2) },
      { name: 'k', type: 'u32' as const, value: kernelShape },
      { name: 'stride', type: 'u32' as const, value: strides },
      { name: 'dil', type: 'u32' as const, value: dil },
      { name: 'pad_begin', type: 'i32' as const, value: pads.slice(0, 3) },
    ],
    padsEnd: pads.slice(3),
  };
}

export const conv3dKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const w = inputShape(ctx, 1);
  const kernelShape = attrInts(node, 'kernel_shape', w.slice(2));
  const g = geometry(ctx, kernelShape);
  const group = attrInt(node, 'group', 1);
  const [, cin] = g.x as [number, number];
  const cout = g.y[1]!;
  if (cin % group !== 0 || cout % group !== 0 || w[1] !== cin / group)
    throw new WebGPUKernelError(`channels (in ${cin}, out ${cout}, weight ${w[1]}) do not match group ${group}`, node.name, node.op);
  const hasBias = node.inputs.length > 2 && node.inputs[2] !== '';
  const act = fusedEpilogue(node);
  const total = sizeOf(g.y);
  return {
    programs: [
      {
        name: act.residual ? 'conv3d_direct_res' : 'conv3d_direct',
        shader: 'conv3d_direct',
        accessors: true,
        defines: { WG, HAS_BIAS: hasBias ? 1 : 0, ...residualDefines(act) },
        activation: act.activation,
        inputs: [
          { wgsl: 'x', tensor: node.inputs[0]! },
          { wgsl: 'w', tensor: node.inputs[1]! },
          ...(hasBias ? [{ wgsl: 'bias', tensor: node.inputs[2]! }] : []),
          ...(act.residual ? [{ wgsl: 'res', tensor: act.residual }] : []),
        ],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'in_c', type: 'u32', value: cin },
          { name: 'out_c', type: 'u32', value: cout },
          { name: 'in_c_per_group', type: 'u32', value: cin / group },
          { name: 'out_c_per_group', type: 'u32', value: cout / group },
          ...g.uniforms,
          ...act.uniforms,
        ],
        workgroups: groupsFor(total, WG),
        macs: total * (cin / group) * kernelShape[0]! * kernelShape[1]! * kernelShape[2]!,
      },
    ],
  };
};

export const pool3dKernel: Kernel = (ctx) => {
  const { node } = ctx;
  if (node.outputs.length > 1 && node.outputs[1] !== '') throw new WebGPUKernelError('the Indices output is not supported', node.name, node.op);
  const g = geometry(ctx, attrInts(node, 'kernel_shape'));
  const isMax = node.op === 'MaxPool';
  const total = sizeOf(g.y);
  const end = g.x.slice(2).map((d, i) => d + g.padsEnd[i]!);
  return {
    programs: [
      {
        name: isMax ? 'maxpool3d' : 'avgpool3d',
        shader: 'pool3d',
        accessors: true,
        defines: { WG, IS_MAX: isMax ? 1 : 0 },
        inputs: [{ wgsl: 'x', tensor: node.inputs[0]! }],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'count_include_pad', type: 'u32', value: !isMax && attrInt(node, 'count_include_pad', 0) ? 1 : 0 },
          ...g.uniforms,
          { name: 'end', type: 'i32', value: end },
        ],
        workgroups: groupsFor(total, WG),
      },
    ],
  };
};
