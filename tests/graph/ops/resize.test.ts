import { describe, expect, it } from 'vitest';
import { GraphError } from '../../../src/graph/ir.js';
import { cubicCoeffs, nearestIndex, resizeCoord } from '../../../src/graph/ops/resize.js';
import { f32, infer, info, shapeOf } from './helpers.js';

describe('Resize shape rule', () => {
  it('scales: floor(in × scale) with the product in f32; sizes as given; unknown dims stay -1', () => {
    expect(shapeOf('Resize', [f32(1, 3, 5, 7)], { scales: [1, 1, 2, 2] })).toEqual([1, 3, 10, 14]);
    expect(shapeOf('Resize', [f32(1, 3, 5, 7)], { scales: [1, 1, 0.6, 0.5] })).toEqual([1, 3, 3, 3]);
    expect(shapeOf('Resize', [f32(1, 3, 5, 7)], { scales: [1, 1, 1.7, 2.3] })).toEqual([1, 3, 8, 16]);
    expect(shapeOf('Resize', [f32(-1, 3, -1, 7)], { scales: [1, 1, 2, 2] })).toEqual([-1, 3, -1, 14]);
    expect(shapeOf('Resize', [f32(1, 3, 5, 7)], { sizes: [1, 3, 4, 11] })).toEqual([1, 3, 4, 11]);
    expect(shapeOf('Resize', [f32(2, 3)], { mode: 'linear', sizes: [5, 1] })).toEqual([5, 1]);
  });

  it('sizes referencing dims of other inputs (symbolic sizes) resolve per concrete shape', () => {
    const attrs = { mode: 'linear', sizes: [1, 8, -1, -1], size_ref_inputs: [-1, -1, 1, 1], size_ref_dims: [-1, -1, 2, 3] };
    expect(infer('Resize', [f32(1, 8, 7, 9), f32(1, 3, 28, 36)], attrs)[0]!.shape).toEqual([1, 8, 28, 36]);
    expect(infer('Resize', [f32(1, 8, 7, 9), f32(1, 3, -1, -1)], attrs)[0]!.shape).toEqual([1, 8, -1, -1]);
    // Input 0 itself may be the reference (an axis outside opset 18's `axes` with an unknown size).
    const self = { sizes: [-1, 3, 4, 4], size_ref_inputs: [0, -1, -1, -1], size_ref_dims: [0, -1, -1, -1] };
    expect(shapeOf('Resize', [f32(5, 3, 2, 2)], self)).toEqual([5, 3, 4, 4]);
  });

  it('rejects bad attributes with a GraphError naming node, attribute and value', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ mode: 'bicubic', scales: [1, 1, 2, 2] }, /attribute 'mode' = "bicubic" is not supported/],
      [{ coordinate_transformation_mode: 'tf_half', scales: [1, 1, 2, 2] }, /attribute 'coordinate_transformation_mode' = "tf_half"/],
      [{ nearest_mode: 'round', scales: [1, 1, 2, 2] }, /attribute 'nearest_mode' = "round"/],
      [{ exclude_outside: 2, mode: 'cubic', scales: [1, 1, 2, 2] }, /attribute 'exclude_outside' = 2 must be 0 or 1/],
      [{ antialias: 1, mode: 'linear', scales: [1, 1, 2, 2] }, /attribute 'antialias' = 1 is not supported/],
      [{ scales: [1, 1, 2] }, /attribute 'scales' has 3 values, expected 4/],
      [{ scales: [1, 1, 0, 2] }, /scale 0 on axis 2 must be > 0/],
      [{ sizes: [1, 3, 2.5, 2] }, /size 2.5 on axis 2 must be a non-negative integer/],
      [{}, /needs attribute 'scales' or 'sizes'/],
      [{ coordinate_transformation_mode: 'tf_crop_and_resize', scales: [1, 1, 2, 2] }, /needs attribute 'roi'/],
      [{ coordinate_transformation_mode: 'tf_crop_and_resize', roi: [0, 1], scales: [1, 1, 2, 2] }, /attribute 'roi' has 2 values, expected 8/],
    ];
    for (const [attrs, msg] of cases) {
      let err: unknown;
      try {
        infer('Resize', [f32(1, 3, 5, 7)], attrs as never, 1, 'up1');
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(attrs)).toBeInstanceOf(GraphError);
      expect((err as Error).message).toMatch(/up1/);
      expect((err as Error).message).toMatch(msg);
    }
    expect(() => infer('Resize', [info('i64', [1, 3])], { scales: [1, 2] })).toThrow(/float/);
  });
});

describe('Resize per-axis rules', () => {
  it('coordinate transforms', () => {
    expect(resizeCoord('half_pixel', 0, 2, 4, 8, 0, 1)).toBeCloseTo(-0.25);
    expect(resizeCoord('asymmetric', 3, 2, 4, 8, 0, 1)).toBe(1.5);
    expect(resizeCoord('align_corners', 7, 8 / 4, 4, 8, 0, 1)).toBe(3);
    expect(resizeCoord('align_corners', 0, 0.25, 4, 1, 0, 1)).toBe(0);
    expect(resizeCoord('pytorch_half_pixel', 0, 0.25, 4, 1, 0, 1)).toBe(0);
    expect(resizeCoord('tf_half_pixel_for_nn', 1, 2, 4, 8, 0, 1)).toBe(0.75);
    expect(resizeCoord('tf_crop_and_resize', 2, 1, 5, 3, 0.25, 0.75)).toBe(3);
    expect(resizeCoord('tf_crop_and_resize', 0, 1, 5, 1, 0.25, 0.75)).toBe(2);
    // half_pixel_symmetric: scale 0.6 on 5 → 3 outputs: offset = 2.5 · (1 − 3/3) = 0 → same as half_pixel here.
    expect(resizeCoord('half_pixel_symmetric', 1, 0.6, 5, 3, 0, 1)).toBeCloseTo(resizeCoord('half_pixel', 1, 0.6, 5, 3, 0, 1), 6);
  });

  it('nearest rules: ties (including f32 near-ties) and clamping', () => {
    expect(nearestIndex('round_prefer_floor', 2.5, 1, 10)).toBe(2);
    expect(nearestIndex('round_prefer_ceil', 2.5, 1, 10)).toBe(3);
    expect(nearestIndex('round_prefer_ceil', Math.fround(4.5 / Math.fround(0.6)), 0.6, 10)).toBe(8);
    expect(nearestIndex('round_prefer_floor', 2.6, 1, 10)).toBe(3);
    expect(nearestIndex('floor', 2.9, 1, 10)).toBe(2);
    expect(nearestIndex('ceil', 2.1, 1, 10)).toBe(3);
    expect(nearestIndex('simple', 2.9, 2, 10)).toBe(2);
    expect(nearestIndex('simple', 2.1, 0.5, 10)).toBe(3);
    expect(nearestIndex('ceil', 9.5, 1, 10)).toBe(9);
    expect(nearestIndex('round_prefer_ceil', -0.5, 1, 10)).toBe(0);
  });

  it('cubic weights sum to 1 and interpolate at integers', () => {
    for (const t of [0, 0.25, 0.5, 0.9]) expect(cubicCoeffs(t, -0.75).reduce((a, b) => a + b)).toBeCloseTo(1, 12);
    expect(cubicCoeffs(0, -0.5)).toEqual([0, 1, 0, 0]);
  });
});

describe('DepthToSpace / SpaceToDepth shape rules', () => {
  it('shapes', () => {
    expect(shapeOf('DepthToSpace', [f32(1, 18, 3, 5)], { blocksize: 3 })).toEqual([1, 2, 9, 15]);
    expect(shapeOf('DepthToSpace', [f32(-1, 8, -1, 5)], { blocksize: 2, mode: 'CRD' })).toEqual([-1, 2, -1, 10]);
    expect(shapeOf('SpaceToDepth', [f32(1, 3, 6, 9)], { blocksize: 3 })).toEqual([1, 27, 2, 3]);
  });

  it('errors name the node and attribute', () => {
    expect(() => infer('DepthToSpace', [f32(1, 6, 3, 5)], { blocksize: 2 }, 1, 'd2s')).toThrow(/d2s.*channels 6 are not divisible by blocksize² = 4/);
    expect(() => infer('DepthToSpace', [f32(1, 8, 3, 5)], { blocksize: 2, mode: 'XYZ' })).toThrow(/attribute 'mode' = "XYZ"/);
    expect(() => infer('DepthToSpace', [f32(1, 8, 3, 5)], {})).toThrow(/attribute 'blocksize'/);
    expect(() => infer('SpaceToDepth', [f32(1, 3, 5, 6)], { blocksize: 2 })).toThrow(/height 5 is not divisible by blocksize 2/);
    expect(() => infer('SpaceToDepth', [f32(3, 4, 4)], { blocksize: 2 })).toThrow(/4-D NCHW/);
    expect(() => infer('SpaceToDepth', [f32(1, 3, 4, 4)], { blocksize: 0 }, 1, 's2d')).toThrow(GraphError);
  });
});
