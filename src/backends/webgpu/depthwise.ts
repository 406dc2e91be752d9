/**
 * Depthwise conv (group == C_in == C_out; shaders/depthwise_conv2d.wgsl): 8 output columns per thread, weights read
 * once per thread in their original OIHW layout (no repacking), a reused input window for 3-wide stride-1 kernels.
 * Also depthwise_4x4 (below; depthwise_wgsl.ts), the 4 columns x vec4 channels real-GPU variant.
 */
import { groupsFor, type KernelPlan } from './program.js';
import { WG } from './kernel_util.js';
import { commonSpec, epilogueInputs, geometryUniforms, variantName, weightValues, type ConvNode } from './conv_common.js';
import type { Precision } from './conv_wgsl.js';

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

/** OIHW depthwise weights (one input channel per group) → [KH·KW, C_out → 4]: one vec4 = 4 output channels of a tap. */
export function packDepthwise4(w: Float32Array, cout: number, taps: number): Float32Array {
  const cols = Math.ceil(cout / 4) * 4;
  const out = new Float32Array(taps * cols);
  for (let oc = 0; oc < cout; oc++) for (let t = 0; t < taps; t++) out[t * cols + oc] = w[oc * taps + t]!;
  return out;
}

/**
 * depthwise_4x4 (depthwise_wgsl.ts): 4 output columns × 4 output channels per invocation, constant weights repacked
 * as vec4 over the channels. Runs any conv with one input channel per group (channel multipliers too).
 */
export function depthwise4x4Plan(c: ConvNode, precision: Precision = 'f32'): KernelPlan {
  const s = c.shape;
  const common = commonSpec(c);
  const cBlocks = Math.ceil(s.cout / 4);
  const owBlocks = Math.ceil(s.ow / 4);
  const threads = s.n * cBlocks * s.oh * owBlocks;
  const win3 = s.kw === 3 && s.sw === 1 && s.dw === 1 ? 1 : 0;
  const name = `\u0000dw_pack4:${c.node.inputs[1]}`;
  const f16 = precision === 'f16';
  return {
    constants: [{ name, data: packDepthwise4(weightValues(c.weight!), s.cout, s.kh * s.kw) }],
    programs: [
      {
        ...common,
        name: variantName(`depthwise_4x4${win3 ? '_win3' : ''}${f16 ? '_f16' : ''}`, c),
        shader: f16 ? 'depthwise_4x4_f16' : 'depthwise_4x4',
        ...(f16 ? { extensions: ['f16' as const] } : {}),
        defines: { ...common.defines, KH: s.kh, KW: s.kw, WIN3: win3, GENERIC: 1 - win3 },
        inputs: [{ wgsl: 'x', tensor: c.node.inputs[0]! }, { wgsl: 'w', tensor: name, vec4: true }, ...epilogueInputs(c)],
        uniforms: [
          { name: 'total', type: 'u32', value: threads },
          // store4 sees one group of C_out channels (the shader passes group 0 and the absolute channel).
          ...geometryUniforms(s).map((f) => (f.name === 'out_c_per_group' ? { ...f, value: s.cout } : f)),
          { name: 'c_blocks', type: 'u32', value: cBlocks },
          { name: 'ow_blocks', type: 'u32', value: owBlocks },
          { name: 'mult', type: 'u32', value: s.cout / s.cin },
          { name: 'wrow', type: 'u32', value: cBlocks },
          ...c.act.uniforms,
        ],
        workgroups: groupsFor(threads, WG),
      },
    ],
  };
}
