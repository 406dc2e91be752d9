/**
 * ChannelScale (src/graph/ops/channel_scale.ts): the SE gate x * s[n, c] with its residual Add and activation, one
 * dispatch (shaders/channel_scale.wgsl). The epilogue (activation, residual before/after it) is read exactly as for
 * FusedConv, so both share the ACTIVATIONS table and the RES_BEFORE / RES_AFTER shader switches.
 */
import { hasResidualView } from '../../graph/ops/residual_view.js';
import { sizeOf } from '../../graph/ir.js';
import { alignedScaleShape, fusedConvOf, isChannelScaleShape, readChannelScale } from '../../graph/ops/channel_scale.js';
import { WebGPUKernelError, groupsFor, type Kernel } from './program.js';
import { WG, inputShape } from './kernel_util.js';
import { fusedEpilogue, residualDefines } from './fused.js';
import { parseConv } from './conv.js';
import { pointwisePlan } from './conv_gemm.js';
import { isPointwise } from './conv_select.js';

export const channelScaleKernel: Kernel = (ctx) => {
  const { node } = ctx;
  readChannelScale(node); // validates the attributes (GraphError naming the node)
  const x = inputShape(ctx, 0);
  const s = inputShape(ctx, 1);
  if (x.length < 2 || !isChannelScaleShape(s, x))
    throw new WebGPUKernelError(`S shape [${s.join(', ')}] must vary only along N and C of X [${x.join(', ')}]`, node.name, node.op);
  const residual = node.inputs[2] ?? '';
  // A residual view (src/graph/ops/residual_view.ts) was checked by the shape rule; the executor binds it (residual_view.ts).
  if (residual !== '' && !hasResidualView(node)) {
    const r = inputShape(ctx, 2);
    if (r.length !== x.length || r.some((d, i) => d !== x[i]))
      throw new WebGPUKernelError(`residual R shape [${r.join(', ')}] differs from X's shape [${x.join(', ')}]`, node.name, node.op);
  }
  // Same epilogue reading as FusedConv (R sits at input 3 there).
  const epilogue = fusedEpilogue({ ...node, op: 'FusedConv', inputs: ['', '', '', residual] });
  const aligned = alignedScaleShape(s, x.length)!;
  const total = sizeOf(x);
  return {
    programs: [
      {
        name: epilogue.residual ? 'channel_scale_res' : 'channel_scale',
        shader: 'channel_scale',
        accessors: true,
        defines: { WG, ...residualDefines(epilogue) },
        activation: epilogue.activation,
        inputs: [
          { wgsl: 'x', tensor: node.inputs[0]! },
          { wgsl: 's', tensor: node.inputs[1]! },
          ...(epilogue.residual ? [{ wgsl: 'res', tensor: epilogue.residual }] : []),
        ],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'spatial', type: 'u32', value: Math.max(1, sizeOf(x.slice(2))) },
          { name: 'channels', type: 'u32', value: Math.max(1, x[1]!) },
          { name: 's_batch_stride', type: 'u32', value: aligned[0] === 1 ? 0 : aligned[1]! },
          { name: 's_channel_stride', type: 'u32', value: aligned[1] === 1 ? 0 : 1 },
          ...epilogue.uniforms,
        ],
        workgroups: groupsFor(total, WG),
      },
    ],
  };
};

/**
 * ChannelScaleConv: the FusedConv it wraps, always on the conv2d_1x1 kernel (the pass only builds it for pointwise
 * convs with constant weights), with the IN_SCALE switch: each input channel's weights are multiplied by
 * S[n, ic] as they are loaded, so the scaled input never exists in memory.
 */
export const channelScaleConvKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const conv = parseConv({ ...ctx, node: fusedConvOf(node), inputShapes: ctx.inputShapes.slice(0, 4) });
  const x = inputShape(ctx, 0);
  const s = inputShape(ctx, 4);
  if (!isChannelScaleShape(s, x))
    throw new WebGPUKernelError(`S shape [${s.join(', ')}] must vary only along N and C of X [${x.join(', ')}]`, node.name, node.op);
  if (!isPointwise(conv.shape) || conv.shape.group !== 1 || !conv.weight)
    throw new WebGPUKernelError('only 1x1 / stride 1 / unpadded / group 1 convs with constant weights take an input scale', node.name, node.op);
  const plan = pointwisePlan(conv);
  const program = plan.programs[0]!;
  const aligned = alignedScaleShape(s, x.length)!;
  program.name = program.name.replace('conv2d_1x1', 'conv2d_1x1_scaled');
  program.defines = { ...program.defines, IN_SCALE: 1 };
  program.inputs = [...program.inputs, { wgsl: 'xs', tensor: node.inputs[4]! }];
  program.uniforms = [
    ...program.uniforms,
    { name: 'xs_batch_stride', type: 'u32', value: aligned[0] === 1 ? 0 : aligned[1]! },
    { name: 'xs_channel_stride', type: 'u32', value: aligned[1] === 1 ? 0 : 1 },
  ];
  return plan;
};
