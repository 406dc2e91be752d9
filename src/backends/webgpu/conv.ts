/**
 * Conv / FusedConv (1-D and 2-D, NCHW). Parses the node into a ConvShape, lets conv_select.ts pick a variant (the one
 * place that decides), and hands it to that variant's builder:
 *   conv2d_gemm / conv2d_gemm4 / conv2d_1x1 and the real-GPU conv2d_rt4x4 / conv2d_rt8x4 / conv2d_wgm(_8x16) /
 *   conv2d_splitk (conv_gemm.ts), depthwise and the real-GPU depthwise_4x4 (depthwise.ts), conv2d_direct (below: one
 *   output per thread, any shape, runtime weights).
 * Every variant applies the FusedConv epilogue (bias, activation, residual before/after it).
 */
import { attrInt, attrInts, attrString } from '../../graph/ir.js';
import { WebGPUKernelError, groupsFor, type Kernel, type KernelPlan } from './program.js';
import { WG, inputShape, resolveAutoPads } from './kernel_util.js';
import { fusedEpilogue } from './fused.js';
import { selectConvVariant, type ConvShape } from './conv_select.js';
import { commonSpec, epilogueInputs, geometryUniforms, variantName, type ConvNode } from './conv_common.js';
import { gemmConvPlan, pointwisePlan, splitKConvPlan, wgmConvPlan } from './conv_gemm.js';
import { depthwise4x4Plan, depthwisePlan } from './depthwise.js';
import type { Precision } from './conv_wgsl.js';

export { packWeightsGrouped } from './conv_gemm.js';

export const convKernel: Kernel = (ctx) => {
  const c = parseConv(ctx);
  // The opt-in f16 arithmetic (ExecutorOptions.f16Compute, only set where the device has shader-f16) for the
  // generated families that have an f16 form; the others stay f32.
  const p: Precision = ctx.f16Compute ? 'f16' : 'f32';
  switch (selectConvVariant(c.shape, ctx.convVariant)) {
    case 'conv2d_gemm':
      return gemmConvPlan(c, 8, false, undefined, undefined, p);
    case 'conv2d_gemm4':
      return gemmConvPlan(c, 4, false, undefined, undefined, p);
    case 'conv2d_1x1':
      return pointwisePlan(c);
    case 'conv2d_gemm_generic':
      return gemmConvPlan(c, 8, true, undefined, undefined, p);
    case 'conv2d_rt4x4':
      return gemmConvPlan(c, 4, false, undefined, { px: 4, wg: 64, name: 'conv2d_rt' }, p);
    case 'conv2d_rt8x4':
      return gemmConvPlan(c, 4, false, undefined, { px: 8, wg: 128, name: 'conv2d_rt' }, p);
    case 'conv2d_wgm':
      return wgmConvPlan(c);
    case 'conv2d_wgm_8x16':
      return wgmConvPlan(c, { channelsTile: 64 });
    case 'depthwise_4x4':
      return depthwise4x4Plan(c, p);
    case 'conv2d_splitk':
      return splitKConvPlan(c, p);
    case 'depthwise':
      return depthwisePlan(c);
    case 'conv2d_direct':
      return directPlan(c);
    case 'winograd':
    case 'winograd4': // chosen but not lowered (lower.ts lowerWinograd did not run): the implicit GEMM instead
    case 'im2col': // likewise (lower.ts lowerIm2col)
      return gemmConvPlan(c, 8);
  }
};

export function parseConv(ctx: Parameters<Kernel>[0]): ConvNode {
  const { node } = ctx;
  let x = inputShape(ctx, 0);
  let w = inputShape(ctx, 1);
  let y = ctx.outputShapes[0]!;
  const spatial = x.length - 2;
  if (spatial !== 1 && spatial !== 2) throw new WebGPUKernelError(`${spatial}-D convolution is not supported by the 2-D conv kernels`, node.name, node.op);
  const k = attrInts(node, 'kernel_shape', w.slice(2));
  const strides = attrInts(node, 'strides', new Array<number>(spatial).fill(1));
  const dil = attrInts(node, 'dilations', new Array<number>(spatial).fill(1));
  const group = attrInt(node, 'group', 1);
  const pads = resolveAutoPads(attrString(node, 'auto_pad', 'NOTSET'), node.attrs['pads'] ? attrInts(node, 'pads') : undefined, x.slice(2), y.slice(2), k, strides, dil);
  // 1-D conv is a 2-D conv with H = 1.
  const as2d = (v: number[], one: number) => (spatial === 1 ? [one, v[0]!] : v);
  const [kh, kw] = as2d(k, 1) as [number, number];
  const [sh, sw] = as2d(strides, 1) as [number, number];
  const [dh, dw] = as2d(dil, 1) as [number, number];
  const padsTLBR: [number, number, number, number] = spatial === 1 ? [0, pads[0]!, 0, pads[1]!] : [pads[0]!, pads[1]!, pads[2]!, pads[3]!];
  if (spatial === 1) {
    x = [x[0]!, x[1]!, 1, x[2]!];
    w = [w[0]!, w[1]!, 1, w[2]!];
    y = [y[0]!, y[1]!, 1, y[2]!];
  }
  const [n, cin, ih, iw] = x as [number, number, number, number];
  const [, cout, oh, ow] = y as [number, number, number, number];
  if (group < 1 || cin % group !== 0 || cout % group !== 0 || w[1] !== cin / group) {
    throw new WebGPUKernelError(`channels (in ${cin}, out ${cout}, weight ${w[1]}) do not match group ${group}`, node.name, node.op);
  }
  const weight = ctx.constant?.(node.inputs[1]!);
  const shape: ConvShape = { n, cin, ih, iw, cout, oh, ow, kh, kw, sh, sw, dh, dw, pads: padsTLBR, group, constWeights: !!weight };
  return { node, shape, hasBias: node.inputs.length > 2 && node.inputs[2] !== '', act: fusedEpilogue(node), weight };
}

/** conv2d_direct: one output element per thread, OIHW weights as they are (constant or runtime). */
function directPlan(c: ConvNode): KernelPlan {
  const s = c.shape;
  const total = s.n * s.cout * s.oh * s.ow;
  const common = commonSpec(c);
  return {
    programs: [
      {
        ...common,
        name: variantName('conv2d_direct', c),
        shader: 'conv2d_direct',
        inputs: [{ wgsl: 'x', tensor: c.node.inputs[0]! }, { wgsl: 'w', tensor: c.node.inputs[1]! }, ...epilogueInputs(c)],
        uniforms: [{ name: 'total', type: 'u32', value: total }, ...geometryUniforms(s), ...c.act.uniforms],
        workgroups: groupsFor(total, WG),
      },
    ],
  };
}
