/** MaxPool / AveragePool (1-D and 2-D) and GlobalAveragePool / GlobalMaxPool, NCHW. */
import { attrInt, attrInts, attrString, sizeOf } from '../../graph/ir.js';
import { WebGPUKernelError, groupsFor, type Kernel } from './program.js';
import { WG, inputShape, product, resolveAutoPads } from './kernel_util.js';
import { lineReductionFields, selectReductionVariant } from './reduce_select.js';

export const poolKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const x = inputShape(ctx, 0);
  const y = ctx.outputShapes[0]!;
  const spatial = x.length - 2;
  if (spatial !== 1 && spatial !== 2) throw new WebGPUKernelError(`${spatial}-D pooling is not supported on WebGPU`, node.name, node.op);
  if (node.outputs.length > 1 && node.outputs[1] !== '') throw new WebGPUKernelError('the Indices output is not supported', node.name, node.op);
  const k = attrInts(node, 'kernel_shape');
  const strides = attrInts(node, 'strides', new Array<number>(spatial).fill(1));
  const dil = attrInts(node, 'dilations', new Array<number>(spatial).fill(1));
  const pads = resolveAutoPads(attrString(node, 'auto_pad', 'NOTSET'), node.attrs['pads'] ? attrInts(node, 'pads') : undefined, x.slice(2), y.slice(2), k, strides, dil);
  const two = (v: number[], one: number): [number, number] => (spatial === 1 ? [one, v[0]!] : [v[0]!, v[1]!]);
  const [kh, kw] = two(k, 1);
  const [sh, sw] = two(strides, 1);
  const [dh, dw] = two(dil, 1);
  const [pt, pl] = two(pads.slice(0, spatial), 0);
  const [pb, pr] = two(pads.slice(spatial), 0);
  const [ih, iw] = two(x.slice(2), 1);
  const [oh, ow] = two(y.slice(2), 1);
  const isMax = node.op === 'MaxPool';
  const total = sizeOf(y);
  return {
    programs: [
      {
        name: isMax ? 'maxpool2d' : 'avgpool2d',
        shader: 'pool2d',
        accessors: true,
        defines: { WG, IS_MAX: isMax ? 1 : 0 },
        inputs: [{ wgsl: 'x', tensor: node.inputs[0]! }],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'in_h', type: 'u32', value: ih },
          { name: 'in_w', type: 'u32', value: iw },
          { name: 'out_h', type: 'u32', value: oh },
          { name: 'out_w', type: 'u32', value: ow },
          { name: 'k_h', type: 'u32', value: kh },
          { name: 'k_w', type: 'u32', value: kw },
          { name: 'stride_h', type: 'u32', value: sh },
          { name: 'stride_w', type: 'u32', value: sw },
          { name: 'dil_h', type: 'u32', value: dh },
          { name: 'dil_w', type: 'u32', value: dw },
          { name: 'pad_top', type: 'i32', value: pt },
          { name: 'pad_left', type: 'i32', value: pl },
          { name: 'h_end', type: 'i32', value: ih + pb },
          { name: 'w_end', type: 'i32', value: iw + pr },
          { name: 'count_include_pad', type: 'u32', value: isMax ? 0 : attrInt(node, 'count_include_pad', 0) ? 1 : 0 },
          { name: 'act_a', type: 'f32', value: 0 },
          { name: 'act_b', type: 'f32', value: 0 },
        ],
        workgroups: groupsFor(total, WG),
      },
    ],
  };
};

export const globalPoolKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const x = inputShape(ctx, 0);
  if (x.length < 3) throw new WebGPUKernelError(`input rank ${x.length} < 3`, node.name, node.op);
  const planes = x[0]! * x[1]!;
  const isMax = node.op === 'GlobalMaxPool';
  const spatial = product(x.slice(2));
  // One invocation per plane (`shaders/global_pool.wgsl`), or a workgroup per plane (reduce_select.ts variants).
  const variant = selectReductionVariant({ op: 'GlobalPool', lines: planes, length: spatial }, ctx.features ?? { subgroups: false }, ctx.reductionVariant);
  const perLine = variant === 'reduce_thread' ? undefined : lineReductionFields('global_pool', variant, planes);
  return {
    programs: [
      {
        name: `${isMax ? 'global_maxpool' : 'global_avgpool'}${perLine?.suffix ?? ''}`,
        shader: perLine?.shader ?? 'global_pool',
        ...(perLine?.extensions ? { extensions: perLine.extensions } : {}),
        accessors: true,
        defines: { WG, IS_MAX: isMax ? 1 : 0 },
        inputs: [{ wgsl: 'x', tensor: node.inputs[0]! }],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: planes },
          { name: 'spatial', type: 'u32', value: spatial },
        ],
        workgroups: perLine?.workgroups ?? groupsFor(planes, WG),
      },
    ],
  };
};
