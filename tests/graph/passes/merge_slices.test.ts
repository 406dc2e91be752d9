/**
 * mergeSlices: a Slice read only by a Slice over other axes becomes one Slice, bit-identical on the CPU reference
 * (seeded random chains: odd sizes, negative starts / ends / axes / steps, sentinel ends); overlapping axes, shared
 * inner Slices and runtime starts are left alone; CIFAR ResNet-20's option-A shortcut loses one dispatch per block.
 */
import { describe, expect, it } from 'vitest';
import { mergeSlices, optimize } from '../../../src/graph/passes/index.js';
import { mulberry32, randInt } from '../../harness/rng.js';
import { GraphBuilder, expectEquivalent, opsOf, randomInput, snapshot } from './helpers.js';

type SliceSpec = { starts: number[]; ends: number[]; axes: number[]; steps: number[] };

function chain(shape: number[], slices: SliceSpec[], extraReader = false) {
  const b = new GraphBuilder();
  b.input('x', 'f32', shape);
  let x = 'x';
  for (const s of slices) x = b.node('Slice', [x], { ...s });
  if (extraReader) b.output(b.node('Relu', ['x'])); // unrelated reader of x: allowed
  b.output(b.node('Relu', [x]));
  return b.build();
}

/** A random Slice over `axes` of a tensor of `shape` (steps of either sign, bounds sometimes negative or huge). */
function randomSlice(rand: () => number, shape: number[], axes: number[]): SliceSpec {
  const spec: SliceSpec = { starts: [], ends: [], axes: [], steps: [] };
  for (const a of axes) {
    const dim = shape[a]!;
    const step = randInt(rand, 1, 3) * (rand() < 0.25 ? -1 : 1);
    let start = randInt(rand, 0, dim - 1);
    // Never empty: a forward slice ends after its start, a backward one before it or at the sentinel (before 0).
    let end = step > 0 ? randInt(rand, start + 1, dim) : start > 0 && rand() < 0.5 ? randInt(rand, 0, start - 1) : -(2 ** 31);
    if (rand() < 0.3 && start > 0) start -= dim; // negative start: counts from the end
    if (rand() < 0.2 && step > 0) end = 2 ** 31 - 1; // sentinel end: clamps
    spec.starts.push(start);
    spec.ends.push(end);
    spec.axes.push(rand() < 0.3 ? a - shape.length : a); // negative axis
    spec.steps.push(step);
  }
  return spec;
}

describe('mergeSlices', () => {
  it('merges chains over disjoint axes, bit-identical on the CPU (60 seeded chains)', () => {
    const rand = mulberry32(16);
    for (let t = 0; t < 60; t++) {
      const rank = randInt(rand, 2, 5);
      const shape = Array.from({ length: rank }, () => randInt(rand, 1, 9));
      const axes = Array.from({ length: rank }, (_, i) => i).sort(() => rand() - 0.5);
      const count = Math.min(rank, randInt(rand, 2, 3));
      // Split the shuffled axes into `count` non-empty groups, one Slice each.
      const slices: SliceSpec[] = [];
      let at = 0;
      let dims = [...shape];
      for (let k = 0; k < count; k++) {
        const take = k === count - 1 ? axes.length - at : randInt(rand, 1, axes.length - at - (count - 1 - k));
        const group = axes.slice(at, at + take);
        at += take;
        const s = randomSlice(rand, dims, group);
        slices.push(s);
        // The next Slice sees this one's output dims (only its own axes change).
        dims = dims.map((d, i) => {
          const j = s.axes.findIndex((ax) => (ax < 0 ? ax + rank : ax) === i);
          if (j < 0) return d;
          const step = s.steps[j]!;
          let b = s.starts[j]! < 0 ? s.starts[j]! + d : s.starts[j]!;
          let e = s.ends[j]! < 0 ? s.ends[j]! + d : s.ends[j]!;
          b = step > 0 ? Math.min(Math.max(b, 0), d) : Math.min(Math.max(b, 0), d - 1);
          e = step > 0 ? Math.min(Math.max(e, 0), d) : Math.min(Math.max(e, -1), d - 1);
          return Math.max(0, Math.ceil((e - b) / step));
        });
      }
      const g = chain(shape, slices);
      const before = snapshot(g);
      const out = mergeSlices(g);
      expect(snapshot(g)).toBe(before); // the input graph is not touched
      expect(opsOf(out).filter((o) => o === 'Slice').length, JSON.stringify(slices)).toBe(1);
      expectEquivalent(out, g, { x: randomInput(shape, t) });
    }
  });

  it('leaves overlapping axes, a shared inner Slice and runtime starts alone', () => {
    const s = (axes: number[]) => ({ starts: axes.map(() => 0), ends: axes.map(() => 2), axes, steps: axes.map(() => 1) });
    expect(opsOf(mergeSlices(chain([4, 5, 6], [s([1]), s([-2])])))).toEqual(['Slice', 'Slice', 'Relu']); // axis 1 twice

    const b = new GraphBuilder();
    b.input('x', 'f32', [4, 5]);
    const inner = b.node('Slice', ['x'], s([0]));
    b.output(b.node('Slice', [inner], s([1])));
    b.output(b.node('Relu', [inner])); // the inner Slice has a second reader
    expect(opsOf(mergeSlices(b.build()))).toEqual(['Slice', 'Slice', 'Relu']);

    const c = new GraphBuilder();
    c.input('x', 'f32', [4, 5]);
    c.input('st', 'i64', [1]);
    const first = c.node('Slice', ['x'], s([0]));
    c.output(c.node('Slice', [first, 'st'], { ends: [2], axes: [1] })); // starts as a runtime input
    expect(opsOf(mergeSlices(c.build()))).toEqual(['Slice', 'Slice']);
  });

  it("CIFAR ResNet's option-A shortcut: x[:, :, ::2, ::2] then a channel Pad is one Slice and the Pad", () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 16, 32, 32]);
    const h = b.node('Slice', ['x'], { starts: [0], ends: [2 ** 31 - 1], axes: [2], steps: [2] });
    const w = b.node('Slice', [h], { starts: [0], ends: [2 ** 31 - 1], axes: [3], steps: [2] });
    b.output(b.node('Pad', [w], { pads: [0, 8, 0, 0, 0, 8, 0, 0], mode: 'constant', value: 0 }));
    const g = b.build();
    const out = optimize(g);
    expect(opsOf(out)).toEqual(['Slice', 'Pad']);
    expectEquivalent(out, g, { x: randomInput([1, 16, 32, 32], 3) });
  });
});
