import { describe, expect, it } from 'vitest';
import type { Attrs, Graph, Tensor } from '../../../src/graph/ir.js';
import { inferShapes } from '../../../src/graph/infer.js';
import { OPTIMIZATIONS_OFF, fuseResizeAdd, optimize } from '../../../src/graph/passes/index.js';
import { GraphBuilder, addConv, opsOf, randomInput, run, snapshot } from './helpers.js';

const NEAREST_X2: Attrs = { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor', scales: [1, 1, 2, 2] };

/** Add(Resize(top), lateral) (or swapped), the FPN top-down step. */
function fpnStep(attrs: Attrs, top: number[], lat: number[], swap = false): Graph {
  const b = new GraphBuilder();
  b.input('top', 'f32', top);
  b.input('lat', 'f32', lat);
  const u = b.node('Resize', ['top'], attrs, 'up');
  b.output(b.node('Add', swap ? ['lat', u] : [u, 'lat'], {}, 'add'));
  return b.build();
}

function bitsEqual(a: Record<string, Tensor>, b: Record<string, Tensor>): void {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(a)) {
    expect(a[k]!.shape).toEqual(b[k]!.shape);
    const x = new Uint32Array((a[k]!.data as Float32Array).buffer.slice(0));
    const y = new Uint32Array((b[k]!.data as Float32Array).buffer.slice(0));
    expect(x.length).toBe(y.length);
    let diff = 0;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) diff++;
    expect(diff, k).toBe(0);
  }
}

describe('fuseResizeAdd', () => {
  it('fuses Add(Resize(x), y) in either operand order into FusedResize (residual last, Add output kept)', () => {
    for (const swap of [false, true]) {
      const g = fpnStep(NEAREST_X2, [1, 3, 4, 5], [1, 3, 8, 10], swap);
      const f = fuseResizeAdd(g);
      expect(opsOf(f)).toEqual(['FusedResize']);
      const n = f.nodes[0]!;
      expect(n.inputs).toEqual(['top', 'lat']);
      expect(n.outputs).toEqual(g.nodes[1]!.outputs);
      expect(n.attrs).toEqual(g.nodes[0]!.attrs);
      expect(inferShapes(f).get(n.outputs[0]!)!.shape).toEqual([1, 3, 8, 10]);
    }
  });

  it('does not mutate its input', () => {
    const g = fpnStep(NEAREST_X2, [1, 3, 4, 5], [1, 3, 8, 10]);
    const before = snapshot(g);
    fuseResizeAdd(g);
    expect(snapshot(g)).toBe(before);
  });

  it('leaves the pair alone: Resize with another consumer, Resize output a graph output, broadcasting, constant operand', () => {
    // Another consumer.
    let b = new GraphBuilder();
    b.input('top', 'f32', [1, 3, 4, 5]);
    b.input('lat', 'f32', [1, 3, 8, 10]);
    let u = b.node('Resize', ['top'], NEAREST_X2, 'up');
    b.output(b.node('Add', [u, 'lat'], {}, 'add'));
    b.output(b.node('Relu', [u], {}, 'relu'));
    expect(opsOf(fuseResizeAdd(b.build())).sort()).toEqual(['Add', 'Relu', 'Resize']);
    // Resize output is a graph output.
    b = new GraphBuilder();
    b.input('top', 'f32', [1, 3, 4, 5]);
    b.input('lat', 'f32', [1, 3, 8, 10]);
    u = b.node('Resize', ['top'], NEAREST_X2, 'up');
    b.output(b.node('Add', [u, 'lat'], {}, 'add'));
    b.output(u);
    expect(opsOf(fuseResizeAdd(b.build())).sort()).toEqual(['Add', 'Resize']);
    // Broadcasting: the lateral is [1, 3, 1, 10], and the other way round (Resize output broadcast up).
    expect(opsOf(fuseResizeAdd(fpnStep(NEAREST_X2, [1, 3, 4, 5], [1, 3, 1, 10])))).toEqual(['Resize', 'Add']);
    expect(opsOf(fuseResizeAdd(fpnStep({ ...NEAREST_X2, scales: [1, 1, 1, 2] }, [1, 1, 8, 5], [1, 3, 8, 10])))).toEqual(['Resize', 'Add']);
    // Constant operand (a bias: foldConstants' business).
    b = new GraphBuilder();
    b.input('top', 'f32', [1, 3, 4, 5]);
    b.init('c', randomInput([1, 3, 8, 10], 3));
    u = b.node('Resize', ['top'], NEAREST_X2, 'up');
    b.output(b.node('Add', [u, 'c'], {}, 'add'));
    expect(opsOf(fuseResizeAdd(b.build()))).toEqual(['Resize', 'Add']);
  });

  it('CPU reference is bit-identical before / after on seeded inputs (nearest x2, bilinear to odd sizes, half_pixel, asymmetric)', () => {
    let seed = 50;
    const geoms: [Attrs, number[], number[]][] = [
      [NEAREST_X2, [1, 4, 5, 7], [1, 4, 10, 14]],
      [{ ...NEAREST_X2, coordinate_transformation_mode: 'half_pixel', nearest_mode: 'round_prefer_floor' }, [2, 3, 5, 6], [2, 3, 10, 12]],
      [{ mode: 'linear', coordinate_transformation_mode: 'half_pixel', sizes: [1, 5, 11, 9] }, [1, 5, 6, 5], [1, 5, 11, 9]],
      [{ mode: 'linear', coordinate_transformation_mode: 'asymmetric', sizes: [1, 2, 13, 7] }, [1, 2, 6, 4], [1, 2, 13, 7]],
      [{ mode: 'linear', coordinate_transformation_mode: 'align_corners', sizes: [1, 3, 9, 15] }, [1, 3, 5, 8], [1, 3, 9, 15]],
      [{ mode: 'cubic', coordinate_transformation_mode: 'half_pixel', scales: [1, 1, 2, 2] }, [1, 2, 3, 4], [1, 2, 6, 8]],
      [{ mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel', scales: [1, 2, 2] }, [2, 3, 5], [2, 6, 10]],
    ];
    for (const [attrs, top, lat] of geoms)
      for (const swap of [false, true]) {
        const g = fpnStep(attrs, top, lat, swap);
        const f = fuseResizeAdd(g);
        expect(opsOf(f)).toEqual(['FusedResize']);
        const feeds = { top: randomInput(top, seed++), lat: randomInput(lat, seed++) };
        bitsEqual(run(f, feeds), run(g, feeds));
      }
  });

  it('optimize(): an FPN decoder (lateral 1x1 convs, two top-down levels) fuses the pairs fuseEpilogue leaves, bit-identical', () => {
    const b = new GraphBuilder();
    b.input('c3', 'f32', [1, 4, 12, 10]);
    b.input('p5', 'f32', [1, 4, 3, 3]);
    b.input('lat4', 'f32', [1, 4, 6, 5]);
    // Level 4: the lateral is a graph input (nothing for fuseEpilogue); bilinear to its odd size.
    const u4 = b.node('Resize', ['p5'], { mode: 'linear', coordinate_transformation_mode: 'half_pixel', sizes: [1, 4, 6, 5] }, 'up4');
    const p4 = b.node('Add', ['lat4', u4], {}, 'add4');
    // Level 3: lateral 1x1 conv + relu then nearest x2 of p4 (the conv's epilogue already has its activation).
    const l3 = b.node('Relu', [addConv(b, 'c3', 4, 4, 7, { k: 1, pads: 0, name: 'lat3' })], {}, 'lat3_relu');
    const u3 = b.node('Resize', [p4], NEAREST_X2, 'up3');
    b.output(b.node('Add', [u3, l3], {}, 'add3'));
    const g = b.build();
    const feeds = { c3: randomInput([1, 4, 12, 10], 1), p5: randomInput([1, 4, 3, 3], 2), lat4: randomInput([1, 4, 6, 5], 3) };
    const on = optimize(g);
    const without = optimize(g, { fuseResizeAdd: false });
    // add3 is taken first by fuseEpilogue (a residual after the lateral conv's ReLU: same dispatch count); add4 has
    // no conv to go to and becomes a FusedResize.
    expect(opsOf(without)).toEqual(['Resize', 'Add', 'Resize', 'FusedConv']);
    expect(opsOf(on)).toEqual(['FusedResize', 'Resize', 'FusedConv']);
    bitsEqual(run(on, feeds), run(without, feeds));
    // Without fuseEpilogue both pairs fuse.
    const noEpi = optimize(g, { fuseEpilogue: false });
    expect(opsOf(noEpi).filter((o) => o === 'FusedResize')).toHaveLength(2);
    expect(opsOf(noEpi)).not.toContain('Add');
    bitsEqual(run(noEpi, feeds), run(optimize(g, { fuseEpilogue: false, fuseResizeAdd: false }), feeds));
    bitsEqual(run(noEpi, feeds), run(optimize(g, { ...OPTIMIZATIONS_OFF }), feeds));
  });
});
