/** Conv (1-D and 2-D, NCHW): general direct convolution with groups, strides, dilations, pads and fused activation. */
import { attrInt, attrInts, attrString, sizeOf, tensorToNumbers, type Tensor } from '../../graph/ir.js';
import { WebGPUKernelError, groupsFor, type Kernel } from './program.js';
import { WG, inputShape, resolveAutoPads } from './kernel_util.js';
import { fusedEpilogue, residualDefines } from './fused.js';

export const convKernel: Kernel = (ctx) => {
  const { node } = ctx;
  let x = inputShape(ctx, 0);
  let w = inputShape(ctx, 1);
  let y = ctx.outputShapes[0]!;
  const spatial = x.length - 2;
  if (spatial !== 1 && spatial !== 2) throw new WebGPUKernelError(`${spatial}-D convolution is not supported on WebGPU`, node.name, node.op);
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
  const [pt, pl] = spatial === 1 ? [0, pads[0]!] : [pads[0]!, pads[1]!];
  if (spatial === 1) {
    x = [x[0]!, x[1]!, 1, x[2]!];
    w = [w[0]!, w[1]!, 1, w[2]!];
    y = [y[0]!, y[1]!, 1, y[2]!];
  }
  const [n, cin, ih, iw] = x as [number, number, number, number];
  const [, cout, oh, ow] = y as [number, number, number, number];
  if (cin % group !== 0 || cout % group !== 0 || w[1] !== cin / group) {
    throw new WebGPUKernelError(`channels (in ${cin}, out ${cout}, weight ${w[1]}) do not match group ${group}`, node.name, node.op);
  }
  const hasBias = node.inputs.length > 2 && node.inputs[2] !== '';
  const total = sizeOf(y);
  const act = fusedEpilogue(node);
  const weight = ctx.constant?.(node.inputs[1]!);
  const coutPerGroup = cout / group;
  const common = {
    defines: { WG, HAS_BIAS: hasBias ? 1 : 0, ...residualDefines(act) },
    activation: act.activation,
    outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
    macs: total * (cin / group) * kh * kw,
  };
  const tail = [...(hasBias ? [{ wgsl: 'bias', tensor: node.inputs[2]! }] : []), ...(act.residual ? [{ wgsl: 'res', tensor: act.residual }] : [])];
  const geometry = [
    { name: 'in_c', type: 'u32', value: cin },
    { name: 'in_h', type: 'u32', value: ih },
    { name: 'in_w', type: 'u32', value: iw },
    { name: 'out_c', type: 'u32', value: cout },
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
    { name: 'in_c_per_group', type: 'u32', value: cin / group },
    { name: 'out_c_per_group', type: 'u32', value: coutPerGroup },
  ] as const;
  // Register-tiled variants: constant weights (repacked at load), channel blocks of 8 (or 4) inside one group.
  const block = cout >= 8 && (group === 1 || coutPerGroup % 8 === 0) ? 8 : group === 1 || coutPerGroup % 4 === 0 ? 4 : 0;
  if (weight && block && n > 0) {
    const ocBlocks = Math.ceil(cout / block);
    const owBlocks = Math.ceil(ow / 4);
    const threads = n * ocBlocks * oh * owBlocks;
    const packedName = `\u0000packed_oc${block}:${node.inputs[1]}`;
    const variant = block === 8 ? 'conv2d_tiled8' : 'conv2d_tiled';
    return {
      constants: [{ name: packedName, data: packWeightsOc(weight, cout, cin / group, kh * kw, block) }],
      programs: [
        {
          ...common,
          defines: { ...common.defines, KH: kh, KW: kw },
          name: act.residual ? `${variant}_res` : variant,
          shader: variant,
          inputs: [{ wgsl: 'x', tensor: node.inputs[0]! }, { wgsl: 'w', tensor: packedName, vec4: true }, ...tail],
          uniforms: [
            { name: 'total', type: 'u32', value: threads },
            ...geometry,
            { name: 'oc_blocks', type: 'u32', value: ocBlocks },
            { name: 'oc_blocks_padded', type: 'u32', value: (ocBlocks * block) / 4 },
            { name: 'ow_blocks', type: 'u32', value: owBlocks },
            ...act.uniforms,
          ],
          workgroups: groupsFor(threads, WG),
        },
      ],
    };
  }
  return {
    programs: [
      {
        ...common,
        name: act.residual ? 'conv2d_direct_res' : 'conv2d_direct',
        shader: 'conv2d_direct',
        inputs: [{ wgsl: 'x', tensor: node.inputs[0]! }, { wgsl: 'w', tensor: node.inputs[1]! }, ...tail],
        uniforms: [{ name: 'total', type: 'u32', value: total }, ...geometry, ...act.uniforms],
        workgroups: groupsFor(total, WG),
      },
    ],
  };
};

/** OIHW weights → [C_in/group, KH*KW, C_out padded to a multiple of `block`] (one vec4 = 4 output channels of a tap). */
export function packWeightsOc(weight: Tensor, cout: number, cinPerGroup: number, taps: number, block: number): Float32Array {
  const src = weight.data instanceof Float32Array ? weight.data : Float32Array.from(tensorToNumbers(weight));
  const coutPad = Math.ceil(cout / block) * block;
  const out = new Float32Array(cinPerGroup * taps * coutPad);
  for (let oc = 0; oc < cout; oc++)
    for (let ic = 0; ic < cinPerGroup; ic++)
      for (let t = 0; t < taps; t++) out[(ic * taps + t) * coutPad + oc] = src[(oc * cinPerGroup + ic) * taps + t]!;
  return out;
}
