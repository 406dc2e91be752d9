/**
 * Resize (every mode / coordinate transform of the canonical form, docs/ir.md) and DepthToSpace / SpaceToDepth.
 * One generated shader per op family: `resize.wgsl` takes the interpolation mode as a const (it fixes the taps per
 * axis) and everything else — shapes, scales, roi, coordinate and nearest modes — as uniforms, so one pipeline per
 * (rank, mode) serves every Resize of a model (plus one per mode for the NCHW H/W fast path: define HW,
 * `resizeHwFastPath`). Geometry and per-axis rules come from src/graph/ops/resize.ts, shared with the CPU reference.
 */
import { sizeOf } from '../../graph/ir.js';
import {
  RESIZE_COORD_MODES,
  RESIZE_NEAREST_MODES,
  blocksize,
  depthToSpaceMode,
  resizeAxisIsIdentity,
  resizeGeometry,
  resizeParams,
} from '../../graph/ops/resize.js';
import { WebGPUKernelError, groupsFor, type Kernel } from './program.js';
import { WG, checkRank, inputShape } from './kernel_util.js';

/** Non-identity axes a linear / cubic Resize may interpolate on the GPU (bilinear, trilinear; the shader's arrays). */
export const RESIZE_MAX_INTERP_AXES = 3;
const TAPS = { nearest: 1, linear: 2, cubic: 4 } as const;
const MODE_ID = { nearest: 0, linear: 1, cubic: 2 } as const;

/**
 * The NCHW fast path (resize.wgsl's HW branch, one output pixel per thread reading at most 2×2 texels, no private tap
 * arrays): rank 4 with N and C unscaled, mode nearest (H and W each resized or identity) or linear (H and W both
 * resized: bilinear). Same formulas and summation order as the generic kernel (results identical by construction);
 * every other Resize (cubic, rank ≠ 4, N or C scaled, linear on one spatial axis) takes the generic kernel.
 * `identity` = resizeAxisIsIdentity per axis (1 / 0).
 */
export function resizeHwFastPath(rank: number, mode: 'nearest' | 'linear' | 'cubic', identity: readonly number[]): boolean {
  if (rank !== 4 || identity[0] !== 1 || identity[1] !== 1) return false;
  if (mode === 'nearest') return true;
  return mode === 'linear' && identity[2] === 0 && identity[3] === 0;
}

export const resizeKernel: Kernel = (ctx) => {
  const { node } = ctx;
  // FusedResize (pass fuseResizeAdd): the residual is the last input, added by the shader's store (define RESIDUAL).
  const fused = node.op === 'FusedResize';
  const x = inputShape(ctx, 0);
  const rank = x.length;
  checkRank(ctx, rank);
  const p = resizeParams(node, rank);
  const { outShape, scales } = resizeGeometry(node, x, (i) => (fused && i === node.inputs.length - 1 ? undefined : ctx.inputShapes[i]));
  const out = ctx.outputShapes[0]!;
  if (fused) {
    const r = ctx.inputShapes[node.inputs.length - 1];
    if (!r || r.join() !== out.join())
      throw new WebGPUKernelError(`residual [${r?.join(', ') ?? ''}] must have the output's shape [${out.join(', ')}]`, node.name, node.op);
  }
  if (outShape.join() !== out.join())
    throw new WebGPUKernelError(`output shape [${outShape.join(', ')}] differs from the planned [${out.join(', ')}]`, node.name, node.op);
  const total = sizeOf(out);
  if (total > 0 && sizeOf(x) === 0) throw new WebGPUKernelError(`cannot resize an empty input [${x.join(', ')}]`, node.name, node.op);
  const identity = out.map((o, k) => (resizeAxisIsIdentity(scales[k]!, x[k]!, o) ? 1 : 0));
  const interp = identity.filter((v) => v === 0).length;
  if (p.mode !== 'nearest' && interp > RESIZE_MAX_INTERP_AXES)
    throw new WebGPUKernelError(
      `attribute 'mode' = '${p.mode}' resizes ${interp} axes; the WebGPU kernel interpolates at most ${RESIZE_MAX_INTERP_AXES} (use the CPU backend)`,
      node.name,
      node.op,
    );
  const lanes = (v: number[]) => (v.length ? v : [0]);
  const hw = resizeHwFastPath(rank, p.mode, identity);
  return {
    programs: [
      {
        name: `resize_${p.mode}${hw ? '_hw' : ''}${fused ? '_add' : ''}`,
        shader: 'resize',
        accessors: true,
        defines: { WG, RANK: rank, MODE: MODE_ID[p.mode], TAPS: TAPS[p.mode], HW: hw ? 1 : 0, RESIDUAL: fused ? 1 : 0 },
        inputs: fused ? [{ wgsl: 'x', tensor: node.inputs[0]! }, { wgsl: 'r', tensor: node.inputs[node.inputs.length - 1]! }] : [{ wgsl: 'x', tensor: node.inputs[0]! }],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'coord', type: 'u32', value: RESIZE_COORD_MODES.indexOf(p.coord) },
          { name: 'nearest', type: 'u32', value: RESIZE_NEAREST_MODES.indexOf(p.nearest) },
          { name: 'exclude_outside', type: 'u32', value: p.excludeOutside ? 1 : 0 },
          { name: 'cubic_a', type: 'f32', value: p.cubicA },
          { name: 'extrapolation', type: 'f32', value: p.extrapolation },
          { name: 'out_shape', type: 'u32', value: lanes([...out]) },
          { name: 'in_shape', type: 'u32', value: lanes([...x]) },
          { name: 'identity', type: 'u32', value: lanes(identity) },
          // NaN scales (an empty axis) never reach the shader's arithmetic: that axis has no outputs.
          { name: 'scale', type: 'f32', value: lanes(scales.map((s) => (Number.isFinite(s) ? s : 1))) },
          { name: 'roi_start', type: 'f32', value: lanes(p.roi.slice(0, rank)) },
          { name: 'roi_end', type: 'f32', value: lanes(p.roi.slice(rank)) },
        ],
        workgroups: groupsFor(total, WG),
      },
    ],
  };
};

export const spaceDepthKernel: Kernel = (ctx) => {
  const { node } = ctx;
  const x = inputShape(ctx, 0);
  const out = ctx.outputShapes[0]!;
  if (x.length !== 4 || out.length !== 4) throw new WebGPUKernelError(`needs 4-D NCHW, got [${x.join(', ')}]`, node.name, node.op);
  const kind = node.op === 'SpaceToDepth' ? 2 : depthToSpaceMode(node) === 'CRD' ? 1 : 0;
  const total = sizeOf(out);
  return {
    programs: [
      {
        name: ['depth_to_space_dcr', 'depth_to_space_crd', 'space_to_depth'][kind]!,
        shader: 'space_depth',
        accessors: true,
        defines: { WG, KIND: kind },
        inputs: [{ wgsl: 'x', tensor: node.inputs[0]! }],
        outputs: [{ wgsl: 'y', tensor: node.outputs[0]! }],
        uniforms: [
          { name: 'total', type: 'u32', value: total },
          { name: 'block', type: 'u32', value: blocksize(node) },
          { name: 'in_c', type: 'u32', value: x[1]! },
          { name: 'in_h', type: 'u32', value: x[2]! },
          { name: 'in_w', type: 'u32', value: x[3]! },
          { name: 'out_c', type: 'u32', value: out[1]! },
          { name: 'out_h', type: 'u32', value: out[2]! },
          { name: 'out_w', type: 'u32', value: out[3]! },
        ],
        workgroups: groupsFor(total, WG),
      },
    ],
  };
};

export const resizeWebgpuKernels: Record<string, Kernel> = {
  Resize: resizeKernel,
  FusedResize: resizeKernel,
  DepthToSpace: spaceDepthKernel,
  SpaceToDepth: spaceDepthKernel,
};
