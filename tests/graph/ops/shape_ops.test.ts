import { describe, expect, it } from 'vitest';
import { tensorI64 } from '../../../src/graph/builder.js';
import { makeTensor } from '../../../src/graph/ir.js';
import { normalizeSlice, reshapeShape } from '../../../src/graph/ops/index.js';
import { f32, infer, info, shapeOf } from './helpers.js';

/** [start, end, step, expected elements of arange(10)[start:end:step]] as computed by numpy. */
const NUMPY_SLICES: [number, number, number, number[]][] = [
  [0, 10, 1, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]],
  [-1, -1000000, -1, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]],
  [8, 2, -2, [8, 6, 4]],
  [-3, 100, 1, [7, 8, 9]],
  [5, 5, 1, []],
  [100, -100, -3, [9, 6, 3, 0]],
  [2, -2, 3, [2, 5]],
  [-100, 3, 1, [0, 1, 2]],
  [9, -11, -1, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]],
  [3, 7, -1, []],
];

/** Walk the normalised bounds like a kernel would. */
function enumerate(start: number, end: number, step: number): number[] {
  const out: number[] = [];
  for (let i = start; step > 0 ? i < end : i > end; i += step) out.push(i);
  return out;
}

describe('Slice', () => {
  it.each(NUMPY_SLICES)('arange(10)[%i:%i:%i] matches numpy', (start, end, step, expected) => {
    const s = normalizeSlice([10], { starts: [start], ends: [end], steps: [step] });
    expect(s.shape).toEqual([expected.length]);
    expect(enumerate(s.starts[0]!, s.ends[0]!, s.steps[0]!)).toEqual(expected);
  });

  it('slices selected axes (negative axes too) and leaves others whole', () => {
    const s = normalizeSlice([2, 6, 8], { starts: [1, -1], ends: [5, 0], axes: [1, -1], steps: [2, -3] });
    expect(s.shape).toEqual([2, 2, 3]);
    expect(s.starts).toEqual([0, 1, 7]);
    expect(s.ends).toEqual([2, 5, 0]);
    expect(s.steps).toEqual([1, 2, -3]);
    // INT64_MAX sentinel as an i64 read into a double.
    expect(shapeOf('Slice', [f32(1, 3, 224, 224)], { starts: [1], ends: [9223372036854775807], axes: [1] })).toEqual([1, 2, 224, 224]);
    expect(shapeOf('Slice', [f32(-1, 5)], { starts: [1], ends: [3], axes: [1] })).toEqual([-1, 2]);
  });

  it('rejects zero steps, bad and duplicate axes', () => {
    expect(() => infer('Slice', [f32(4)], { starts: [0], ends: [4], steps: [0] }, 1, 'sl')).toThrowError(/Slice node 'sl': slice step on axis 0 is 0/);
    expect(() => infer('Slice', [f32(4)], { starts: [0], ends: [4], axes: [1] }, 1, 'sl')).toThrowError(/out of range/);
    expect(() => infer('Slice', [f32(4, 4)], { starts: [0, 0], ends: [4, 4], axes: [1, -1] }, 1, 'sl')).toThrowError(/duplicates/);
    expect(() => infer('Slice', [f32(4)], { starts: [0], ends: [] }, 1, 'sl')).toThrowError(/lengths differ/);
  });
});

describe('Concat / Split', () => {
  it('Concat sums the axis (negative axis normalised)', () => {
    expect(shapeOf('Concat', [f32(1, 2, 4), f32(1, 3, 4), f32(1, 1, 4)], { axis: -2 })).toEqual([1, 6, 4]);
    expect(shapeOf('Concat', [f32(-1, 2), f32(3, 2)], { axis: 1 })).toEqual([3, 4]);
    expect(() => infer('Concat', [f32(1, 2, 4), f32(1, 3, 5)], { axis: 1 }, 1, 'cat')).toThrowError(/Concat node 'cat'.*outside axis 1/);
    expect(() => infer('Concat', [f32(1, 2), f32(1, 2)], {}, 1, 'cat')).toThrowError(/missing attribute 'axis'/);
    expect(() => infer('Concat', [f32(1, 2), f32(1, 2)], { axis: 2 }, 1, 'cat')).toThrowError(/out of range/);
  });

  it('Split returns one output per size', () => {
    const outs = infer('Split', [f32(2, 10)], { axis: -1, split: [3, 7] }, 2);
    expect(outs.map((o) => o.shape)).toEqual([[2, 3], [2, 7]]);
    expect(infer('Split', [f32(6, 2)], {}, 3).map((o) => o.shape)).toEqual([[2, 2], [2, 2], [2, 2]]);
    expect(() => infer('Split', [f32(2, 10)], { axis: 1, split: [3, 6] }, 2, 'sp')).toThrowError(/Split node 'sp'.*sum to 9/);
    expect(() => infer('Split', [f32(2, 10)], { axis: 1, split: [3, 7] }, 3, 'sp')).toThrowError(/3 outputs/);
  });
});

describe('Pad', () => {
  it('adds begin and end pads, negative pads crop', () => {
    expect(shapeOf('Pad', [f32(1, 3, 4, 4)], { pads: [0, 0, 1, 2, 0, 0, 3, 4] })).toEqual([1, 3, 8, 10]);
    expect(shapeOf('Pad', [f32(5, 5)], { pads: [-1, 0, -2, 1], mode: 'edge' })).toEqual([2, 6]);
    expect(() => infer('Pad', [f32(1, 3)], { pads: [0, 0, 1] }, 1, 'pad')).toThrowError(/Pad node 'pad': pads has 3 values/);
    expect(() => infer('Pad', [f32(1, 3)], { pads: [0, 3, 0, 0], mode: 'reflect' }, 1, 'pad')).toThrowError(/reflect/);
    expect(() => infer('Pad', [f32(1, 3)], { pads: [0, 1, 0, 0], mode: 'wrap' }, 1, 'pad')).toThrowError(/unsupported pad mode/);
  });
});

describe('Reshape / Flatten', () => {
  it('handles 0, -1 and allowzero', () => {
    expect(reshapeShape([2, 3, 4], [0, -1], false)).toEqual([2, 12]);
    expect(reshapeShape([2, 3, 4], [4, 0, -1], false)).toEqual([4, 3, 2]);
    expect(reshapeShape([2, 3, 4], [-1], false)).toEqual([24]);
    expect(reshapeShape([0, 3], [0, 3], true)).toEqual([0, 3]);
    expect(reshapeShape([-1, 512, 1, 1], [0, -1], false)).toEqual([-1, 512]);
    expect(reshapeShape([-1, 512, 1, 1], [-1, 512], false)).toEqual([-1, 512]);
    expect(() => reshapeShape([2, 3], [4, -1], false)).toThrowError(/cannot reshape/);
    expect(() => reshapeShape([2, 3], [5], false)).toThrowError(/element counts differ/);
    expect(() => reshapeShape([2, 3], [-1, -1], false)).toThrowError(/more than one -1/);
    expect(() => reshapeShape([2, 3], [0, -1], true)).toThrowError(/allowzero/);
    expect(() => infer('Reshape', [f32(2, 3)], { shape: [7] }, 1, 'rs')).toThrowError(/Reshape node 'rs'/);
  });

  it('Flatten at any axis (negative, 0 and rank)', () => {
    expect(shapeOf('Flatten', [f32(2, 3, 4, 5)], {})).toEqual([2, 60]);
    expect(shapeOf('Flatten', [f32(2, 3, 4, 5)], { axis: -1 })).toEqual([24, 5]);
    expect(shapeOf('Flatten', [f32(2, 3, 4, 5)], { axis: 0 })).toEqual([1, 120]);
    expect(shapeOf('Flatten', [f32(2, 3, 4, 5)], { axis: 4 })).toEqual([120, 1]);
    expect(shapeOf('Flatten', [f32(-1, 3, 4)], {})).toEqual([-1, 12]);
    expect(() => infer('Flatten', [f32(2, 3)], { axis: 3 }, 1, 'fl')).toThrowError(/Flatten node 'fl'/);
  });
});

describe('Transpose / Squeeze / Unsqueeze / Expand', () => {
  it('Transpose permutes (default reverses)', () => {
    expect(shapeOf('Transpose', [f32(2, 3, 4)], { perm: [1, 2, 0] })).toEqual([3, 4, 2]);
    expect(shapeOf('Transpose', [f32(2, 3, 4)], {})).toEqual([4, 3, 2]);
    expect(() => infer('Transpose', [f32(2, 3, 4)], { perm: [0, 0, 1] }, 1, 't')).toThrowError(/Transpose node 't'.*duplicates/);
    expect(() => infer('Transpose', [f32(2, 3, 4)], { perm: [0, 1] }, 1, 't')).toThrowError(/length 2/);
  });

  it('Squeeze with and without axes', () => {
    expect(shapeOf('Squeeze', [f32(1, 3, 1, 2)], {})).toEqual([3, 2]);
    expect(shapeOf('Squeeze', [f32(1, 3, 1, 2)], { axes: [-2] })).toEqual([1, 3, 2]);
    expect(() => infer('Squeeze', [f32(1, 3)], { axes: [1] }, 1, 'sq')).toThrowError(/Squeeze node 'sq': cannot squeeze axis 1/);
  });

  it('Unsqueeze inserts axes relative to the output rank', () => {
    expect(shapeOf('Unsqueeze', [f32(3, 4)], { axes: [0, -1] })).toEqual([1, 3, 4, 1]);
    expect(shapeOf('Unsqueeze', [f32(3, 4)], { axes: [1, 3] })).toEqual([3, 1, 4, 1]);
    expect(() => infer('Unsqueeze', [f32(3)], { axes: [0, 0] }, 1, 'u')).toThrowError(/duplicates/);
    expect(() => infer('Unsqueeze', [f32(3)], {}, 1, 'u')).toThrowError(/missing attribute 'axes'/);
  });

  it('Expand broadcasts both ways', () => {
    expect(shapeOf('Expand', [f32(3, 1)], { shape: [2, 1, 6] })).toEqual([2, 3, 6]);
    expect(shapeOf('Expand', [f32(3, 4)], { shape: [1] })).toEqual([3, 4]);
    expect(() => infer('Expand', [f32(3, 4)], { shape: [2, 4] }, 1, 'ex')).toThrowError(/Expand node 'ex'/);
  });
});

describe('Shape / Gather / Cast / ConstantOfShape / Range', () => {
  it('Shape returns i64 with start / end', () => {
    expect(infer('Shape', [f32(1, 2, 3, 4)])).toEqual([{ dtype: 'i64', shape: [4] }]);
    expect(shapeOf('Shape', [f32(1, 2, 3, 4)], { start: 1, end: -1 })).toEqual([2]);
    expect(shapeOf('Shape', [f32(1, 2)], { start: 5 })).toEqual([0]);
  });

  it('Gather replaces the axis with the indices shape', () => {
    expect(shapeOf('Gather', [f32(5, 6, 7), info('i64', [2, 3])], { axis: 1 })).toEqual([5, 2, 3, 7]);
    expect(shapeOf('Gather', [info('i64', [4]), info('i64', [])], {})).toEqual([]);
    const idx = tensorI64([2], [0, -4]);
    expect(shapeOf('Gather', [f32(4, 2), info('i64', [2], idx)], { axis: -2 })).toEqual([2, 2]);
    const bad = tensorI64([1], [4]);
    expect(() => infer('Gather', [f32(4, 2), info('i64', [1], bad)], {}, 1, 'g')).toThrowError(/Gather node 'g': index 4 is out of range/);
    expect(() => infer('Gather', [f32(4, 2), f32(1)], {}, 1, 'g')).toThrowError(/indices must be/);
  });

  it('Cast returns attrs.to', () => {
    expect(infer('Cast', [f32(2, 2)], { to: 'i64' })).toEqual([{ dtype: 'i64', shape: [2, 2] }]);
    expect(() => infer('Cast', [f32(2)], { to: 'float' }, 1, 'c')).toThrowError(/Cast node 'c': unknown target dtype/);
  });

  it('ConstantOfShape uses the constant shape and the value dtype', () => {
    const s = tensorI64([3], [2, 3, 4]);
    expect(infer('ConstantOfShape', [info('i64', [3], s)])).toEqual([{ dtype: 'f32', shape: [2, 3, 4] }]);
    const v = makeTensor('i64', [1]);
    expect(infer('ConstantOfShape', [info('i64', [2])], { value: v })).toEqual([{ dtype: 'i64', shape: [-1, -1] }]);
    expect(() => infer('ConstantOfShape', [f32(2)], {}, 1, 'cos')).toThrowError(/ConstantOfShape node 'cos'/);
  });

  it('Range length is ceil((limit - start) / delta)', () => {
    const scalar = (v: number) => info('i64', [], tensorI64([], [v]));
    expect(infer('Range', [scalar(1), scalar(10), scalar(3)])).toEqual([{ dtype: 'i64', shape: [3] }]);
    expect(shapeOf('Range', [scalar(10), scalar(1), scalar(-4)])).toEqual([3]);
    expect(shapeOf('Range', [scalar(5), scalar(1), scalar(1)])).toEqual([0]);
    expect(shapeOf('Range', [info('i64', []), scalar(1), scalar(1)])).toEqual([-1]);
    expect(() => infer('Range', [scalar(0), scalar(1), scalar(0)], {}, 1, 'r')).toThrowError(/Range node 'r': delta is 0/);
  });
});
