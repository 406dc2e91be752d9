/**
 * WebGPU kernels of the Winograd F(m×m, 3×3) ops, m = 2 or 4 by the nodes' `tile` attribute (definitions:
 * src/graph/ops/winograd.ts; the lowering that makes them: lower.ts `lowerWinograd`):
 *   WinogradInput  → shaders/winograd_input.wgsl (m = 2), winograd4_input.wgsl (m = 4): one thread per (channel,
 *                    tile): V = Bᵀ d B
 *   WinogradGemm   → shaders/winograd_gemm.wgsl for both: E = (m + 2)² register-tiled GEMMs (16 tiles × 8 channels
 *                    per thread) on the transformed weights U = G g Gᵀ, computed in float64 and packed at load as a
 *                    derived constant
 *   WinogradOutput → shaders/winograd_output.wgsl (m = 2), winograd4_output.wgsl (m = 4): one thread per (tile,
 *                    4 channels): Aᵀ M A + the FusedConv epilogue
 */
import { sizeOf } from '../../graph/ir.js';
import { paddedChannels, winogradElems, winogradOutputShape, winogradPads, winogradTile, winogradTiles, winogradWeights, type WinogradTile } from '../../graph/ops/winograd.js';
import { WebGPUKernelError, groupsFor, type Kernel } from './program.js';
import { WG, inputShape } from './kernel_util.js';
import { fusedEpilogue, residualDefines } from './fused.js';
import { weightValues } from './conv_common.js';
import type { ShaderName } from './shaders.gen.js';

/** U [E, C, K] (float64) as 8-column panels [E, Kp / 8, C, 8] in f32, zero past column K. */
export function packWinogradWeights(w: ArrayLike<number>, k: number, c: number, m: WinogradTile = 2): Float32Array {
  const u = winogradWeights(w, k, c, m);
  const elems = winogradElems(m);
  const kp = paddedChannels(k);
  const blocks = kp / 8;
  const out = new Float32Array(elems * kp * c);
  for (let e = 0; e < elems; e++)
    for (let ic = 0; ic < c; ic++)
      for (let oc = 0; oc < k; oc++) out[((e * blocks + (oc >> 3)) * c + ic) * 8 + (oc & 7)] = u[(e * c + ic) * k + oc]!;
  return out;
}

/** Shader and program name of the F(m×m) transforms: `winograd_*` for m = 2 (as before m = 4 existed), `winograd4_*`. */
const transformName = (m: WinogradTile, part: 'input' | 'output'): ShaderName => (m === 2 ? `winograd_${part}` : `winograd4_${part}`);

export const winogradInputKernel: Kernel = (ctx) => {
  const m = winogradTile(ctx.node);
  const [top, left, bottom, right] = winogradPads(ctx.node);
  const x = inputShape(ctx, 0);
  if (x.length !== 4) throw new WebGPUKernelError(`X must be 4-D, got rank ${x.length}`, ctx.node.name, ctx.node.op);
  const [n, c, h, w] = x as [number, number, number, number];
  const t = winogradTiles(n, h + top + bottom - 2, w + left + right - 2, m);
  const threads = c * t.tilesPadded;
  return {
    programs: [
      {
        name: transformName(m, 'input'),
        shader: transformName(m, 'input'),
        accessors: true,
        defines: { WG },
        inputs: [{ wgsl: 'x', tensor: ctx.node.inputs[0]! }],
        outputs: [{ wgsl: 'v', tensor: ctx.node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: threads },
          { name: 'in_c', type: 'u32', value: c },
          { name: 'in_h', type: 'u32', value: h },
          { name: 'in_w', type: 'u32', value: w },
          { name: 'tiles', type: 'u32', value: t.tiles },
          { name: 'tiles_padded', type: 'u32', value: t.tilesPadded },
          { name: 'tiles_h', type: 'u32', value: t.th },
          { name: 'tiles_w', type: 'u32', value: t.tw },
          { name: 'pad_top', type: 'i32', value: top },
          { name: 'pad_left', type: 'i32', value: left },
        ],
        workgroups: groupsFor(threads, WG),
      },
    ],
  };
};

export const winogradGemmKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const m = winogradTile(node);
  const elems = winogradElems(m);
  const [, c, tp] = inputShape(ctx, 0) as [number, number, number];
  const wShape = inputShape(ctx, 1);
  const weight = ctx.constant?.(node.inputs[1]!);
  if (!weight) throw new WebGPUKernelError('W must be a constant (an initializer): its Winograd transform is computed at load', node.name, node.op);
  const k = wShape[0]!;
  const kp = paddedChannels(k);
  // One derived constant per (weight, tile): a weight shared by an F(2×2) and an F(4×4) conv gets both transforms.
  const name = m === 2 ? `\u0000winograd_u:${node.inputs[1]}` : `\u0000winograd${m}_u:${node.inputs[1]}`;
  const colBlocks = kp / 8;
  const rowBlocks = tp / 16;
  const threads = elems * rowBlocks * colBlocks;
  return {
    constants: [{ name, data: packWinogradWeights(weightValues(weight), k, c, m) }],
    programs: [
      {
        name: 'winograd_gemm_16x8',
        shader: 'winograd_gemm',
        accessors: true,
        defines: { WG },
        inputs: [
          { wgsl: 'a', tensor: node.inputs[0]!, vec4: true },
          { wgsl: 'b', tensor: name, vec4: true },
        ],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: threads },
          { name: 'k', type: 'u32', value: c },
          { name: 'n', type: 'u32', value: kp },
          { name: 'tiles_padded', type: 'u32', value: tp },
          { name: 'col_blocks', type: 'u32', value: colBlocks },
          { name: 'row_blocks', type: 'u32', value: rowBlocks },
        ],
        workgroups: groupsFor(threads, WG),
        macs: elems * tp * kp * c,
      },
    ],
  };
};

export const winogradOutputKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const m = winogradTile(node);
  const [n, k, oh, ow] = winogradOutputShape(node);
  const t = winogradTiles(n, oh, ow, m);
  const quads = paddedChannels(k) / 4;
  const bias = node.inputs[1] ?? '';
  // The epilogue reader expects FusedConv's input order (X, W, B, R).
  const act = fusedEpilogue({ ...node, op: 'FusedConv', inputs: ['', '', bias, node.inputs[2] ?? ''] });
  const threads = t.tiles * quads;
  if (sizeOf(ctx.outputShapes[0]!) !== n * k * oh * ow) throw new WebGPUKernelError('output shape does not match output_shape', node.name, node.op);
  return {
    programs: [
      {
        name: transformName(m, 'output') + (act.residual ? '_res' : ''),
        shader: transformName(m, 'output'),
        accessors: true,
        defines: { WG, HAS_BIAS: bias !== '' ? 1 : 0, ...residualDefines(act) },
        activation: act.activation,
        inputs: [
          { wgsl: 'm', tensor: node.inputs[0]!, vec4: true },
          ...(bias !== '' ? [{ wgsl: 'bias', tensor: bias }] : []),
          ...(act.residual ? [{ wgsl: 'res', tensor: act.residual }] : []),
        ],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: threads },
          { name: 'quads', type: 'u32', value: quads },
          { name: 'tiles_padded', type: 'u32', value: t.tilesPadded },
          { name: 'tiles_h', type: 'u32', value: t.th },
          { name: 'tiles_w', type: 'u32', value: t.tw },
          { name: 'out_c', type: 'u32', value: k },
          { name: 'out_h', type: 'u32', value: oh },
          { name: 'out_w', type: 'u32', value: ow },
          ...act.uniforms,
        ],
        workgroups: groupsFor(threads, WG),
      },
    ],
  };
};

export const winogradWebgpuKernels: Record<string, Kernel> = {
  WinogradInput: winogradInputKernel,
  WinogradGemm: winogradGemmKernel,
  WinogradOutput: winogradOutputKernel,
};
