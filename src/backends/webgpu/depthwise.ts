/**
 * Depthwise conv (group == C_in == C_out; shaders/depthwise_conv2d.wgsl): 8 output columns per thread, weights read
 * once per thread in their original OIHW layout (no repacking), a reused input window for 3-wide stride-1 kernels.
 */
import { groupsFor, type KernelPlan } from './program.js';
import { WG } from './kernel_util.js';
import { commonSpec, epilogueInputs, geometryUniforms, variantName, type ConvNode } from './conv_common.js';

export function depthwisePlan(c: ConvNode): KernelPlan {
  const s = c.shape;
  const common = commonSpec(c);
  const owBlocks = Math.ceil(s.ow / 8);
  const threads = s.n * s.cout * s.oh * owBlocks;
  const win3 = s.kw === 3 && s.sw === 1 && s.dw === 1 ? 1 : 0;
  return {
    programs: [
      {
        ...common,
        name: variantName(win3 ? 'depthwise_8_win3' : 'depthwise_8', c),
        shader: 'depthwise_conv2d',
        defines: { ...common.defines, KH: s.kh, KW: s.kw, WIN3: win3, GENERIC: 1 - win3 },
        inputs: [{ wgsl: 'x', tensor: c.node.inputs[0]! }, { wgsl: 'w', tensor: c.node.inputs[1]! }, ...epilogueInputs(c)],
        uniforms: [{ name: 'total', type: 'u32', value: threads }, ...geometryUniforms(s), { name: 'ow_blocks', type: 'u32', value: owBlocks }, ...c.act.uniforms],
        workgroups: groupsFor(threads, WG),
      },
    ],
  };
}
