/**
 * 3-D (volumetric, NCDHW) Conv / FusedConv and MaxPool / AveragePool. Convs with constant weights run the
 * register-tiled implicit GEMM of conv3d_gemm.ts; runtime weights the direct kernel (shaders/conv3d_direct.wgsl, one
 * output per thread); pooling is direct (shaders/pool3d.wgsl). Spatial triples of the direct kernels travel as
 * one-vec4 uniform arrays. The registry (kernels.ts) routes 5-D inputs here and everything else to the 1-D/2-D kernels.
 */
import { attrInt, attrInts, attrString, sizeOf } from '../../graph/ir.js';
import { WebGPUKernelError, groupsFor, type Kernel, type KernelContext, type KernelPlan } from './program.js';
import { WG, inputShape, resolveAutoPads } from './kernel_util.js';
import { fusedEpilogue, residualDefines } from './fused.js';
import { conv3dMacs, gemm3dPlan, pointwise3dPlan, selectConv3dVariant, type Conv3dNode, type Conv3dShape } from './conv3d_gemm.js';

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

/**
 * Conv / FusedConv on 5-D inputs: parses the node, lets conv3d_gemm.ts's rule pick a variant (register-tiled implicit
 * GEMM for constant weights, the 2-D 1x1 GEMM for pointwise convs) and falls back to the direct kernel for runtime
 * weights. Every variant applies the FusedConv epilogue (bias, activation, residual before/after it).
 */
export const conv3dKernel: Kernel = (ctx) => {
  const c = parseConv3d(ctx);
  switch (selectConv3dVariant(c.shape)) {
    case 'conv3d_gemm':
      return gemm3dPlan(c, 8);
    case 'conv3d_gemm4':
      return gemm3dPlan(c, 4);
    case 'conv3d_gemm_generic':
      return gemm3dPlan(c, 8, true);
    case 'conv3d_1x1':
      return pointwise3dPlan(c);
    case 'conv3d_direct':
      return direct3dPlan(c, ctx);
  }
};

const triple = (v: number[]): [number, number, number] => [v[0]!, v[1]!, v[2]!];

function parseConv3d(ctx: KernelContext): Conv3dNode {
  const { node } = ctx;
  const w = inputShape(ctx, 1);
  const kernelShape = attrInts(node, 'kernel_shape', w.slice(2));
  const g = geometry(ctx, kernelShape);
  const group = attrInt(node, 'group', 1);
  const [n, cin] = g.x as [number, number];
  const cout = g.y[1]!;
  if (w.length !== 5 || group < 1 || cin % group !== 0 || cout % group !== 0 || w[0] !== cout || w[1] !== cin / group)
    throw new WebGPUKernelError(`weight [${w}] does not match channels (in ${cin}, out ${cout}) and group ${group}`, node.name, node.op);
  const weight = ctx.constant?.(node.inputs[1]!);
  const u = (name: string) => g.uniforms.find((f) => f.name === name)!.value;
  const shape: Conv3dShape = {
    n,
    cin,
    cout,
    in: triple(g.x.slice(2)),
    out: triple(g.y.slice(2)),
    k: triple(kernelShape),
    stride: triple(u('stride')),
    dil: triple(u('dil')),
    pads: [...u('pad_begin'), ...g.padsEnd] as Conv3dShape['pads'],
    group,
    constWeights: !!weight,
  };
  return { node, shape, hasBias: node.inputs.length > 2 && node.inputs[2] !== '', act: fusedEpilogue(node), weight };
}

/** conv3d_direct: one output per thread, OIDHW weights as they are (constant or runtime). */
function direct3dPlan(c: Conv3dNode, ctx: KernelContext): KernelPlan {
  const { node, shape: s, act } = c;
  const g = geometry(ctx, s.k);
  const total = sizeOf(g.y);
  return {
    programs: [
      {
        name: act.residual ? 'conv3d_direct_res' : 'conv3d_direct',
        shader: 'conv3d_direct',
        accessors: true,
        defines: { WG, HAS_BIAS: c.hasBias ? 1 : 0, ...residualDefines(act) },
        activation: act.activation,
        inputs: [
          { wgsl: 'x', tensor: node.inputs[0]! },
          { wgsl: 'w', tensor: node.inputs[1]! },
          ...(c.hasBias ? [{ wgsl: 'bias', tensor: node.inputs[2]! }] : []),
          ...(act.residual ? [{ wgsl: 'res', tensor: act.residual }] : []),
        ],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'in_c', type: 'u32', value: s.cin },
          { name: 'out_c', type: 'u32', value: s.cout },
          { name: 'in_c_per_group', type: 'u32', value: s.cin / s.group },
          { name: 'out_c_per_group', type: 'u32', value: s.cout / s.group },
          ...g.uniforms,
          ...act.uniforms,
        ],
        workgroups: groupsFor(total, WG),
        macs: conv3dMacs(s),
      },
    ],
  };
}

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
